"""Analysis defaults that must not mislead: each against a hand computation."""

from __future__ import annotations

import datetime as dt
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tierform.core.book import book_from_records
from tierform.core.columns import map_header
from tierform.core.health.calibrate import calibrate
from tierform.core.health.churn_validation import point_biserial_ceiling
from tierform.core.health.defaults import RECIPE_WEIGHTS, effective_health
from tierform.core.health.score import score_health
from tierform.core.health.spec import HealthSpec
from tierform.core.loader import default_model
from tierform.core.model import CoverageModel
from tierform.core.scenario import growth_scenario
from tierform.core.segment import segment

AS_OF = dt.date(2026, 1, 1)
LIN = {"type": "linear", "worst": 0, "best": 100}


def _with_health(spec: dict) -> CoverageModel:
    return default_model().model_copy(update={"health": HealthSpec.model_validate(spec)})


# --- onboarding: header recognition ---------------------------------------------------------


def test_header_mapping_exact_normalised_and_known_names() -> None:
    m = map_header(
        ["account_id", "ACV", "Renewal-Date", "Company owner", "(Do Not Modify) Account", "X"],
        {"X"},
    )
    # exact beats the Dynamics GUID; "ACV" is acv by case; "Renewal-Date" by punctuation.
    assert m.columns["account_id"] == "account_id" and m.how["account_id"] == "exact"
    assert m.columns["acv"] == "ACV" and m.how["acv"] == "normalised"
    assert m.columns["renewal_date"] == "Renewal-Date"
    assert m.columns["owner"] == "Company owner" and m.how["owner"] == "known"
    assert "(Do Not Modify) Account" in m.unused and "X" in m.unused
    hubspot = map_header(["Record ID", "Company name", "Annual recurring revenue"])
    assert hubspot.columns == {
        "account_id": "Record ID",
        "name": "Company name",
        "acv": "Annual recurring revenue",
    }


def test_numeric_columns_are_offered_as_signals_by_their_name() -> None:
    m = map_header(
        ["Account ID", "Weekly Logins", "Open Tickets", "CSAT", "Days Late", "Notes"],
        {"Weekly Logins", "Open Tickets", "CSAT", "Days Late"},
    )
    got = {(s.column, s.dimension, s.higher_is_better) for s in m.signals}
    assert got == {
        ("Weekly Logins", "usage", True),
        ("Open Tickets", "support", False),
        ("CSAT", "support", True),
        ("Days Late", "financial", False),
    }


# --- stale renewals -------------------------------------------------------------------------


def test_stale_renewal_scores_neutral_and_is_flagged() -> None:
    model = _with_health(
        {
            "signals": {
                "usage": {"dimension": "usage", "normalise": LIN},
                "support": {"dimension": "support", "normalise": LIN},
                "renewal": {
                    "column": "renewal_date",
                    "date": "days_until",
                    "dimension": "financial",
                    "normalise": {"type": "thresholds", "steps": [[-1, 0], [0, 60], [90, 100]]},
                },
            },
            "weights": {"usage": 50, "support": 30, "financial": 20},
        }
    )
    rows = [
        {
            "account_id": "past",
            "acv": 1e4,
            "usage": 80,
            "support": 60,
            "renewal_date": "2025-12-01",
        },
        {
            "account_id": "near",
            "acv": 1e4,
            "usage": 80,
            "support": 60,
            "renewal_date": "2026-01-31",
        },
    ]
    result = score_health(model, book_from_records(rows), as_of=AS_OF)
    # past: financial neutral 50 -> 0.5*80 + 0.3*60 + 0.2*50 = 68; near (30 days): 60 -> 70.
    assert result.score.tolist() == pytest.approx([68.0, 70.0])
    assert result.stale_ids() == ["past"]
    check = next(c for c in result.checks if c.id == "health_stale_renewals")
    assert check.status == "warn" and check.figure == 1 and "past" in check.message


# --- too few signals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signals", "status"),
    [
        ({"usage": "usage", "logins": "usage"}, "fail"),  # two signals
        ({"a": "usage", "b": "usage", "c": "usage"}, "fail"),  # one dimension
        ({"a": "usage", "b": "usage", "c": "support"}, "pass"),
    ],
)
def test_health_needs_three_signals_in_two_dimensions(signals: dict, status: str) -> None:
    spec = {
        "signals": {n: {"dimension": d, "normalise": LIN} for n, d in signals.items()},
        "weights": {"usage": 60, "support": 40}
        if "support" in signals.values()
        else {"usage": 100},
    }
    rows = [{"account_id": "A", "acv": 1e4, **dict.fromkeys(signals, 50.0)}]
    result = score_health(_with_health(spec), book_from_records(rows), as_of=AS_OF)
    assert next(c for c in result.checks if c.id == "health_signals").status == status


