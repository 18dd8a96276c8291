"""Draw a :class:`WorkbookSpec` as a local .xlsx with XlsxWriter, streaming and with results.

Why XlsxWriter: every formula cell also stores the value tierform computed for it
(``Formula.value``), so a previewer, pandas or ``openpyxl data_only=True`` shows the figures
before any recalculation; and in ``constant_memory`` mode each row goes to disk as it is written,
so a million-account sheet never exists as cell objects. Sheets built from columns
(:class:`~tierform.workbook.spec.ColumnRows`) are written a block of rows at a time from the
columns (:mod:`tierform.workbook.xlsxwriter_rows`), and the file is packed by
:class:`~tierform.workbook.xlsxwriter_book.FastWorkbook` (a fast deflate level, the streamed rows
spliced into the zip as bytes, temporary files in a scratch folder removed however the write
ends).

User text is only ever written with ``write_string``: text such as ``=HYPERLINK(...)`` stays text.
Characters an .xlsx cannot store (control characters other than tab, newline and carriage
return) are replaced by U+FFFD, and a note on the sheet's first header cell says how many cells
were changed.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tierform.workbook.spec import (
    Bool,
    Cell,
    ColumnRows,
    Date,
    Formula,
    Number,
    SheetSpec,
    Text,
    Validation,
    WorkbookSpec,
)
from tierform.workbook.xlsx import MAX_ROWS, SheetTooLarge, WorkbookLocked, check_writable
from tierform.workbook.xlsxwriter_rows import clean_text, count_unstorable, write_column_rows

DATE_FORMAT = "yyyy-mm-dd"


@dataclass
class DrawNotes:
    """What drawing changed: cells whose unstorable characters were replaced, per sheet."""

    replaced: dict[str, int] = field(default_factory=dict)

    def messages(self) -> list[str]:
        return [
            f"{title}: {n:,} cell(s) held control characters an .xlsx cannot store; "
            "each was replaced by U+FFFD"
            for title, n in self.replaced.items()
        ]


def write_xlsx(spec: WorkbookSpec, path: str | Path) -> DrawNotes:
    """Write a fresh workbook holding exactly the spec's sheets, atomically (temp + replace)."""
    from xlsxwriter.exceptions import FileCreateError

    from tierform.workbook.xlsxwriter_book import store_failure, streamed_workbook

    path = Path(path)
    for sheet in spec.sheets:
        if len(sheet.rows) + 1 > MAX_ROWS:
            raise SheetTooLarge(
                f"sheet {sheet.title!r} needs {len(sheet.rows) + 1:,} rows but an .xlsx "
                f"worksheet holds {MAX_ROWS:,}: split the book (one run per region, say)"
            )
    check_writable(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".xlsx", dir=path.parent)
    os.close(fd)
    notes = DrawNotes()
    try:
        with streamed_workbook(tmp, path) as wb:
            styles = _Styles(wb)
            for sheet in spec.sheets:
                replaced = _draw_sheet(wb, sheet, styles)
                if replaced:
                    notes.replaced[sheet.title] = replaced
            try:
                wb.close()
            except FileCreateError as exc:
                raise WorkbookLocked(f"cannot write {path}: {store_failure(exc)}") from None
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, _new_file_mode())
        os.replace(tmp, path)
    except PermissionError:
        raise WorkbookLocked(
            f"cannot write {path}: it is open in another program or read-only; close it and retry"
        ) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return notes


def _new_file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


class _Styles:
    """One XlsxWriter format per distinct style (formats are workbook-wide)."""

    def __init__(self, wb: Any) -> None:
        self.wb = wb
        self.bold = wb.add_format({"bold": True})
        self.cache: dict[str, Any] = {}

    def number(self, fmt: str | None) -> Any:
        if fmt is None:
            return None
        if fmt not in self.cache:
            self.cache[fmt] = self.wb.add_format({"num_format": fmt})
        return self.cache[fmt]


def _draw_sheet(wb: Any, sheet: SheetSpec, styles: _Styles) -> int:
    ws = wb.add_worksheet(sheet.title)
    ncols = max(len(sheet.header), 1)
    for col, width in sheet.widths.items():
        ws.set_column(col - 1, col - 1, width)
    replaced = (
        count_unstorable(sheet.rows.columns)
        if isinstance(sheet.rows, ColumnRows)
        else sum(1 for row in sheet.rows for c in row if isinstance(c, Text) and _dirty(c.value))
    )
    replaced += sum(1 for h in sheet.header if _dirty(h))
    if replaced:
        ws.write_comment(
            0,
            0,
            f"{replaced:,} cell(s) on this sheet held control characters an .xlsx cannot store; "
            "each was replaced by U+FFFD.",
        )
    ws.freeze_panes(1, 0)
    if sheet.filter_rows is not None:
        ws.autofilter(0, 0, sheet.filter_rows, ncols - 1)
    for v in sheet.validations:
        _validate(ws, v)
    for col, head in enumerate(sheet.header):
        ws.write_string(0, col, clean_text(head), styles.bold)
    formats = {col - 1: styles.number(fmt) for col, fmt in sheet.number_formats.items()}
    if isinstance(sheet.rows, ColumnRows):
        write_column_rows(ws, sheet.rows.columns, formats)
        return replaced
    for r, row in enumerate(sheet.rows, start=1):
        for col, value in enumerate(row):
            _write(ws, r, col, value, formats.get(col), styles)
    return replaced


def _dirty(text: str) -> bool:
    return clean_text(text) != text


def _write(ws: Any, row: int, col: int, value: Cell, fmt: Any, styles: _Styles) -> None:
    if value is None:
        return
    if isinstance(value, Text):
        ws.write_string(row, col, clean_text(value.value))
    elif isinstance(value, Bool):
        ws.write_boolean(row, col, value.value)
    elif isinstance(value, Number):
        number = float(value.value)
        if not math.isfinite(number):
            return
        ws.write_number(row, col, value.value, fmt)
    elif isinstance(value, Date):
        d = value.value
        ws.write_datetime(row, col, dt.datetime(d.year, d.month, d.day), styles.number(DATE_FORMAT))
    elif isinstance(value, Formula):
        ws.write_formula(row, col, value.expression, fmt, cached(value.value))
    else:
        raise TypeError(f"not a cell: {value!r}")


def cached(value: Any) -> Any:
    """A formula's stored result as XlsxWriter takes it (blank for none or not a number)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value if math.isfinite(value) else ""
    if hasattr(value, "item"):  # a numpy scalar
        return cached(value.item())
    return clean_text(str(value))


def _validate(ws: Any, v: Validation) -> None:
    options: dict[str, Any]
    if v.kind == "list":
        options = {"validate": "list", "source": v.source}
    elif v.kind == "between":
        options = {
            "validate": "decimal",
            "criteria": "between",
            "minimum": v.low,
            "maximum": v.high,
        }
    else:
        options = {"validate": "decimal", "criteria": ">=", "value": v.low}
    if v.message:
        options |= {"error_title": "Out of range", "error_message": v.message[:255]}
    ws.data_validation(v.first_row - 1, v.col - 1, v.last_row - 1, v.col - 1, options)
