"""The quick "any repeated id?" test, and its shortcut for ids already in order, agree with
counting the ids in a set (the reference)."""

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


def id_lists() -> list[list[str | None]]:
    rng = random.Random(5)
    numbered = [f"ACC-{k:06d}" for k in range(1, 3000)] + ["ACC-1000000", "ACC-1000001"]
    cases: list[list[str | None]] = [
        [],
        ["A"],
        numbered,
        [str(k) for k in range(1, 2500)],  # 9 before 10: shorter first
        [str(k) for k in range(1, 2500)] + ["2499"],  # a repeat at the very end
        numbered[:1500] + [None] + numbered[1500:],  # a blank among ordered ids
        numbered[:2000] + [numbered[1999]] + numbered[2000:],  # neighbours equal
        numbered[:10] + numbered[5:],  # repeats early, inside the first look
        ["é", "ö", "名", "名前"],
        ["", "", "a"],
        ["b", "a", "c"],
    ]
    for _ in range(10):
        ids = sorted(rng.sample(range(5000), 2000))
        ordered: list[str | None] = [f"X{k}" for k in ids]
        ordered.insert(rng.randrange(len(ordered)), ordered[rng.randrange(len(ordered))])
        cases.append(ordered)
    return cases


@pytest.mark.parametrize("ids", id_lists())
def test_repeats_of_ordered_ids_match_a_set(ids):
    half = len(ids) // 2
    column = pa.chunked_array(
        [pa.array(ids[:half], pa.string()), pa.array(ids[half:], pa.string())], pa.string()
    )
    expected = by_hand(ids)
    assert _has_repeats(column) == any(expected)
    assert _duplicate_mask(column).tolist() == expected
