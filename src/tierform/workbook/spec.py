"""Typed cells, sheets and workbooks, independent of where they are drawn.

User data is only ever :class:`Text`, :class:`Number`, :class:`Bool` or :class:`Date`; only code
creates :class:`Formula`. So a CRM name like ``=HYPERLINK(...)`` can never become a formula, in
any sink, by construction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, SupportsIndex, overload


@dataclass(frozen=True)
class Text:
    value: str


@dataclass(frozen=True)
class Number:
    value: float | int


@dataclass(frozen=True)
class Bool:
    value: bool


@dataclass(frozen=True)
class Date:
    value: dt.date


@dataclass(frozen=True)
class Formula:
    """A formula written by tierform itself (e.g. ``=ROUNDUP(B2/C2*Inputs!$B$2,0)``).

    ``value`` is its result as tierform computed it; a sink that can store it does, so a reader
    that does not recalculate (a previewer, pandas) still sees the figure. It is not part of the
    formula's identity.
    """

    expression: str
    value: Any = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.expression.startswith("="):
            raise ValueError("a formula starts with '='")


Cell = Text | Number | Bool | Date | Formula | None


def cell(value: Any) -> Cell:
    """Wrap a plain Python value as a data cell (never a formula)."""
    if value is None:
        return None
    if isinstance(value, Text | Number | Bool | Date | Formula):
        return value
    if isinstance(value, bool):
        return Bool(value)
    if isinstance(value, int | float):
        return None if value != value else Number(value)  # NaN is a blank cell
    if isinstance(value, dt.datetime):
        return Date(value.date())
    if isinstance(value, dt.date):
        return Date(value)
    return Text(str(value))


def plain(c: Cell) -> Any:
    """The plain value of a cell (formulas as their expression)."""
    if c is None:
        return None
    if isinstance(c, Formula):
        return c.expression
    return c.value


@dataclass(frozen=True)
class Column:
    """One column of a large sheet: ``text`` (user text, always stored as text) or ``number``
    values, ``None`` (or NaN) for a blank. ``values`` is a list or a pyarrow array; a text
    column of a few distinct values (tier names, say) is best a dictionary array, whose texts
    the writer escapes once each."""

    kind: Literal["text", "number"]
    values: Any

    def __len__(self) -> int:
        return len(self.values)


class ColumnRows(list):  # type: ignore[type-arg]
    """A sheet's rows held as columns (a million accounts without a million row lists).

    Reads like the list of rows every sink expects (``len``, iteration, indexing, each row built
    on demand); a sink that knows it (:mod:`tierform.workbook.xlsxwriter_sink`) writes the
    columns directly. It is read-only: a sheet built from columns does not ``add`` rows.
    """

    def __init__(self, columns: Sequence[Column]) -> None:
        super().__init__()
        self.columns = list(columns)
        lengths = {len(c) for c in self.columns}
        if len(lengths) > 1:
            raise ValueError(f"columns of different lengths: {sorted(lengths)}")
        self._len = lengths.pop() if lengths else 0

    def __len__(self) -> int:
        return self._len

    def __bool__(self) -> bool:
        return self._len > 0

    def __iter__(self) -> Iterator[list[Cell]]:
        plain = [_as_list(c.values) for c in self.columns]
        kinds = [c.kind for c in self.columns]
        for k in range(self._len):
            yield [_column_cell(kind, values[k]) for kind, values in zip(kinds, plain, strict=True)]

    @overload
    def __getitem__(self, index: SupportsIndex) -> list[Cell]: ...

    @overload
    def __getitem__(self, index: slice) -> list[list[Cell]]: ...

    def __getitem__(self, index: SupportsIndex | slice) -> Any:
        if isinstance(index, slice):
            return [self[k] for k in range(*index.indices(self._len))]
        k = index.__index__()
        if k < 0:
            k += self._len
        if not 0 <= k < self._len:
            raise IndexError(index)
        return [_column_cell(c.kind, _as_list(c.values[k : k + 1])[0]) for c in self.columns]

    def append(self, _row: Any) -> None:
        raise TypeError("a sheet built from columns is read-only")


def _as_list(values: Any) -> list[Any]:
    return values.to_pylist() if hasattr(values, "to_pylist") else list(values)


def _column_cell(kind: str, value: Any) -> Cell:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return Text(str(value)) if kind == "text" else Number(value)


@dataclass(frozen=True)
class Validation:
    """Data validation on a block of cells (1-based, inclusive): a number ``between`` or ``>=``
    bounds, or one of a ``list`` (given as a range formula such as ``=Tiers!$A$2:$A$5``)."""

    first_row: int
    col: int
    last_row: int
    kind: Literal["between", "minimum", "list"]
    low: float | str | None = None
    high: float | str | None = None
    source: str | None = None
    message: str = ""


@dataclass
class SheetSpec:
    """One sheet: a stable ``key`` (used to recognise it again), a title, a header and rows."""

    key: str
    title: str
    header: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)
    number_formats: dict[int, str] = field(default_factory=dict)
    note: str | None = None
    filter_rows: int | None = None
    """Data rows under the header an autofilter covers (``None``: no autofilter)."""
    validations: list[Validation] = field(default_factory=list)

    def add(self, *values: Any) -> None:
        self.rows.append([cell(v) for v in values])

    def column_letter(self, name: str) -> str:
        return column_letter(self.header.index(name) + 1)


@dataclass
class WorkbookSpec:
    sheets: list[SheetSpec] = field(default_factory=list)

    def sheet(self, key: str) -> SheetSpec:
        for s in self.sheets:
            if s.key == key:
                return s
        raise KeyError(key)


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