def test_no_signal_at_all_never_passes_coverage() -> None:
    result = score_health(default_model(), book_from_records([{"account_id": "A", "acv": 1.0}]))
    assert next(c for c in result.checks if c.id == "health_coverage").status == "warn"
    assert next(c for c in result.checks if c.id == "health_signals").status == "fail"


def test_default_weights_are_the_recipe_for_every_tier() -> None:
    spec = effective_health(default_model())
    assert spec.weights == {
        "usage": 35,
        "engagement": 25,
        "support": 20,
        "financial": 20,
        "growth": 0,
    }
    assert spec.weights == RECIPE_WEIGHTS and spec.tier_weights == {}


# --- correlation ceiling --------------------------------------------------------------------


def test_point_biserial_ceiling_by_hand() -> None:
    # p = 0.5: z = 0, phi(0) = 1/sqrt(2 pi) = 0.39894, / sqrt(0.25) = 0.79788.
    assert point_biserial_ceiling(0.5) == pytest.approx(2 / math.sqrt(2 * math.pi), abs=1e-9)
    # p = 0.1: z = -1.28155, phi = exp(-z^2/2)/sqrt(2 pi) = 0.17550, / sqrt(0.09) = 0.58500.
    z = -1.2815515655446004
    expected = math.exp(-z * z / 2) / math.sqrt(2 * math.pi) / 0.3
    assert point_biserial_ceiling(0.1) == pytest.approx(expected, abs=1e-9)
    assert point_biserial_ceiling(0.0) is None


def test_validation_leads_with_auc_and_reports_the_ceiling() -> None:
    model = _with_health(
        {"signals": {"s": {"dimension": "usage", "normalise": LIN}}, "weights": {"usage": 100}}
    )
    # 10 accounts, 1 churned with the lowest score: AUC 1.0; churn rate 10 %.
    rows = [
        {"account_id": f"A{i}", "acv": 1e4, "s": float(10 * i), "churned": i == 0}
        for i in range(10)
    ]
    result = score_health(model, book_from_records(rows), as_of=AS_OF)
    v = result.validation
    assert v is not None and v["auc"] == pytest.approx(1.0)
    assert v["churn_rate"] == 10.0
    assert v["correlation_ceiling"] == pytest.approx(point_biserial_ceiling(0.1), abs=1e-4)
    ids = [c.id for c in result.checks]
    assert ids.index("health_auc") < ids.index("health_churn_correlation")


# --- capacity shrink ------------------------------------------------------------------------


def test_growth_minus_20_percent_keeps_720_of_900() -> None:
    model = default_model()
    rows = [{"account_id": f"A{i}", "acv": 2_000.0 + 600 * i} for i in range(900)]
    seg = segment(model, book_from_records(rows))
    s = growth_scenario(model, seg, -180)
    assert s["accounts_after"] == 720
    # Hand sizing, no roster: today's need per tier = ceil(accounts / ratio * 1.15); after the
    # shrink each tier loses its share (largest remainder) of 180.
    counts = np.bincount(seg.tier, minlength=4)
    lost = [round(180 * c / 900) for c in counts]
    assert sum(lost) == 180
    ratios = [15, 50, 150, None]
    before = [
        math.ceil(c / r * 1.15 - 1e-9) if r else 0 for c, r in zip(counts, ratios, strict=True)
    ]
    after = [
        math.ceil((c - k) / r * 1.15 - 1e-9) if r else 0
        for c, k, r in zip(counts, lost, ratios, strict=True)
    ]
    assert s["current_headcount"] == sum(before)
    assert s["surplus"] == sum(before) - sum(after) > 0
    assert s["hire"]["hires"] == 0


def test_redesign_below_the_cost_floor_says_so() -> None:
    model = default_model()
    model.capacity.csm_cost = 1_000.0  # a CSM so cheap the plan falls below 5 % of ARR
    rows = [{"account_id": f"A{i}", "acv": 30_000.0} for i in range(100)]
    s = growth_scenario(model, segment(model, book_from_records(rows)), 50)
    red = [c for c in s["checks"] if c["id"] == "scenario_cost:redesign"][0]
    assert red["status"] == "fail" and "cost floor" in red["message"]


# --- multi-factor moves at most one tier ----------------------------------------------------


