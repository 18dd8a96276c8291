"""Calibration recovers weights known by construction, validates on held-out accounts, and
writes back only the weights, leaving the rest of the model file as it was."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from tierform.core.book import book_from_records
from tierform.core.health.calibrate import calibrate, compositions, lattice_fit
from tierform.core.health.score import score_health
from tierform.core.health.spec import HealthSpec
from tierform.core.health.write_weights import update_weights_text
from tierform.core.loader import default_model, load_model_text, starter_text

DIMS = ("usage", "engagement", "support", "financial")


def _model(weights: dict[str, float] | None = None) -> object:
    spec = {
        "signals": {
            d: {"dimension": d, "normalise": {"type": "linear", "worst": 0, "best": 100}}
            for d in DIMS
        },
        "weights": weights or dict.fromkeys(DIMS, 25),
        "tier_weights": {},
    }
    return default_model().model_copy(update={"health": HealthSpec.model_validate(spec)})


def _history(n: int, true: dict[str, float], seed: int = 3) -> tuple[object, object]:
    """Independent dimensions N(50, 10); churn when the true weighted score plus noise falls in
    the bottom fifth. For Gaussian inputs the correlation-maximising weights are the true ones."""
    rng = np.random.default_rng(seed)
    cols = {d: rng.normal(50, 10, n) for d in DIMS}
    latent = sum(true[d] / 100 * cols[d] for d in DIMS) + rng.normal(0, 2, n)
    churned = latent < np.quantile(latent, 0.2)
    records = [
        {
            "account_id": f"A{i}",
            "acv": 10_000.0,
            **{d: float(cols[d][i]) for d in DIMS},
            "churned": bool(churned[i]),
        }
        for i in range(n)
    ]
    return book_from_records(records), churned.astype(float)


def test_calibration_recovers_known_weights() -> None:
    true = {"usage": 50, "engagement": 20, "support": 20, "financial": 10}
    book, churn = _history(12_000, true)
    model = _model()
    result = score_health(model, book, as_of=dt.date(2026, 1, 1))  # type: ignore[arg-type]
    cal = calibrate(result, churn, holdout=0.3, seed=1)
    for d in DIMS:
        assert cal.weights[d] == pytest.approx(true[d], abs=3)
    assert sum(cal.weights.values()) == pytest.approx(100)
    (group,) = cal.groups
    assert group.accepted and group.group == "default"
    # 30 % held out: never fitted on, and where the before/after figures are measured
    assert group.test == round(0.3 * 12_000) and group.train + group.test == 12_000
    before, after = cal.test_before["correlation"], cal.test_after["correlation"]
    assert before is not None and after is not None and after > before


def test_minimum_weight_binds_for_a_useless_dimension() -> None:
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.normal(0, 1, 5000), rng.normal(0, 1, 5000)])
    y = (x[:, 0] > 0).astype(float)  # only the first column matters
    assert lattice_fit(x, y, 100, 5).tolist() == [95, 5]


def test_compositions_by_hand() -> None:
    assert compositions(3, 2).tolist() == [[0, 3], [1, 2], [2, 1], [3, 0]]
    assert len(compositions(16, 4)) == 969  # C(19, 3)
    assert (compositions(16, 4).sum(axis=1) == 16).all()


def test_too_little_history_keeps_the_weights() -> None:
    book, churn = _history(60, {"usage": 100, "engagement": 0, "support": 0, "financial": 0})
    result = score_health(_model(), book)  # type: ignore[arg-type]
    cal = calibrate(result, churn)
    (group,) = cal.groups
    assert not group.accepted and "too little churn history" in (group.note or "")
    assert cal.weights == dict.fromkeys(DIMS, 25)
    assert not cal.changed


MODEL_TAIL = """
# how healthy accounts are
health:
  # bands tuned with the CS team
  bands: [{name: good, min: 60}, {name: bad, min: 0}]
  weights:
    usage: 35
    engagement: 25
    support: 20
    financial: 20
  missing: {signal: neutral}

# the end
"""


def test_write_back_changes_only_the_weights() -> None:
    text = starter_text() + MODEL_TAIL
    new = update_weights_text(
        text,
        {"usage": 45, "engagement": 15, "support": 20, "financial": 20, "growth": 0},
        {
            "SMB / Growth": {
                "usage": 60,
                "engagement": 5,
                "support": 15,
                "growth": 10,
                "financial": 10,
            }
        },
        "tierform.yaml",
    )
    old_lines, new_lines = text.splitlines(), new.splitlines()
    start = old_lines.index("health:")
    assert new_lines[: start + 1] == old_lines[: start + 1]  # everything before is untouched
    assert "  # bands tuned with the CS team" in new_lines
    assert "  missing: {signal: neutral}" in new_lines
    assert new_lines[-1] == "# the end"
    # the new entries replace the old weights in place, under the bands
    at = new_lines.index(
        "  weights: {usage: 45, engagement: 15, support: 20, financial: 20, growth: 0}"
    )
    assert new_lines[at - 1].startswith("  bands:")
    model = load_model_text(new, "tierform.yaml")
    assert model.health is not None
    assert model.health.weights == {
        "usage": 45,
        "engagement": 15,
        "support": 20,
        "financial": 20,
        "growth": 0,
    }
    assert model.health.tier_weights == {
        "SMB / Growth": {"usage": 60, "engagement": 5, "support": 15, "growth": 10, "financial": 10}
    }
    assert [b.name for b in model.health.bands or []] == ["good", "bad"]
    assert model.health.missing.signal == "neutral"


def test_write_back_adds_a_health_section_when_there_is_none() -> None:
    text = starter_text()
    new = update_weights_text(
        text, {"usage": 40, "engagement": 20, "support": 20, "financial": 20}, {}, "tierform.yaml"
    )
    assert new.startswith(text.rstrip("\n"))
    model = load_model_text(new, "tierform.yaml")
    assert model.health is not None and model.health.weights == {
        "usage": 40,
        "engagement": 20,
        "support": 20,
        "financial": 20,
    }
    assert model.health.tier_weights == {}
