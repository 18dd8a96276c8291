"""Write a columnar sheet's rows into an XlsxWriter ``constant_memory`` worksheet in blocks.

XlsxWriter's per-cell API costs several microseconds a cell, so ten columns of a million
accounts would take over a minute. Here each block of rows becomes its XML in one vectorised
join (pyarrow compute) over the columns, appended as bytes to the worksheet's row stream
exactly as XlsxWriter itself would write those cells (inline strings, numbers with the column's
style); ``tests/report/test_workbook_cached.py`` and ``tests/report/test_workbook_rows.py`` pin
that equivalence. Each text column is scanned once for what needs escaping; a column given as
a dictionary array (a few distinct texts, such as tier names) is escaped once per distinct text.
Arrow's kernels let go of the interpreter lock, so the blocks after the one being written are
joined on a second core.
When the worksheet does not expose the row stream (another XlsxWriter version), the cells go
through the public API.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tierform.workbook.ordered_map import mapped_ahead
from tierform.workbook.spec import Column, column_letter

BLOCK = 65_536
UNSTORABLE = "[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"
_UNSTORABLE = re.compile(UNSTORABLE)
_ESCAPE_ESCAPE = r"(_x[0-9a-fA-F]{4}_)"  # a literal _xHHHH_ would read back as a character
_MARKUP = "[&<>]"
_EDGE_SPACE = r"^\s|\s$"  # XlsxWriter keeps such text with xml:space="preserve"
_ANY_SPECIAL = "|".join((UNSTORABLE, _MARKUP, _ESCAPE_ESCAPE, _EDGE_SPACE))
_PRESERVE = ' xml:space="preserve"'


def clean_text(text: str) -> str:
    """``text`` with the characters an .xlsx cannot store replaced by U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", text)


def count_unstorable(columns: Sequence[Column]) -> int:
    """Cells of the text columns holding a character an .xlsx cannot store."""
    total = 0
    for c in columns:
        if c.kind != "text":
            continue
        arr = _text(c.values)
        if isinstance(arr, pa.DictionaryArray):  # count the accounts of each dirty text
            dirty = np.flatnonzero(_matches(arr.dictionary, UNSTORABLE))
            if dirty.size:
                codes = pc.fill_null(arr.indices, -1).to_numpy(zero_copy_only=False)
                total += int(np.isin(codes, dirty).sum())
        else:
            total += int(pc.sum(pc.match_substring_regex(arr, UNSTORABLE)).as_py() or 0)
    return total


def _text(values: Any) -> pa.Array:
    """A text column as a string array, or a dictionary array of strings (kept as one)."""
    arr = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(values)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks else pa.array([], pa.string())
    if isinstance(arr, pa.DictionaryArray):
        if not pa.types.is_string(arr.dictionary.type):
            arr = pa.DictionaryArray.from_arrays(arr.indices, arr.dictionary.cast(pa.string()))
        return arr
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


def _matches(values: pa.Array, pattern: str) -> np.ndarray:
    return np.asarray(
        pc.match_substring_regex(values, pattern).to_numpy(zero_copy_only=False), dtype=bool
    )


def _any(values: pa.Array, pattern: str) -> bool:
    return bool(pc.any(pc.match_substring_regex(values, pattern)).as_py())


class _TextTail:
    """How one text column is escaped: which of XlsxWriter's rules its texts need, found with
    one scan of the whole column (every rule is then applied only where the column needs it)."""

    def __init__(self, values: pa.Array, style: str) -> None:
        special = _any(values, _ANY_SPECIAL)
        self.unstorable = special and _any(values, UNSTORABLE)
        self.markup = special and _any(values, _MARKUP)
        self.escape = special and _any(values, _ESCAPE_ESCAPE)
        self.edge_space = special and _any(values, _EDGE_SPACE)
        self.open = f'"{style} t="inlineStr"><is><t'

    def parts(self, values: pa.Array) -> list[Any]:
        """The join elements after a cell's row number, for ``values`` (a block or a dictionary)."""
        text = values
        if self.unstorable:
            text = pc.replace_substring_regex(text, UNSTORABLE, "\ufffd")
        if self.markup:
            text = pc.replace_substring(text, "&", "&amp;")
            text = pc.replace_substring(text, "<", "&lt;")
            text = pc.replace_substring(text, ">", "&gt;")
        if self.escape:
            text = pc.replace_substring_regex(text, _ESCAPE_ESCAPE, r"_x005F\1")
        preserve: Any = ""
        if self.edge_space:
            preserve = pc.if_else(pc.match_substring_regex(values, _EDGE_SPACE), _PRESERVE, "")
        return [self.open, preserve, ">", text, "</t></is></c>"]


