"""Rows of a sheet keyed by column letters, each key telling the cell's kind, as one JSON text.

:mod:`tierform.workbook.xlsx_fast` turns the cell shapes tierform writes into JSON with a few
byte replacements; a reader still has to test every value's type before it can use it. Here a
value cell's key carries a ``#`` (``"G#": 75.9``) and an inline string's key none
(``"C": "Mid-Market"``), so a row's keys alone say how to read each of its values: rows with
the same keys are read by one prepared function, with no test per cell. Runs in columns A-Z
(:func:`coded_rows`) come as lists of values with a number per row that codes the same
(:mod:`tierform.workbook.xlsx_scan` checks the tags and writes the JSON by array operations):
no dict per row is built only to be read once and dropped.

Only the shapes tierform writes are taken: inline strings, and numbers (a date's styled).
Anything else (empty cells, ``t="n"``, styled texts, shared strings, formulas, a value that is
not a number) makes :func:`typed_rows` decline, and the caller reads the sheet the general way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from tierform.workbook.xlsx_fast import _STYLED_VALUE, json_strings
from tierform.workbook.xlsx_scan import coded_json, typed_json

_QUOTE = b"\x1d"  # a JSON quote; raw quotes left over are the cells' own text
_TEXT_END = b"\x1c"  # where the reference of an inline-string cell ended
_VALUE_END = b"\x1e"  # where the reference of a value cell ended
_NOT_A_NUMBER = re.compile(rb"\x1e:[^-0-9]")  # ``<v>true``, ``<v>[1]``: JSON, not numbers
_ROW_TAG = re.compile(rb'<row r="(\d+)"[^>]*>')
_ROW_START = b'<row r="'
_CELL_START = b'<c r="'
_TEXT_CELL_END = b"</t></is></c>"
_VALUE_CELL_END = b"</v></c>"


@dataclass(frozen=True)
class Coded:
    """Rows as lists of their values in column order, with each row's code: bit
    ``2 * column`` for an inline string, ``2 * column + 1`` for a value (column A is 0). No
    dict per row, and rows with the same cells share a code (a number, at once hashed)."""

    codes: list[int]
    rows: list[list[Any]]


def coded_rows(data: bytes) -> Coded | list[dict[str, Any]] | None:
    """The rows of a run of ``<row>`` elements as :class:`Coded` rows where every cell is in
    columns A-Z and in column order, else as :func:`typed_rows` gives them."""
    return coded_from(data, coded_json(data))


def coded_from(
    data: bytes, out: tuple[bytes, list[int], list[int]] | None
) -> Coded | list[dict[str, Any]] | None:
    """:func:`coded_rows` of ``data`` given its :func:`coded_json` (worked out elsewhere)."""
    if out is None:
        return typed_rows(data)
    text, codes, cells = out
    try:
        rows = orjson.loads(text)
        # A value such as ``1,2`` would make a cell of its own: the counts say it did not.
        if type(rows) is not list or list(map(len, rows)) != cells:
            return typed_rows(data)
    except (orjson.JSONDecodeError, TypeError):
        return typed_rows(data)
    return Coded(codes, rows)


def typed_rows(data: bytes) -> list[dict[str, Any]] | None:
    """The rows of a run of ``<row>`` elements, in file order, as {key: value} where the key
    is the cell's column letters, followed by ``#`` for a value cell; None for another shape."""
    out = typed_json(data) or _typed_text(data)
    if out is None:
        return None
    try:
        rows = orjson.loads(out[0])
    except orjson.JSONDecodeError:
        return None
    # A value such as ``1}],[{`` could make rows of its own: the count says it did not.
    if type(rows) is not list or len(rows) != out[1]:
        return None
    return rows


def _typed_text(data: bytes) -> tuple[bytes, int] | None:
    """``[{key: value}, ...]`` as JSON text and its number of rows, or None (another shape)."""
    # The markers are not allowed in XML (let the general reader say so); other control
    # characters are refused by the JSON parser, as by the general one.
    if _QUOTE in data or _TEXT_END in data or _VALUE_END in data:
        return None
    if b"\\" in data:
        data = data.replace(b"\\", b"\\\\")
    data = _STYLED_VALUE.sub(b'"><v>', data)  # a styled value (a date); as fast as a search
    # Between two cells (most cell ends and starts) one replacement does both; the first
    # cell's start and the last cell's end are taken off each row below.
    data = (
        data.replace(b'" t="inlineStr"><is><t>', _TEXT_END + b":" + _QUOTE)
        .replace(b'"><v>', _VALUE_END + b":")
        .replace(b'</t></is></c><c r="', _QUOTE + b"," + _QUOTE)
        .replace(b'</v></c><c r="', b"," + _QUOTE)
    )
    if _NOT_A_NUMBER.search(data) is not None:
        return None
    parts: list[bytes] = []
    for row in data.split(b"</row>"):
        end = row.find(b'">', 8)
        number = row[8:end]
        if row[:8] == _ROW_START and end > 8 and number.isdigit():
            body = row[end + 2 :]
        elif not row or row.isspace():
            continue
        else:  # a row tag with more attributes, or no row at all
            tag = _ROW_TAG.match(row)
            if tag is None:
                return None
            number, body = tag.group(1), row[tag.end() :]
        if body[:6] == _CELL_START:
            if body[-13:] == _TEXT_CELL_END:
                body = _QUOTE + body[6:-13] + _QUOTE
            elif body[-8:] == _VALUE_CELL_END:
                body = _QUOTE + body[6:-8]
        parts.append(
            body.replace(number + _TEXT_END, _QUOTE).replace(number + _VALUE_END, b"#\x1d")
        )
    out = b"[{" + b"},{".join(parts) + b"}]" if parts else b"[]"
    # Anything left of the markup or of a reference is a shape this does not cover.
    if b"<" in out or _TEXT_END in out or _VALUE_END in out:
        return None
    text = json_strings(out)
    return None if text is None else (text, len(parts))
