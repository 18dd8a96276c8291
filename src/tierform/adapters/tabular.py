"""The tracking workbook's layout, shared by the spreadsheet adapters (xlsx and Google Sheets).

Neutral objects become rows of typed cells (:mod:`tierform.workbook.spec`), one sheet per table:

=========  ======================  ====================================================
sheet      rows                    columns
=========  ======================  ====================================================
Accounts   account coverage        Account ID, Account, then one column per tf_ field
Tasks      work items              Task ID, Account ID, Task, Due, Assignee, Source, Reason
Fields     field definitions       Field, Label, Type, Values, Description
Segments   segments                Segment, Name, Filter, Description
Setup      playbooks/rules/health  Kind, Key, Name, Definition
=========  ======================  ====================================================

A managed sheet is recognised by its marker (xlsx: a custom document property; Sheets:
developer metadata), which also records the header of every column tierform owns. Columns
and sheets without a marker are the user's and are never read, changed or removed.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from tierform.sync.shared_keys import row_type
from tierform.sync.state import Data, Kind, State, canon, stable_json
from tierform.workbook.spec import Bool, Cell, Date, Number, Text
from tierform.workbook.xlsx_fast import Piece
from tierform.workbook.xlsx_read import serial_to_date

ColType = Literal["text", "number", "date", "bool", "json"]
MARKER_VERSION = 1
REMOVED_PREFIX = (
    "removed: "  # the key cell of a row whose object left the model (kept, not deleted)
)


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    type: ColType = "text"


@dataclass(frozen=True)
class Table:
    """One managed sheet: which kinds it holds, its key column and its data columns."""

    key: str
    title: str
    kinds: tuple[Kind, ...]
    key_header: str
    columns: tuple[Column, ...]
    label_header: str | None = None
    kind_header: str | None = None

    @property
    def headers(self) -> list[str]:
        out = [self.kind_header] if self.kind_header else []
        out.append(self.key_header)
        if self.label_header:
            out.append(self.label_header)
        return out + [c.header for c in self.columns]

    def marker(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "columns": {c.field: c.header for c in self.columns},
            "types": {c.field: c.type for c in self.columns if c.type != "text"},
        }

    def row_key(self, kind: Kind, key: str) -> str:
        return f"{kind.value}:{key}" if self.kind_header else key


_FIXED: list[Table] = [
    Table(
        "tasks",
        "Tasks",
        (Kind.work_item,),
        "Task ID",
        (
            Column("account_id", "Account ID"),
            Column("title", "Task"),
            Column("due", "Due", "date"),
            Column("assignee", "Assignee"),
            Column("source", "Source"),
            Column("reason", "Reason"),
        ),
    ),
    Table(
        "fields",
        "Fields",
        (Kind.field,),
        "Field",
        (
            Column("label", "Label"),
            Column("type", "Type"),
            Column("options", "Values", "json"),
            Column("description", "Description"),
        ),
    ),
    Table(
        "segments",
        "Segments",
        (Kind.segment,),
        "Segment",
        (
            Column("name", "Name"),
            Column("filter", "Filter", "json"),
            Column("description", "Description"),
        ),
    ),
    Table(
        "setup",
        "Setup",
        (Kind.playbook, Kind.rule, Kind.health),
        "Key",
        (Column("name", "Name"), Column("definition", "Definition", "json")),
        kind_header="Kind",
    ),
]

_FIELD_TYPES: dict[str, ColType] = {"number": "number", "date": "date", "bool": "bool"}


def account_table(fields: Mapping[str, Data]) -> Table:
    """The Accounts sheet for these field definitions (in their order)."""
    columns = tuple(
        Column(name, str(f.get("label") or name), _FIELD_TYPES.get(str(f.get("type")), "text"))
        for name, f in fields.items()
    )
    return Table(
        "accounts", "Accounts", (Kind.account,), "Account ID", columns, label_header="Account"
    )


def layout(desired: State) -> list[Table]:
    """Every table of the tracking workbook, the Accounts columns taken from ``desired``."""
    fields = _ordered_fields(desired)
    return [account_table(fields), *_FIXED]


def _ordered_fields(desired: State) -> dict[str, Data]:
    # Field objects are stored sorted by key; keep the catalogue's display order instead,
    # which the labels dict preserves (insertion order of compile_desired).
    order = list(desired.labels.get(Kind.field, {})) or sorted(desired.of(Kind.field))
    have = desired.of(Kind.field)
    return {k: have[k] for k in order if k in have} | {
        k: v for k, v in have.items() if k not in order
    }


def table_from_marker(key: str, marker: Mapping[str, Any]) -> Table | None:
    """Rebuild a managed table from its marker (to read a sheet without the desired state)."""
    columns_map = marker.get("columns")
    if not isinstance(columns_map, Mapping):
        return None
    types = marker.get("types") if isinstance(marker.get("types"), Mapping) else {}
    columns = tuple(
        Column(str(f), str(h), types.get(f, "text"))  # type: ignore[union-attr]
        for f, h in columns_map.items()
    )
    base = next((t for t in _FIXED if t.key == key), None)
    if key == "accounts":
        return Table(
            "accounts",
            str(marker.get("title", "Accounts")),
            (Kind.account,),
            "Account ID",
            columns,
            label_header="Account",
        )
    if base is None:
        return None
    return Table(
        base.key,
        str(marker.get("title", base.title)),
        base.kinds,
        base.key_header,
        columns,
        kind_header=base.kind_header,
    )


# -- cells -----------------------------------------------------------------------------------


def to_cell(value: Any, type_: ColType) -> Cell:
    """A canonical value as a typed cell; user text always stays Text (never a formula)."""
    if value is None:
        return None
    if type_ == "json":
        return Text(stable_json(value))
    if type_ == "date":
        day = serial_to_date(value) if not isinstance(value, str) else _iso(value)
        return Date(day) if day else Text(str(value))
    if type_ == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return Number(value)
    if type_ == "bool" and isinstance(value, bool):
        return Bool(value)
    if isinstance(value, bool):
        return Bool(value)
    if isinstance(value, int | float):
        return Number(value)
    return Text(str(value))


def _iso(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def from_cell(
    value: Any, type_: ColType, warnings: list[str] | None = None, where: str = ""
) -> Any:
    """A cell's value read back, leniently, as the canonical value it stands for."""
    if value is None or value == "":
        return None
    if type_ == "json":
        if not isinstance(value, str):
            return canon(value)
        try:
            return canon(json.loads(value))
        except json.JSONDecodeError:
            if warnings is not None:
                warnings.append(f"{where}: not valid JSON; treated as changed")
            return value
    if type_ == "date":
        day = serial_to_date(value)
        return day.isoformat() if day else canon(value)
    if type_ == "number":
        if isinstance(value, str):
            try:
                return canon(float(value.strip().replace(",", "")))
            except ValueError:
                if warnings is not None:
                    warnings.append(f"{where}: {value!r} is not a number; treated as changed")
                return value
        return canon(value)
    if type_ == "text":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value) if not isinstance(value, bool) else value
    return canon(value)


