"""A managed sheet read from rows whose keys tell each cell's kind, one prepared function per
set of keys (:mod:`tierform.workbook.xlsx_typed`).

:func:`~tierform.adapters.tabular.parse_named` takes every cell in hand: a million-account
sheet is some fifteen million type tests and renames. Rows written by tierform repeat a few
sets of keys (which cells are blank), so each set gets a function that builds the row's dict
at once, the column types known in advance (the dicts of a set share one table of keys:
:mod:`~tierform.sync.shared_keys`); numbers, dates and repeated texts go through a
table of the values already seen, so each distinct value is worked out (and stored) once.
Coded runs (rows as lists, a code per set of cells) are read by the same functions, each value
by its place; a whole run's keys, labels and objects then go into their dicts at once.

Whatever this does not cover (a number in a text column, a duplicate key, a boolean column, a
piece of another shape) makes :func:`read_typed` give up before it changes the state; the
caller then reads the sheet with :func:`~tierform.adapters.tabular.parse_named`, which gives
the same objects, labels and warnings for everything this reads. Such a sheet (one a person
edited) is read up to the odd cell twice: a workbook saved by a spreadsheet program (shared
strings) gives up on its first piece.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tierform.adapters.tabular import (
    KEY_NAME,
    LABEL_NAME,
    REMOVED_PREFIX,
    SKIP_NAME,
    ColType,
    Table,
    from_cell,
)
from tierform.sync.shared_keys import shared_keys_function
from tierform.sync.state import Data, State
from tierform.workbook.xlsx_read import column_letters, serial_to_date
from tierform.workbook.xlsx_typed import Coded

Rows = list[dict[str, Any]]
Build = Callable[[Any], tuple[Any, Any, Data]]  # a keyed row (dict) or a coded one (list)
_SAFE = 2**53  # integers below this are exact as floats, as the general reader reads them


class _Declined(Exception):
    """A value this path does not read (the caller reads the sheet the general way)."""


class _Texts(dict[str, str]):
    """Each distinct text once (a million rows repeat a few tiers and bands)."""

    def __missing__(self, text: str) -> str:
        self[text] = text
        return text


class _Numbers(dict[Any, Any]):
    """A number cell's value as the general path reads it, worked out once per value."""

    def __missing__(self, v: Any) -> Any:
        t = type(v)
        if t is int and -_SAFE < v < _SAFE:
            value: Any = v
        elif t is float:
            rounded = round(v, 6)
            value = int(rounded) if rounded.is_integer() else rounded
        else:  # past 2**53, or not a number
            raise _Declined
        self[v] = value
        return value


class _Dates(dict[Any, Any]):
    """A date cell's value (a serial day) as its ISO text, worked out once per value."""

    def __missing__(self, v: Any) -> Any:
        t = type(v)
        if t is float and v.is_integer() and -_SAFE < v < _SAFE:
            v, t = int(v), int
        if t is int and -_SAFE < v < _SAFE:
            day = serial_to_date(v)
            value: Any = day.isoformat() if day else str(v)
        elif t is float:
            value = from_cell(v, "date")
        else:
            raise _Declined
        self[v] = value
        return value


def read_typed(
    table: Table, runs: Iterable[Coded | Rows | None], names: Mapping[int, str], state: State
) -> bool:
    """Fold the rows of ``runs`` (names from :func:`~tierform.adapters.tabular.named_columns`)
    into ``state`` as :func:`~tierform.adapters.tabular.parse_named` would; False, with
    ``state`` untouched, where the sheet needs that general reading."""
    reading = _Reading({column_letters(i): name for i, name in names.items()}, table)
    objects: dict[str, Data] = {}
    labels: dict[str, str] = {}
    builders, by_code = reading.builders, reading.by_code
    try:
        for run in runs:
            if run is None:
                return False
            table_of: dict[Any, Build]
            make: Callable[[Any], Build | None]
            if isinstance(run, Coded):
                count = len(run.rows)
                for code in set(run.codes).difference(by_code):
                    if reading.coded(code) is None:
                        return False
                folded = _fold(run, by_code, objects, labels)
                if folded is not None:
                    if not folded:
                        return False
                    reading.seen(count)
                    continue
                pairs: Iterable[tuple[Any, Any]] = zip(run.codes, run.rows, strict=True)
                table_of, make = by_code, reading.coded
            else:
                count = len(run)
                pairs = ((tuple(row), row) for row in run)
                table_of, make = builders, reading.builder
            for shape, row in pairs:
                build = table_of.get(shape)
                if build is None:
                    build = make(shape)
                    if build is None:
                        return False
                key, label, data = build(row)
                if key is None or key.startswith(REMOVED_PREFIX):
                    continue
                if key in objects:  # the general path warns about it, row by row
                    return False
                objects[key] = data
                if label is not None:
                    labels[key] = label
            reading.seen(count)
    except _Declined:
        return False
    kind = table.kinds[0]
    if state.objects.get(kind):
        state.objects[kind].update(objects)
    else:
        state.objects[kind] = objects
    state.labels.setdefault(kind, {}).update(labels)
    return True


