"""The quick "any repeated id?" test agrees with counting the ids in a set (the reference)."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

from tierform.core.book import _duplicate_mask, _has_repeats


def by_hand(ids: list[str | None]) -> list[bool]:
    seen: set[str] = set()
    out = []
    for x in ids:
        out.append(x is not None and x in seen)
        if x is not None:
            seen.add(x)
    return out


@pytest.mark.parametrize("seed", range(30))
def test_repeats_and_the_mask_match_a_set(seed):
    rng = random.Random(seed)
    n = rng.randint(0, 60)
    pool = [f"A{k}" for k in range(rng.randint(1, 80))] + [None, "", " a", "a"]
    ids = [rng.choice(pool) for _ in range(n)]
    column = pa.chunked_array(
        [pa.array(ids[: n // 2], pa.string()), pa.array(ids[n // 2 :], pa.string())]
    )
    expected = by_hand(ids)
    assert _has_repeats(column) == any(expected)
    assert _duplicate_mask(column).tolist() == expected
