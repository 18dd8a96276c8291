"""Money and number cells as CRM exports write them, read right or refused, never guessed.

A column is read in one number format, ``1,234.56`` (decimal point) or ``1.234,56`` (decimal
comma). The format comes from ``accounts.number_format`` when set, else from the column's
unambiguous values (``1.234,50`` can only be decimal-comma; ``1,234.50`` or ``12.5`` only
decimal-point); a column with no such evidence is decimal-point, the CRM default. Digit groups
must be well formed (``$1,2,3`` is refused, not read as 123), and infinities and NaN are refused:
a figure no one can act on must not reach a chart or a sum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from tierform.core import arrow_compute as pc
from tierform.core.arrays import arrow_array, true_mask, validity_mask

DECIMAL_POINT = "1,234.56"
DECIMAL_COMMA = "1.234,56"
NUMBER_FORMATS = (DECIMAL_POINT, DECIMAL_COMMA)

# Kinds of unreadable cells, so callers can word each one.
OK, NOT_A_NUMBER, NOT_FINITE, BAD_GROUPING, OTHER_FORMAT = 0, 1, 2, 3, 4

_CURRENCY = (
    r"(?i)^(?:usd|eur|gbp|cad|aud|nzd|chf|jpy|cny|inr|sek|nok|dkk|brl|mxn|sgd|hkd|zar|pln)"
    r"(?:\s+|$)|(?:\s+|^)(?:usd|eur|gbp|cad|aud|nzd|chf|jpy|cny|inr|sek|nok|dkk|brl|mxn|sgd"
    r"|hkd|zar|pln)$|[$€£¥₹]"
)
_SPACES = "\u00a0\u202f\u2009 "  # no-break, narrow no-break, thin and plain space
_EXP = r"(?:[eE][-+]?\d+)?"


def _grouped(sep: str) -> str:
    return rf"\d{{1,3}}(?:{sep}\d{{3}})+"


def _pattern(groups: list[str], decimal: str) -> str:
    integer = "|".join([r"\d+", *(_grouped(g) for g in groups)])
    return rf"^(?:(?:{integer})(?:{decimal}\d*)?|{decimal}\d+)$"


_POINT_RE = _pattern([",", f"[{_SPACES}]", "'"], r"\.")
_COMMA_RE = _pattern([r"\.", f"[{_SPACES}]"], ",")
_SCIENTIFIC_RE = r"^(?:\d+\.?\d*|\.\d+)[eE][-+]?\d+$"
_NON_FINITE_RE = r"(?i)^(?:nan|inf|infinity|1\.#inf|1\.#ind|1\.#qnan)$"
_DIGITS_AND_SEPARATORS_RE = rf"^[\d.,'{_SPACES}]+$"
# Decimal-point reading of a value a decimal-comma book means as thousands: worth a note.
_AMBIGUOUS_DOT_RE = r"^\d{1,3}\.\d{3}$"
_PLAIN_RE = r"^-?\d+(?:\.\d+)?$"


@dataclass
class ParsedNumbers:
    """A column read as float64: ``values`` (NaN where blank or unreadable), ``kind`` per cell
    (OK or why not), the format used, and whether it was detected rather than configured."""

    values: np.ndarray
    kind: np.ndarray
    number_format: str
    detected: bool
    ambiguous_dots: int = 0

    @property
    def bad(self) -> np.ndarray:
        return self.kind != OK


def _strip(text: pa.ChunkedArray) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """The digits of a cell without currency, outer spaces and sign; and whether it was negative."""
    text = pc.utf8_trim_whitespace(text)
    paren = pc.match_substring_regex(text, r"^\(.*\)$")
    text = pc.replace_substring_regex(text, r"^\((.*)\)$", r"\1")
    text = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, _CURRENCY, ""))
    minus = pc.match_substring_regex(text, r"^-")
    text = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, r"^[-+]", ""))
    text = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, _CURRENCY, ""))
    return text, pc.xor(pc.fill_null(paren, False), pc.fill_null(minus, False))


def _to_float(text: pa.ChunkedArray, ok: np.ndarray, number_format: str) -> np.ndarray:
    if number_format == DECIMAL_COMMA:
        digits = pc.replace_substring_regex(text, rf"[.{_SPACES}]", "")
        digits = pc.replace_substring(digits, ",", ".")
    else:
        digits = pc.replace_substring_regex(text, rf"[,'{_SPACES}]", "")
    numeric = pc.if_else(arrow_array(ok), digits, pa.scalar(None, pa.string()))
    return np.asarray(pc.cast(numeric, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)


def _plain(col: pa.ChunkedArray) -> ParsedNumbers | None:
    """The fast path for a clean export (``-1234.5`` only): one check and a cast, same result."""
    shape = _plain_shape(col)
    values = None
    if shape is not None:
        try:
            values = pc.cast(col, pa.float64())
        except pa.ArrowInvalid:  # "1.2.3", "1-2": not plain after all
            shape = None
    if shape is None:
        if not pc.all(pc.match_substring_regex(col, _PLAIN_RE)).as_py():
            return None
        values = pc.cast(col, pa.float64())
    assert values is not None
    floats = np.array(values.to_numpy(zero_copy_only=False), dtype=float)
    kind = np.zeros(len(floats), dtype=np.int8)
    with np.errstate(invalid="ignore"):
        kind[np.isinf(floats)] = NOT_FINITE  # digits past float64's range
    floats[kind != OK] = np.nan
    ambiguous = _ambiguous_dots(col) if shape is None else shape
    return ParsedNumbers(floats, kind, DECIMAL_POINT, False, ambiguous)


def _plain_shape(col: pa.ChunkedArray) -> int | None:
    """A byte-level look for :data:`_PLAIN_RE` without running it: every value holds only
    digits, dots and minus signs, starts with a digit (or a minus and a digit) and ends with a
    digit. Such a value is plain exactly when it casts to a number (a second dot or an inner
    minus does not), which the caller checks. Returns how many values read like '12.500'
    (five to seven bytes, the dot fourth from the end, no sign), or None when not plain."""
    ambiguous = 0
    for chunk in col.chunks:
        n = len(chunk)
        buffers = chunk.buffers()
        if not pa.types.is_string(chunk.type) or len(buffers) < 3:
            return None
        if n == 0:
            continue
        offsets = np.frombuffer(buffers[1], dtype=np.int32, count=chunk.offset + n + 1)
        starts, ends = offsets[chunk.offset : -1], offsets[chunk.offset + 1 :]
        valid = validity_mask(buffers[0], chunk.offset, n) if chunk.null_count else None
        data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else None
        if data is None or data.size == 0:
            if valid is None or valid.any():
                return None  # empty values: not plain
            continue
        body = data[int(starts[0]) : int(ends[-1])]
        # Only digits, dots and minus signs: counted, with no copy of the other bytes made.
        known = np.count_nonzero((body - np.uint8(0x30)) <= 9)  # unsigned: wraps below "0"
        known += np.count_nonzero(body == 0x2E) + np.count_nonzero(body == 0x2D)
        if known != body.size:
            return None
        first, last = data.take(starts, mode="clip"), data.take(ends - 1, mode="clip")
        length = ends - starts
        bad = (length <= 0) | ((last - np.uint8(0x30)) > 9)
        # A value that does not start with a digit is plain only as a minus and a digit; the
        # few such values (and the few short enough to read like '12.500') are looked at alone.
        lead = np.flatnonzero((first - np.uint8(0x30)) > 9)
        if lead.size:
            second = data.take(starts[lead] + 1, mode="clip")
            signed = (first[lead] == 0x2D) & ((second - np.uint8(0x30)) <= 9)
            bad[lead[~signed]] = True  # "-" alone ends in a minus: bad by its last byte
        dots = (length >= 5) & (length <= 7) & (first != 0x2D)
        short = np.flatnonzero(dots)
        dots[short] = data.take(ends[short] - 4, mode="clip") == 0x2E
        if valid is not None:
            bad &= valid
            dots &= valid
        if bad.any():
            return None
        ambiguous += int(np.count_nonzero(dots))
    return ambiguous


def _ambiguous_dots(col: pa.ChunkedArray) -> int:
    """How many cells read like '12.500': only cells of five to seven bytes can, so the pattern
    runs on those alone."""
    size = pc.binary_length(col)
    fits = pc.fill_null(pc.and_(pc.greater_equal(size, 5), pc.less_equal(size, 7)), False)
    candidates = pc.filter(col, fits)
    if not len(candidates):
        return 0
    return int(true_mask(pc.match_substring_regex(candidates, _AMBIGUOUS_DOT_RE)).sum())


def parse_number_text(col: pa.ChunkedArray, number_format: str | None = None) -> ParsedNumbers:
    """Read a text column of numbers (blank cells stay NaN with kind OK)."""
    if number_format is not None and number_format not in NUMBER_FORMATS:
        raise ValueError(f"number_format must be one of {NUMBER_FORMATS}")
    if number_format != DECIMAL_COMMA:
        plain = _plain(col)
        if plain is not None:
            return plain
    text, negative = _strip(col)
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    present = true_mask(pc.is_valid(text))
    scientific = true_mask(pc.match_substring_regex(text, _SCIENTIFIC_RE))
    point = true_mask(pc.match_substring_regex(text, _POINT_RE)) | scientific
    comma = true_mask(pc.match_substring_regex(text, _COMMA_RE))
    point_only, comma_only = point & ~comma, comma & ~point
    detected = number_format is None
    if number_format is None:
        # The majority of unambiguous cells decides; the others are refused as the other format.
        number_format = (
            DECIMAL_COMMA if int(comma_only.sum()) > int(point_only.sum()) else DECIMAL_POINT
        )
        detected = bool(comma_only.any() or point_only.any())
    ok = point if number_format == DECIMAL_POINT else comma
    values = _to_float(text, ok, number_format)
    values = np.where(np.asarray(negative.to_numpy(zero_copy_only=False), bool), -values, values)
    kind = np.zeros(len(values), dtype=np.int8)
    unreadable = present & ~ok
    kind[unreadable] = NOT_A_NUMBER
    kind[unreadable & true_mask(pc.match_substring_regex(text, _DIGITS_AND_SEPARATORS_RE))] = (
        BAD_GROUPING
    )
    kind[unreadable & (point | comma)] = OTHER_FORMAT
    kind[unreadable & true_mask(pc.match_substring_regex(text, _NON_FINITE_RE))] = NOT_FINITE
    with np.errstate(invalid="ignore"):
        overflow = ok & present & ~np.isfinite(values)
    kind[overflow] = NOT_FINITE
    values[kind != OK] = np.nan
    ambiguous = 0
    if number_format == DECIMAL_POINT and not comma_only.any():
        ambiguous = int(true_mask(pc.match_substring_regex(text, _AMBIGUOUS_DOT_RE)).sum())
    return ParsedNumbers(values, kind, number_format, detected, ambiguous)


def parse_number_column(col: pa.ChunkedArray, number_format: str | None = None) -> ParsedNumbers:
    """Read any column as numbers: numeric cells as they are (refusing NaN and infinities)."""
    n = len(col)
    if pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
        # Blanks come out as NaN; only a column with a NaN or an infinity needs a second look,
        # to tell the blanks (fine) from the values (refused).
        values = np.asarray(pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
        if not values.flags.writeable:  # a view of Arrow's buffer: callers get their own
            values = values.copy()
        kind = np.zeros(n, dtype=np.int8)
        odd = ~np.isfinite(values)
        if odd.any():
            refused = odd & true_mask(pc.is_valid(col))
            kind[refused] = NOT_FINITE
            values = np.where(refused, np.nan, values)
        return ParsedNumbers(values, kind, number_format or DECIMAL_POINT, False)
    if pa.types.is_null(col.type):
        return ParsedNumbers(
            np.full(n, np.nan), np.zeros(n, np.int8), number_format or DECIMAL_POINT, False
        )
    if pa.types.is_boolean(col.type):
        values = np.asarray(pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
        return ParsedNumbers(values, np.zeros(n, np.int8), number_format or DECIMAL_POINT, False)
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        col = pc.cast(col, pa.string())
    return parse_number_text(col, number_format)


def kind_message(kind: int, number_format: str, what: str) -> str:
    """Why a cell was refused and what to do, for ``what`` (e.g. "ACV")."""
    other = DECIMAL_COMMA if number_format == DECIMAL_POINT else DECIMAL_POINT
    if kind == NOT_FINITE:
        return f"{what} is infinite or not a number: enter the real figure or leave it blank"
    if kind == BAD_GROUPING:
        return (
            f"{what} has malformed digit grouping (groups of three expected, as in "
            f"{number_format}): fix the cell"
        )
    if kind == OTHER_FORMAT:
        return (
            f"{what} is written as {other} but the column reads as {number_format}: make the "
            "column one format, or set accounts.number_format"
        )
    return f"{what} is not a number (fix the cell or leave it blank)"