def _fold(
    run: Coded, by_code: Mapping[int, Build], objects: dict[str, Data], labels: dict[str, str]
) -> bool | None:
    """Fold a coded run into ``objects`` and ``labels`` a column at a time: False for a key
    seen before (the general path warns about it), None (nothing done) where a row has no key
    or one of a removed object, which the caller then takes row by row."""
    built = [by_code[code](row) for code, row in zip(run.codes, run.rows, strict=True)]
    if not built:
        return True
    keys, names, datas = zip(*built, strict=True)
    if None in keys or _REMOVED in "\0" + "\0".join(keys):
        return None
    before = len(objects)
    objects.update(zip(keys, datas, strict=True))
    if len(objects) != before + len(keys):
        return False
    if None not in names:
        labels.update(zip(keys, names, strict=True))
    elif names.count(None) != len(names):
        labels.update((k, name) for k, name in zip(keys, names, strict=True) if name is not None)
    return True


_REMOVED = "\0" + REMOVED_PREFIX  # a key that starts with it, among keys joined by NULs


class _Reading:
    """The prepared functions of one sheet, by set of row keys, and the tables of values they
    read through: one per text column (each distinct text once) until a column proves to hold
    mostly distinct texts (a next step names its account), whose texts are then taken as
    they are; numbers and dates share one table each."""

    def __init__(self, letters: Mapping[str, str], table: Table) -> None:
        self.letters = letters
        self.types = {c.field: c.type for c in table.columns}
        self.tables: dict[str, Any] = {"N": _Numbers(), "D": _Dates()}
        self.texts: dict[str, str] = {}  # text field -> the name of its table
        for i, field in enumerate(f for f, t in self.types.items() if t == "text"):
            self.texts[field] = f"T{i}"
            self.tables[f"T{i}"] = _Texts()
        self.builders: dict[tuple[str, ...], Build] = {}
        self.by_code: dict[int, Build] = {}  # the same for coded rows (lists of values)
        self.rows = 0

    def seen(self, rows: int) -> None:
        """After a run of ``rows`` rows: a text column with more distinct texts than half the
        rows read so far is read without its table from now on."""
        self.rows += rows
        plain = [f for f, name in self.texts.items() if len(self.tables[name]) * 2 > self.rows]
        for field in plain:
            del self.tables[self.texts.pop(field)]
        if plain:
            self.builders.clear()
            self.by_code.clear()

    def coded(self, code: int) -> Build | None:
        """:meth:`builder` for :class:`~tierform.workbook.xlsx_typed.Coded` rows of ``code``:
        the same function, reading each value by its place in the row."""
        keys = []
        for column in range(26):
            kind = code >> (2 * column) & 3
            if kind:
                keys.append(chr(65 + column) + ("#" if kind == 2 else ""))
        build = self.builder(tuple(keys), by_place=True)
        if build is not None:
            self.by_code[code] = build
        return build

    def builder(self, keys: tuple[str, ...], by_place: bool = False) -> Build | None:
        """``row -> (key, label, data)`` for rows with these keys (``by_place``: rows as lists
        of the values in this order), or None when such a row needs the general reading (a
        cell of another row, a value of a kind its column does not hold)."""
        key = label = "None"
        items = []
        for place, k in enumerate(keys):
            letter, value = (k[:-1], True) if k.endswith("#") else (k, False)
            if not letter.isalpha():
                return None  # a cell of another row (its key keeps digits)
            name = self.letters.get(letter)
            if name is None or name == SKIP_NAME:
                continue
            cell = f"row[{place}]" if by_place else f"row[{k!r}]"
            if name == KEY_NAME or name == LABEL_NAME:
                if value:
                    return None  # a number as the key or label: read the general way
                if name == KEY_NAME:
                    key = f"{cell}.strip()"
                else:
                    label = cell
                continue
            kind = self.types[name]
            if kind == "text" and not value:
                through = self.texts.get(name)
                items.append((name, f"{through}[{cell}]" if through else cell))
            elif kind in _TABLE and value:
                items.append((name, f"{_TABLE[kind]}[{cell}]"))
            else:
                return None
        build: Build = shared_keys_function(
            "row", items, f"({key}, {label}, {{dict}})", self.tables
        )
        if not by_place:
            self.builders[keys] = build
        return build


_TABLE: dict[ColType, str] = {"number": "N", "date": "D"}