def row_cells(table: Table, kind: Kind, key: str, label: str | None, data: Data) -> list[Cell]:
    """The full row of typed cells for one object, in ``table.headers`` order."""
    cells: list[Cell] = [Text(kind.value)] if table.kind_header else []
    cells.append(Text(key))
    if table.label_header:
        cells.append(Text(label) if label else None)
    cells += [to_cell(data.get(c.field), c.type) for c in table.columns]
    return cells


# -- reading a sheet back ----------------------------------------------------------------------


@dataclass
class ParsedSheet:
    """A managed sheet read back: objects, their row numbers (1-based), and where columns are."""

    table: Table
    header_index: dict[str, int]
    rows: dict[tuple[Kind, str], int] = field(default_factory=dict)
    duplicates: list[str] = field(default_factory=list)


def row_key(raw: Any) -> str | None:
    """A key cell as text, the same for every sink: blank -> None, 1001.0 -> '1001'."""
    if raw is None or raw == "":
        return None
    return str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw).strip()


def parse_sheet(table: Table, rows: list[list[Any]], state: State) -> ParsedSheet:
    """Read ``rows`` (header first) of a managed sheet into ``state``; lenient: problems become
    warnings and the object is still returned (so the diff rewrites it)."""
    return parse_rows(table, enumerate(rows), state)


