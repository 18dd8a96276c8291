"""The first apply to a tracking workbook that does not exist yet, written by a streaming writer.

A new file holds nothing of the user's, so every managed sheet is written row by row with
XlsxWriter (``constant_memory``: a row goes to disk as it is written; through
:class:`~tierform.workbook.xlsxwriter_book.FastWorkbook`, deflated at level 2 with the rows
spliced into the zip as bytes, as the report's workbook is) instead of being built as openpyxl
cell objects first: a million accounts take a fraction of the time and memory. The
result is the workbook the in-place path would have produced: the same sheets in the same
order, headers in bold with the first row frozen, typed cells (user text only ever through
``write_string``, so it never becomes a formula), real dates, and the ownership marker. The save
is atomic like every other (temp file in the same folder, then ``os.replace``).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import warnings
from collections.abc import Sequence
from itertools import repeat
from operator import attrgetter
from pathlib import Path
from typing import Any

import pyarrow as pa

from tierform.adapters.tabular import ColType, Table, row_cells
from tierform.adapters.xlsx.marker import marker_json
from tierform.errors import AdapterError
from tierform.sync.change import Change, Op
from tierform.sync.state import State, stable_json
from tierform.workbook.spec import Bool, Column, Date, Number, Text
from tierform.workbook.xlsx import (
    MARKER_PROPERTY,
    MAX_ROWS,
    TEMP_MARK,
    check_writable,
    clean_stale_temps,
)
from tierform.workbook.xlsx_read import EXCEL_EPOCH
from tierform.workbook.xlsxwriter_rows import clean_text, write_column_rows

DATE_FORMAT = "yyyy-mm-dd"
_OP = attrgetter("op")
DICTIONARY_FROM = 1_000  # rows: below this a dictionary saves nothing worth its encoding


def can_write_fresh(path: Path, changes: Sequence[Change]) -> bool:
    """Only a workbook that does not exist yet, and only creations (nothing to edit)."""
    return not path.exists() and set(map(_OP, changes)) <= {Op.create}


def write_fresh(
    path: Path, tables: Sequence[Table], changes: Sequence[Change], desired: State
) -> dict[str, Table]:
    """Write ``tables`` (sheet order) holding the objects ``changes`` create; the managed
    tables by key, for the marker."""
    # XlsxWriter: only when writing
    from xlsxwriter.exceptions import FileCreateError

    from tierform.workbook.xlsxwriter_book import store_failure, streamed_workbook

    by_kind: dict[Any, list[Change]] = {}
    for change in changes:
        by_kind.setdefault(change.kind, []).append(change)
    for table in tables:
        count = sum(len(by_kind.get(k, [])) for k in table.kinds)
        if count + 1 > MAX_ROWS:
            raise AdapterError(
                f"sheet {table.title!r} needs {count + 1:,} rows but an .xlsx worksheet holds "
                f"{MAX_ROWS:,}: split the book (one target per region, say)"
            )
    check_writable(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temps(path)
    prefix = f".{path.name}{TEMP_MARK}{os.getpid()}-"
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".xlsx", dir=path.parent)
    os.close(fd)
    managed = {t.key: t for t in tables}
    try:
        with streamed_workbook(tmp, path, nan_inf_to_errors=True) as wb:
            bold = wb.add_format({"bold": True})
            day = wb.add_format({"num_format": DATE_FORMAT})
            for table in tables:
                rows = [c for k in table.kinds for c in by_kind.get(k, [])]
                _write_table(wb.add_worksheet(table.title), table, rows, desired, bold, day)
            with warnings.catch_warnings():
                # Excel's 255-character advice for text properties; the marker is longer and
                # is read back by tierform only (the in-place path writes it the same way).
                warnings.simplefilter("ignore")
                wb.set_custom_property(MARKER_PROPERTY, marker_json(managed))
            wb.close()
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, _new_file_mode())
        os.replace(tmp, path)
    except FileCreateError as exc:  # the store failed (a full disk, say)
        raise AdapterError(f"cannot write {path}: {store_failure(exc)}") from None
    except OSError as exc:
        raise AdapterError(
            f"cannot write {path}: it is open in another program or read-only "
            f"({exc.strerror or exc}); close it and retry"
        ) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return managed


def _write_table(
    ws: Any, table: Table, changes: Sequence[Change], desired: State, bold: Any, day: Any
) -> None:
    for col, name in enumerate(table.headers):
        ws.write_string(0, col, clean_text(name), bold)
    ws.freeze_panes(1, 0)
    if not changes:
        return
    columns = _columns(table, changes, desired)
    if columns is not None:
        write_column_rows(
            ws, [c for c, _ in columns], {i: day for i, (_, d) in enumerate(columns) if d}
        )
        return
    write_string, write_number = ws.write_string, ws.write_number
    for r, change in enumerate(changes, start=1):
        label = desired.label(change.kind, change.key) or change.label
        cells = row_cells(table, change.kind, change.key, label, change.data or {})
        for col, cell in enumerate(cells):
            if cell is None:
                continue
            if isinstance(cell, Text):
                write_string(r, col, clean_text(cell.value))
            elif isinstance(cell, Number):
                write_number(r, col, cell.value)
            elif isinstance(cell, Date):
                ws.write_datetime(r, col, cell.value, day)
            elif isinstance(cell, Bool):
                ws.write_boolean(r, col, cell.value)
            else:
                raise TypeError(f"not a tracking-sheet cell: {cell!r}")


def _columns(
    table: Table, changes: Sequence[Change], desired: State
) -> list[tuple[Column, bool]] | None:
    """The table's cells as (column, holds dates) when every column is all text or all numbers
    or all dates, as :func:`~tierform.adapters.tabular.row_cells` would type them; else None
    (the caller writes cell by cell)."""
    out: list[tuple[Column, bool]] = []
    if table.kind_header:
        out.append((_text_column([c.kind.value for c in changes]), False))
    out.append((Column("text", [c.key for c in changes]), False))
    if table.label_header:
        by_kind = {k: desired.labels.get(k, {}) for k in table.kinds}
        labels = [by_kind[c.kind].get(c.key) or c.label for c in changes]
        out.append((Column("text", [str(v) if v else None for v in labels]), False))
    rows = [c.data or {} for c in changes]
    for column in table.columns:
        values = list(map(dict.get, rows, repeat(column.field)))
        typed = _typed(values, column.type)
        if typed is None:
            return None
        out.append(typed)
    return out


def _typed(values: list[Any], type_: ColType) -> tuple[Column, bool] | None:
    """One column's values the way ``to_cell`` types them, or None when they mix types."""
    if type_ == "json":
        return Column("text", [None if v is None else stable_json(v) for v in values]), False
    kinds = set(map(type, values)) - {type(None)}
    if type_ == "date" and kinds <= {str}:
        serials: list[int | None] = []
        for v in values:
            day = None if v is None else _iso(v)
            if v is not None and day is None:
                return None  # not a date: to_cell keeps it as text
            serials.append(None if day is None else (day - EXCEL_EPOCH).days)
        return Column("number", serials), True
    if type_ == "date":
        return None
    if kinds <= {str}:
        return _text_column(values), False
    if kinds <= {int, float}:
        return Column("number", values), False
    return None


def _text_column(values: list[str | None]) -> Column:
    """A text column; one of few distinct texts (tiers, bands, owners) as a dictionary array,
    so the writer escapes and joins each distinct text once rather than once a row."""
    arr = pa.array(values, pa.string())
    if len(arr) < DICTIONARY_FROM:
        return Column("text", arr)
    coded = arr.dictionary_encode()
    return Column("text", coded if len(coded.dictionary) * 4 <= len(arr) else arr)


def _iso(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def _new_file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask
