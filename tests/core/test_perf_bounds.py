"""Counting bounds (tiers, bands, steps) by comparison gives what a binary search gives."""

from __future__ import annotations

import numpy as np
import pytest

from tierform.core.arrays import bounds_at_or_below, dense_ranks, distinct, one_of


@pytest.mark.parametrize("seed", range(10))
def test_bounds_at_or_below_is_searchsorted(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for count in (0, 1, 3, 7, 20):
        bounds = np.sort(rng.choice([0.0, -5.0, 1e3, 1e4, 5e4, 1e5, 2.5e5, 1e6, np.inf], count))
        values = np.concatenate(
            [rng.lognormal(9, 2, 200), bounds, [0.0, -1.0, 1e12, np.inf, -np.inf, np.nan]]
        )
        for ordered in (bounds, bounds[::-1], np.append(bounds, np.nan)):
            expected = np.searchsorted(ordered, values, side="right")
            assert np.array_equal(bounds_at_or_below(ordered, values), expected)
            assert np.array_equal(bounds_at_or_below(ordered, values, dtype=np.uint8), expected)


@pytest.mark.parametrize("seed", range(10))
def test_one_of_is_isin(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for dtype in (np.int8, np.int64):
        values = rng.integers(-1, 6, rng.integers(0, 300)).astype(dtype)
        for allowed in ([], [0], [2, 4], [-1, 5], [7], [3, 3, 1], [-3, 100000]):
            assert np.array_equal(one_of(values, allowed), np.isin(values, allowed))


@pytest.mark.parametrize("seed", range(6))
def test_distinct_is_unique(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for size in (0, 1, 2, 50, 1000):
        for values in (rng.integers(0, 2**62, size), rng.integers(-3, 4, size)):
            assert np.array_equal(distinct(values), np.unique(values))


@pytest.mark.parametrize("size", [1, 7, 1000])
def test_dense_ranks_are_the_sorted_distinct_values_and_their_inverse(size: int) -> None:
    rng = np.random.default_rng(size)
    codes = rng.integers(0, size, 5000)
    used, ranks = dense_ranks(codes, size, np.int32)
    want_used, want_ranks = np.unique(codes, return_inverse=True)
    assert used.tolist() == want_used.tolist()
    assert ranks.tolist() == want_ranks.tolist()
    assert ranks.dtype == np.int32
    empty_used, empty_ranks = dense_ranks(np.array([], dtype=np.int64), size)
    assert empty_used.size == 0 and empty_ranks.size == 0
