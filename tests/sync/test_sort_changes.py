"""Changes are applied in one fixed order: ``sort_changes`` gives exactly what one sort by
``Change.sort_key`` gives, ties included."""

from __future__ import annotations

import random

import pytest

from tierform.sync.change import Change, Op, sort_changes
from tierform.sync.state import Kind


def _changes(seed: int, n: int) -> list[Change]:
    """Every op on every kind, keys drawn from a small pool (so many changes tie on their
    whole sort key: each has data of its own, to tell them apart)."""
    rng = random.Random(seed)
    pool = [f"k{i}" for i in range(max(1, n // 4))] + ["", "Ä", "a b", "10", "9"]
    out = []
    for i in range(n):
        op, kind = rng.choice(list(Op)), rng.choice(list(Kind))
        data = None if op is Op.delete else {"n": i}
        out.append(Change(op, kind, rng.choice(pool), data, {"n": i} if data is None else None))
    return out


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n", [0, 1, 2, 50, 2000])
def test_sort_changes_is_one_sort_by_sort_key(seed: int, n: int) -> None:
    changes = _changes(seed, n)
    want = sorted(changes, key=Change.sort_key)
    got = sort_changes(changes)
    assert [id(c) for c in got] == [id(c) for c in want]


def test_a_book_in_key_order_stays_in_that_order() -> None:
    changes = [Change(Op.create, Kind.account, f"A{i:05d}", {}) for i in range(100)]
    changes = [Change(Op.create, Kind.field, "f", {}), *changes]
    assert sort_changes(list(reversed(changes))) == changes
