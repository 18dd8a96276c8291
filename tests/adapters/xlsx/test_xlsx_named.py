"""The named reading path of the xlsx target (rows as JSON, :mod:`tierform.workbook.xlsx_fast`)
must give what the general reader gives, for the cells tierform writes and for workbooks a
person edited; shapes it does not cover must be declined, never misread."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

import tierform.adapters.tabular as tabular_mod
import tierform.workbook.xlsx_read as xlsx_read
from tierform.adapters.tabular import _as_read
from tierform.adapters.xlsx import XlsxAdapter, XlsxSettings
from tierform.sync.adapter import AdapterContext
from tierform.sync.engine import Syncer
from tierform.sync.journal import Journal
from tierform.sync.state import Kind, Scope, State
from tierform.testing import sample_desired
from tierform.workbook.xlsx_fast import letter_rows
from tierform.workbook.xlsx_read import XlsxReader

HEAD = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Key</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>Text</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>Number</t></is></c></row>'
)
NAMES = {0: "key", 1: "text", 2: "number"}


def _workbook(path: Path, rows: str, strings: list[str] | None = None) -> Path:
    """A one-sheet workbook ("S") whose sheetData is ``HEAD`` + ``rows``."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "xl/workbook.xml",
            f'<workbook {ns} xmlns:r="{rel}"><sheets>'
            '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>",
        )
        z.writestr(
            "xl/worksheets/sheet1.xml",
            f"<worksheet {ns}><sheetData>{HEAD}{rows}</sheetData></worksheet>",
        )
        if strings is not None:
            items = "".join(f"<si><t>{s}</t></si>" for s in strings)
            z.writestr("xl/sharedStrings.xml", f"<sst {ns}>{items}</sst>")
    return path


def _general(reader: XlsxReader) -> dict[int, dict[Any, Any]]:
    """The general reader's rows after the header, as {name: value} (a column without a name
    by its index), empty cells left out."""
    out = {}
    for index, row in reader.iter_rows("S"):
        cells = {NAMES.get(i, i): v for i, v in enumerate(row) if v not in (None, "")}
        if index and cells:
            out[index] = cells
    return out


def _named_rows(reader: XlsxReader) -> list[tuple[int, dict[str, Any]]]:
    """The named pieces row by row: (0-based row, {name: value}), columns not asked for and
    empty cells left out."""
    out = []
    for piece in reader.named_pieces("S", NAMES):
        for number, row in piece.rows:
            named = {
                piece.names[k]: v for k, v in row.items() if v is not None and k in piece.names
            }
            out.append((number - 1, named))
    return out


def _both(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, Any]], list[bool]]:
    """(named rows with numbers as the general reader has them, general rows, whether each
    piece went through the JSON path)."""
    used: list[bool] = []

    def spy(data: bytes, names: Any) -> Any:
        got = letter_rows(data, names)
        used.append(got is not None)
        return got

    monkeypatch.setattr(xlsx_read, "letter_rows", spy)
    with XlsxReader(path) as reader:
        named = {
            i: {k: _as_read(v) for k, v in row.items()}
            for i, row in _named_rows(reader)
            if row  # a row without cells is no data (the general reader skips it too)
        }
        return named, _general(reader), used


ACCEPTED = {
    "text and numbers": (
        '<row r="2"><c r="A2" t="inlineStr"><is><t>K1</t></is></c>'
        '<c r="B2" t="inlineStr"><is><t>plain</t></is></c><c r="C2"><v>75.9</v></c></row>'
        '<row r="3" spans="1:3" ht="15"><c r="A3" t="inlineStr"><is><t>K2</t></is></c>'
        '<c r="C3" s="2"><v>45673</v></c></row>'
        '<row r="4"><c r="A4" t="inlineStr"><is><t>K3</t></is></c>'
        '<c r="B4" s="1"/><c r="C4" t="n"><v>80.0</v></c></row>'
        '<row r="5"><c r="A5" t="inlineStr"><is><t>K4</t></is></c>'
        '<c r="C5" s="3" t="n"><v>-1.5E-05</v></c></row>'
    ),
    "escaped text": (
        '<row r="2"><c r="A2" t="inlineStr"><is><t>K1</t></is></c>'
        '<c r="B2" t="inlineStr"><is><t>a &amp; b &lt;c&gt; &quot;q&quot; &apos;s&apos;'
        "</t></is></c></row>"
        '<row r="3"><c r="A3" t="inlineStr"><is><t>K2</t></is></c>'
        '<c r="B3" t="inlineStr"><is><t>raw "quotes", back\\slash, {"json": [1]}, x>y'
        "</t></is></c></row>"
        '<row r="4"><c r="A4" t="inlineStr"><is><t>K3</t></is></c>'
        '<c r="B4" t="inlineStr"><is><t>two\nlines\tand tab &amp;lt; é 漢字</t></is></c></row>'
        '<row r="5"><c r="A5" t="inlineStr"><is><t>=SUM(A1:A2)</t></is></c></row>'
    ),
    "rows with gaps": (
        '<row r="3"><c r="A3" t="inlineStr"><is><t>K3</t></is></c></row>'
        '<row r="12"><c r="A12" t="inlineStr"><is><t>K12</t></is></c>'
        '<c r="C12"><v>12</v></c></row><row r="13"></row>'
    ),
}

