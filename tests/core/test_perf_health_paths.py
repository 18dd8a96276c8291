"""The column-at-a-time health paths give exactly what plain references give.

Each reference is the simple form: a loop per account or the whole-array numpy formula, never
figures taken from the code under test. Books cover blanks, NaN, ties, passed renewal dates,
absent columns, unicode ids and the empty book.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from tierform.core.book import book_from_records
from tierform.core.health import score
from tierform.core.health.churn_validation import (
    auc,
    auc_sorted,
    correlation,
    outcome_column,
    point_biserial_ceiling,
    validate_scores,
)
from tierform.core.health.defaults import effective_health
from tierform.core.health.normalise import linear, thresholds
from tierform.core.health.spec import BandSpec, Validation
from tierform.core.loader import load_model
from tierform.core.segment import segment
from tierform.testing.sample import generate_accounts

AS_OF = dt.date(2026, 11, 1)


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal values, NaN where NaN, and the same sign of every zero (JSON writes -0.0)."""
    a, b = np.asarray(a), np.asarray(b)
    return (
        a.shape == b.shape
        and bool(np.array_equal(a, b, equal_nan=True))
        and bool((np.signbit(a) == np.signbit(b)).all())
    )


def awkward_values(rng: np.random.Generator, n: int) -> np.ndarray:
    values = rng.normal(0, 10, n)
    tie = rng.random(n) < 0.3
    values[tie] = np.round(values[tie])  # many equal values
    special = [np.nan, -0.0, 0.0, np.inf, -np.inf, 1e-300, -1e-300, 3.0, 6.0, 100.0]
    pick = rng.random(n) < 0.3
    values[pick] = rng.choice(special, int(pick.sum()))
    return values


