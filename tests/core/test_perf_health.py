"""The quicker health computations give exactly what the plain ones they replace gave."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from tierform.core.book import book_from_records
from tierform.core.health import score
from tierform.core.health.churn_validation import auc
from tierform.core.health.defaults import effective_health
from tierform.core.health.normalise import normalise
from tierform.core.loader import load_model
from tierform.core.segment import segment
from tierform.testing.sample import generate_accounts

AS_OF = dt.date(2026, 11, 1)


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


def dimension_scores_reference(spec, book, tier, as_of):
    """The per-signal sums as written before: every signal masked and weighted."""
    n = len(book)
    rule = spec.missing
    dims = list(spec.weights or {})
    for sig in (spec.signals or {}).values():
        if sig.dimension not in dims:
            dims.append(sig.dimension)
    num = {d: np.zeros(n) for d in dims}
    den = {d: np.zeros(n) for d in dims}
    for name, sig in (spec.signals or {}).items():
        raw = score.signal_values(name, sig, book, as_of)
        raw = np.full(n, np.nan) if raw is None else raw
        past = np.zeros(n, dtype=bool)
        if sig.date == "days_until":
            with np.errstate(invalid="ignore"):
                past = raw < 0
            raw = np.where(past, np.nan, raw)
        value = normalise(raw, sig.normalise, tier)
        if past.any():
            value = np.where(past, rule.neutral_score, value)
        if (sig.missing or rule.signal) == "neutral":
            value = np.where(np.isnan(value), rule.neutral_score, value)
        known = ~np.isnan(value)
        np.add(num[sig.dimension], sig.weight * value, out=num[sig.dimension], where=known)
        np.add(den[sig.dimension], sig.weight, out=den[sig.dimension], where=known)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {d: np.where(den[d] > 0, num[d] / den[d], np.nan) for d in dims}


def score_columns_reference(dims, matrix, tier, spec):
    group = np.where(tier >= 0, tier, matrix.shape[0] - 1)
    num = np.zeros(group.shape[0])
    den = np.zeros(group.shape[0])
    for k, values in enumerate(dims.values()):
        w = matrix[:, k][group]
        if spec.missing.dimension == "neutral":
            values = np.where(np.isnan(values), spec.missing.neutral_score, values)
        known = ~np.isnan(values)
        num += np.where(known, w * values, 0.0)
        den += np.where(known, w, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


@pytest.mark.parametrize("seed", range(8))
def test_scores_equal_the_plain_sums(seed: int) -> None:
    rng = np.random.default_rng(seed)
    model = load_model(None)
    spec = effective_health(model)
    signals = {
        name: sig.model_copy(
            update={
                "weight": float(rng.choice([1.0, 2.5])),
                "missing": rng.choice([None, "neutral"]),
            }
        )
        for name, sig in (spec.signals or {}).items()
    }
    rules = ["reweight", "neutral"]
    missing = spec.missing.model_copy(
        update={"signal": rules[seed % 2], "dimension": rules[(seed // 2) % 2]}
    )
    tier_weights = dict(spec.tier_weights or {})
    if seed % 3 == 0 and spec.weights:
        first = model.tiers[0].name
        tier_weights[first] = {d: float(rng.integers(0, 50)) for d in spec.weights}
    spec = spec.model_copy(
        update={"signals": signals, "missing": missing, "tier_weights": tier_weights}
    )
    model = model.model_copy(update={"health": spec})
    rows = generate_accounts(400, seed=seed, blank_acv_share=0.1).to_pylist()
    book = book_from_records(rows)
    tier = segment(model, book).tier
    dims, *_ = score.dimension_scores(spec, book, tier, AS_OF)
    expected = dimension_scores_reference(spec, book, tier, AS_OF)
    assert list(dims) == list(expected)
    for name in dims:
        assert np.array_equal(dims[name], expected[name], equal_nan=True)
    matrix = score._weight_matrix(model, score.group_weights(model, spec), list(dims))
    assert np.array_equal(
        score.score_columns(dims, matrix, tier, spec),
        score_columns_reference(expected, matrix, tier, spec),
        equal_nan=True,
    )