class _Writer:
    """One column's cells, a block of rows at a time, as join elements."""

    def __init__(self, column: Column, col: int, style: str) -> None:
        self.head = f'<c r="{column_letter(col + 1)}'
        self.style = style
        self.values = _text(column.values) if column.kind == "text" else _numbers(column.values)
        self.tails: pa.Array | None = None  # a dictionary column: each distinct text's tail
        self.text: _TextTail | None = None
        if isinstance(self.values, pa.DictionaryArray):
            tail = _TextTail(self.values.dictionary, style)
            self.tails = _join(tail.parts(self.values.dictionary))
        elif column.kind == "text":
            self.text = _TextTail(self.values, style)

    def parts(self, start: int, stop: int, rows: pa.Array) -> list[Any]:
        """Join elements for rows ``start:stop``: the cells inline when the block has no blank,
        else one element, null where a cell is blank (the row join writes nothing there)."""
        block = self.values.slice(start, stop - start)
        if self.tails is not None:
            tail: list[Any] = [self.tails.take(block.indices)]
        elif self.text is not None:
            tail = self.text.parts(block)
        else:
            tail = [f'"{self.style}><v>', _number_text(block), "</v></c>"]
        elements = [self.head, rows, *tail]
        if not any(isinstance(e, pa.Array) and e.null_count for e in tail):
            return elements
        return [_join(elements)]


def _join(elements: Sequence[Any]) -> pa.Array:
    """Element-wise concatenation; null wherever an element is null."""
    return pc.binary_join_element_wise(*elements, "")


def write_column_rows(ws: Any, columns: Sequence[Column], formats: dict[int, Any]) -> None:
    """Rows 2.. of ``ws`` from ``columns`` (the header is already written on row 1)."""
    n = len(columns[0]) if columns else 0
    if n == 0:
        return
    if not _has_row_stream(ws) or ws.previous_row != 0:
        _write_cells(ws, columns, formats)
        return
    ws._check_dimensions(n, len(columns) - 1)
    ws._write_single_row(1)  # flush the header row; data rows follow it in the stream
    # style indices are numbered in first use: after the header's, as XlsxWriter numbers them
    styles = {col: f' s="{fmt._get_xf_index()}"' for col, fmt in formats.items() if fmt}
    writers = [_Writer(c, col, styles.get(col, "")) for col, c in enumerate(columns)]
    stream = _byte_stream(ws.fh)

    def block_xml(start: int) -> memoryview:
        stop = min(n, start + BLOCK)
        rows = pa.array(np.arange(start + 2, stop + 2, dtype=np.int64)).cast(pa.string())
        elements: list[Any] = ['<row r="', rows, '">']
        for writer in writers:
            elements += writer.parts(start, stop, rows)
        elements.append("</row>")
        xml = pc.binary_join_element_wise(
            *elements, "", null_handling="replace", null_replacement=""
        )
        return _payload(xml)

    # Arrow's kernels let go of the interpreter lock: the next blocks are joined on the other
    # core while this one is written (a writer only reads its column).
    starts = range(0, n, BLOCK)
    blocks = (
        map(block_xml, starts) if len(starts) < 2 else mapped_ahead(block_xml, starts, window=3)
    )
    for payload in blocks:
        if stream is None:
            ws.fh.write(payload.tobytes().decode("utf-8"))
        else:
            stream.write(payload)
    ws.previous_row = n + 1


def _byte_stream(fh: Any) -> Any:
    """The binary file under a UTF-8 text stream, flushed so bytes written to it follow the text
    already written (None when ``fh`` is not such a stream)."""
    buffer = getattr(fh, "buffer", None)
    encoding = str(getattr(fh, "encoding", "")).lower().replace("-", "").replace("_", "")
    if buffer is None or encoding != "utf8":
        return None
    fh.flush()
    return buffer


def _number_text(values: pa.Array) -> pa.Array:
    """Numbers as text: integers without a decimal point, others in shortest round-trip form."""
    finite = pc.and_(pc.is_finite(values), pc.is_valid(values))
    values = pc.if_else(finite, values, None)
    return pc.cast(values, pa.string())


def _payload(xml: pa.Array) -> memoryview:
    """The UTF-8 bytes of the strings of ``xml`` joined, straight from its data buffer."""
    if isinstance(xml, pa.ChunkedArray):
        xml = xml.combine_chunks()
    width = np.int64 if pa.types.is_large_string(xml.type) else np.int32
    offsets = np.frombuffer(xml.buffers()[1], dtype=width)[xml.offset : xml.offset + len(xml) + 1]
    data = xml.buffers()[2]
    if data is None:
        return memoryview(b"")
    return memoryview(data)[int(offsets[0]) : int(offsets[-1])]


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
