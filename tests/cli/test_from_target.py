"""``--from-target``: segment / assign / report start from the tiers and CSMs a platform has.

The Vitally fake is seeded by hand (tf_tier traits and Vitally CSMs), so every expected value
below is read off the seed: A1's ACV of $95,000 is below Big's $100,000 bound but within its
10 % hysteresis margin ($90,000), so with the platform's tier it stays Big; its Vitally CSM is
Dev Patel (by e-mail), A2's is Ana Ruiz, and each CSM's quota of one account keeps both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import tierform.sync.targets as targets
from tests.adapters.vitally.conftest import clock, fake, overrides  # noqa: F401  (fixtures)
from tierform.cli.main import cli
from tierform.sync import registry

MODEL = """\
version: 1
name: Test model
tiers:
  - {name: Big, min_acv: 100000, touch_model: high_touch, layer: named,
     ratio: {min: 1, max: 30, target: 20}, touchpoints: &tp {onboarding: a, adoption: b,
     value_delivery: c, renewal: d, expansion: e, escalation: f}}
  - {name: Small, min_acv: 0, max_acv: 100000, touch_model: digital, layer: digital,
     touchpoints: *tp}
segmentation: {method: acv, hysteresis: {margin_pct: 10}}
roster:
  - {name: Ana Ruiz, tier: Big, capacity: 1, email: ana@example.com}
  - {name: Dev Patel, tier: Big, capacity: 1, email: dev@example.com}
targets:
  cs: {platform: vitally, subdomain: acme, api_key: {env: VITALLY_API_KEY}}
"""
BOOK = "account_id,name,acv\nA1,Alpha,95000\nA2,Beta,105000\nA3,Gamma,1000\n"


@pytest.fixture
def seeded(tmp_path, fake, clock, monkeypatch):  # noqa: F811
    (tmp_path / "tierform.yaml").write_text(MODEL, encoding="utf-8")
    (tmp_path / "accounts.csv").write_text(BOOK, encoding="utf-8")
    ana = fake.add_admin("Ana Ruiz", "ana@example.com")
    dev = fake.add_admin("Dev Patel", "dev@example.com")
    fake.add_account("A1", "Alpha", {"tf_tier": "Big", "tf_csm": "Dev Patel"}, csmId=dev["id"])
    fake.add_account("A2", "Beta", {"tf_tier": "Big", "tf_csm": "Dev Patel"}, csmId=ana["id"])
    fake.add_account("A3", "Gamma", {"tf_tier": "Small"})
    monkeypatch.setitem(
        registry.BUILTIN, "vitally", "tierform.adapters.vitally.adapter:VitallyAdapter"
    )
    real_open = targets.open_target
    monkeypatch.setattr(
        targets,
        "open_target",
        lambda *a, **k: real_open(*a, **{**k, "http_overrides": overrides(clock)}),
    )
    return tmp_path


def _run(project: Path, *args: str):
    return CliRunner().invoke(
        cli,
        [*args, "-c", str(project / "tierform.yaml"), "--accounts", str(project / "accounts.csv")],
    )


def test_segment_keeps_the_platforms_tier_within_the_margin(seeded):
    alone = _run(seeded, "segment", "--format", "json")
    assert alone.exit_code == 0, alone.output
    tiers = {a["account_id"]: a["tier"] for a in json.loads(alone.stdout)["assignments"]}
    assert tiers == {"A1": "Small", "A2": "Big", "A3": "Small"}

    adopted = _run(seeded, "segment", "--format", "json", "--from-target", "cs")
    assert adopted.exit_code == 0, adopted.output
    rows = {a["account_id"]: a for a in json.loads(adopted.stdout)["assignments"]}
    assert {k: r["tier"] for k, r in rows.items()} == {"A1": "Big", "A2": "Big", "A3": "Small"}
    assert rows["A1"]["reason"].startswith("kept previous tier Big")


def test_assign_starts_from_the_platforms_csms(seeded):
    adopted = _run(seeded, "assign", "--format", "json", "--from-target", "cs")
    assert adopted.exit_code == 0, adopted.output
    data = json.loads(adopted.stdout)
    owners = {a["account_id"]: a["owner"] for a in data["assignments"]}
    # The Vitally CSMs (by e-mail: dev@ -> Dev Patel, ana@ -> Ana Ruiz), not tf_csm's text.
    assert owners == {"A1": "Dev Patel", "A2": "Ana Ruiz", "A3": None}
    assert data["moves"] == []


def test_unknown_target_is_a_clear_error(seeded):
    out = _run(seeded, "assign", "--from-target", "nope")
    assert out.exit_code == 1
    assert "nope" in out.output and "Traceback" not in out.output
