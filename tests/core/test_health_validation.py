"""Validation against churn history: figures worked by hand and known by construction."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pytest

from tierform.core.book import book_from_records
from tierform.core.health.churn_validation import auc, correlation, read_churn
from tierform.core.health.score import score_health
from tierform.core.health.spec import HealthSpec
from tierform.core.loader import default_model
from tierform.core.model import CoverageModel

AS_OF = dt.date(2026, 3, 1)


def _identity_model() -> CoverageModel:
    """One signal, x, scored as itself: the health score equals the column."""
    spec = {
        "signals": {
            "x": {"dimension": "usage", "normalise": {"type": "linear", "worst": 0, "best": 100}}
        },
        "weights": {"usage": 100},
        "tier_weights": {},
    }
    return default_model().model_copy(update={"health": HealthSpec.model_validate(spec)})


def _book(scores: list[float], churned: list[Any]) -> Any:
    return book_from_records(
        [
            {"account_id": f"A{i}", "acv": 10_000.0, "x": s, "churned": c}
            for i, (s, c) in enumerate(zip(scores, churned, strict=True))
        ]
    )


def test_four_accounts_by_hand() -> None:
    # Retained score 80 and 60, churned 40 and 60. Mean 60; sum of squares 800; the covariance
    # sum with retention (0/1, mean 0.5) is 20 -> r = 20 / sqrt(800 x 1) = 1/sqrt(2).
    # AUC: retained beats churned in 3 of 4 pairs, one tie (60 vs 60) -> 3.5 / 4.
    result = score_health(_identity_model(), _book([80, 60, 40, 60], [False, False, True, True]))
    v = result.validation
    assert v is not None
    assert v["correlation"] == pytest.approx(1 / math.sqrt(2), abs=1e-4)
    assert v["auc"] == pytest.approx(0.875)
    assert v["churned_below_60"] == pytest.approx(50.0)  # 40 is below 60, 60 is not
    assert v["retained_below_60"] == pytest.approx(0.0)
    assert (v["accounts"], v["churned"]) == (4, 2)
    assert v["grade"] == "good"  # 0.707 is above 0.6, not above 0.75


def test_score_a_function_of_churn_correlates_perfectly() -> None:
    churned = [i % 4 == 0 for i in range(200)]
    scores = [30.0 if c else 90.0 for c in churned]
    v = score_health(_identity_model(), _book(scores, churned)).validation
    assert v is not None
    assert v["correlation"] == pytest.approx(1.0)
    assert v["auc"] == pytest.approx(1.0)
    assert v["churned_below_60"] == 100.0
    assert v["grade"] == "excellent"


def test_inverted_score_fails_the_benchmark_with_the_recipe_recovery() -> None:
    churned = [i % 2 == 0 for i in range(50)]
    scores = [90.0 if c else 30.0 for c in churned]
    result = score_health(_identity_model(), _book(scores, churned))
    assert result.validation is not None and result.validation["correlation"] == pytest.approx(-1)
    check = next(c for c in result.checks if c.id == "health_churn_correlation")
    assert check.status == "fail" and check.grade == "below minimum"
    assert "increase the usage-based dimensions" in (check.recovery or "")
    below = next(c for c in result.checks if c.id == "health_churned_below")
    assert below.status == "warn" and below.figure == 0.0


def test_known_correlation_with_a_continuous_score() -> None:
    # Score = 50 + 10 * (retained - 0.5) * 2 + z where z is ±5 alternating within each group:
    # retained scores 55/65, churned 35/45 (equal counts). Deviations from 50: retained ±5 + 10,
    # churned ±5 - 10 -> var(score) = 100 + 25 = 125, cov(score, y) = 10 x 0.5 = 5,
    # var(y) = 0.25 -> r = 5 / sqrt(125 x 0.25) = 0.8944.
    scores, churned = [], []
    for i in range(400):
        retained = i % 2 == 0
        z = 5.0 if (i // 2) % 2 == 0 else -5.0
        scores.append(50 + (10 if retained else -10) + z)
        churned.append(not retained)
    v = score_health(_identity_model(), _book(scores, churned)).validation
    assert v is not None
    assert v["correlation"] == pytest.approx(10 / math.sqrt(125), abs=1e-4)


def test_auc_and_correlation_primitives() -> None:
    assert auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([False, False, True, True])) == 0.75
    assert auc(np.array([1.0, 1.0]), np.array([True, False])) == 0.5
    assert auc(np.array([1.0, 2.0]), np.array([True, True])) is None
    assert correlation(np.array([1.0, 1.0, 1.0]), np.array([0.0, 1.0, 1.0])) is None


def test_clustered_scores_get_the_recipe_recovery() -> None:
    scores = [71.0, 72.0, 75.0, 78.0, 79.0, 74.0, 40.0, 95.0]
    result = score_health(_identity_model(), _book(scores, [None] * 8))
    check = next(c for c in result.checks if c.id == "health_clustering")
    assert check.figure == 75.0 and check.status == "warn"  # 6 of 8 in 70-80
    assert "usage weight to 45%" in (check.recovery or "")
    assert "engagement to 15%" in (check.recovery or "")
    # churned column present but blank: nothing to validate against
    assert result.validation is not None and result.validation["accounts"] == 0


def test_churn_file_with_ids_only_marks_the_rest_retained(write) -> None:
    book = _book([10, 20, 30], [None] * 3)
    path = write("churn.csv", "account_id\nA2\nA0\nZZ\n")
    assert read_churn(path, book).tolist() == [1.0, 0.0, 1.0]


def test_churn_file_with_flags_leaves_unlisted_unknown(write) -> None:
    book = _book([10, 20, 30], [None] * 3)
    path = write("churn.csv", "account_id,churned\nA0,yes\nA1,no\n")
    flags = read_churn(path, book)
    assert flags[:2].tolist() == [1.0, 0.0] and math.isnan(flags[2])


def test_churn_given_explicitly_wins_over_the_column() -> None:
    book = _book([80, 60, 40, 60], [True, True, False, False])
    churn = np.array([0.0, 0.0, 1.0, 1.0])
    v = score_health(_identity_model(), book, churn=churn, churn_source="f.csv").validation
    assert v is not None and v["source"] == "f.csv"
    assert v["auc"] == pytest.approx(0.875)


def test_scoring_without_validation_keeps_the_scores_and_scoring_checks() -> None:
    churned = [i % 3 == 0 for i in range(30)]
    book = _book([float(i * 3) for i in range(30)], churned)
    full = score_health(_identity_model(), book)
    scores_only = score_health(_identity_model(), book, validate=False)
    assert full.validation is not None and scores_only.validation is None
    assert np.array_equal(scores_only.score, full.score, equal_nan=True)
    assert np.array_equal(scores_only.band_index, full.band_index)
    # The validation's checks come after the scoring checks; only they are left out.
    kept = [c.id for c in scores_only.checks]
    assert kept == [c.id for c in full.checks][: len(kept)]
    assert "health_churn_correlation" in [c.id for c in full.checks][len(kept) :]
    assert "health_churn_correlation" not in kept
