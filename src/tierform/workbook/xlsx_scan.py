"""The typed JSON text of a run of rows in tierform's own cell shapes, by array operations.

:func:`tierform.workbook.xlsx_typed.typed_rows` turns rows into JSON with ``bytes.replace``
passes and two more per row (the row number taken off each cell reference): a pass costs a
few dozen nanoseconds per match, and a million-account sheet holds some fifteen million
cells. Here the run is cut at its ``<`` (cell text holds none unescaped) and every tag is
checked in place, a column of positions at a time: a row tag, an inline-string cell
(``<c r="A2" t="inlineStr"><is><t>..</t></is></c>``), a value cell (``<c r="G2"><v>..</v></c>``,
optionally styled). One mask then keeps the texts and values (and column letters) and the
few tag bytes rewritten as JSON punctuation, and one compress gives the text:
:func:`typed_json` the very text of those replacements, :func:`coded_json` rows as lists of
values with a code per row for the cells they hold (no dict per row to build and drop).
A run with anything else (another tag, a byte between tags, a cell of another row, an empty
text, a backslash, a value that does not start as a number) is left to the general
conversion: both answer None and decide nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tierform.workbook.xlsx_fast import json_escapes, json_strings

_Ints = npt.NDArray[np.int64]
_Words = npt.NDArray[np.uint64]

_QUOTE = 0x1D  # a structural quote until the cells' own quotes are known
_PAD = 16  # bytes after the run, so every word read near its end stays in the buffer
_GENERAL = (b"\x1c", b"\x1d", b"\x1e", b"\\")  # markers and escapes: the general conversion's
_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1], dtype=np.uint64)


def _word(text: bytes) -> np.uint64:
    """``text`` (up to 8 bytes) as the little-endian word read at its first byte."""
    return np.uint64(int.from_bytes(text, "little"))


_ROW = _word(b'<row r="')
_ROW_END = _word(b"</row>")
_CELL = _word(b'<c r="')
_TAG_END = _word(b'">')
_INLINE = (_word(b'" t="inl'), _word(b'ineStr">'))  # the 16 bytes after an inline reference
_IS_T = _word(b"<is><t>")
_TEXT_END = (_word(b"</t></is"), _word(b"/is></c>"))  # 13 bytes: at +0 and +5
_V = _word(b"<v>")
_V_END = _word(b"</v></c>")
_STYLE = _word(b'" s="')
_DIGITS = _word(b"0" * 8)


def _all_digits(words: _Words, count: _Ints) -> bool:
    """Whether the first ``count`` bytes (1..8) of each word are ASCII digits."""
    mask = _MASKS[count]
    x = (words ^ _DIGITS) & mask  # a digit becomes 0..9
    # A byte of 10..127 gets its high bit from adding 0x76 (no carry: at most 0xF5); one of
    # 128 and up has it already; carries out of such a byte only flag more.
    high = ((x + np.uint64(0x7676767676767676)) | x) & mask & np.uint64(0x8080808080808080)
    return not high.any()


def _letter(b: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    return (b - np.uint8(65)) < np.uint8(26)  # A-Z (uint8 arithmetic wraps the rest above)


@dataclass
class _Run:
    """A checked run: its bytes (with room after them) and where its rows and cells are."""

    buf: npt.NDArray[np.uint8]
    n: int
    rows: _Ints  # the row tags' starts
    row_ends: _Ints  # the ``</row>`` tags' starts
    cells: _Ints  # the cells' starts
    row_of: _Ints  # each cell's row
    letters: _Ints  # each cell's number of column letters
    inline: npt.NDArray[np.bool_]  # each cell: an inline string (else a value)
    content: _Ints  # each cell's text or value: start
    content_end: _Ints  # and end


def typed_json(data: bytes) -> tuple[bytes, int] | None:
    """What :func:`~tierform.workbook.xlsx_typed.typed_rows`'s replacements make of ``data``
    (the JSON text and its number of rows), or None when ``data`` holds anything but the
    row and cell shapes this checks (the general conversion then decides)."""
    run = _scan(data)
    return None if run is None else _json(run, keyed=True)


def coded_json(data: bytes) -> tuple[bytes, list[int], list[int]] | None:
    """The rows of ``data`` as a JSON list of lists of values, with each row's code (bit
    ``2 * column + 1`` for a value cell, ``2 * column`` for an inline string) and number of
    cells; None where :func:`typed_json` would not answer or a cell is past column Z or out
    of column order in its row."""
    out = coded_arrays(data)
    return None if out is None else (out[0], out[1].tolist(), out[2].tolist())


def coded_arrays(data: bytes) -> tuple[bytes, _Ints, _Ints] | None:
    """:func:`coded_json` with the codes and counts as arrays (to hand on as bytes)."""
    run = _scan(data)
    if run is None:
        return None
    if (run.letters != 1).any():
        return None
    column = run.buf[run.cells + 6].astype(np.int64) - 65
    same = run.row_of[1:] == run.row_of[:-1]
    if (np.diff(column)[same] <= 0).any():
        return None
    bits = np.left_shift(1, 2 * column + (~run.inline)).astype(np.float64)  # exact below 2**53
    count = len(run.rows)
    codes = np.bincount(run.row_of, weights=bits, minlength=count).astype(np.int64)
    cells = np.bincount(run.row_of, minlength=count)
    out = _json(run, keyed=False)
    return None if out is None else (out[0], codes, cells)


def _scan(data: bytes) -> _Run | None:
    """``data`` checked tag by tag, or None (another shape)."""
    n = len(data)
    if not data.startswith(b'<row r="') or any(m in data for m in _GENERAL):
        return None
    buf = np.empty(n + _PAD, np.uint8)
    buf[:n] = np.frombuffer(data, np.uint8)
    buf[n:] = 0
    buf[n] = 60  # a last ``<``: token i ends where token i + 1 starts, the last one too
    w8 = np.ndarray((n + _PAD - 7,), dtype="<u8", buffer=buf, strides=(1,))
    ends: _Ints = np.flatnonzero(buf[: n + 1] == 60)
    at = ends[:-1]
    tokens = len(at)
    second = buf[1:][at]
    rows: _Ints = np.flatnonzero(second == 114)  # ``<r``
    cells: _Ints = np.flatnonzero(second == 99)  # ``<c``
    if not len(rows) or rows[0] != 0:
        return None
    row_ends = np.append(rows[1:] - 1, tokens - 1)
    inline = buf[at[np.minimum(cells + 1, tokens - 1)] + 1] == 105  # ``<is>`` follows
    width = np.where(inline, 6, 4)
    if 2 * len(rows) + int(width.sum()) != tokens or (cells + width >= tokens).any():
        return None
    # Row tags: ``<row r="`` digits ``">``, and their ends ``</row>`` of six bytes.
    starts, after = at[rows], ends[rows + 1]
    digits = after - starts - 10
    if digits.min() < 1 or digits.max() > 7:
        return None
    numbers = w8[starts + 8]
    if (
        (w8[starts] != _ROW).any()
        or ((w8[after - 2] & _MASKS[2]) != _TAG_END).any()
        or not _all_digits(numbers, digits)
        or ((w8[at[row_ends]] & _MASKS[6]) != _ROW_END).any()
        or ((ends[row_ends + 1] - at[row_ends]) != 6).any()
    ):
        return None
    numbers &= _MASKS[digits]
    # Cells: ``<c r="`` letters, the row's own digits, then the tail of their kind.
    s = at[cells]
    if ((w8[s] & _MASKS[6]) != _CELL).any():
        return None
    row_of = np.searchsorted(rows, cells, side="right") - 1
    letters = np.where(_letter(buf[s + 7]), np.where(_letter(buf[s + 8]), 3, 2), 1)
    m = digits[row_of]
    q = s + 6 + letters + m  # just after the reference
    nxt = ends[cells + 1]  # the cell's second tag
    if (
        not _letter(buf[s + 6]).all()
        or _letter(buf[s + 6 + letters]).any()  # a fourth letter
        or ((w8[s + 6 + letters] & _MASKS[m]) != numbers[row_of]).any()
    ):
        return None
    ci, vi = np.flatnonzero(inline), np.flatnonzero(~inline)
    # Inline strings: the 16-byte tail, ``<is><t>``, a text, then ``</t></is></c>``.
    qi, ti = q[ci], nxt[ci]
    text_end = ends[cells[ci] + 3]
    wrong = (
        (w8[qi] ^ _INLINE[0])
        | (w8[8:][qi] ^ _INLINE[1])
        | ((w8[ti] & _MASKS[7]) ^ _IS_T)
        | (w8[text_end] ^ _TEXT_END[0])
        | (w8[5:][text_end] ^ _TEXT_END[1])
    )
    if (
        wrong.any()
        or (ti - qi != 16).any()
        or (text_end <= ti + 7).any()  # an empty text: left out by the general reader
        or (ends[cells[ci] + 6] - text_end != 13).any()
    ):
        return None
    # Values: ``">`` or ``" s="`` digits ``">``, then ``<v>``, a number, ``</v></c>``.
    qv, vv = q[vi], nxt[vi]
    tail = vv - qv
    styled = tail != 2
    value_end = ends[cells[vi] + 2]
    first = buf[vv + 3]
    wrong = (
        ((w8[vv - 2] ^ _TAG_END) & _MASKS[2])
        | ((w8[vv] ^ _V) & _MASKS[3])
        | (w8[value_end] ^ _V_END)
    )
    if (
        wrong.any()
        or ((w8[qv] ^ _TAG_END) & _MASKS[2])[~styled].any()
        or (value_end <= vv + 3).any()
        or not ((first == 45) | ((first - np.uint8(48)) < np.uint8(10))).all()
        or (ends[cells[vi] + 4] - value_end != 8).any()
    ):
        return None
    if styled.any():
        qs, style = qv[styled], tail[styled] - 7
        if (
            style.min() < 1
            or style.max() > 8
            or ((w8[qs] & _MASKS[5]) != _STYLE).any()
            or not _all_digits(w8[qs + 5], style)
        ):
            return None
    content = np.empty(len(cells), np.int64)
    content[ci], content[vi] = ti + 7, vv + 3
    content_end = np.empty(len(cells), np.int64)
    content_end[ci], content_end[vi] = text_end, value_end
    return _Run(buf, n, at[rows], at[row_ends], s, row_of, letters, inline, content, content_end)


def _json(run: _Run, keyed: bool) -> tuple[bytes, int] | None:
    """The checked run as JSON, rows as ``{"A":"text","G#":75.9}`` (``keyed``) or as
    ``["text",75.9]``: texts and values kept where they are, every tag dropped but for the
    column letters (keyed) and the bytes rewritten as punctuation."""
    return _keyed(run) if keyed else _listed(run)


def _kept(run: _Run, start: _Ints, end: _Ints) -> npt.NDArray[np.bool_]:
    """A mask of the run's bytes that keeps ``[start, end)`` of each cell (in file order)."""
    k = len(start)
    edges = np.empty(2 * k + 2, np.int64)
    edges[0], edges[-1] = 0, run.n
    edges[1:-1:2], edges[2:-1:2] = start, end
    return np.repeat(np.tile(np.array([False, True]), k + 1)[:-1], np.diff(edges))


