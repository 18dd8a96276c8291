"""The per-account sheet as the fast writer writes it: the same XML as the previous block writer
(kept below as a reference), the same cells as XlsxWriter's own per-cell API, the values the
engine computed for each account, and a zip any reader opens."""

from __future__ import annotations

import math
import threading
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import xlsxwriter.workbook
from openpyxl import load_workbook

import tierform.workbook.xlsxwriter_book as book_module
import tierform.workbook.xlsxwriter_rows as rows_module
import tierform.workbook.xlsxwriter_sink as sink_module
from tierform.core.book import read_book
from tierform.core.loader import default_model, load_model
from tierform.report import gather
from tierform.report.results import ReportData
from tierform.report.workbook import build_workbook
from tierform.workbook.spec import Column, ColumnRows, SheetSpec, WorkbookSpec, column_letter
from tierform.workbook.xlsx import WorkbookLocked
from tierform.workbook.xlsxwriter_book import LEVEL
from tierform.workbook.xlsxwriter_sink import write_xlsx

from .conftest import AS_OF, ExampleRun

# --- the previous block writer, kept as the reference the fast one must equal ------------------

UNSTORABLE = rows_module.UNSTORABLE
ESCAPE = r"(_x[0-9a-fA-F]{4}_)"


def _ref_text(values: Any) -> pa.Array:
    arr = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(values)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks else pa.array([], pa.string())
    return arr if pa.types.is_string(arr.type) else arr.cast(pa.string())


def _ref_numbers(values: Any) -> pa.Array:
    if isinstance(values, pa.ChunkedArray | pa.Array):
        arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
        return arr.cast(pa.float64())
    data = np.asarray(
        values
        if isinstance(values, np.ndarray)
        else [np.nan if v is None else float(v) for v in values],
        dtype=np.float64,
    )
    return pa.array(data, mask=~np.isfinite(data))


def _ref_any(values: pa.Array, pattern: str) -> bool:
    return bool(pc.any(pc.match_substring_regex(values, pattern)).as_py())


def _ref_cells(kind: str, values: pa.Array, rows: pa.Array, letter: str, style: str) -> pa.Array:
    if kind == "text":
        text = values
        if _ref_any(values, UNSTORABLE):
            text = pc.replace_substring_regex(text, UNSTORABLE, "\ufffd")
        if _ref_any(values, "[&<>]"):
            text = pc.replace_substring(text, "&", "&amp;")
            text = pc.replace_substring(text, "<", "&lt;")
            text = pc.replace_substring(text, ">", "&gt;")
        if _ref_any(values, ESCAPE):
            text = pc.replace_substring_regex(text, ESCAPE, r"_x005F\1")
        preserve: Any = ""
        if _ref_any(values, r"^\s|\s$"):
            preserve = pc.if_else(
                pc.match_substring_regex(values, r"^\s|\s$"), ' xml:space="preserve"', ""
            )
        out = pc.binary_join_element_wise(
            f'<c r="{letter}',
            rows,
            f'"{style} t="inlineStr"><is><t',
            preserve,
            ">",
            text,
            "</t></is></c>",
            "",
        )
    else:
        finite = pc.and_(pc.is_finite(values), pc.is_valid(values))
        number = pc.cast(pc.if_else(finite, values, None), pa.string())
        out = pc.binary_join_element_wise(
            f'<c r="{letter}', rows, f'"{style}><v>', number, "</v></c>", ""
        )
    return pc.fill_null(out, "")


def reference_rows(ws: Any, columns: list[Column], formats: dict[int, Any]) -> None:
    """The block writer as it was: every column's cells joined, then each row's cells."""
    n = len(columns[0]) if columns else 0
    if n == 0:
        return
    prepared = [
        (c.kind, _ref_text(c.values) if c.kind == "text" else _ref_numbers(c.values))
        for c in columns
    ]
    ws._check_dimensions(n, len(columns) - 1)
    ws._write_single_row(1)
    styles = {col: f' s="{fmt._get_xf_index()}"' for col, fmt in formats.items() if fmt}
    for start in range(0, n, rows_module.BLOCK):
        stop = min(n, start + rows_module.BLOCK)
        rows = pa.array(np.arange(start + 2, stop + 2, dtype=np.int64)).cast(pa.string())
        cells = [
            _ref_cells(
                kind,
                values.slice(start, stop - start),
                rows,
                column_letter(col + 1),
                styles.get(col, ""),
            )
            for col, (kind, values) in enumerate(prepared)
        ]
        xml = pc.binary_join_element_wise('<row r="', rows, '">', *cells, "</row>", "")
        ws.fh.write("".join(xml.to_pylist()))
    ws.previous_row = n + 1


