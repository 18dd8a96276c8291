"""The xlsx adapter on real files: round trips, ownership, drift via the CLI, atomic writes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from tierform.adapters.xlsx import XlsxAdapter, XlsxSettings
from tierform.cli.main import cli
from tierform.errors import AdapterError, TierformError
from tierform.sync.adapter import AdapterContext
from tierform.sync.change import Op
from tierform.sync.engine import Syncer
from tierform.sync.journal import Journal
from tierform.sync.state import Kind, Scope
from tierform.testing import sample_desired

AS_OF = "2025-01-15"


def make(tmp_path: Path, name: str = "tracking.xlsx") -> XlsxAdapter:
    return XlsxAdapter(XlsxSettings(path=name), AdapterContext("workbook", tmp_path))


def syncer(tmp_path: Path) -> Syncer:
    return Syncer(make(tmp_path), Journal(tmp_path / ".tierform" / "journal.sqlite"))


def test_round_trip_and_second_apply_writes_nothing(tmp_path: Path) -> None:
    desired = sample_desired(10)
    s = syncer(tmp_path)
    s.apply(s.plan(desired))
    path = tmp_path / "tracking.xlsx"
    stamp = path.stat().st_mtime_ns
    again = syncer(tmp_path)
    plan = again.plan(desired)
    assert plan.is_empty
    again.apply(plan)
    assert path.stat().st_mtime_ns == stamp  # nothing to apply: the file is not rewritten


def test_workbook_content_is_typed_and_readable(tmp_path: Path) -> None:
    desired = sample_desired(4)
    s = syncer(tmp_path)
    s.apply(s.plan(desired))
    wb = openpyxl.load_workbook(tmp_path / "tracking.xlsx")
    assert {"Accounts", "Tasks", "Fields", "Segments", "Setup"} <= set(wb.sheetnames)
    ws = wb["Accounts"]
    header = [c.value for c in ws[1]]
    assert header[:2] == ["Account ID", "Account"] and "Tier" in header
    rows = {
        r[0]: dict(zip(header, r, strict=False)) for r in ws.iter_rows(min_row=2, values_only=True)
    }
    evil = ws.cell(
        row=[r[0].row for r in ws.iter_rows(min_row=2) if r[0].value == "ACC-0001"][0], column=2
    )
    assert evil.value == '=HYPERLINK("http://x")' and evil.data_type == "s"  # text, not formula
    # Expected values computed independently from the default model's bounds:
    # ACC-0002 has ACV 40,000 -> Mid-Market (25,000 <= ACV < 100,000), hybrid touch.
    assert rows["ACC-0002"]["Tier"] == "Mid-Market"
    assert rows["ACC-0002"]["Touch model"] == "hybrid"
    # ACC-0003 renews 20 + 37*3 = 131 days after the as-of date -> the 91-180 window.
    assert rows["ACC-0003"]["Renewal window"] == "91-180"
    due = [r for r in wb["Tasks"].iter_rows(min_row=2, values_only=True)]
    assert due and all(isinstance(r[3], dt.datetime) for r in due)  # real date cells


def test_unmanaged_sheets_and_columns_survive(tmp_path: Path) -> None:
    s = syncer(tmp_path)
    s.apply(s.plan(sample_desired(6)))
    path = tmp_path / "tracking.xlsx"
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("My pivot").append(["keep", 42])
    ws = wb["Accounts"]
    col = ws.max_column + 1
    ws.cell(1, col, "Notes")
    target_row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "ACC-0000")
    ws.cell(target_row, col, "exec sponsor left")
    wb.save(path)
    changed = sample_desired(6, variant=1)
    s2 = syncer(tmp_path)
    plan = s2.plan(changed)
    assert [c.key for c in plan.changes if c.kind is Kind.account] == ["ACC-0000"]
    s2.apply(plan)
    wb = openpyxl.load_workbook(path)
    assert [c.value for c in wb["My pivot"][1]] == ["keep", 42]
    ws = wb["Accounts"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "ACC-0000")
    assert ws.cell(row, col).value == "exec sponsor left"
    assert ws.cell(row, [c.value for c in ws[1]].index("Tier") + 1).value == "SMB / Growth"
    assert syncer(tmp_path).plan(changed).is_empty


def test_user_sheet_with_our_title_is_never_taken_over(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "Accounts"
    wb.active.append(["my own list"])
    wb.save(tmp_path / "tracking.xlsx")
    s = syncer(tmp_path)
    s.apply(s.plan(sample_desired(3)))
    wb = openpyxl.load_workbook(tmp_path / "tracking.xlsx")
    assert [c.value for c in wb["Accounts"][1]] == ["my own list"]
    assert wb["Accounts (tierform)"]["A1"].value == "Account ID"
    assert syncer(tmp_path).plan(sample_desired(3)).is_empty


def test_read_back_as_a_source_is_lenient(tmp_path: Path) -> None:
    desired = sample_desired(5)
    s = syncer(tmp_path)
    s.apply(s.plan(desired))
    path = tmp_path / "tracking.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["Accounts"]
    header = [c.value for c in ws[1]]
    ws.cell(2, header.index("Health score") + 1, "n/a")
    wb.save(path)
    state = make(tmp_path).read(Scope.of(desired))
    assert len(state.of(Kind.account)) == 5
    assert any("not a number" in w for w in state.warnings)


def test_interrupted_apply_leaves_previous_file_and_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tierform.workbook.xlsx as mod

    desired = sample_desired(5)
    s = syncer(tmp_path)
    s.apply(s.plan(desired))
    path = tmp_path / "tracking.xlsx"
    before = path.read_bytes()
    changed = sample_desired(5, variant=1)

    def crash(wb: object, target: Path) -> None:
        raise KeyboardInterrupt  # the process dies while saving

    monkeypatch.setattr(mod, "save_atomic", crash)
    with pytest.raises(KeyboardInterrupt):
        s2 = syncer(tmp_path)
        s2.apply(s2.plan(changed))
    assert path.read_bytes() == before  # atomic: no half-written workbook
    journal = Journal(tmp_path / ".tierform" / "journal.sqlite")
    assert journal.runs("workbook")[0].status == "interrupted"
    monkeypatch.undo()
    s3 = syncer(tmp_path)
    report = s3.apply(s3.plan(changed))
    assert report.resumed_from is not None
    assert syncer(tmp_path).plan(changed).is_empty
    ids = [
        r[0]
        for r in openpyxl.load_workbook(path)["Accounts"].iter_rows(min_row=2, values_only=True)
    ]
    assert sorted(ids) == [f"ACC-{i:04d}" for i in range(5)]  # no duplicate rows


def test_locked_workbook_is_a_clear_error(tmp_path: Path) -> None:
    s = syncer(tmp_path)
    (tmp_path / "~$tracking.xlsx").write_text("lock")
    with pytest.raises(Exception, match="open in another program"):
        s.apply(s.plan(sample_desired(3)))
    assert not (tmp_path / "tracking.xlsx").exists()


# -- through the CLI ------------------------------------------------------------------------

MODEL = """\
version: 1
name: Test model
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