def _rows_shut(run: _Run) -> list[tuple[_Ints, int]]:
    """The bytes that open and close the list of rows and separate its rows."""
    return [
        (run.rows[:1], 0x5B),  # the list's ``[`` on the first ``<``
        (run.row_ends[-1:] + 1, 0x5D),  # and its ``]`` after the last row
        (run.row_ends[:-1] + 1, 0x2C),  # ``,`` between rows
    ]


def _listed(run: _Run) -> tuple[bytes, int] | None:
    """Rows as lists: each cell's kept bytes run on over the tag bytes that become its
    quotes and the ``,`` or ``]`` after it, so only a few bytes are rewritten."""
    buf, inline = run.buf, run.inline
    last = np.ones(len(run.cells), np.bool_)  # the last cell of its row
    last[:-1] = run.row_of[1:] != run.row_of[:-1]
    after = run.content_end + inline  # the byte after the cell's closing quote, if a text
    mask = _kept(run, run.content - inline, after + 1)
    buf[run.content[inline] - 1] = _QUOTE
    buf[run.content_end[inline]] = _QUOTE
    buf[after] = np.where(last, 0x5D, 0x2C)
    empty = np.ones(len(run.rows), np.bool_)  # rows without cells: ``[]`` on ``<row``
    empty[run.row_of] = False
    put = [*_rows_shut(run), (run.rows + 1, 0x5B), (run.row_ends[empty], 0x5D)]
    return _text(run, mask, put)


