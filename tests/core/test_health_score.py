"""Health scores against hand-worked books: normalisers, missing rules, tier weights, bands."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pytest

from tierform.core.book import book_from_records
from tierform.core.health.defaults import default_tier_weights
from tierform.core.health.normalise import linear, percentile_rank, thresholds
from tierform.core.health.score import band_of, effective_health, score_health
from tierform.core.health.spec import HealthSpec
from tierform.core.loader import default_model, load_model_text, starter_text
from tierform.core.model import CoverageModel
from tierform.errors import ConfigError

AS_OF = dt.date(2026, 3, 1)


def _model(**health: Any) -> CoverageModel:
    spec = {
        "signals": {
            "logins": {
                "dimension": "usage",
                "normalise": {"type": "linear", "worst": 0, "best": 10},
            },
            "adoption": {
                "dimension": "usage",
                "weight": 3,
                "normalise": {"type": "linear", "worst": 0, "best": 1},
            },
            "tickets": {
                "dimension": "support",
                "normalise": {"type": "thresholds", "steps": [[0, 100], [3, 60], [6, 0]]},
            },
        },
        "weights": {"usage": 60, "support": 40},
        "tier_weights": {},
    }
    spec.update(health)
    return default_model().model_copy(update={"health": HealthSpec.model_validate(spec)})


BOOK = [
    # usage = (1 x 50 + 3 x 80) / 4 = 72.5; support = 60 (4 tickets: the 3-ticket step)
    {"account_id": "A", "acv": 10_000.0, "logins": 5.0, "adoption": 0.8, "tickets": 4.0},
    # logins 12 clips to 100; adoption blank; 0 tickets = 100
    {"account_id": "B", "acv": 10_000.0, "logins": 12.0, "adoption": None, "tickets": 0.0},
    # no usage signal at all; 7 tickets = 0
    {"account_id": "C", "acv": 10_000.0, "logins": None, "adoption": None, "tickets": 7.0},
    # nothing known
    {"account_id": "D", "acv": 10_000.0, "logins": None, "adoption": None, "tickets": None},
]


def _scores(model: CoverageModel, records: list[dict[str, Any]] = BOOK) -> Any:
    return score_health(model, book_from_records(records), as_of=AS_OF)


def test_reweight_rule_by_hand() -> None:
    result = _scores(_model())
    # A: 0.6 x 72.5 + 0.4 x 60 = 67.5; B: usage 100 (adoption dropped), support 100 -> 100;
    # C: usage has no signal -> its weight moves to support -> 0; D: nothing -> no score.
    assert result.score[:3] == pytest.approx([67.5, 100.0, 0.0])
    assert math.isnan(result.score[3])
    assert result.band == ["orange", "green", "red", None]
    assert result.dimensions["usage"][0] == pytest.approx(72.5)
    assert math.isnan(result.dimensions["usage"][2])


def test_neutral_rule_by_hand() -> None:
    result = _scores(_model(missing={"signal": "neutral", "neutral_score": 50}))
    # B: usage = (100 + 3 x 50) / 4 = 62.5 -> 0.6 x 62.5 + 0.4 x 100 = 77.5
    # C: usage 50 -> 0.6 x 50 + 0 = 30; D: both 50 -> 50
    assert result.score == pytest.approx([67.5, 77.5, 30.0, 50.0])
    assert result.band == ["orange", "yellow", "red", "orange"]


def test_dimension_level_neutral_rule() -> None:
    result = _scores(_model(missing={"signal": "reweight", "dimension": "neutral"}))
    # C: usage unknown -> 50: 0.6 x 50 + 0.4 x 0 = 30; D: 50 and 50 -> 50
    assert result.score[2:] == pytest.approx([30.0, 50.0])


def test_tier_weights_apply_to_their_tier() -> None:
    model = _model(tier_weights={"Enterprise": {"usage": 20, "support": 80}})
    records = [dict(BOOK[0], account_id="E", acv=200_000.0), dict(BOOK[0])]
    result = _scores(model, records)
    # Enterprise: 0.2 x 72.5 + 0.8 x 60 = 62.5; the SMB account keeps 60/40: 67.5
    assert result.score == pytest.approx([62.5, 67.5])
    assert result.weights["tiers"]["Enterprise"] == {"usage": 20, "support": 80}
    assert result.weights["tiers"]["Mid-Market"] == {"usage": 60, "support": 40}


def test_recipe_bands_at_their_edges() -> None:
    spec = effective_health(default_model())
    scores = np.array([100, 90, 89.99, 70, 69.99, 50, 49.99, 0, np.nan])
    names = [b.name for b in spec.bands or []]
    got = [names[i] if i >= 0 else None for i in band_of(scores, spec).tolist()]
    assert got == ["green", "green", "yellow", "yellow", "orange", "orange", "red", "red", None]


def test_normalisers_by_hand() -> None:
    values = np.array([-5.0, 0.0, 2.5, 10.0, 20.0, np.nan])
    assert linear(values, 0, 10)[:5] == pytest.approx([0, 0, 25, 100, 100])
    # reversed: 72 h worst, 4 h best -> 38 h is half way
    assert linear(np.array([38.0, 80.0, 1.0]), 72, 4) == pytest.approx([50, 0, 100])
    steps = [(0, 100), (3, 60), (6, 0)]
    assert thresholds(np.array([-1.0, 0, 2.9, 3, 5.99, 6, 100]), steps) == pytest.approx(
        [100, 100, 100, 60, 60, 0, 0]
    )
    assert math.isnan(linear(values, 0, 10)[5])
    # mid-rank percentile of [10, 20, 20, 40]: 10 -> 0.5/4, 20 -> 2/4, 40 -> 3.5/4
    ranks = percentile_rank(np.array([10.0, 20, 20, 40, np.nan]))
    assert ranks[:4] == pytest.approx([12.5, 50, 50, 87.5])
    assert math.isnan(ranks[4])


def test_percentile_within_tier() -> None:
    model = _model(
        signals={
            "logins": {
                "dimension": "usage",
                "normalise": {"type": "percentile", "within": "tier"},
            }
        },
        weights={"usage": 100},
    )
    records = [
        {"account_id": "e1", "acv": 200_000.0, "logins": 1.0},
        {"account_id": "e2", "acv": 200_000.0, "logins": 3.0},
        {"account_id": "s1", "acv": 10_000.0, "logins": 2.0},
    ]
    # Within its tier each Enterprise account ranks 25 / 75; the lone SMB account 50.
    assert _scores(model, records).score == pytest.approx([25, 75, 50])


def test_date_signal_counts_days_until_the_date() -> None:
    model = _model(
        signals={
            "renewal": {
                "column": "renewal_date",
                "date": "days_until",
                "dimension": "financial",
                "normalise": {
                    "type": "thresholds",
                    "steps": [[-1, 0], [0, 60], [30, 80], [90, 100]],
                },
            }
        },
        weights={"financial": 100},
    )
    dates = [AS_OF + dt.timedelta(days=d) for d in (45, -2, 0, 400)]
    records = [
        {"account_id": str(i), "acv": 10_000.0, "renewal_date": d.isoformat()}
        for i, d in enumerate(dates)
    ]
    result = _scores(model, records)
    # Two days past: a renewal not yet recorded, scored neutral (50) and flagged, not 0.
    assert result.score == pytest.approx([80, 50, 60, 100])
    assert result.stale_ids() == ["1"]


def test_declared_signal_missing_from_the_book_names_the_key() -> None:
    model = _model()
    with pytest.raises(ConfigError) as exc:
        score_health(model, book_from_records([{"account_id": "A", "acv": 1.0}]), as_of=AS_OF)
    assert "health.signals.logins.column" in str(exc.value)
    assert "'logins'" in str(exc.value)


def test_text_signal_column_is_rejected() -> None:
    records = [dict(BOOK[0], logins="often")]
    with pytest.raises(ConfigError, match="not numeric"):
        _scores(_model(), records)


def test_default_signals_are_optional_and_reported() -> None:
    book = book_from_records([{"account_id": "A", "acv": 10_000.0, "csat": 4.8}])
    result = score_health(default_model(), book, as_of=AS_OF)
    # Only CSAT (support) is known: every other dimension's weight moves to support.
    assert result.score[0] == pytest.approx(100.0)
    ids = {c.id: c for c in result.checks}
    assert "not in the book" in ids["health_signals"].message
    assert ids["health_dimension:usage"].status == "warn"


def test_defaults_reproduce_the_seed_numbers() -> None:
    spec = effective_health(default_model())
    assert spec.weights == {
        "usage": 35,
        "engagement": 25,
        "support": 20,
        "financial": 20,
        "growth": 0,
    }
    # Per-tier weights only when the model writes them; the segment table is on offer.
    assert spec.tier_weights == {}
    tw = default_tier_weights(default_model())
    assert tw["Enterprise"] == {
        "usage": 30,
        "engagement": 25,
        "support": 15,
        "growth": 15,
        "financial": 15,
    }
    assert tw["Mid-Market"] == {
        "usage": 35,
        "engagement": 15,
        "support": 20,
        "growth": 15,
        "financial": 15,
    }
    tech = {"usage": 50, "engagement": 5, "support": 25, "growth": 10, "financial": 10}
    assert tw["SMB / Growth"] == tech == tw["Self-Serve"]
    assert [(b.name, b.min) for b in spec.bands or []] == [
        ("green", 90),
        ("yellow", 70),
        ("orange", 50),
        ("red", 0),
    ]
    assert (spec.responses or {})["Enterprise"]["red"] == "named CSM and CS manager"


def test_model_weights_switch_off_the_segment_table() -> None:
    model = _model()
    model = model.model_copy(
        update={"health": model.health.model_copy(update={"tier_weights": None})}  # type: ignore[union-attr]
    )
    assert effective_health(model).tier_weights == {}


def _load_with(section: str) -> ConfigError:
    with pytest.raises(ConfigError) as exc:
        load_model_text(starter_text() + "\n" + section, "tierform.yaml")
    return exc.value


def test_bad_health_sections_name_the_key_and_line() -> None:
    err = _load_with(
        "health:\n"
        "  weights: {usage: 50, engagement: 25, support: 20, financial: 15, growth: 0, fun: 1}\n"
        "  tier_weights:\n"
        "    Enterprize: {usage: 100}\n"
        "  bands: [{name: good, min: 50}, {name: bad, min: 10}]\n"
        "  responses: {Enterprise: {purple: someone}}\n"
    )
    text = str(err)
    keys = {i.key for i in err.issues}
    assert "health.weights" in keys and "weights sum to 111, not 100" in text
    assert "health.weights.fun" in keys and "unknown dimension 'fun'" in text
    assert "health.tier_weights.Enterprize" in keys and "unknown tier 'Enterprize'" in text
    assert "the lowest band must start at 0" in text
    assert "unknown band 'purple'" in text
    weights_issue = next(i for i in err.issues if i.key == "health.weights")
    assert weights_issue.line is not None and weights_issue.line > 100


def test_signal_without_a_weighted_dimension_is_reported() -> None:
    err = _load_with(
        "health:\n"
        "  signals:\n"
        "    nps: {dimension: advocacy, normalise: {type: linear, worst: -100, best: 100}}\n"
        "    flat: {dimension: usage, normalise: {type: linear, worst: 3, best: 3}}\n"
    )
    text = str(err)
    assert "dimension 'advocacy' has no weight" in text
    assert "health.signals.flat.normalise" in {i.key for i in err.issues}


def test_to_dict_has_the_contract_shape() -> None:
    data = _scores(_model()).to_dict()
    assert set(data) == {"weights", "accounts", "validation", "checks"}
    assert set(data["accounts"][0]) == {"account_id", "tier", "score", "band", "dimensions"}
    assert data["accounts"][0] == {
        "account_id": "A",
        "tier": "SMB / Growth",
        "score": 67.5,
        "band": "orange",
        "dimensions": {"usage": 72.5, "support": 60.0},
    }
    assert data["accounts"][3]["score"] is None and data["validation"] is None


def test_starter_examples_load_when_uncommented() -> None:
    text = starter_text()
    start, end = text.index("# health:\n"), text.index("# playbooks: a list")
    block = "\n".join(
        line[2:] if line.startswith("# ") else line[1:] for line in text[start:end].splitlines()
    )
    model = load_model_text(text[:start] + block + "\n", "tierform.yaml")
    assert model.health is not None and model.health.weights == {
        "usage": 45,
        "engagement": 15,
        "support": 20,
        "financial": 20,
        "growth": 0,
    }
    assert model.rules is not None and model.rules[0].name == "renewal-prep"


def test_two_signals_may_read_one_column() -> None:
    """Signals are scored two at a time on two threads: two signals on one column each get
    its numbers (the book hands a column read once to the first that asks, then reads it
    again), and the sums are those worked out by hand."""
    model = _model(
        signals={
            "logins": {
                "dimension": "usage",
                "normalise": {"type": "linear", "worst": 0, "best": 10},
            },
            "logins_steps": {
                "column": "logins",
                "dimension": "engagement",
                "normalise": {"type": "thresholds", "steps": [[0, 0], [4, 50], [8, 100]]},
            },
        },
        weights={"usage": 50, "engagement": 50},
    )
    logins = [0.0, 2.0, 5.0, 9.0, 12.0, None] * 2000
    records = [{"account_id": f"A{i}", "acv": 10_000.0, "logins": v} for i, v in enumerate(logins)]
    result = _scores(model, records)
    usage = [0.0, 20.0, 50.0, 90.0, 100.0, math.nan] * 2000
    steps = [0.0, 0.0, 50.0, 100.0, 100.0, math.nan] * 2000
    np.testing.assert_array_equal(result.dimensions["usage"], usage)
    np.testing.assert_array_equal(result.dimensions["engagement"], steps)
    expected = [(u + s) / 2 for u, s in zip(usage, steps, strict=True)]
    np.testing.assert_allclose(result.score, expected, rtol=0, atol=0.005)


@pytest.mark.parametrize("lacking", ["adoption", "tickets"])  # the second and the third signal
def test_a_later_signal_missing_from_the_book_names_its_key(lacking: str) -> None:
    records = [{k: v for k, v in row.items() if k != lacking} for row in BOOK]
    with pytest.raises(ConfigError) as exc:
        _scores(_model(), records)
    assert f"health.signals.{lacking}.column" in str(exc.value)
