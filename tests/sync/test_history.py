"""The previous state: read from a file (every problem with its row), put into the book, and
seen by the design (hysteresis, owners) and by ``tierform sync --previous``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tierform.cli.main import cli
from tierform.core.book import book_from_records
from tierform.core.design import design
from tierform.core.history import read_history
from tierform.core.loader import default_model
from tierform.core.model import RosterEntry
from tierform.errors import BookError
from tierform.sync.desired import coverage_warnings

AS_OF = dt.date(2025, 1, 15)


def test_read_history_resolves_people_and_reports_bad_rows(tmp_path: Path) -> None:
    base = default_model()
    model = base.model_copy(
        update={"roster": [RosterEntry(name="Ana Ruiz", tier="Enterprise", email="ana@x.com")]}
    )
    good = tmp_path / "prev.csv"
    good.write_text("account_id,tier,csm\nA1,enterprise,ANA@x.com\nA2,,Someone Else\n")
    history = read_history(good, model)
    assert dict(history.tiers) == {"A1": "Enterprise"}
    assert dict(history.owners) == {"A1": "Ana Ruiz", "A2": "Someone Else"}

    bad = tmp_path / "bad.csv"
    bad.write_text("account_id,tf_tier\nA1,Gold\nA1,Enterprise\n")
    with pytest.raises(BookError) as err:
        read_history(bad, model)
    text = str(err.value)
    assert "row 2" in text and "'Gold'" in text and "row 3" in text and "again" in text


def test_design_keeps_the_previous_tier_within_the_margin(tmp_path: Path) -> None:
    # Enterprise starts at 100,000; 10 % below is 90,000: 95,000 keeps Enterprise, 85,000 not.
    book = book_from_records(
        [{"account_id": "A1", "acv": 95_000}, {"account_id": "A2", "acv": 85_000}]
    )
    prev = tmp_path / "prev.json"
    prev.write_text(
        '[{"account_id": "A1", "tier": "Enterprise"}, {"account_id": "A2", "tier": "Enterprise"}]'
    )
    d = design(default_model(), book, AS_OF, history=read_history(prev, default_model()))
    assert d.seg.tier_names() == ["Enterprise", "Mid-Market"]
    assert d.book.text("previous_tier") == ["Enterprise", "Enterprise"]


def test_named_account_without_a_csm_is_warned() -> None:
    book = book_from_records([{"account_id": "E1", "acv": 500_000}])
    warnings = coverage_warnings(design(default_model(), book, AS_OF))
    assert len(warnings) == 1 and "Enterprise with no CSM (E1)" in warnings[0]


MODEL = """\
version: 1
tiers:
  - {name: Big, min_acv: 50000, touch_model: high_touch, layer: named,
     ratio: {min: 10, max: 30, target: 20}, touchpoints: &tp {onboarding: a, adoption: b,
     value_delivery: c, renewal: d, expansion: e, escalation: f}}
  - {name: Small, min_acv: 0, max_acv: 50000, touch_model: digital, layer: digital,
     touchpoints: *tp}
roster:
  - {name: Ana Ruiz, tier: Big}
targets:
  workbook: {platform: xlsx, path: out/tracking.xlsx}
"""


def test_sync_previous_file_sets_migration_and_handoff(tmp_path: Path) -> None:
    (tmp_path / "tierform.yaml").write_text(MODEL)
    (tmp_path / "accounts.csv").write_text("account_id,name,acv\nA1,Acme,200000\nA2,Bolt,900\n")
    (tmp_path / "prev.csv").write_text("account_id,tier,csm\nA1,Small,\nA2,Small,\n")
    out = CliRunner().invoke(
        cli,
        [
            "sync",
            "-c",
            str(tmp_path / "tierform.yaml"),
            "--as-of",
            "2025-01-15",
            "--accounts",
            str(tmp_path / "accounts.csv"),
            "--previous",
            str(tmp_path / "prev.csv"),
            "--format",
            "json",
        ],
    )
    assert out.exit_code == 0, out.output
    plan = json.loads(out.stdout)
    data = {c["key"]: c for c in plan["changes"]}
    accounts = {k: v["data"] for k, v in data.items() if v["kind"] == "account"}
    assert accounts["A1"]["tf_migration"] == "up" and accounts["A2"]["tf_migration"] == "none"
    titles = {v["data"]["title"] for v in data.values() if v["kind"] == "work_item"}
    # Small -> Big on 2025-01-15, 14 days' overlap: until 2025-01-29; Ana Ruiz is Big's CSM.
    assert "Warm handoff: take over Acme (now Big); overlap until 2025-01-29" in titles
