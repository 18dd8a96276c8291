"""The built-in health score: the recipe's step 5 and the segment-specific weights table.

Signals are the ones the recipe names; each is optional, so a book scores on whichever of
them it has and the declared missing rule (re-weight) covers the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tierform.core.health.spec import BandSpec, HealthSpec, Linear, Signal, Thresholds

if TYPE_CHECKING:
    from tierform.core.model import CoverageModel, Tier

# Recipe step 5: product usage 35 %, engagement 25 %, support 20 %, financial 20 %.
# Growth signals are a dimension of the segment-specific table only, so 0 here.
RECIPE_WEIGHTS: dict[str, float] = {
    "usage": 35,
    "engagement": 25,
    "support": 20,
    "financial": 20,
    "growth": 0,
}

# Segment-specific health scores (segmentation-and-coverage.md): high / low / tech touch.
# "Relationship" is the recipe's engagement dimension.
SEGMENT_WEIGHTS: dict[str, dict[str, float]] = {
    "high": {"usage": 30, "engagement": 25, "support": 15, "growth": 15, "financial": 15},
    "low": {"usage": 35, "engagement": 15, "support": 20, "growth": 15, "financial": 15},
    "tech": {"usage": 50, "engagement": 5, "support": 25, "growth": 10, "financial": 10},
}
TOUCH_SEGMENT = {"high_touch": "high", "hybrid": "low", "tech_touch": "tech", "digital": "tech"}

# Recipe: green 90-100, yellow 70-89, orange 50-69, red 0-49.
RECIPE_BANDS = (("green", 90.0), ("yellow", 70.0), ("orange", 50.0), ("red", 0.0))


def _sig(dimension: str, normalise: Linear | Thresholds, **kw: object) -> Signal:
    return Signal.model_validate(
        {"dimension": dimension, "normalise": normalise, "optional": True, **kw}
    )


def _lin(worst: float, best: float) -> Linear:
    return Linear(type="linear", worst=worst, best=best)


def _steps(*steps: tuple[float, float]) -> Thresholds:
    return Thresholds(type="thresholds", steps=list(steps))


def default_signals() -> dict[str, Signal]:
    """The recipe's signals per dimension, with normalisers a client tunes to its product."""
    return {
        # Product usage: login frequency, feature adoption, usage trend.
        "logins_per_week": _sig("usage", _lin(0, 8)),
        "feature_adoption": _sig("usage", _lin(0.1, 0.7)),
        "usage_trend": _sig("usage", _lin(-0.2, 0.1)),
        # Engagement: meeting attendance, response time, training participation.
        "meeting_attendance": _sig("engagement", _lin(0.2, 0.9)),
        "response_time_hours": _sig("engagement", _lin(72, 4)),
        "training_participation": _sig("engagement", _lin(0, 0.6)),
        # Support: ticket count and severity, resolution trend, CSAT.
        "support_tickets": _sig("support", _steps((0, 100), (3, 80), (6, 50), (10, 20), (15, 0))),
        "high_severity_tickets": _sig("support", _steps((0, 100), (1, 60), (3, 20), (5, 0))),
        "resolution_trend": _sig("support", _lin(-0.3, 0.2)),
        "csat": _sig("support", _lin(2, 4.8)),
        # Financial: payment timeliness, contract trend, renewal proximity.
        "days_payment_late": _sig(
            "financial", _steps((0, 100), (1, 85), (15, 60), (30, 30), (60, 0))
        ),
        "contract_trend": _sig("financial", _lin(-0.2, 0.1)),
        "renewal_proximity": _sig(
            "financial",
            _steps((-1, 0), (0, 60), (30, 80), (90, 100)),
            column="renewal_date",
            date="days_until",
            weight=0.5,
        ),
        # Growth signals (segment-specific table): seat growth and licence utilisation.
        "seat_growth": _sig("growth", _lin(-0.1, 0.2)),
        "license_utilization": _sig("growth", _lin(0.3, 0.9)),
    }


def segment_of(tier: Tier) -> str:
    return TOUCH_SEGMENT[str(tier.touch_model)]


def default_tier_weights(model: CoverageModel) -> dict[str, dict[str, float]]:
    """Every tier gets the segment-specific row of its touch model."""
    return {t.name: dict(SEGMENT_WEIGHTS[segment_of(t)]) for t in model.tiers}


def default_responses(model: CoverageModel, bands: list[BandSpec]) -> dict[str, dict[str, str]]:
    """Who is alerted at which band: named tiers early, pooled at red, digital by automation."""
    names = [b.name for b in bands]
    worst = names[-1:]
    two_worst = names[-2:]
    out: dict[str, dict[str, str]] = {}
    for tier in model.tiers:
        layer = str(tier.layer)
        if layer == "named" and str(tier.touch_model) == "high_touch":
            alerts = {b: "named CSM" for b in names[1:]}
            alerts.update({b: "named CSM and CS manager" for b in worst})
        elif layer == "named":
            alerts = {b: "named CSM" for b in two_worst}
            alerts.update({b: "named CSM and CS manager" for b in worst})
        elif layer == "pooled":
            alerts = {b: f"{tier.pool_name}" for b in worst}
        else:
            alerts = {b: "automated re-engagement and support queue" for b in worst}
        out[tier.name] = alerts
    return out


def effective_health(model: CoverageModel) -> HealthSpec:
    """The model's health section with every absent part filled from the defaults."""
    given = model.health or HealthSpec()
    bands = (
        given.bands
        if given.bands is not None
        else [BandSpec(name=n, min=m) for n, m in RECIPE_BANDS]
    )
    signals = given.signals if given.signals is not None else default_signals()
    weights = dict(given.weights if given.weights is not None else RECIPE_WEIGHTS)
    # The recipe's 35/25/20/20 apply to every tier; per-tier weights (the segment table,
    # ``default_tier_weights``) only when the model writes them.
    tier_weights = given.tier_weights if given.tier_weights is not None else {}
    responses = given.responses if given.responses is not None else default_responses(model, bands)
    return given.model_copy(
        update={
            "signals": signals,
            "weights": weights,
            "tier_weights": tier_weights,
            "bands": bands,
            "responses": responses,
        }
    )
