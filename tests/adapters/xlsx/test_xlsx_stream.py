"""The streaming paths of the xlsx target: the first apply written by XlsxWriter must give the
workbook the openpyxl path gives, and the chunked reader must read what openpyxl reads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

import tierform.adapters.xlsx.fresh as fresh_mod
import tierform.workbook.xlsx_read as xlsx_read
from tierform.adapters.xlsx import XlsxAdapter, XlsxSettings
from tierform.adapters.xlsx.marker import workbook_marker
from tierform.errors import TierformError
from tierform.sync.adapter import AdapterContext
from tierform.sync.engine import Syncer
from tierform.sync.journal import Journal
from tierform.sync.state import Kind, Scope
from tierform.testing import sample_desired
from tierform.workbook.xlsx_read import XlsxReader


def syncer(folder: Path) -> Syncer:
    adapter = XlsxAdapter(XlsxSettings(path="tracking.xlsx"), AdapterContext("wb", folder))
    return Syncer(adapter, Journal(folder / ".tierform" / "journal.sqlite"))


def contents(path: Path) -> tuple[list[str], dict[str, list[list[object]]], dict[str, object]]:
    wb = openpyxl.load_workbook(path)
    sheets = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb}
    marker = {k: (t.title, t.columns) for k, t in workbook_marker(wb).items()}
    return wb.sheetnames, sheets, marker


def test_first_apply_writes_what_the_in_place_path_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desired = sample_desired(12)
    fresh, edited = tmp_path / "fresh", tmp_path / "edited"
    fresh.mkdir()
    edited.mkdir()
    s = syncer(fresh)
    s.apply(s.plan(desired))
    monkeypatch.setattr(fresh_mod, "can_write_fresh", lambda path, changes: False)
    s = syncer(edited)
    s.apply(s.plan(desired))
    monkeypatch.undo()
    got, want = contents(fresh / "tracking.xlsx"), contents(edited / "tracking.xlsx")
    assert got[0] == want[0] and got[2] == want[2]
    for title, rows in want[1].items():
        assert got[1][title] == rows, title
    ws = openpyxl.load_workbook(fresh / "tracking.xlsx")["Accounts"]
    assert ws.freeze_panes == "A2" and ws["A1"].font.bold
    evil = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "ACC-0001")[1]
    assert evil.value == '=HYPERLINK("http://x")' and evil.data_type == "s"
    assert syncer(fresh).plan(desired).is_empty  # reads back aligned


def test_first_apply_refuses_a_locked_target(tmp_path: Path) -> None:
    (tmp_path / "~$tracking.xlsx").write_text("lock")
    s = syncer(tmp_path)
    with pytest.raises(TierformError, match="open in another program"):
        s.apply(s.plan(sample_desired(3)))
    assert not (tmp_path / "tracking.xlsx").exists()


def test_a_first_apply_that_fails_while_storing_leaves_the_folder_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store that fails part way (a full disk, say) leaves no workbook and none of the
    writer's temporary files beside the target."""
    import tierform.workbook.xlsxwriter_book as book_module

    def full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(book_module, "_copy", full)
    s = syncer(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(TierformError, match="cannot write"):
        s.apply(s.plan(sample_desired(3)))
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def _user_workbook(path: Path) -> list[list[object]]:
    """A sheet with shared strings, gaps, a formula, dates, booleans and escaped text; the
    values openpyxl gives for it (formulas as their text, dates as date cells)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["Key", "Text", "Number", "When", "Flag"])
    for i in range(300):
        ws.append([f"K{i}", f"a & b <{i}>", i * 1.5, dt.date(2025, 1, 1 + i % 28), i % 2 == 0])
    ws.cell(400, 2, "after a gap")
    ws.cell(401, 3, "=SUM(C2:C4)")
    wb.save(path)
    return [list(r) for r in openpyxl.load_workbook(path)["Data"].iter_rows(values_only=True)]


def _plain(value: object) -> object:
    if isinstance(value, dt.datetime):
        return (value.date() - dt.date(1899, 12, 30)).days  # date cells read as serials
    return value


@pytest.mark.parametrize("chunk", [64, 1 << 20])
def test_chunked_reader_reads_what_openpyxl_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    path = tmp_path / "user.xlsx"
    want = _user_workbook(path)
    monkeypatch.setattr(xlsx_read, "_CHUNK", chunk)  # tiny: rows split over many chunks
    with XlsxReader(path) as reader:
        got = reader.rows("Data")
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        w = [_plain(v) for v in w]
        while w and w[-1] is None:
            w.pop()
        assert g + [None] * (len(w) - len(g)) == w


def test_wanted_columns_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "user.xlsx"
    _user_workbook(path)
    monkeypatch.setattr(xlsx_read, "_CHUNK", 256)
    with XlsxReader(path) as reader:
        rows = dict(reader.iter_rows("Data", ["Key", "Flag"]))
    assert rows[0] == ["Key", "Text", "Number", "When", "Flag"]  # the header is read whole
    later = [rows[i] for i in range(50, 301)]  # past the first chunk: only Key and Flag
    assert all(r[1:4] == [None, None, None] for r in later if len(r) > 1)
    assert rows[300][0] == "K299" and rows[300][4] is False


def test_prefixed_sheet_xml_falls_back_to_the_parser(tmp_path: Path) -> None:
    """Tags with a namespace prefix (some generators write ``x:row``) are read too."""
    import zipfile

    path = tmp_path / "user.xlsx"
    _user_workbook(path)
    fixed = tmp_path / "prefixed.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(fixed, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                for tag in ("sheetData", "row", "c", "v", "f", "is", "t"):
                    text = text.replace(f"<{tag}>", f"<x:{tag}>").replace(f"<{tag} ", f"<x:{tag} ")
                    text = text.replace(f"</{tag}>", f"</x:{tag}>")
                text = text.replace("<x:sheetData", '<x:sheetData xmlns:x="urn:x"', 1)
                assert "<x:row" in text and "<row" not in text
                data = text.encode()
            dst.writestr(item, data)
    with XlsxReader(path) as a, XlsxReader(fixed) as b:
        assert len(a.rows("Data")) == 401
        assert b.rows("Data") == a.rows("Data")


def test_removed_rows_are_kept_after_a_fresh_write(tmp_path: Path) -> None:
    s = syncer(tmp_path)
    s.apply(s.plan(sample_desired(5)))
    fewer = sample_desired(4)
    s2 = syncer(tmp_path)
    s2.apply(s2.plan(fewer), force=True)
    ws = openpyxl.load_workbook(tmp_path / "tracking.xlsx")["Accounts"]
    keys = [r[0] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert "removed: ACC-0004" in keys and len(keys) == 5
    state = syncer(tmp_path).adapter.read(Scope.of(fewer))
    assert sorted(state.of(Kind.account)) == [f"ACC-000{i}" for i in range(4)]