def parse_rows(
    table: Table, rows: Iterable[tuple[int, Sequence[Any]]], state: State
) -> ParsedSheet:
    """:func:`parse_sheet` on (0-based row, values) pairs in file order, the header row 0 and
    gaps allowed: a streamed sheet is folded into ``state`` without being held whole."""
    stream = iter(rows)
    first = next(stream, None)
    if first is not None and first[0] != 0:
        stream = itertools.chain([first], stream)
        first = (0, [])
    raw = first[1] if first is not None else []
    header = [str(h).strip() if h is not None else "" for h in raw]
    index: dict[str, int] = {}
    for i, h in enumerate(header):
        index.setdefault(h, i)
    parsed = ParsedSheet(table, index)
    key_col = index.get(table.key_header)
    if key_col is None:
        if first is not None:
            state.warnings.append(
                f"sheet {table.title!r}: no {table.key_header!r} column; its rows are not read"
            )
        return parsed
    kind_col = index.get(table.kind_header) if table.kind_header else None
    label_col = index.get(table.label_header) if table.label_header else None
    cols: list[tuple[str, int, ColType]] = [
        (c.field, index[c.header], c.type) for c in table.columns if c.header in index
    ]
    default_kind = table.kinds[0]
    objects = {k: state.objects.setdefault(k, {}) for k in table.kinds}
    labels = {k: state.labels.setdefault(k, {}) for k in table.kinds}
    warnings = state.warnings
    dates: dict[int, str] = {}
    Row = row_type()  # the sheet's objects share one table of keys (half the memory)
    for at, row in stream:
        r = at + 1
        key = row_key(row[key_col] if key_col < len(row) else None)
        if key is None or key.startswith(REMOVED_PREFIX):
            continue
        kind = default_kind
        if kind_col is not None:
            raw_kind = row[kind_col] if kind_col < len(row) else None
            try:
                kind = Kind(str(raw_kind).strip())
            except ValueError:
                warnings.append(f"sheet {table.title!r} row {r}: unknown kind {raw_kind!r}")
                continue
            if kind not in table.kinds:
                continue
        if (kind, key) in parsed.rows:
            parsed.duplicates.append(key)
            warnings.append(
                f"sheet {table.title!r} row {r}: {key!r} appears twice; the later row is ignored"
            )
            continue
        parsed.rows[(kind, key)] = r
        data: dict[str, Any] = Row().__dict__
        n = len(row)
        for f, i, t in cols:
            v = row[i] if i < n else None
            if v is None or v == "":
                continue
            if t == "text" and isinstance(v, str):
                data[f] = v
            elif t == "number" and type(v) is int:
                data[f] = v
            elif t == "number" and type(v) is float:
                rounded = round(v, 6)
                data[f] = int(rounded) if rounded.is_integer() else rounded
            elif t == "date" and type(v) is int:
                iso = dates.get(v)
                if iso is None:
                    day = serial_to_date(v)
                    iso = dates[v] = day.isoformat() if day else str(v)
                data[f] = iso
            else:
                value = from_cell(v, t, warnings, f"sheet {table.title!r} row {r}")
                if value is not None:
                    data[f] = value
        objects[kind][key] = data
        if label_col is not None and label_col < n and row[label_col] not in (None, ""):
            labels[kind][key] = str(row[label_col])
    return parsed


# -- reading a sheet back by name (a reader that hands rows as {name: value}) -----------------

KEY_NAME = " key"  # names no field has (fields are identifiers): the key and label cells,
LABEL_NAME = " label"
SKIP_NAME = " skip"  # and the cells of the user's own columns (read, then dropped)


def named_columns(table: Table, header: Sequence[Any]) -> dict[int, str] | None:
    """Column index -> name (the field, or the key/label name) of the cells
    :func:`parse_named` reads; None when the sheet needs :func:`parse_rows` instead (a kind
    column, two fields under one header, no key column)."""
    index = _header_index(header)
    headers = [table.key_header, *([table.label_header] if table.label_header else [])]
    headers += [c.header for c in table.columns]
    if table.kind_header or len(set(headers)) != len(headers) or table.key_header not in index:
        return None
    names = {i: SKIP_NAME for i, h in enumerate(header) if h is not None and str(h).strip()}
    names[index[table.key_header]] = KEY_NAME
    if table.label_header and table.label_header in index:
        names[index[table.label_header]] = LABEL_NAME
    names.update({index[c.header]: c.field for c in table.columns if c.header in index})
    return names


