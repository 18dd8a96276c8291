"""The AUC from each side sorted gives exactly the rank sum it replaces (the scoring sums are
compared with their per-account definitions in ``test_perf_health_paths``)."""

from __future__ import annotations

import numpy as np
import pytest

from tierform.core.health.churn_validation import auc


def auc_by_ranks(score: np.ndarray, positive: np.ndarray) -> float | None:
    """The reference: the Mann-Whitney rank sum over the whole column, ties at mid-rank."""
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    _, inverse, counts = np.unique(score, return_inverse=True, return_counts=True)
    mid_rank = np.cumsum(counts) - (counts - 1) / 2
    rank_sum = float(mid_rank[inverse][positive].sum())
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


@pytest.mark.parametrize("seed", range(12))
def test_auc_equals_the_rank_sum_exactly(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for size in (2, 3, 10, 500, 5000):
        score = rng.normal(60, 20, size)
        if seed % 3 == 0:
            score = np.round(score / 10) * 10  # heavy ties
        if seed % 4 == 1:
            score[rng.random(size) < 0.05] = np.nan
        positive = rng.random(size) < rng.uniform(0.05, 0.95)
        assert auc(score, positive) == auc_by_ranks(score, positive)