@pytest.mark.parametrize("seed", range(6))
def test_linear_equals_the_clipped_formula(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = awkward_values(rng, 3000)
    for worst, best in [(0, 8), (72, 4), (-0.2, 0.1), (3.0, 6.0), (0.0, 1e-3), (-5, -0.0)]:
        with np.errstate(invalid="ignore"):
            expected = np.clip((values - worst) / (best - worst), 0.0, 1.0) * 100
        assert same(linear(values, worst, best), expected)


def steps_reference(x: float, steps: list[tuple[float, float]]) -> float:
    """The score of the last step reached, scanning the (ascending) steps one by one."""
    if math.isnan(x):
        return math.nan
    points = steps[0][1]
    for at, step_score in steps:
        if x >= at:
            points = step_score
    return points


STEPS = [
    [(0, 100), (3, 80), (6, 50), (10, 20), (15, 0)],
    [(-1, 0), (0, 60), (30, 80), (90, 100)],
    [(5, 7)],
    [(0, 1), (3, 2), (3, 3), (6, -0.0)],  # a repeated step value, a -0.0 score
    [(float(k), float(100 - k)) for k in range(20)],  # more steps than are compared
]


@pytest.mark.parametrize("steps", STEPS)
def test_thresholds_equal_a_scan_of_the_steps(steps: list[tuple[float, float]]) -> None:
    rng = np.random.default_rng(len(steps))
    values = awkward_values(rng, 2000)
    expected = np.array([steps_reference(x, steps) for x in values.tolist()])
    assert same(thresholds(values, steps), expected)


def test_unsorted_steps_keep_the_binary_search() -> None:
    steps = [(6.0, 50.0), (0.0, 100.0), (3.0, 80.0)]
    values = awkward_values(np.random.default_rng(3), 500)
    at = np.array([v for v, _ in steps])
    points = np.array([s for _, s in steps])
    idx = np.clip(np.searchsorted(at, np.nan_to_num(values, nan=at[0]), side="right") - 1, 0, None)
    assert same(thresholds(values, steps), np.where(np.isnan(values), np.nan, points[idx]))


def band_reference(x: float, bands: list[BandSpec]) -> int:
    """The band whose minimum is the highest one reached (the later band on a tie)."""
    if math.isnan(x):
        return -1
    found, best = -1, -math.inf
    order = sorted(range(len(bands)), key=lambda i: bands[i].min)
    for i in order:
        if x >= bands[i].min and bands[i].min >= best:
            found, best = i, bands[i].min
    return found


BANDS = [
    [("green", 90), ("yellow", 70), ("orange", 50), ("red", 0)],
    [("low", 0), ("high", 50)],
    [("only", 10)],
    [],
]


@pytest.mark.parametrize("bands", BANDS)
def test_band_of_equals_the_band_reached(bands: list[tuple[str, float]]) -> None:
    spec = effective_health(load_model(None)).model_copy(
        update={"bands": [BandSpec(name=n, min=m) for n, m in bands]}
    )
    rng = np.random.default_rng(len(bands))
    scores = rng.uniform(-5, 105, 3000)
    scores[rng.random(3000) < 0.1] = np.nan
    scores[:6] = [90, 70, 50, 0, np.inf, -np.inf]
    got = score.band_of(scores, spec)
    assert got.dtype == np.int8
    expected = [band_reference(x, spec.bands or []) for x in scores.tolist()]
    assert got.tolist() == expected


def awkward_book(n: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    rows = generate_accounts(n, seed=seed, blank_acv_share=0.1).to_pylist() if n else []
    for i, row in enumerate(rows):
        row["account_id"] = f"Ä-{i}-客户"
        for column in ("logins_per_week", "csat", "support_tickets", "renewal_date"):
            if rng.random() < 0.15:
                row[column] = None
        if rng.random() < 0.1:
            row["renewal_date"] = AS_OF - dt.timedelta(days=int(rng.integers(1, 90)))
        if rng.random() < 0.1 and i:
            row["logins_per_week"] = rows[i - 1]["logins_per_week"]  # ties
    return rows


def dimensions_reference(
    spec: Any, book: Any, tier: np.ndarray
) -> tuple[dict[str, list[float]], list[bool]]:
    """Every account on its own: each signal normalised, then each dimension's weighted mean."""
    n = len(book)
    rule = spec.missing
    dims = list(spec.weights or {})
    for sig in spec.signals.values():
        if sig.dimension not in dims:
            dims.append(sig.dimension)
    columns = {}
    for name, sig in spec.signals.items():
        raw = score.signal_values(name, sig, book, AS_OF)
        columns[name] = [math.nan] * n if raw is None else raw.tolist()
    num = {d: [0.0] * n for d in dims}
    den = {d: [0.0] * n for d in dims}
    stale = [False] * n
    for name, sig in spec.signals.items():
        norm = sig.normalise
        for i, x in enumerate(columns[name]):
            past = sig.date == "days_until" and x < 0
            stale[i] = stale[i] or past
            if past:
                value = rule.neutral_score
            elif norm.type == "linear":
                with np.errstate(invalid="ignore"):
                    ratio = (np.float64(x) - norm.worst) / (norm.best - norm.worst)
                    value = float(np.clip(ratio, 0.0, 1.0) * 100)
            else:
                value = steps_reference(x, norm.steps)
            if math.isnan(value) and (sig.missing or rule.signal) == "neutral":
                value = rule.neutral_score
            if not math.isnan(value):
                num[sig.dimension][i] += sig.weight * value
                den[sig.dimension][i] += sig.weight
    out = {
        d: [num[d][i] / den[d][i] if den[d][i] > 0 else math.nan for i in range(n)] for d in dims
    }
    return out, stale


def scores_reference(
    dims: dict[str, list[float]], matrix: np.ndarray, tier: np.ndarray, spec: Any
) -> list[float]:
    out = []
    for i, t in enumerate(tier.tolist()):
        row = matrix[t if t >= 0 else matrix.shape[0] - 1]
        num = den = 0.0
        for k, values in enumerate(dims.values()):
            v = values[i]
            if math.isnan(v) and spec.missing.dimension == "neutral":
                v = spec.missing.neutral_score
            if not math.isnan(v):
                num += float(row[k]) * v
                den += float(row[k])
        out.append(num / den if den > 0 else math.nan)
    return out


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("size", [0, 1, 300])
def test_dimensions_and_scores_equal_the_per_account_sums(seed: int, size: int) -> None:
    rng = np.random.default_rng(seed)
    model = load_model(None)
    spec = effective_health(model)
    signals = {
        name: sig.model_copy(
            update={
                "weight": float(rng.choice([1.0, 0.5, 2.5])),
                "missing": rng.choice([None, "neutral", "reweight"]),
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
        tier_weights[model.tiers[0].name] = {d: float(rng.integers(0, 50)) for d in spec.weights}
    spec = spec.model_copy(
        update={"signals": signals, "missing": missing, "tier_weights": tier_weights}
    )
    model = model.model_copy(update={"health": spec})
    rows = awkward_book(size, seed)
    book = (
        book_from_records(rows)
        if rows
        else book_from_records([{"account_id": "x"}]).select(np.zeros(1, dtype=bool))
    )
    tier = segment(model, book).tier
    dims, used, absent, stale = score.dimension_scores(spec, book, tier, AS_OF)
    expected, expected_stale = dimensions_reference(spec, book, tier)
    assert list(dims) == list(expected)
    assert sorted(used + absent) == sorted(spec.signals or {})
    for name in dims:
        assert same(dims[name], np.array(expected[name], dtype=float)), name
    assert stale.tolist() == expected_stale
    assert any(expected_stale) or size < 300
    matrix = score._weight_matrix(model, score.group_weights(model, spec), list(dims))
    got = score.score_columns(dims, matrix, tier, spec)
    assert same(got, np.array(scores_reference(expected, matrix, tier, spec), dtype=float))


def auc_by_pairs(values: np.ndarray, positive: np.ndarray) -> float | None:
    """Every (positive, negative) pair compared, a tie counting one half (NaN ties NaN and
    sorts above every number, as the sorted look-ups order it)."""
    pos = values[positive].tolist()
    neg = values[~positive].tolist()
    if not pos or not neg:
        return None

    def key(x: float) -> tuple[int, float]:
        return (1, 0.0) if math.isnan(x) else (0, x)

    u = 0.0
    for p in pos:
        for q in neg:
            u += 1.0 if key(q) < key(p) else 0.5 if key(q) == key(p) else 0.0
    return u / (len(pos) * len(neg))


@pytest.mark.parametrize("seed", range(10))
def test_auc_in_either_direction_equals_the_pair_count(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for size in (1, 2, 7, 150):
        values = np.round(rng.normal(60, 20, size), int(rng.integers(-1, 3)))
        values[rng.random(size) < 0.1] = np.nan
        for share in (0.1, 0.5, 0.9):
            positive = rng.random(size) < share
            expected = auc_by_pairs(values, positive)
            got = auc(values, positive)
            assert (got is None) == (expected is None)
            if expected is not None:
                assert got is not None and abs(got - expected) <= 1e-12
                flipped = auc_sorted(np.sort(values[~positive]), np.sort(values[positive]))
                assert flipped is not None and abs(flipped - (1 - expected)) <= 1e-12


@pytest.mark.parametrize("seed", range(6))
def test_correlation_equals_numpy_corrcoef(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for size in (2, 3, 50, 20_000):
        values = rng.normal(60, 20, size)
        if seed % 2:
            values = np.round(values)
        retained = (rng.random(size) < 0.7).astype(float)
        if np.std(values) == 0 or np.std(retained) == 0:
            assert correlation(values, retained) is None
            continue
        assert correlation(values, retained) == float(np.corrcoef(values, retained)[0, 1])
    assert correlation(np.full(5, 3.0), np.array([0, 1, 0, 1, 1.0])) is None
    assert correlation(np.arange(5.0), np.ones(5)) is None


def validation_reference(values: np.ndarray, churn: np.ndarray, spec: Validation) -> dict:
    """The figures from their definitions: masks, means and numpy's corrcoef."""
    ok = ~np.isnan(values) & ~np.isnan(churn)
    s, churned = values[ok], churn[ok] == 1
    retained = (~churned).astype(float)
    r = None
    if s.size >= 2 and np.std(s) != 0 and np.std(retained) != 0:
        r = float(np.corrcoef(s, retained)[0, 1])
    a = auc_by_pairs(s, ~churned)

    def below(limit: float, mask: np.ndarray) -> float | None:
        return None if not mask.any() else round(100 * float((s[mask] < limit).mean()), 2)

    n_churned = int(churned.sum())
    rate = n_churned / s.size if s.size else 0.0
    ceiling = point_biserial_ceiling(rate)
    return {
        "accounts": int(ok.sum()),
        "churned": n_churned,
        "correlation": None if r is None else round(r, 4),
        "auc": None if a is None else round(a, 4),
        "churned_below_60": below(60, churned),
        "retained_below_60": below(60, ~churned),
        "churned_below_threshold": below(spec.churn_threshold, churned),
        "mean_score_churned": None if not n_churned else round(float(s[churned].mean()), 2),
        "mean_score_retained": None if n_churned == s.size else round(float(s[~churned].mean()), 2),
        "churn_rate": round(100 * rate, 2),
        "correlation_ceiling": None if ceiling is None else round(ceiling, 4),
        "correlation_of_ceiling": None if r is None or not ceiling else round(r / ceiling, 4),
    }


@pytest.mark.parametrize("seed", range(8))
def test_validation_figures_equal_their_definitions(seed: int) -> None:
    rng = np.random.default_rng(seed)
    spec = Validation(churn_threshold=float(rng.choice([60, 55.5])))
    for size in (0, 1, 2, 40, 400):
        values = np.round(rng.uniform(0, 100, size), int(rng.integers(0, 3)))
        churn = (rng.random(size) < rng.uniform(0, 1)).astype(float)
        if seed % 2:
            values[rng.random(size) < 0.1] = np.nan
            churn[rng.random(size) < 0.1] = np.nan
        if seed == 4:
            churn[:] = 1.0  # everyone churned
        if seed == 6:
            churn[:] = 0.0  # nobody churned
        figures, checks = validate_scores(values, churn, spec, "history")
        expected = validation_reference(values, churn, spec)
        assert {k: figures[k] for k in expected} == expected
        assert [c.id for c in checks] == [
            "health_auc",
            "health_churn_correlation",
            "health_churned_below",
        ]


def test_outcome_column_reads_every_flag_type() -> None:
    cases = [
        pa.chunked_array([[True, False], [True]]),
        pa.chunked_array([[True, None, False]]),
        pa.chunked_array([[1, 0, None, 2]]),
        pa.chunked_array([[0.0, 1.5, None, -0.0]]),
        pa.chunked_array([["Yes", " no ", "", None, "churned", "x", "maybe"]]),
    ]
    truthy = {"true", "yes", "y", "1", "churned", "t", "x"}
    falsy = {"false", "no", "n", "0", "retained", "f", "active"}
    for col in cases:
        expected = []
        for v in col.to_pylist():
            if v is None:
                expected.append(math.nan)
            elif isinstance(v, str):
                t = v.strip().lower()
                expected.append(1.0 if t in truthy else 0.0 if t in falsy else math.nan)
            else:
                expected.append(1.0 if v != 0 else 0.0)
        assert same(outcome_column(col), np.array(expected, dtype=float))


def test_consumed_columns_read_as_the_copied_ones() -> None:
    model = load_model(None)
    rows = awkward_book(200, 5)
    book = book_from_records(rows)
    result = score.score_health(model, book, as_of=AS_OF)
    copied = result.to_dict(columnar=True)["accounts"].to_list()
    plain = result.to_dict()["accounts"]
    consumed = result.to_dict(columnar=True, consume=True)["accounts"].to_list()
    assert copied == plain == consumed
    counts = {b.name: 0 for b in result.spec.bands or []}
    for entry in plain:
        if entry["band"] is not None:
            counts[entry["band"]] += 1
    assert result.band_counts() == counts


@pytest.mark.parametrize("level", [0.1, 1 / 3, 60.0, 72.45, 0.0, 1e-170])
def test_constant_scores_are_found_as_numpy_std_finds_them(level: float) -> None:
    rng = np.random.default_rng(int(level * 100) % 7)
    for size in (2, 3, 7, 1000, 100_003):
        churn = np.zeros(size)
        churn[: max(1, size // 5)] = 1.0
        retained = 1 - churn
        for nudge in (0.0, 1e-13, 1e-160):
            values = np.full(size, level)
            values[int(rng.integers(0, size))] += nudge
            figures, _ = validate_scores(values, churn, Validation(), "history")
            r = None
            if np.std(values) != 0:
                r = round(float(np.corrcoef(values, retained)[0, 1]), 4)
            assert figures["correlation"] == r
