"""Write a columnar sheet's rows into an XlsxWriter ``constant_memory`` worksheet in blocks.

XlsxWriter's per-cell API costs several microseconds a cell, so ten columns of a million
accounts would take over a minute. Here each column becomes its cells' XML in one vectorised
pass (pyarrow compute), a block of rows at a time, appended to the worksheet's row stream
exactly as XlsxWriter itself would write those cells (inline strings, numbers with the column's
style); ``tests/report/test_workbook_rows.py`` pins that equivalence. When the worksheet does not
expose the row stream (another XlsxWriter version), the cells go through the public API.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tierform.workbook.spec import Column, column_letter

BLOCK = 65_536
UNSTORABLE = "[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"
_UNSTORABLE = re.compile(UNSTORABLE)
_ESCAPE_ESCAPE = r"(_x[0-9a-fA-F]{4}_)"  # a literal _xHHHH_ would read back as a character


def clean_text(text: str) -> str:
    """``text`` with the characters an .xlsx cannot store replaced by U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", text)


def count_unstorable(columns: Sequence[Column]) -> int:
    """Cells of the text columns holding a character an .xlsx cannot store."""
    total = 0
    for c in columns:
        if c.kind == "text":
            found = pc.match_substring_regex(_text(c.values), UNSTORABLE)
            total += int(pc.sum(found).as_py() or 0)
    return total


def _text(values: Any) -> pa.Array:
    arr = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(values)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks else pa.array([], pa.string())
    if not pa.types.is_string(arr.type):
        arr = arr.cast(pa.string())
    return arr


def _numbers(values: Any) -> pa.Array:
    if isinstance(values, pa.ChunkedArray | pa.Array):
        arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
        return arr.cast(pa.float64())
    data = np.asarray(
        [np.nan if v is None else float(v) for v in values]
        if not isinstance(values, np.ndarray)
        else values,
        dtype=np.float64,
    )
    return pa.array(data, mask=~np.isfinite(data))


def _has_row_stream(ws: Any) -> bool:
    return bool(getattr(ws, "constant_memory", False)) and all(
        hasattr(ws, name) for name in ("row_data_fh", "fh", "_write_single_row", "previous_row")
    )


def write_column_rows(ws: Any, columns: Sequence[Column], formats: dict[int, Any]) -> None:
    """Rows 2.. of ``ws`` from ``columns`` (the header is already written on row 1)."""
    n = len(columns[0]) if columns else 0
    if n == 0:
        return
    if not _has_row_stream(ws) or ws.previous_row != 0:
        _write_cells(ws, columns, formats)
        return
    prepared = [
        (c.kind, _text(c.values) if c.kind == "text" else _numbers(c.values)) for c in columns
    ]
    ws._check_dimensions(n, len(columns) - 1)
    ws._write_single_row(1)  # flush the header row; data rows follow it in the stream
    styles = {col: f' s="{fmt._get_xf_index()}"' for col, fmt in formats.items() if fmt}
    for start in range(0, n, BLOCK):
        stop = min(n, start + BLOCK)
        rows = pa.array(np.arange(start + 2, stop + 2, dtype=np.int64)).cast(pa.string())
        cells = [
            _cells(
                kind,
                values.slice(start, stop - start),
                rows,
                column_letter(col + 1),
                styles.get(col, ""),
            )
            for col, (kind, values) in enumerate(prepared)
        ]
        xml = pc.binary_join_element_wise('<row r="', rows, '">', *cells, "</row>", "")
        ws.fh.write(_concat(xml))
    ws.previous_row = n + 1


def _cells(kind: str, values: pa.Array, rows: pa.Array, letter: str, style: str) -> pa.Array:
    """Each value's ``<c>`` element ("" for a blank), as XlsxWriter writes it."""
    if kind == "text":
        text = values
        if _any(values, UNSTORABLE):
            text = pc.replace_substring_regex(text, UNSTORABLE, "\ufffd")
        if _any(values, "[&<>]"):
            text = pc.replace_substring(text, "&", "&amp;")
            text = pc.replace_substring(text, "<", "&lt;")
            text = pc.replace_substring(text, ">", "&gt;")
        if _any(values, _ESCAPE_ESCAPE):
            text = pc.replace_substring_regex(text, _ESCAPE_ESCAPE, r"_x005F\1")
        preserve: Any = ""
        if _any(values, r"^\s|\s$"):
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
        out = pc.binary_join_element_wise(
            f'<c r="{letter}', rows, f'"{style}><v>', _number_text(values), "</v></c>", ""
        )
    return pc.fill_null(out, "")


def _any(values: pa.Array, pattern: str) -> bool:
    return bool(pc.any(pc.match_substring_regex(values, pattern)).as_py())


def _number_text(values: pa.Array) -> pa.Array:
    """Numbers as text: integers without a decimal point, others in shortest round-trip form."""
    finite = pc.and_(pc.is_finite(values), pc.is_valid(values))
    values = pc.if_else(finite, values, None)
    return pc.cast(values, pa.string())


def _concat(xml: pa.Array) -> str:
    """The strings of ``xml`` joined (straight from its data buffer)."""
    arr = xml.cast(pa.large_string()) if not isinstance(xml, pa.ChunkedArray) else xml
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks().cast(pa.large_string())
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[
        arr.offset : arr.offset + len(arr) + 1
    ]
    data = arr.buffers()[2]
    if data is None:
        return ""
    return memoryview(data)[int(offsets[0]) : int(offsets[-1])].tobytes().decode("utf-8")


def _write_cells(ws: Any, columns: Sequence[Column], formats: dict[int, Any]) -> None:
    """The public-API fallback: one ``write_string``/``write_number`` per cell."""
    lists = [
        (
            c.kind,
            _text(c.values).to_pylist() if c.kind == "text" else _numbers(c.values).to_pylist(),
        )
        for c in columns
    ]
    for k in range(len(columns[0])):
        for col, (kind, values) in enumerate(lists):
            v = values[k]
            if v is None:
                continue
            if kind == "text":
                ws.write_string(k + 1, col, re.sub(UNSTORABLE, "\ufffd", v))
            elif math.isfinite(v):
                ws.write_number(k + 1, col, v, formats.get(col))
