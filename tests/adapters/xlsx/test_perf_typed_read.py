"""The typed reading path of the xlsx target (:mod:`tierform.adapters.xlsx.typed_read` over
:mod:`tierform.workbook.xlsx_typed`) must give exactly what ``parse_named`` gives over the
general pieces, or give up with the state untouched; checked on generated sheets of many
shapes, cut into pieces anywhere."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from test_xlsx_named import (  # the named reader's whole-workbook helpers
    _read_both,
    _written,
)

import tierform.adapters.xlsx.typed_read as typed_read_mod
import tierform.workbook.xlsx_read as xlsx_read
from tierform.adapters.tabular import Column, Table, named_columns, parse_named
from tierform.adapters.xlsx.typed_read import read_typed
from tierform.sync.state import Kind, State
from tierform.testing import sample_desired
from tierform.workbook.xlsx_read import XlsxReader
from tierform.workbook.xlsx_typed import typed_rows

TABLE = Table(
    "accounts",
    "Accounts",
    (Kind.account,),
    "Account ID",
    (
        Column("tf_tier", "Tier"),
        Column("tf_score", "Score", "number"),
        Column("tf_due", "Due", "date"),
        Column("tf_note", "Note"),
        Column("tf_flag", "Flag", "bool"),
    ),
    label_header="Account",
)
HEADER = ["Account ID", "Account", "Tier", "Score", "Due", "Note", "Flag", "Mine"]
LETTERS = "ABCDEFGHI"  # I: a column without a header
TEXTS = [
    "Enterprise",
    "Mid-Market",
    "a & b <c> d",
    'say "hi"',
    "back\\slash",
    "two\nlines",
    "tab\there",
    "é 漢字 ✓",
    " padded ",
    "x>y",
    "{not json}",
]
NUMBERS = ["75.9", "80", "0", "-3", "12.125", "-0.5", "45672", "1.0000004", "99.999999"]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


def _text(ref: str, text: str, style: bool = False) -> str:
    s = ' s="1"' if style else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t>{_escape(text)}</t></is></c>'


def _value(ref: str, value: str, style: bool = False) -> str:
    s = ' s="2"' if style else ""
    return f'<c r="{ref}"{s}><v>{value}</v></c>'


def _workbook(path: Path, rows: str) -> Path:
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    head = "".join(_text(f"{LETTERS[i]}1", h, style=True) for i, h in enumerate(HEADER))
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "xl/workbook.xml",
            f'<workbook {ns} xmlns:r="{rel}"><sheets>'
            '<sheet name="Accounts" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>",
        )
        z.writestr(
            "xl/worksheets/sheet1.xml",
            f'<worksheet {ns}><sheetData><row r="1">{head}</row>{rows}</sheetData></worksheet>',
        )
        z.writestr("xl/sharedStrings.xml", f"<sst {ns}><si><t>K-shared</t></si></sst>")
    return path


def _generated(seed: int, n: int, odd: str | None = None) -> str:
    """``n`` data rows of random cells (blanks, repeats, awkward texts, styled dates); ``odd``
    adds one cell of a shape the typed path gives up on."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        r = i + 2
        cells = []
        if rng.random() > 0.05:
            key = rng.choice(
                [f"ACC-{i:05d}", f" ACC-{i:05d} ", f"removed: ACC-{i:05d}", "ñ-" + str(i)]
            )
            cells.append(_text(f"A{r}", key))
        if rng.random() > 0.2:
            cells.append(_text(f"B{r}", rng.choice(TEXTS) + str(i % 7)))
        if rng.random() > 0.1:
            cells.append(_text(f"C{r}", rng.choice(TEXTS)))
        if rng.random() > 0.3:
            cells.append(_value(f"D{r}", rng.choice(NUMBERS)))
        if rng.random() > 0.4:
            cells.append(_value(f"E{r}", str(rng.randint(45000, 46000)), style=True))
        if rng.random() > 0.5:
            cells.append(_text(f"F{r}", f"next step {i} " + rng.choice(TEXTS)))
        if rng.random() > 0.5:
            cells.append(_value(f"H{r}", rng.choice(NUMBERS)))  # the user's own column
        if rng.random() > 0.8:
            cells.append(_text(f"I{r}", "no header"))
        attrs = ' spans="1:9"' if rng.random() > 0.9 else ""
        rows.append(f'<row r="{r}"{attrs}>{"".join(cells)}</row>')
    if odd is not None:
        rows.insert(rng.randrange(len(rows) + 1), odd.replace("@", str(n + 5)))
    return "".join(rows)