def _header_index(header: Sequence[Any]) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, h in enumerate(header):
        index.setdefault(str(h).strip() if h is not None else "", i)
    return index


def _as_read(value: Any) -> Any:
    """A number as the general reader gives it: 80.0 -> 80, integers past 2**53 as floats."""
    if type(value) is float and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if type(value) is int and abs(value) >= 2**53:
        return float(value)
    return value


def parse_named(table: Table, pieces: Iterable[Piece], state: State) -> None:
    """:func:`parse_rows` for rows handed in runs keyed by name or column letter (see
    :class:`~tierform.workbook.xlsx_fast.Piece`; names from :func:`named_columns`): the same
    objects, labels and warnings, without the rows' positions (a reader of a whole workbook
    has no use for them). Each cell is taken in hand once: renamed, typed, and its text stored
    once per distinct value (a million rows repeat a few tiers and bands)."""
    kind = table.kinds[0]
    objects = state.objects.setdefault(kind, {})
    labels = state.labels.setdefault(kind, {})
    warnings = state.warnings
    types = {c.field: c.type for c in table.columns}
    texts: dict[str, str] = {}
    fractions: dict[float, float] = {}
    seen: set[str] = set()
    dates: dict[int, str] = {}
    Row = row_type()  # the sheet's objects share one table of keys (half the memory)
    for piece in pieces:
        texts_of: dict[str, str] = {}  # text columns: the common case, taken first
        fields: dict[str, tuple[str, ColType]] = {}
        key_at = label_at = None
        for k, name in piece.names.items():
            if name == KEY_NAME:
                key_at = k
            elif name == LABEL_NAME:
                label_at = k
            elif name != SKIP_NAME:
                fields[k] = (name, types[name])
                if types[name] == "text":
                    texts_of[k] = name
        for r, row in piece.rows:
            raw = row.get(key_at) if key_at is not None else None
            key = row_key(raw if type(raw) is str else _as_read(raw))
            if key is None or key.startswith(REMOVED_PREFIX):
                continue
            if key in seen:
                warnings.append(
                    f"sheet {table.title!r} row {r}: {key!r} appears twice; the later row is "
                    "ignored"
                )
                continue
            seen.add(key)
            data: Data = Row().__dict__
            for k, v in row.items():
                tv = type(v)
                if tv is str:
                    text_field = texts_of.get(k)
                    if text_field is not None:
                        data[text_field] = texts.setdefault(v, v)
                        continue
                spec = fields.get(k)
                if spec is None or v is None:
                    continue
                f, t = spec
                if t == "number":
                    if tv is int and -(2**53) < v < 2**53:
                        data[f] = v
                        continue
                    if tv is float:  # as _typed on _as_read(v), in line
                        rounded = round(v, 6)
                        if rounded.is_integer():
                            data[f] = int(rounded)
                        else:  # one object per distinct score (never equal to an int)
                            data[f] = fractions.setdefault(rounded, rounded)
                        continue
                elif t == "date" and tv is int and -(2**53) < v < 2**53:
                    iso = dates.get(v)
                    if iso is None:
                        iso = _typed(v, t, dates, warnings, (table.title, r))
                    data[f] = iso
                    continue
                value = _typed(_as_read(v), t, dates, warnings, (table.title, r))
                if value is not None:
                    data[f] = value
            objects[key] = data
            label = row.get(label_at) if label_at is not None else None
            if label is not None and label != "":
                labels[key] = str(_as_read(label))


def _typed(
    v: Any, t: ColType, dates: dict[int, str], warnings: list[str], where: tuple[str, int]
) -> Any:
    """One cell's value as :func:`parse_rows` reads it (None: no value)."""
    if t == "text" and isinstance(v, str):
        return v
    if t == "number" and type(v) is int:
        return v
    if t == "number" and type(v) is float:
        rounded = round(v, 6)
        return int(rounded) if rounded.is_integer() else rounded
    if t == "date" and type(v) is int:
        iso = dates.get(v)
        if iso is None:
            day = serial_to_date(v)
            iso = dates[v] = day.isoformat() if day else str(v)
        return iso
    return from_cell(v, t, warnings, f"sheet {where[0]!r} row {where[1]}")