DECLINED = {
    "shared string": '<row r="2"><c r="A2" t="s"><v>0</v></c></row>',
    "rich text": '<row r="2"><c r="A2" t="inlineStr"><is><r><t>K</t></r><r><t>1</t></r></is>'
    "</c></row>",
    "formula": '<row r="2"><c r="A2" t="inlineStr"><is><t>K1</t></is></c>'
    '<c r="C2"><f>1+1</f><v>2</v></c></row>',
    "boolean": '<row r="2"><c r="A2" t="b"><v>1</v></c></row>',
    "empty text": '<row r="2"><c r="A2" t="inlineStr"><is><t></t></is></c></row>',
    "character reference": '<row r="2"><c r="A2" t="inlineStr"><is><t>a&#10;b</t></is></c></row>',
    "preserved spaces": '<row r="2"><c r="A2" t="inlineStr"><is><t xml:space="preserve"> K'
    "</t></is></c></row>",
    "cell of another row": '<row r="2"><c r="A12" t="inlineStr"><is><t>K1</t></is></c></row>',
    "empty value": '<row r="2"><c r="C2"><v></v></c></row>',
    "leading zeros": '<row r="2"><c r="C2"><v>007</v></c></row>',
}


@pytest.mark.parametrize("rows", list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_json_path_reads_what_the_general_reader_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: str
) -> None:
    named, general, used = _both(_workbook(tmp_path / "s.xlsx", rows), monkeypatch)
    assert used and all(used)
    assert named == general


def test_json_path_values_by_hand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    named, _, _ = _both(_workbook(tmp_path / "s.xlsx", ACCEPTED["escaped text"]), monkeypatch)
    assert named[1]["text"] == "a & b <c> \"q\" 's'"
    assert named[2]["text"] == 'raw "quotes", back\\slash, {"json": [1]}, x>y'
    assert named[3]["text"] == "two\nlines\tand tab &lt; é 漢字"
    assert named[4] == {"key": "=SUM(A1:A2)"}
    numbers, _, _ = _both(_workbook(tmp_path / "n.xlsx", ACCEPTED["text and numbers"]), monkeypatch)
    assert [numbers[i].get("number") for i in (1, 2, 3, 4)] == [75.9, 45673, 80, -1.5e-05]
    assert "text" not in numbers[3]  # the styled empty cell is no value


@pytest.mark.parametrize("rows", list(DECLINED.values()), ids=list(DECLINED))
def test_other_shapes_are_declined_and_read_by_the_general_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: str
) -> None:
    path = _workbook(tmp_path / "s.xlsx", rows, strings=["K1"])
    with XlsxReader(path) as reader:
        data = reader._zip.read("xl/worksheets/sheet1.xml")
    body = data[data.index(b"</row>") + 6 : data.index(b"</sheetData>")]
    assert letter_rows(body, {"A": "key", "B": "text", "C": "number"}) is None
    named, general, used = _both(path, monkeypatch)
    assert used == [False]
    assert named == general


def test_a_cell_of_a_column_not_asked_for_is_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = (
        '<row r="2"><c r="A2" t="inlineStr"><is><t>K1</t></is></c>'
        '<c r="D2"><v>4</v></c><c r="E2" t="inlineStr"><is><t>note</t></is></c></row>'
    )
    named, general, used = _both(_workbook(tmp_path / "s.xlsx", rows), monkeypatch)
    assert used == [True]
    assert general == {1: {"key": "K1", 3: 4, 4: "note"}}  # the general reader reads them all
    assert named == {1: {"key": "K1"}}