def _read(path: Path, typed: bool) -> tuple[bool, State]:
    state = State()
    with XlsxReader(path) as reader:
        names = named_columns(TABLE, reader.header("Accounts"))
        assert names is not None
        if typed:
            return read_typed(TABLE, reader.typed_runs("Accounts"), names, state), state
        parse_named(TABLE, reader.named_pieces("Accounts", names), state)
    return True, state


def _compare(path: Path) -> bool:
    """Whether the typed path read the sheet; it must then read it as parse_named does."""
    ok, typed = _read(path, typed=True)
    _, general = _read(path, typed=False)
    if not ok:
        assert typed == State()  # gave up before changing anything
        return False
    assert typed.objects == general.objects
    assert typed.labels == general.labels
    assert typed.warnings == general.warnings
    for key, data in general.of(Kind.account).items():  # same keys in the same order
        assert list(typed.of(Kind.account)[key].items()) == list(data.items())
    return True


@pytest.mark.parametrize("chunk", [97, 1000, 1 << 22])
@pytest.mark.parametrize("seed", range(4))
def test_generated_sheets_read_as_parse_named_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, chunk: int
) -> None:
    monkeypatch.setattr(xlsx_read, "_CHUNK", chunk)
    path = _workbook(tmp_path / "s.xlsx", _generated(seed, 300))
    assert _compare(path)


def test_an_empty_sheet_and_a_header_only_sheet(tmp_path: Path) -> None:
    assert _compare(_workbook(tmp_path / "h.xlsx", ""))
    assert _compare(_workbook(tmp_path / "e.xlsx", '<row r="2"></row>'))


ODD = {
    "duplicate key": _text("A@", "ACC-00001"),
    "number in a text column": f'<row r="@">{_text("A@", "K-odd")}{_value("C@", "12")}</row>',
    "text in a number column": f'<row r="@">{_text("A@", "K-odd")}{_text("D@", "n/a")}</row>',
    "number as the key": f'<row r="@">{_value("A@", "1001")}</row>',
    "number as the label": f'<row r="@">{_text("A@", "K-odd")}{_value("B@", "2024")}</row>',
    "a boolean column": f'<row r="@">{_text("A@", "K-odd")}{_value("G@", "1")}</row>',
    "empty text": f'<row r="@">{_text("A@", "K-odd")}{_text("C@", "")}</row>',
    "a cell of another row": f'<row r="@">{_text("A3", "K-odd")}</row>',
    "shared string": '<row r="@"><c r="A@" t="s"><v>0</v></c></row>',
    "boolean cell": '<row r="@"><c r="A@" t="inlineStr"><is><t>K-odd</t></is></c>'
    '<c r="D@" t="b"><v>1</v></c></row>',
    "formula": '<row r="@"><c r="A@" t="inlineStr"><is><t>K-odd</t></is></c>'
    '<c r="D@"><f>1+1</f><v>2</v></c></row>',
    "value that is JSON": f'<row r="@">{_text("A@", "K-odd")}{_value("D@", "true")}</row>',
    "value that makes rows": f'<row r="@">{_text("A@", "K-odd")}{_value("D@", "1}},{{")}</row>',
    "empty value": f'<row r="@">{_text("A@", "K-odd")}{_value("D@", "")}</row>',
    "huge integer": f'<row r="@">{_text("A@", "K-odd")}{_value("D@", "9" * 17)}</row>',
    "t n": '<row r="@"><c r="A@" t="inlineStr"><is><t>K-odd</t></is></c>'
    '<c r="D@" t="n"><v>3</v></c></row>',
    "empty styled cell": f'<row r="@">{_text("A@", "K-odd")}<c r="C@" s="1"/></row>',
    "character reference": f'<row r="@">{_text("A@", "K&#38;odd")}</row>',
    "control character": '<row r="@">' + _text("A@", "K\x01odd") + "</row>",
    "preserved spaces": '<row r="@"><c r="A@" t="inlineStr"><is><t xml:space="preserve"> K'
    "</t></is></c></row>",
}


