"""Typed cells, sheets and workbooks, independent of where they are drawn.

User data is only ever :class:`Text`, :class:`Number`, :class:`Bool` or :class:`Date`; only code
creates :class:`Formula`. So a CRM name like ``=HYPERLINK(...)`` can never become a formula, in
any sink, by construction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


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
    """A formula written by tierform itself (e.g. ``=ROUNDUP(B2/C2*Inputs!$B$2,0)``)."""

    expression: str

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
