"""Date cells read strictly: a date that does not exist is refused, and D/M vs M/D is decided
per column from the values that can only be one of them, never per cell.

Each distinct text is parsed once (an export has far fewer distinct dates than rows), with
Python's strict calendar, so ``2027-02-30`` and year 0 are errors rather than "March 2".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pyarrow as pa

from tierform.core import arrow_compute as pc
from tierform.core.arrays import arrow_array, true_mask

# Unambiguous layouts, tried in order; the slash layouts are decided per column.
_FIXED = ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y")
MONTH_FIRST, DAY_FIRST = "%m/%d/%Y", "%d/%m/%Y"
_SLASH = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_TIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
_SLASH_TIME = re.compile(r"^(\d{1,2}/\d{1,2}/\d{4})[ ,]+\d{1,2}:\d{2}(:\d{2})?(\s*[AaPp][Mm])?$")

OK, NOT_A_DATE, NO_SUCH_DATE, AMBIGUOUS, OTHER_ORDER = 0, 1, 2, 3, 4
_EPOCH = date(1970, 1, 1)
_FIRST_DAY = (date(1, 1, 1) - _EPOCH).days
_LAST_DAY = (date(9999, 12, 31) - _EPOCH).days


@dataclass
class ParsedDates:
    """A date column as date32 (null where blank or refused), ``kind`` per cell (OK or why not),
    and the slash order used (None when the column has no D/M/YYYY-style values)."""

    dates: pa.ChunkedArray
    kind: np.ndarray
    slash_order: str | None
    detected: bool


def valid_format(date_format: str) -> bool:
    """Whether a strptime format names a day, a month and a year and reads its own output."""
    probe = date(2027, 1, 31)
    try:
        return datetime.strptime(probe.strftime(date_format), date_format).date() == probe
    except ValueError:
        return False


def _strptime(text: str, fmt: str) -> date | None:
    try:
        return datetime.strptime(text, fmt).date()
    except ValueError:
        return None


def _shape_ok(text: str, fmt: str) -> bool:
    """Whether ``text`` has the layout of ``fmt`` (so a failed parse means an impossible date)."""
    pattern = re.escape(fmt).replace("%Y", r"\d{4}").replace("%m", r"\d{1,2}")
    return re.fullmatch(pattern.replace("%d", r"\d{1,2}"), text) is not None


def _slash_order(values: list[str]) -> tuple[str | None, bool, set[str]]:
    """The column's slash order from unambiguous values; and the values that disagree."""
    day_first, month_first = set[str](), set[str]()
    for value in values:
        m = _SLASH.match(value)
        if not m:
            continue
        a, b = int(m.group(1)), int(m.group(2))
        if a > 12 >= b:
            day_first.add(value)
        elif b > 12 >= a:
            month_first.add(value)
    if not day_first and not month_first:
        return None, False, set()
    if len(day_first) > len(month_first):
        return DAY_FIRST, True, month_first
    return MONTH_FIRST, True, day_first


def parse_date_column(col: pa.ChunkedArray, date_format: str | None = None) -> ParsedDates:
    """Read a date column; ``date_format`` (strptime style) fixes the layout of non-ISO cells."""
    if pa.types.is_date(col.type) or pa.types.is_timestamp(col.type):
        dates = pc.cast(col, pa.date32())
        # Arrow's min and max first: a column inside the calendar (nearly always) needs no
        # copy of its days at all.
        span = pc.min_max(pc.cast(dates, pa.int32()))
        first, last = span["min"].as_py(), span["max"].as_py()
        if first is None or (first >= _FIRST_DAY and last <= _LAST_DAY):
            return ParsedDates(dates, np.zeros(len(col), np.int8), None, False)
        days = np.asarray(
            pc.fill_null(pc.cast(dates, pa.int32()), 0).to_numpy(zero_copy_only=False),
            dtype=np.int64,
        )
        # Year 0 and beyond 9999 parse as dates in some readers but exist in no calendar.
        outside = (days < _FIRST_DAY) | (days > _LAST_DAY)
        if outside.any():
            dates = pc.if_else(arrow_array(~outside), dates, pa.scalar(None, pa.date32()))
        return ParsedDates(dates, np.where(outside, NO_SUCH_DATE, OK).astype(np.int8), None, False)
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        col = pc.cast(col, pa.string())
    text = pc.utf8_trim_whitespace(col)
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    encoded = pc.dictionary_encode(text).combine_chunks()
    uniques: list[str] = encoded.dictionary.to_pylist()
    stripped = [_without_time(u) for u in uniques]
    order: str | None = None
    detected, disagree = False, set[str]()
    if date_format is None:
        order, detected, disagree = _slash_order(stripped)
    parsed: list[date | None] = []
    kinds: list[int] = []
    for value in stripped:
        day, kind = _parse_one(value, order, disagree, date_format)
        parsed.append(day)
        kinds.append(kind)
    indices = encoded.indices
    dates = pc.take(pa.array(parsed, type=pa.date32()), indices)
    kind_by_unique = np.array(kinds or [OK], dtype=np.int8)
    idx = np.asarray(pc.fill_null(indices, 0).to_numpy(zero_copy_only=False), dtype=np.int64)
    valid = true_mask(pc.is_valid(indices))
    cell_kind = np.where(valid, kind_by_unique[idx], OK).astype(np.int8)
    return ParsedDates(pa.chunked_array([dates]), cell_kind, order, detected)


def _without_time(value: str) -> str:
    for pattern in (_ISO_TIME, _SLASH_TIME):
        m = pattern.match(value)
        if m:
            return m.group(1)
    return value


def _parse_one(
    value: str, order: str | None, disagree: set[str], date_format: str | None
) -> tuple[date | None, int]:
    for fmt in _FIXED:
        if _shape_ok(value, fmt):
            day = _strptime(value, fmt)
            return (day, OK) if day else (None, NO_SUCH_DATE)
    if date_format is not None:
        day = _strptime(value, date_format)
        if day is not None:
            return day, OK
        return None, NOT_A_DATE
    m = _SLASH.match(value)
    if m is None:
        return None, NOT_A_DATE
    if value in disagree:
        return None, OTHER_ORDER
    if order is None:
        a, b = int(m.group(1)), int(m.group(2))
        if a <= 12 and b <= 12 and a != b:
            return None, AMBIGUOUS
        order = MONTH_FIRST  # same day and month, or an impossible value: either order agrees
    day = _strptime(value, order)
    return (day, OK) if day else (None, NO_SUCH_DATE)


def kind_message(kind: int, order: str | None) -> str:
    """Why a date cell was refused and what to do."""
    if kind == NO_SUCH_DATE:
        return "no such date (the day is past the month's end, or year 0): fix the cell"
    if kind == AMBIGUOUS:
        return (
            "ambiguous date (day and month both 12 or less, and no other value in the column "
            "shows the order): set accounts.date_format, e.g. '%d/%m/%Y' or '%m/%d/%Y'"
        )
    if kind == OTHER_ORDER:
        shown = "day-first (D/M/YYYY)" if order == DAY_FIRST else "month-first (M/D/YYYY)"
        return (
            f"date in the other order: the column reads {shown}: make the column one order, or "
            "set accounts.date_format"
        )
    return "not a date (use YYYY-MM-DD, or set accounts.date_format)"