@pytest.mark.parametrize("odd", list(ODD.values()), ids=list(ODD))
def test_other_shapes_give_up_or_read_the_same(tmp_path: Path, odd: str) -> None:
    path = _workbook(tmp_path / "s.xlsx", _generated(7, 60, odd))
    _compare(path)  # either way the same as parse_named, or the state untouched


@pytest.mark.parametrize(
    "odd",
    ["duplicate key", "number in a text column", "text in a number column", "a boolean column"],
)
def test_the_typed_path_gives_up_where_the_general_path_warns_or_converts(
    tmp_path: Path, odd: str
) -> None:
    path = _workbook(tmp_path / "s.xlsx", _generated(8, 40, ODD[odd]))
    assert not _compare(path)


def test_values_by_hand(tmp_path: Path) -> None:
    rows = (
        f'<row r="2">{_text("A2", " K1 ")}{_text("B2", "Acme & Co")}{_text("C2", "Enterprise")}'
        f"{_value('D2', '75.9')}{_value('E2', '45672', style=True)}{_value('H2', '1')}</row>"
        f'<row r="3">{_text("A3", "K2")}{_value("D3", "80.0000001")}{_value("E3", "45672.0")}'
        '<c r="F3" t="inlineStr"><is><t>say &quot;hi&quot; &amp;lt;</t></is></c></row>'
        f'<row r="4">{_text("A4", "removed: K3")}{_text("C4", "gone")}</row>'
        f'<row r="5">{_text("C5", "no key")}</row>'
    )
    path = _workbook(tmp_path / "s.xlsx", rows)
    ok, state = _read(path, typed=True)
    assert ok
    assert state.objects[Kind.account] == {
        "K1": {"tf_tier": "Enterprise", "tf_score": 75.9, "tf_due": "2025-01-15"},
        "K2": {"tf_score": 80, "tf_due": "2025-01-15", "tf_note": 'say "hi" &lt;'},
    }
    assert state.labels[Kind.account] == {"K1": "Acme & Co"}


def test_typed_rows_keys_tell_the_cell_kind() -> None:
    body = (
        f'<row r="2">{_text("A2", "K")}{_value("B2", "1.5")}</row>'
        f'<row r="3" spans="1:2"><c r="B3" s="4"><v>-2</v></c></row>'
    ).encode()
    assert typed_rows(body) == [{"A": "K", "B#": 1.5}, {"B#": -2}]
    assert typed_rows(b'<row r="2"><c r="A2"><v>x</v></c></row>') is None


# -- the adapter: the typed path against the general one on whole workbooks ---------------------