# --- helpers ------------------------------------------------------------------------------------


def _sheets_xml(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/")}


def _write_both(spec: WorkbookSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple:
    fast = tmp_path / "fast.xlsx"
    write_xlsx(spec, fast)
    with monkeypatch.context() as m:
        m.setattr(sink_module, "write_column_rows", reference_rows)
        ref = tmp_path / "reference.xlsx"
        write_xlsx(spec, ref)
    return fast, ref


AWKWARD = [
    "plain",
    None,
    "",
    " lead",
    "trail ",
    "Bell\x07 & <Co>",
    "x_x0041_y",
    '=HYPERLINK("http://x")',
    "tab\tinside",
    "ünïcødé ✓",
    "a & b",
]


def _awkward_columns(n: int) -> list[Column]:
    rng = np.random.default_rng(5)
    pick = rng.integers(0, len(AWKWARD), n)
    texts = [AWKWARD[k] for k in pick.tolist()]
    index = rng.integers(-1, 4, n)
    numbers = rng.normal(50_000, 30_000, n)
    numbers[rng.random(n) < 0.1] = np.nan
    numbers[::17] = np.round(numbers[::17])
    return [
        Column("text", texts),
        Column("number", numbers),
        Column(
            "text",
            pa.DictionaryArray.from_arrays(
                pa.array(index.astype(np.int32), mask=index < 0),
                pa.array(["Enterprise", "Mid & <Market>", " SMB", "x_x0020_"]),
            ),
        ),
        Column("text", pc.dictionary_encode(pa.array(texts, pa.string()))),
        Column("number", [None if k % 5 == 0 else k * 0.1 for k in range(n)]),
        Column("text", [f"id-{k}" for k in range(n)]),
    ]


# --- the writer ---------------------------------------------------------------------------------


@pytest.mark.parametrize("block", [4, 7, 65_536])
def test_fast_rows_equal_the_previous_writer_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    monkeypatch.setattr(rows_module, "BLOCK", block)
    sheet = SheetSpec(
        "s",
        "S",
        ["Text", "Number", "Tier", "Coded", "Tenths", "Id"],
        rows=ColumnRows(_awkward_columns(60)),
        number_formats={2: "#,##0", 5: "0.00"},
    )
    fast, ref = _write_both(WorkbookSpec([sheet]), tmp_path, monkeypatch)
    assert _sheets_xml(fast) == _sheets_xml(ref)


def test_blocks_are_joined_on_the_map_threads_and_written_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each block's XML is made on a worker thread (``mapped_ahead``, tested on its own for
    errors and early stops); the sheet still equals the one-thread reference."""
    monkeypatch.setattr(rows_module, "BLOCK", 4)
    made: list[str] = []
    real = rows_module._payload

    def noted(xml: Any) -> memoryview:
        made.append(threading.current_thread().name)
        return real(xml)

    monkeypatch.setattr(rows_module, "_payload", noted)
    sheet = SheetSpec(
        "s", "S", ["A", "B", "C", "D", "E", "F"], rows=ColumnRows(_awkward_columns(60))
    )
    fast, ref = _write_both(WorkbookSpec([sheet]), tmp_path, monkeypatch)
    assert _sheets_xml(fast) == _sheets_xml(ref)
    assert len(made) >= 15 and all(name.startswith("tierform-map") for name in made[:15])


def test_report_workbook_equals_the_previous_writer(
    hostile_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rows_module, "BLOCK", 32)  # several blocks on a 150-account book
    model = default_model()
    book = read_book(hostile_csv, model.accounts)
    spec = build_workbook(gather(model, book, as_of=AS_OF))
    fast, ref = _write_both(spec, tmp_path, monkeypatch)
    assert _sheets_xml(fast) == _sheets_xml(ref)


def test_fast_rows_hold_the_cells_xlsxwriter_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cell by cell against XlsxWriter's own ``write_string``/``write_number``."""
    monkeypatch.setattr(rows_module, "BLOCK", 16)
    sheet = SheetSpec(
        "s", "S", ["A", "B", "C", "D", "E", "F"], rows=ColumnRows(_awkward_columns(50))
    )
    fast = tmp_path / "fast.xlsx"
    write_xlsx(WorkbookSpec([sheet]), fast)
    monkeypatch.setattr(rows_module, "_has_row_stream", lambda ws: False)
    slow = tmp_path / "slow.xlsx"
    write_xlsx(WorkbookSpec([sheet]), slow)
    a = [list(r) for r in load_workbook(fast).active.iter_rows(values_only=True)]
    b = [list(r) for r in load_workbook(slow).active.iter_rows(values_only=True)]
    assert len(a) == len(b) == 51
    for row_a, row_b in zip(a, b, strict=True):
        for x, y in zip(row_a, row_b, strict=True):
            if isinstance(x, float) and isinstance(y, float):
                assert x == pytest.approx(y, rel=1e-15)  # XlsxWriter keeps 16 digits
            else:
                assert x == y


def test_unstorable_text_in_a_dictionary_column_is_counted_per_cell(tmp_path: Path) -> None:
    index = np.array([0, 1, 1, -1, 1, 0], dtype=np.int32)
    coded = pa.DictionaryArray.from_arrays(
        pa.array(index, mask=index < 0), pa.array(["ok", "bad\x01"])
    )
    sheet = SheetSpec("s", "S", ["T"], rows=ColumnRows([Column("text", coded)]))
    notes = write_xlsx(WorkbookSpec([sheet]), tmp_path / "w.xlsx")
    assert notes.replaced == {"S": 3}
    values = [r[0] for r in load_workbook(tmp_path / "w.xlsx").active.iter_rows(values_only=True)]
    assert values == ["T", "ok", "bad\ufffd", "bad\ufffd", None, "bad\ufffd", "ok"]


# --- the zip ------------------------------------------------------------------------------------


def test_the_workbook_is_deflated_at_the_fast_level_and_xlsxwriter_is_left_as_it_was(
    example_run: ExampleRun,
) -> None:
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile
    with zipfile.ZipFile(example_run.workbook) as zf:
        info = zf.getinfo("xl/worksheets/sheet5.xml")
        data = zf.read(info)
    assert info.compress_type == zipfile.ZIP_DEFLATED
    deflate = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    assert info.compress_size == len(deflate.compress(data) + deflate.flush())
    assert load_workbook(example_run.workbook)["Assignments"]["A1"].value == "Account ID"


# --- the values ---------------------------------------------------------------------------------


def _expected_rows(data: ReportData) -> list[list[Any]]:
    """Each account's row from the engine's per-account records (a second, plain path)."""
    book, seg = data.book, data.seg
    records = seg.assignments()
    names = book.text("name")
    owners = book.text("owner")
    acv = book.acv.tolist()
    proxied = book.acv_proxied.tolist()
    proposed = list(data.books.owner) if data.books is not None else [None] * len(book)
    rows = []
    for k, rec in enumerate(records):
        source = "" if math.isnan(acv[k]) else "product-tier proxy" if proxied[k] else "export"
        row = [
            rec["account_id"],
            names[k] or "",
            rec["tier"],
            None if math.isnan(acv[k]) else acv[k],
            source or None,  # openpyxl reads an empty inline string as None
            rec["reason"],
            owners[k],
            proposed[k],
        ]
        if data.health is not None:
            score = float(data.health.score[k])
            row += [None if math.isnan(score) else score, data.health.band[k]]
        rows.append(row)
    return rows


def test_assignments_hold_each_accounts_engine_values(
    example_run: ExampleRun, hostile_csv: Path, tmp_path: Path
) -> None:
    model = load_model(example_run.folder / "tierform.yaml")
    for csv, key in ((example_run.folder / "accounts.csv", "example"), (hostile_csv, "hostile")):
        if key == "hostile":
            model = default_model()
        data = gather(model, read_book(csv, model.accounts), as_of=AS_OF)
        path = tmp_path / f"{key}.xlsx"
        write_xlsx(build_workbook(data), path)
        got = [
            [None if v == "" else v for v in r]
            for r in load_workbook(path)["Assignments"].iter_rows(min_row=2, values_only=True)
        ]
        want = [[None if v == "" else v for v in r] for r in _expected_rows(data)]
        assert len(got) == len(want) == len(data.book)
        for g, w in zip(got, want, strict=True):
            assert g == w, (g, w)


def test_the_fast_workbook_holds_the_parts_xlsxwriter_writes(
    hostile_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every part of the file, byte for byte, as XlsxWriter's own Workbook and Worksheet write
    it (only the deflate level differs)."""
    model = default_model()
    spec = build_workbook(gather(model, read_book(hostile_csv, model.accounts), as_of=AS_OF))
    fast = tmp_path / "fast.xlsx"
    write_xlsx(spec, fast)
    sizes = _same_parts_as_xlsxwriter(spec, fast, tmp_path, monkeypatch)
    with zipfile.ZipFile(fast) as a:
        assert any(i.compress_size != sizes[i.filename] for i in a.infolist())


def _same_parts_as_xlsxwriter(
    spec: WorkbookSpec, fast: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, int]:
    """Assert that ``fast`` (``spec`` written by tierform) holds every part plain XlsxWriter
    writes for ``spec``, byte for byte; plain XlsxWriter's compressed size of each part."""
    monkeypatch.setattr(book_module, "FastWorkbook", xlsxwriter.Workbook)
    plain = tmp_path / "plain.xlsx"
    write_xlsx(spec, plain)
    with zipfile.ZipFile(fast) as a, zipfile.ZipFile(plain) as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            if name != "docProps/core.xml":  # holds the time of writing
                assert a.read(name) == b.read(name), name
        return {i.filename: i.compress_size for i in b.infolist()}


def _column_spec(rows: int) -> WorkbookSpec:
    """A two-sheet workbook whose second sheet is written from columns (its rows streamed)."""
    columns = ColumnRows(
        [
            Column("text", pa.array([f"A-{i}" for i in range(rows)])),
            Column("number", pa.array([float(i) * 1.5 for i in range(rows)])),
        ]
    )
    small = SheetSpec("notes", "Notes", ["Note"])
    small.add("first sheet")
    accounts = SheetSpec("accounts", "Accounts", ["Account ID", "ACV"], rows=columns)
    return WorkbookSpec([small, accounts])


def test_streamed_rows_are_spliced_into_their_part_and_leave_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows go from their own file straight into the zip entry, between the part's head and
    tail, with every part as plain XlsxWriter writes it and no temporary file left behind."""
    spliced: list[str] = []
    real = book_module._copy

    def spy(source: Any, target: Any, size: int) -> None:
        spliced.append(getattr(source, "name", ""))
        real(source, target, size)

    monkeypatch.setattr(book_module, "_copy", spy)
    spec = _column_spec(5000)
    fast = tmp_path / "fast" / "book.xlsx"
    write_xlsx(spec, fast)
    assert len(spliced) == 2  # both sheets stream their rows (constant_memory)
    assert sorted(p.name for p in fast.parent.iterdir()) == ["book.xlsx"]
    _same_parts_as_xlsxwriter(spec, fast, tmp_path, monkeypatch)
    book = load_workbook(fast, read_only=True)
    rows = list(book["Accounts"].iter_rows(values_only=True))
    book.close()
    assert rows[0] == ("Account ID", "ACV")
    assert rows[1:] == [(f"A-{i}", float(i) * 1.5) for i in range(5000)]


def test_a_store_that_fails_while_splicing_leaves_the_folder_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No workbook, no streamed rows, and none of XlsxWriter's parts (it leaves them behind
    when its store fails) stay in the output folder."""

    def broken(source: Any, target: Any, size: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(book_module, "_copy", broken)
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "mine.txt").write_text("the user's", encoding="utf-8")
    with pytest.raises(WorkbookLocked, match="disk full"):  # XlsxWriter's FileCreateError
        write_xlsx(_column_spec(100), folder / "book.xlsx")
    assert [p.name for p in folder.iterdir()] == ["mine.txt"]