def _keyed(run: _Run) -> tuple[bytes, int] | None:
    """Rows as objects: the column letters kept, the punctuation rewritten on tag bytes."""
    s, inline = run.cells, run.inline
    mask = _kept(run, run.content, run.content_end)
    after = np.ones(len(s), np.bool_)
    if len(s):
        after[0] = False
        after[1:] = run.row_of[1:] == run.row_of[:-1]
    ends = run.content[~inline] - 3  # each value's ``<v>``
    digit = s + 6 + run.letters
    put = [
        *_rows_shut(run),
        (s[after] + 4, 0x2C),  # ``,`` before a cell after the first of its row
        (run.rows + 1, 0x7B),  # ``{`` and ``}`` on ``<row`` and ``</row>``
        (run.row_ends, 0x7D),
        (s + 5, _QUOTE),  # ``"A":"`` / ``"G#":`` around the letters
        (digit[inline], _QUOTE),
        (run.content[inline] - 2, 0x3A),
        (run.content[inline] - 1, _QUOTE),
        (run.content_end[inline], _QUOTE),
        (digit[~inline], 0x23),
        (ends + 1, _QUOTE),
        (ends + 2, 0x3A),
    ]
    for extra in (0, 1, 2):
        mask[(s + 6 + extra)[run.letters > extra]] = True
    return _text(run, mask, put)


def _text(
    run: _Run, mask: npt.NDArray[np.bool_], put: list[tuple[_Ints, int]]
) -> tuple[bytes, int] | None:
    """The kept bytes with ``put`` written and kept, as the JSON text and its row count."""
    buf = run.buf
    for where, byte in put:
        mask[where] = True
        buf[where] = byte
    out = buf[: run.n][mask]
    if (out == 0x22).any():  # the cells' own quotes: escaped as the general conversion does
        text = json_strings(out.tobytes())
    else:
        out[out == _QUOTE] = 0x22
        text = json_escapes(out.tobytes())
    return None if text is None else (text, len(run.rows))