@pytest.mark.parametrize("chunk", [150, 1 << 22])
def test_a_tierform_written_workbook_goes_the_typed_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    desired = sample_desired(60)
    odd = ['a "quoted" & <tagged> name', "back\\slash\nnew line", "tab\there", "x\r\ny", "é 漢字"]
    for (key, _), text in zip(sorted(desired.of(Kind.account).items()), odd, strict=False):
        desired.labels[Kind.account][key] = text
        desired.objects[Kind.account][key]["tf_next_step"] = text + " next"
    _written(tmp_path, desired)
    used: list[tuple[str, bool]] = []

    def spy(table: Table, *args: Any) -> bool:
        got = read_typed(table, *args)
        used.append((table.title, got))
        return got

    monkeypatch.setattr(typed_read_mod, "read_typed", spy)
    monkeypatch.setattr(xlsx_read, "_CHUNK", chunk)
    fast, general = _read_both(tmp_path, monkeypatch)
    assert ("Accounts", True) in used and ("Tasks", True) in used
    assert fast.objects == general.objects
    assert fast.labels == general.labels
    assert fast.warnings == general.warnings
    assert fast.of(Kind.account) == desired.of(Kind.account)
    assert fast.of(Kind.work_item) == desired.of(Kind.work_item)


def test_a_workbook_saved_by_openpyxl_reads_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desired = sample_desired(20)
    _written(tmp_path, desired)
    path = tmp_path / "tracking.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["Accounts"]
    ws.cell(3, 1, ws.cell(2, 1).value)  # a duplicate key: a warning
    wb.save(path)
    fast, general = _read_both(tmp_path, monkeypatch)
    assert fast.objects == general.objects
    assert fast.warnings == general.warnings
    assert any("appears twice" in w for w in fast.warnings)


@pytest.mark.parametrize("chunk", [97, 2000])
def test_coded_and_keyed_runs_read_as_parse_named_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(xlsx_read, "_CHUNK", chunk)
    kinds: list[str] = []
    coded_rows = xlsx_read.coded_rows

    def spy(data: bytes) -> Any:
        run = coded_rows(data)
        kinds.append(type(run).__name__)
        return run

    monkeypatch.setattr(xlsx_read, "coded_rows", spy)
    rows = _generated(5, 200)
    for r in (20, 21, 90, 150):  # a cell past column Z: these runs come keyed
        rows = rows.replace(
            f'</row><row r="{r}">', f'<c r="AB{r - 1}"><v>7</v></c></row><row r="{r}">'
        )
    assert _compare(_workbook(tmp_path / "s.xlsx", rows))
    assert "Coded" in kinds and "list" in kinds


@pytest.mark.parametrize("chunk", [97, 1 << 22])
@pytest.mark.parametrize("repeat", ["ACC-00003", " ACC-00150 "])
def test_a_key_repeated_in_a_later_row_gives_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, repeat: str
) -> None:
    monkeypatch.setattr(xlsx_read, "_CHUNK", chunk)
    rows = "".join(
        f'<row r="{r}">{_text(f"A{r}", f"ACC-{r:05d}")}{_text(f"B{r}", "n")}</row>'
        for r in range(2, 200)
    )
    rows += f'<row r="200">{_text("A200", repeat)}{_value("D200", "1")}</row>'
    assert not _compare(_workbook(tmp_path / "s.xlsx", rows))


@pytest.mark.parametrize("chunk", [97, 300, 1 << 22])
def test_runs_come_in_file_order_whatever_thread_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Pieces are checked two at a time (one on a second thread): the runs' rows, joined,
    are the sheet's rows in file order."""
    monkeypatch.setattr(xlsx_read, "_CHUNK", chunk)
    n = 300
    rows = "".join(
        f'<row r="{r}">{_text(f"A{r}", f"ACC-{r:05d}")}{_value(f"D{r}", str(r))}</row>'
        for r in range(2, n + 2)
    )
    path = _workbook(tmp_path / "s.xlsx", rows)
    with XlsxReader(path) as reader:
        runs = list(reader.typed_runs("Accounts"))
    keys = []
    for run in runs:  # coded rows (lists) or keyed ones (dicts by column letters)
        assert run is not None
        keys += [row["A"] for row in run] if isinstance(run, list) else [r[0] for r in run.rows]
    assert keys == [f"ACC-{r:05d}" for r in range(2, n + 2)]
    assert len(runs) > 2 or chunk == 1 << 22