def _project(tmp_path: Path, n: int = 12, step: int = 9000) -> Path:
    (tmp_path / "tierform.yaml").write_text(MODEL, encoding="utf-8")
    lines = ["account_id,name,acv,renewal_date"]
    lines += [f"A{i:02d},Account {i},{(i + 1) * step},2025-0{1 + i % 8}-10" for i in range(n)]
    (tmp_path / "accounts.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path


def run(tmp_path: Path, *args: str) -> object:
    return CliRunner().invoke(
        cli,
        [
            "sync",
            "-c",
            str(tmp_path / "tierform.yaml"),
            "--accounts",
            str(tmp_path / "accounts.csv"),
            "--as-of",
            AS_OF,
            *args,
        ],
    )


def test_cli_check_exit_codes_follow_outside_edits(tmp_path: Path) -> None:
    _project(tmp_path)
    first = run(tmp_path, "--check")
    assert first.exit_code == 2, first.output
    assert run(tmp_path, "--apply").exit_code == 0
    assert run(tmp_path, "--check").exit_code == 0
    path = tmp_path / "out" / "tracking.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["Accounts"]
    header = [c.value for c in ws[1]]
    ws.cell(3, header.index("Tier") + 1, "Gold")  # an outside edit to a managed cell
    wb.save(path)
    drift = run(tmp_path, "--check")
    assert drift.exit_code == 2
    assert "'Gold' -> " in drift.output
    assert run(tmp_path, "--apply").exit_code == 0
    assert run(tmp_path, "--check").exit_code == 0


def test_cli_checksum_must_match(tmp_path: Path) -> None:
    _project(tmp_path)
    dry = run(tmp_path, "--format", "json")
    import json

    checksum = json.loads(dry.stdout)["checksum"]
    wrong = run(tmp_path, "--checksum", "0" * 64)
    assert wrong.exit_code == 1 and "changed since it was reviewed" in wrong.output
    assert not (tmp_path / "out" / "tracking.xlsx").exists()
    ok = run(tmp_path, "--checksum", checksum)
    assert ok.exit_code == 0 and "created" in ok.output


def test_cli_safety_threshold_needs_force(tmp_path: Path) -> None:
    _project(tmp_path, n=20, step=1000)  # every account in Small (ACV below 50,000)
    assert run(tmp_path, "--apply").exit_code == 0
    # Every account grows past the Big bound: 20 of 20 existing accounts would be updated.
    text = (tmp_path / "accounts.csv").read_text().splitlines()
    rows = [text[0]] + [
        ",".join(r.split(",")[:2] + ["900000"] + r.split(",")[3:]) for r in text[1:]
    ]
    (tmp_path / "accounts.csv").write_text("\n".join(rows) + "\n")
    refused = run(tmp_path, "--apply")
    assert refused.exit_code == 2 and "--force" in refused.output
    assert run(tmp_path, "--check").exit_code == 2  # nothing was applied
    assert run(tmp_path, "--apply", "--force").exit_code == 0
    assert run(tmp_path, "--check").exit_code == 0


def test_cli_history_and_adapters(tmp_path: Path) -> None:
    _project(tmp_path)
    run(tmp_path, "--apply")
    out = CliRunner().invoke(
        cli, ["history", "-c", str(tmp_path / "tierform.yaml"), "--format", "json"]
    )
    assert out.exit_code == 0
    import json

    runs = json.loads(out.stdout)
    assert runs[0]["status"] == "completed" and runs[0]["created"] > 0
    one = CliRunner().invoke(
        cli,
        [
            "history",
            "-c",
            str(tmp_path / "tierform.yaml"),
            "--run",
            runs[0]["run_id"],
            "--format",
            "json",
        ],
    )
    assert {e["op"] for e in json.loads(one.stdout)["entries"]} == {Op.create.value}
    listed = CliRunner().invoke(cli, ["adapters", "--format", "json"])
    found = json.loads(listed.stdout)
    assert found["xlsx"]["capabilities"]["account"]["update"] is True
    assert "sheets" in found


def test_cli_bad_target_settings_name_file_and_key(tmp_path: Path) -> None:
    _project(tmp_path)
    text = (
        (tmp_path / "tierform.yaml")
        .read_text()
        .replace(
            "{platform: xlsx, path: out/tracking.xlsx}",
            "{platform: xlsx, path: out/tracking.xlsx, colour: red}",
        )
    )
    (tmp_path / "tierform.yaml").write_text(text)
    out = run(tmp_path)
    assert out.exit_code == 1
    assert "targets.workbook.colour" in out.output and "tierform.yaml:" in out.output
    assert "Traceback" not in out.output


def test_removed_accounts_keep_their_rows_so_user_formulas_stay_put(tmp_path: Path) -> None:
    s = syncer(tmp_path)
    s.apply(s.plan(sample_desired(12)))
    path = tmp_path / "tracking.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["Accounts"]
    note = ws.max_column + 1
    ws.cell(1, note, "Owner note")
    # A user formula on every row that names the account of its own row.
    for r in range(2, ws.max_row + 1):
        ws.cell(r, note, f'="note for "&A{r}')
    before = {r: ws.cell(r, 1).value for r in range(2, ws.max_row + 1)}
    wb.save(path)
    fewer = sample_desired(7)  # ACC-0007..ACC-0011 leave the book
    s2 = syncer(tmp_path)
    s2.apply(s2.plan(fewer), force=True)
    ws = openpyxl.load_workbook(path)["Accounts"]
    for r, key in before.items():
        assert ws.cell(r, note).value == f'="note for "&A{r}'  # not shifted
        gone = int(key.split("-")[1]) >= 7
        assert ws.cell(r, 1).value == (f"removed: {key}" if gone else key)
        if gone:
            tier = [c.value for c in ws[1]].index("Tier") + 1
            assert ws.cell(r, tier).value is None
    assert syncer(tmp_path).plan(fewer).is_empty
    again = sample_desired(12)  # they come back: new rows, the removed ones stay as they are
    s3 = syncer(tmp_path)
    s3.apply(s3.plan(again), force=True)
    ws = openpyxl.load_workbook(path)["Accounts"]
    keys = [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)]
    assert keys.count("ACC-0008") == 1 and keys.count("removed: ACC-0008") == 1
    assert syncer(tmp_path).plan(again).is_empty