# -- the adapter: named path against the general path on whole workbooks -----------------------


def _adapter(folder: Path) -> XlsxAdapter:
    return XlsxAdapter(XlsxSettings(path="tracking.xlsx"), AdapterContext("wb", folder))


def _written(folder: Path, desired: State) -> None:
    """``desired`` applied to the folder's tracking workbook (journaled beside it)."""
    s = Syncer(_adapter(folder), Journal(folder / "j.sqlite"))
    s.apply(s.plan(desired))


def _read_both(folder: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[State, State]:
    scope = Scope.of(sample_desired(3))
    fast = _adapter(folder).read(scope)
    with monkeypatch.context() as m:
        m.setattr(tabular_mod, "named_columns", lambda table, header: None)
        general = _adapter(folder).read(scope)
    return fast, general


def _same(a: State, b: State) -> None:
    assert a.objects == b.objects
    assert a.labels == b.labels
    assert a.warnings == b.warnings


@pytest.mark.parametrize("chunk", [200, 1 << 22])
def test_tierform_written_workbook_reads_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    desired = sample_desired(40)
    _written(tmp_path, desired)
    monkeypatch.setattr(xlsx_read, "_CHUNK", chunk)  # small: many pieces, rows cut anywhere
    fast, general = _read_both(tmp_path, monkeypatch)
    _same(fast, general)
    assert fast.of(Kind.account) == desired.of(Kind.account)
    assert fast.of(Kind.work_item) == desired.of(Kind.work_item)


def test_workbook_edited_by_a_person_reads_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desired = sample_desired(30)
    _written(tmp_path, desired)
    path = tmp_path / "tracking.xlsx"
    wb = openpyxl.load_workbook(path)  # saved again below: shared strings, styles, all cells
    ws = wb["Accounts"]
    header = [c.value for c in ws[1]]
    col = {h: i + 1 for i, h in enumerate(header)}
    ws.cell(1, len(header) + 1, "My notes")  # a user column, ignored
    ws.cell(2, len(header) + 1, "call back")
    ws.cell(3, col["Tier"], CellRichText([TextBlock(InlineFont(b=True), "Ent"), "erprise"]))
    ws.cell(4, col["Health score"], "=40+2")  # a formula typed into a managed cell
    ws.cell(5, col["Health score"], "n/a")  # text in a number column: a warning
    ws.cell(6, col["Tier"], 12)  # a number in a text column
    ws.cell(7, col["Health score"], None)  # emptied
    ws.cell(8, 1, "removed: " + str(ws.cell(8, 1).value))
    ws.cell(9, col["Tier"], True)
    ws.cell(10, col["Account"], 2024)  # a number as the label
    tasks = wb["Tasks"]
    due = [c.value for c in tasks[1]].index("Due") + 1
    tasks.cell(2, due, dt.datetime(2025, 3, 4))
    tasks.cell(3, due, "2025-03-05")
    wb.save(path)
    fast, general = _read_both(tmp_path, monkeypatch)
    _same(fast, general)
    assert any("not a number" in w for w in fast.warnings)
    accounts = fast.of(Kind.account)
    assert len(accounts) == 29  # one row marked removed


def test_json_path_handles_a_fresh_workbook_with_awkward_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desired = sample_desired(8)
    odd = ['a "quoted" & <tagged> name', "back\\slash\nnew line", "tab\there", "x\r\ny"]
    for (key, _), text in zip(sorted(desired.of(Kind.account).items()), odd, strict=False):
        desired.labels[Kind.account][key] = text
        desired.objects[Kind.account][key]["tf_next_step"] = text + " next"
    _written(tmp_path, desired)
    used: list[bool] = []

    def spy(data: bytes, names: Any) -> Any:
        got = letter_rows(data, names)
        used.append(got is not None)
        return got

    monkeypatch.setattr(xlsx_read, "letter_rows", spy)
    fast, general = _read_both(tmp_path, monkeypatch)
    assert used and all(used)  # every piece of every sheet went through the JSON path
    _same(fast, general)
    assert fast.of(Kind.account) == desired.of(Kind.account)
    assert fast.labels[Kind.account] == desired.labels[Kind.account]
