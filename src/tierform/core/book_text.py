"""Text cells every writer can store: control characters that a workbook (XML) cannot hold are
replaced at read time, once, so the report, the workbook and every target are safe downstream.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from tierform.core import arrow_compute as pc
from tierform.core.arrays import true_mask, validity_mask
from tierform.errors import Issue

# What XML 1.0 (so xlsx) cannot hold: C0 controls other than tab, newline and carriage return,
# and the non-characters U+FFFE and U+FFFF.
_ILLEGAL = "[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"
REPLACEMENT = "\ufffd"
MAX_LISTED = 20


def _may_hold_illegal(col: pa.ChunkedArray) -> bool:
    """A byte scan of the column's buffers: the exact regex runs only where this says maybe.

    Cheap passes rule most text out: no byte below 0x20 (tab, newline and carriage return
    are allowed but rare) and no 0xEF (the lead byte of U+FFFE / U+FFFF). The smallest and
    largest byte settle it for most text (from 0x20 to below 0xEF: ASCII, accented and most
    other scripts) with no column of flags made; only text with such a byte is looked at byte
    by byte."""
    for chunk in col.chunks:
        buffers = chunk.buffers()
        if len(buffers) < 3 or buffers[2] is None:
            continue
        data = np.frombuffer(buffers[2], dtype=np.uint8)
        if data.size == 0:
            continue
        if data.min() >= 0x20 and (data.max() < 0xEF or not (data == 0xEF).any()):
            continue  # no control byte; no 0xEF (the largest byte says so, or a scan)
        control = (data < 0x20) & (data != 0x09) & (data != 0x0A) & (data != 0x0D)
        # U+FFFE / U+FFFF are EF BF BE / EF BF BF in UTF-8.
        nonchar = (data[:-2] == 0xEF) & (data[1:-1] == 0xBF) & (data[2:] >= 0xBE)
        if control.any() or nonchar.any():
            return True
    return False


def may_need_trim(col: pa.ChunkedArray) -> bool:
    """Whether a text value may be blank or start or end with white space: a look at each
    value's first and last byte (a control, a space or a non-ASCII byte there says maybe)."""
    for chunk in col.chunks:
        if not pa.types.is_string(chunk.type):
            return True
        n = len(chunk)
        buffers = chunk.buffers()
        if n == 0:
            continue
        if buffers[2] is None:
            return True
        offsets = np.frombuffer(buffers[1], dtype=np.int32, count=chunk.offset + n + 1)
        offsets = offsets[chunk.offset :]
        starts, ends = offsets[:-1], offsets[1:]
        valid = validity_mask(buffers[0], chunk.offset, n) if chunk.null_count else None
        data = np.frombuffer(buffers[2], dtype=np.uint8)
        if data.size == 0:
            return True  # every value is empty or null: blank unless all are null (rare)
        # Blank, or a byte <= 0x20 or >= 0x7F at either end (one unsigned comparison: b - 0x21
        # wraps below). A null's slot is empty and may sit at the buffer's end: clipped, masked.
        hit = ends <= starts
        for edge in (data.take(starts, mode="clip"), data.take(ends - 1, mode="clip")):
            hit |= (edge - np.uint8(0x21)) >= 0x5E
        if (hit & valid).any() if valid is not None else hit.any():
            return True
    return False


def clean_text_columns(
    table: pa.Table, rows: np.ndarray, filename: str, notes: list[Issue]
) -> pa.Table:
    """Replace unstorable characters in every text column, with a note naming the rows."""
    for index, name in enumerate(table.column_names):
        col = table.column(name)
        if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            continue
        if not _may_hold_illegal(col):
            continue
        mask = true_mask(pc.match_substring_regex(col, _ILLEGAL))
        if not mask.any():
            continue
        table = table.set_column(
            index, name, pc.replace_substring_regex(col, _ILLEGAL, REPLACEMENT)
        )
        listed = ", ".join(str(int(r)) for r in rows[mask][:MAX_LISTED])
        more = f" and {int(mask.sum()) - MAX_LISTED} more" if mask.sum() > MAX_LISTED else ""
        notes.append(
            Issue(
                f"replaced control characters a workbook cannot store with {REPLACEMENT!r} in "
                f"row(s) {listed}{more}: fix them in the CRM to keep the text as it is",
                file=filename,
                key=name,
            )
        )
    return table


def nested_values(records: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """(record index, key) of every value that is an object or a list, not a cell value."""
    return [
        (i, key)
        for i, record in enumerate(records)
        for key, value in record.items()
        if isinstance(value, dict | list)
    ]
