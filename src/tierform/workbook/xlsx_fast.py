"""Rows of a sheet as named values, the cells turned into JSON by byte replacements.

The regular expression of :mod:`tierform.workbook.xlsx_read` costs about a microsecond a cell,
and so does the Python that builds a row from its matches: a million-account workbook holds
some fifteen million cells. The cells tierform writes have a few fixed shapes (inline strings,
numbers, optionally styled), so a run of rows becomes one JSON document through ``replace``
calls that each run over the whole piece at C speed, and one ``orjson.loads`` builds the rows.

Every replaced pattern contains ``<``, which cell text never holds unescaped, so no text is
mistaken for markup. A piece with any other shape (shared strings, rich text, formulas,
booleans, empty texts, character references, columns without a header) is declined: the
caller reads it with the general reader, which is always right and only slower.
A piece whose replaced text is not valid JSON (an empty ``<v></v>``, a number JSON does not
write) is declined the same way.

Rows come back keyed by column letters, with the letters' names beside them (:class:`Piece`):
renaming every cell would be one more Python step per cell, and the caller already takes each
cell in hand once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

Rows = list[tuple[int, dict[str, Any]]]

_STYLED = re.compile(rb'<c r="([A-Z]{1,3}\d+)"( t="(?:inlineStr|n)")? s="\d+"')
_STYLED_VALUE = re.compile(rb'" s="\d+"><v>')  # ``<v>`` is markup: never inside a text
_QUOTE = b"\x1d"  # a JSON quote; raw quotes left over are the cells' own text
_REF_END = b"\x1c"  # where a cell reference ended
_ROW_TAG = re.compile(rb'<row r="(\d+)"[^>]*>')
_ENTITIES = ((b"&lt;", b"<"), (b"&gt;", b">"), (b"&apos;", b"'"), (b"&quot;", b'\\"'))


@dataclass(frozen=True)
class Piece:
    """Rows of a run of a sheet: (1-based row number, {key: value}), ``names`` mapping the keys
    to the caller's names (keys it lacks are columns not asked for). Numbers may be as JSON
    has them (``80.0`` a float, where the general reader gives 80); a value may be None (an
    empty styled cell): no value."""

    rows: Rows
    names: Mapping[str, str]


def letter_rows(data: bytes, names: Mapping[str, str]) -> Piece | None:
    """The rows of a run of ``<row>`` elements keyed by column letters, ``names`` mapping the
    letters asked for; None when a cell or row has a shape this does not cover."""
    out = _json_text(data)
    if out is None:
        return None
    try:
        rows: Rows = orjson.loads(out)
    except orjson.JSONDecodeError:
        return None
    # A cell of another row (``A12`` inside row 2) leaves digits in its key (``A1``).
    if not all(k.isalpha() for k in set().union(*[row for _, row in rows])):
        return None
    return Piece(rows, names)


def _json_text(data: bytes) -> bytes | None:
    """``[[row number, {column letters: value}], ...]`` as JSON text, or None (another shape)."""
    if _QUOTE in data or _REF_END in data:  # not allowed in XML: let the parser say so
        return None
    if b't="s"' in data:  # shared strings (a workbook saved by a spreadsheet program): decline
        return None  # before any work, as every piece of such a sheet would be declined
    if b"\\" in data:
        data = data.replace(b"\\", b"\\\\")
    if b'" s="' in data:  # a styled value (a date) first without a callback per cell
        data = _STYLED_VALUE.sub(b'"><v>', data)
    if b'" s="' in data:
        data = _STYLED.sub(rb'<c r="\1"\2', data)
    if b't="n"' in data:
        data = data.replace(b'" t="n"><v>', b'"><v>')
    data = (
        data.replace(b'" t="inlineStr"><is><t>', _REF_END + b":" + _QUOTE)
        .replace(b"</t></is></c>", _QUOTE + b",")
        .replace(b'"><v>', _REF_END + b":")
        .replace(b"</v></c>", b",")
        .replace(b'"/>', _REF_END + b":null,")
        .replace(b'<c r="', _QUOTE)
    )
    parts: list[bytes] = []
    for row in data.split(b"</row>"):
        if not row or row.isspace():
            continue
        tag = _ROW_TAG.match(row)
        if tag is None:
            return None
        number = tag.group(1)
        body = row[tag.end() :].replace(number + _REF_END, _QUOTE)
        parts.append(b"[" + number + b",{" + body[:-1] + b"}]")
    out = b"[" + b",".join(parts) + b"]"
    if b"<" in out or _REF_END in out:  # another shape (e.g. ``<t/>``, ``<f>``, ``t="s"``)
        return None
    return json_strings(out)


def json_strings(out: bytes) -> bytes | None:
    """The converted text with its quote marks (``\\x1d``) made JSON quotes and the cells' own
    quotes, entities and line breaks written as JSON writes them; None for an empty text or a
    character reference (the general reader's cases: it leaves the one out, decodes the
    other)."""
    if b'"' in out:
        out = out.replace(b'"', b'\\"')
    out = out.replace(_QUOTE, b'"')
    if b':""' in out:
        return None
    return json_escapes(out)


def json_escapes(out: bytes) -> bytes | None:
    """The cells' entities and line breaks written as JSON writes them (quotes already
    done); None for a character reference."""
    if b"&" in out:
        if b"&#" in out:
            return None
        for entity, text in _ENTITIES:
            out = out.replace(entity, text)
        out = out.replace(b"&amp;", b"&")
    for raw, escaped in ((b"\n", b"\\n"), (b"\r", b"\\r"), (b"\t", b"\\t")):
        if raw in out:
            out = out.replace(raw, escaped)
    return out
