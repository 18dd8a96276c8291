"""Migration on the stateful fakes: what people changed on A arrives on B, verified, once.

Expectations are written out from the seeded data (tests/adapters/vitally/states.py: account i
is Enterprise with Ana Ruiz when i % 3 == 0, else SMB with "Growth pod"; tasks on even i).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tierform.core.model import CoverageModel
from tierform.errors import TierformError
from tierform.sync.compare import FieldDifference, compare
from tierform.sync.journal import Journal
from tierform.sync.migrate import People
from tierform.sync.snapshot import read_snapshot

from ..adapters.vitally import states
from ..adapters.vitally.fake import VitallyFake
from ..fakes.migration import migrate, provision, replan, xlsx_rows
from .conftest import SHEET_ID, Make

EXPECTED_TASKS = {states.task_key(i) for i in (2, 4, 6, 8)}


def on(make: Make, platform: str, name: str | None = None) -> Any:
    """A factory of adapters for one side of a migration."""
    return lambda: make(platform, name)


def reassign_in_vitally_ui(vitally: VitallyFake) -> None:
    """After provisioning, people edit Vitally: ACC-003's CSM becomes Sam Lee (the UI sets
    csmId, not tierform's trait), and ACC-004's tier is overridden to Enterprise."""
    sam = next(a for a in vitally.admins.values() if a["name"] == "Sam Lee")
    vitally.account("ACC-003")["csmId"] = sam["id"]
    vitally.account("ACC-004")["traits"]["tf_tier"] = "Enterprise"


def test_vitally_to_xlsx_carries_the_ui_edits_and_verifies(
    vitally: VitallyFake, make: Make, journal: Journal, model: CoverageModel, tmp_path: Path
) -> None:
    states.seed(vitally)
    provision(make("vitally"), journal, states.desired())
    reassign_in_vitally_ui(vitally)
    m, report, v = migrate(on(make, "vitally", "cs"), on(make, "xlsx", "book"), journal, model)
    assert report.ok
    assert (v.read, v.verified, v.lost) == (9, 9, 0)
    rows = xlsx_rows(tmp_path / "book.xlsx")
    assert rows["ACC-003"]["CSM / pool"] == "Sam Lee"  # the reassignment arrived
    assert rows["ACC-004"]["Tier"] == "Enterprise"  # the override arrived
    assert rows["ACC-006"]["CSM / pool"] == "Ana Ruiz" and rows["ACC-005"]["Tier"] == "SMB"
    assert set(xlsx_rows(tmp_path / "book.xlsx", "Tasks")) == EXPECTED_TASKS
    assert any(n.startswith("tf_touch_model: cs has no values") for n in m.notes)
    assert any("'Growth pod'" in n and "not in the model's roster" in n for n in m.notes)
    again = replan(on(make, "vitally", "cs"), on(make, "xlsx", "book"), journal, model)
    assert again.changes == []
    people = People(model)
    a_snap = read_snapshot(make("vitally", "cs"), model)
    assert compare(a_snap, read_snapshot(make("xlsx", "book"), model), people.same).agree
    wb = openpyxl.load_workbook(tmp_path / "book.xlsx")
    ws = wb["Accounts"]
    tier_col = [c.value for c in ws[1]].index("Tier") + 1
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "ACC-005")
    ws.cell(row, tier_col).value = "Mid-Market"
    wb.save(tmp_path / "book.xlsx")
    diff = compare(a_snap, read_snapshot(make("xlsx", "book"), model), people.same)
    assert diff.differences == [FieldDifference("ACC-005", "tf_tier", "SMB", "Mid-Market")]


def test_xlsx_to_sheets_with_a_csm_edited_by_email(
    sheets: Any, make: Make, journal: Journal, model: CoverageModel, tmp_path: Path
) -> None:
    provision(make("xlsx", "old"), journal, states.desired())
    wb = openpyxl.load_workbook(tmp_path / "old.xlsx")
    ws = wb["Accounts"]
    csm_col = [c.value for c in ws[1]].index("CSM / pool") + 1
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "ACC-006")
    ws.cell(row, csm_col).value = "sam@example.com"  # someone typed the e-mail
    wb.save(tmp_path / "old.xlsx")
    m, report, v = migrate(on(make, "xlsx", "old"), on(make, "sheets", "gsheet"), journal, model)
    assert report.ok and (v.read, v.verified, v.lost) == (9, 9, 0)
    grid = sheets.spreadsheets[SHEET_ID].by_title("Accounts").grid()
    header = grid[0]
    rows = {r[0]: dict(zip(header, r, strict=False)) for r in grid[1:]}
    assert rows["ACC-006"]["CSM / pool"] == "Sam Lee"  # the roster maps the e-mail
    assert rows["ACC-009"]["CSM / pool"] == "Ana Ruiz"
    tasks = sheets.spreadsheets[SHEET_ID].by_title("Tasks").grid()
    assert {r[0] for r in tasks[1:]} == EXPECTED_TASKS
    assert (
        replan(on(make, "xlsx", "old"), on(make, "sheets", "gsheet"), journal, model).changes == []
    )


def test_vitally_to_sheets(
    vitally: VitallyFake, sheets: Any, make: Make, journal: Journal, model: CoverageModel
) -> None:
    states.seed(vitally)
    provision(make("vitally"), journal, states.desired())
    reassign_in_vitally_ui(vitally)
    _, report, v = migrate(on(make, "vitally", "cs"), on(make, "sheets", "gsheet"), journal, model)
    assert report.ok and (v.read, v.verified, v.lost) == (9, 9, 0)
    grid = sheets.spreadsheets[SHEET_ID].by_title("Accounts").grid()
    rows = {r[0]: dict(zip(grid[0], r, strict=False)) for r in grid[1:]}
    assert rows["ACC-003"]["CSM / pool"] == "Sam Lee"
    assert rows["ACC-004"]["Tier"] == "Enterprise"
    assert (
        replan(on(make, "vitally", "cs"), on(make, "sheets", "gsheet"), journal, model).changes
        == []
    )


def test_interrupted_migration_resumes_without_duplicates(
    vitally: VitallyFake, make: Make, journal: Journal, model: CoverageModel
) -> None:
    states.seed(vitally)  # Vitally has the CRM's accounts, none of tierform's traits yet
    provision(make("xlsx", "old"), journal, states.desired())
    vitally.inject(500, times=1000, methods={"PUT"}, after=4)  # fails from the 5th PUT on
    with pytest.raises(TierformError):
        migrate(on(make, "xlsx", "old"), on(make, "vitally", "cs"), journal, model)
    written_before = sum(
        1 for i in range(1, 10) if "tf_tier" in vitally.account(states.ext(i))["traits"]
    )
    assert 0 < written_before < 9
    vitally.faults.clear()
    _, report, v = migrate(on(make, "xlsx", "old"), on(make, "vitally", "cs"), journal, model)
    assert report.ok and report.resumed_from is not None
    assert (v.read, v.verified, v.lost) == (9, 9, 0)
    assert sorted(t["externalId"] for t in vitally.live_tasks()) == sorted(EXPECTED_TASKS)
    assert all(len(vitally.accounts_with(states.ext(i))) == 1 for i in range(1, 10))
    assert replan(on(make, "xlsx", "old"), on(make, "vitally", "cs"), journal, model).changes == []