def test_multi_factor_moves_at_most_one_tier() -> None:
    model = default_model()
    model.segmentation.method = "multi_factor"
    rows = [
        # $387, highest complexity, growth and strategic: score 60 -> Enterprise by score,
        # Self-Serve by ACV -> SMB / Growth.
        {
            "account_id": "tiny",
            "acv": 387,
            "complexity": 5,
            "growth_potential": 5,
            "strategic": True,
        },
        # $900K, lowest everything: score 0.4*98.5 = 39.4 -> SMB by score, Enterprise by ACV
        # -> Mid-Market.
        {"account_id": "big", "acv": 900_000, "complexity": 1, "growth_potential": 1},
        {"account_id": "avg", "acv": 30_000, "complexity": 3, "growth_potential": 3},
    ]
    result = segment(model, book_from_records(rows))
    assert result.tier_names() == ["SMB / Growth", "Mid-Market", "Mid-Market"]
    assert "one tier" in result.assignments()[0]["reason"]


# --- calibration with custom signals --------------------------------------------------------


def test_calibration_never_weights_a_dimension_without_a_signal() -> None:
    dims = ("usage", "support")
    model = _with_health(
        {
            "signals": {d: {"dimension": d, "normalise": LIN} for d in dims}
            | {"pay": {"dimension": "support", "normalise": LIN}},
            "weights": {"usage": 50, "support": 50},
        }
    )
    rng = np.random.default_rng(4)
    n = 3000
    usage, support = rng.normal(50, 10, n), rng.normal(50, 10, n)
    churned = (0.8 * usage + 0.2 * support + rng.normal(0, 2, n)) < 40
    rows = [
        {
            "account_id": f"A{i}",
            "acv": 1e4,
            "usage": float(usage[i]),
            "support": float(support[i]),
            "pay": float(support[i]),
        }
        for i in range(n)
    ]
    # The default spec's recipe weights name engagement, financial and growth; none has a signal.
    spec = effective_health(model).model_copy(update={"weights": dict(RECIPE_WEIGHTS)})
    result = score_health(model, book_from_records(rows), as_of=AS_OF, spec=spec)
    cal = calibrate(result, churned.astype(float), holdout=0.3, seed=1)
    assert set(cal.weights) <= set(dims)
    assert sum(cal.weights.values()) == pytest.approx(100)
    assert cal.weights["usage"] > cal.weights["support"]


# --- working directory ----------------------------------------------------------------------


def test_a_model_in_the_working_directory_does_not_change_the_tests(tmp_path: Path) -> None:
    """The suite's model-dependent tests pass with a stray tierform.yaml in the cwd."""
    if os.environ.get("TIERFORM_CWD_PROBE"):
        pytest.skip("already inside the probe")
    root = Path(__file__).resolve().parents[2]
    (tmp_path / "tierform.yaml").write_text(
        "tiers:\n  - {name: Only, min_acv: 0, touch_model: digital, layer: digital,\n"
        "     touchpoints: {onboarding: a, adoption: b, value_delivery: c, renewal: d,\n"
        "                   expansion: e, escalation: f}}\n"
    )
    env = dict(os.environ, TIERFORM_CWD_PROBE="1")
    tests = [str(root / "tests" / p) for p in ("cli/test_core_cli.py", "cli/test_health_cli.py")]
    done = subprocess.run(
        # (rules run without --as-of now defaults to the date, as every command does)
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests]
        + ["-k", "not test_rules_run_needs_as_of_and_known_rules"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]


def test_multi_factor_json_carries_score_bounds_not_dollars() -> None:
    """The bounds of a multi-factor model are on the 0-100 score: the JSON says so per tier and
    the bounds chain without gaps (a tier's mean may sit outside them: an account moves at most
    one tier from its ACV tier)."""
    from tierform.core.book import book_from_records
    from tierform.core.loader import default_model
    from tierform.core.segment import segment

    model = default_model()
    model.segmentation.method = "multi_factor"
    book = book_from_records(
        [
            {"account_id": f"A{i}", "acv": acv, "complexity": c, "growth_potential": g}
            for i, (acv, c, g) in enumerate(
                [(250_000, 5, 4), (120_000, 3, 3), (60_000, 3, 2), (30_000, 2, 2), (8_000, 1, 1)]
                * 4
            )
        ]
    )
    doc = segment(model, book).to_dict(include_assignments=False)
    bounds = doc["score_bounds"]
    assert [b["tier"] for b in bounds] == [t.name for t in model.tiers]
    for b in bounds:
        assert 0 <= b["score_from"] < b["score_below"] <= 100
        assert b["mean_score"] is None or 0 <= b["mean_score"] <= 100
    ordered = sorted(bounds, key=lambda b: b["score_from"])
    assert ordered[-1]["score_below"] == 100
    for low, high in zip(ordered, ordered[1:], strict=False):
        assert low["score_below"] == high["score_from"]  # no gap, no overlap