def test_read_only_workbook_or_folder_is_refused(tmp_path: Path) -> None:
    s = syncer(tmp_path)
    s.apply(s.plan(sample_desired(3)))
    path = tmp_path / "tracking.xlsx"
    before = path.read_bytes()
    path.chmod(0o444)
    try:
        with pytest.raises(TierformError, match="read-only"):
            syncer(tmp_path).apply(syncer(tmp_path).plan(sample_desired(4)))
        assert path.read_bytes() == before
    finally:
        path.chmod(0o644)
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        adapter = XlsxAdapter(XlsxSettings(path="book.xlsx"), AdapterContext("w", folder))
        j = Journal(tmp_path / "j.sqlite")
        with pytest.raises(TierformError, match="folder is read-only"):
            Syncer(adapter, j).apply(Syncer(adapter, j).plan(sample_desired(2)))
        assert not (folder / "book.xlsx").exists()
    finally:
        folder.chmod(0o755)


def test_temp_file_of_a_killed_save_is_cleaned_up(tmp_path: Path) -> None:
    s = syncer(tmp_path)
    s.apply(s.plan(sample_desired(3)))
    # What a save killed mid-way leaves: a temp file named for a process that is gone.
    dead_pid = 2**22 + 12345
    stale = tmp_path / f".tracking.xlsx.tierform-tmp-{dead_pid}-abc.xlsx"
    stale.write_bytes(b"partial")
    s2 = syncer(tmp_path)
    s2.apply(s2.plan(sample_desired(4)))
    assert not stale.exists()
    assert not list(tmp_path.glob(".tracking.xlsx.tierform-tmp-*"))


def test_macro_enabled_target_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AdapterError, match="macro-enabled"):
        make(tmp_path, "tracking.xlsm")
