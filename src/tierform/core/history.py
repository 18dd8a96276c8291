"""What each account had before this run: its tier and its CSM (or pool).

The engine is stateless; a client is not. Hysteresis, the fewest-handoffs balancing and the
tier-change rules (warm handoff, segment up / down) all need the state the accounts are in
today. :class:`History` holds it, from a platform (its last ``tf_tier`` and its CSM) or from a
file (``account_id, tier, csm``, or a file written by ``tierform export``), and
:func:`with_history` puts it into the book's ``previous_tier`` and ``owner`` columns, which the
segmenter, the assigner and the rules already read. Where the history knows an account, its
value wins over the book's own column; elsewhere the book's value stays.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import compress, repeat
from pathlib import Path
from typing import Any

import pyarrow as pa

from tierform.core.book import AccountBook
from tierform.core.history_columns import AlignedNames
from tierform.core.model import CoverageLayer, CoverageModel
from tierform.errors import BookError, Issue

TIER_COLUMNS = ("tier", "tf_tier", "previous_tier")
CSM_COLUMNS = ("csm", "tf_csm", "owner")
FORMATS = (".csv", ".json", ".xlsx")


@dataclass(frozen=True)
class History:
    """Per account id: the tier it had (a model tier's name) and its CSM or pool, as the roster
    names them where the roster knows the person (by name or e-mail)."""

    tiers: Mapping[str, str] = field(default_factory=dict)
    owners: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    notes: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.tiers or self.owners)


def people(model: CoverageModel) -> dict[str, str]:
    """Roster CSMs by name and e-mail, and the model's pools, casefolded -> the model's name."""
    out: dict[str, str] = {}
    for entry in model.roster:
        out[entry.name.strip().casefold()] = entry.name
        if entry.email:
            out[entry.email.strip().casefold()] = entry.name
    for tier in model.tiers:
        if tier.layer is CoverageLayer.pooled:
            out[tier.pool_name.strip().casefold()] = tier.pool_name
    return out


def history_of(rows: Iterable[tuple[str, Any, Any]], model: CoverageModel, source: str) -> History:
    """A history from ``(account_id, tier, csm)`` as a platform holds them: see
    :func:`history_of_columns`."""
    columns = tuple(map(list, zip(*rows, strict=True))) or ([], [], [])
    ids, tiers, csms = columns
    return history_of_columns(ids, tiers, csms, model, source)


def history_of_columns(
    ids: list[Any],
    tiers: list[Any],
    csms: list[Any],
    model: CoverageModel,
    source: str,
    unique: bool = False,
) -> History:
    """A history from the columns of ``(account_id, tier, csm)`` as a platform holds them
    (None: the platform has no value). A tier the model does not have (renamed since the last
    sync) is left out and noted, never guessed. Where an id comes twice, its last value wins;
    ``unique``: no id comes twice (a platform's keys), so the names are kept as columns
    (:class:`~tierform.core.history_columns.AlignedNames`).

    A platform holds a handful of distinct tiers and CSMs over up to a million accounts: each
    distinct text is looked up once, and the columns are matched a value at a time in C."""
    names = {t.name.casefold(): t.name for t in model.tiers}
    who = people(model)
    keys = ids if set(map(type, ids)) <= _STR else list(map(str, ids))
    tier_names = _each(tiers, lambda tier: _tier_name(tier, names))
    owner_names = _each(csms, lambda csm: _owner(csm, who))
    unknown: dict[str, int] = {}
    for tier in compress(tiers, map(operator.is_, tier_names, repeat(None))):
        text = str(tier)  # a blank tier is "", never None
        unknown[text] = unknown.get(text, 0) + 1
    notes = tuple(
        f"{source}: tier {name!r} on {n} account(s) is not a tier of the model: those accounts "
        "have no previous tier (hysteresis and tier-change rules skip them)"
        for name, n in sorted(unknown.items())
    )
    if unique:
        return History(
            AlignedNames(keys, tier_names), AlignedNames(keys, owner_names), source, notes
        )
    tiers_known = dict(compress(zip(keys, tier_names, strict=True), tier_names))
    owned = map(operator.is_not, owner_names, repeat(None))
    owners_known = dict(compress(zip(keys, owner_names, strict=True), owned))
    return History(tiers_known, owners_known, source, notes)


def _each(values: list[Any], name_of: Callable[[Any], str | None]) -> list[str | None]:
    """``name_of`` of each value, worked out once per distinct text (or None): a value of
    another type is worked out on its own, since ``1``, ``1.0`` and ``True`` are equal keys
    but not the same text."""
    table = _Names(name_of)
    if set(map(type, values)) <= _TEXT_TYPES:
        return list(map(table.__getitem__, values))
    return [table[v] if v is None or type(v) is str else name_of(v) for v in values]


class _Names(dict[Any, str | None]):
    """A value -> its name, each worked out on first use."""

    def __init__(self, name_of: Callable[[Any], str | None]) -> None:
        super().__init__()
        self.name_of = name_of

    def __missing__(self, value: Any) -> str | None:
        self[value] = name = self.name_of(value)
        return name


_STR = {str}


def _tier_name(tier: Any, names: Mapping[str, str]) -> str | None:
    """The model's name of a tier as a platform holds it; "" for a blank, None if unknown."""
    if _blank(tier) is None:
        return ""
    return names.get(str(tier).strip().casefold())


def _owner(csm: Any, who: Mapping[str, str]) -> str | None:
    """The roster's name of a CSM or pool as a platform holds it (its own text if unknown)."""
    owner = _blank(csm)
    return None if owner is None else who.get(owner.casefold(), owner)


def read_history(path: str | Path, model: CoverageModel) -> History:
    """A previous state from a file: CSV, JSON or xlsx with ``account_id`` and a tier column
    (``tier`` / ``tf_tier``) and/or a CSM column (``csm`` / ``tf_csm`` / ``owner``). Every
    problem is reported with its row; nothing is guessed."""
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise BookError([Issue("previous state: file not found: check the path", file=name)])
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise BookError(
            [Issue("previous state: use a .csv, .json or .xlsx file (account_id, tier, csm)", name)]
        )
    header, records, first_row = _records(path, suffix)
    lower = {h.strip().casefold(): h for h in header}
    id_col = lower.get("account_id")
    tier_col = next((lower[c] for c in TIER_COLUMNS if c in lower), None)
    csm_col = next((lower[c] for c in CSM_COLUMNS if c in lower), None)
    if id_col is None or (tier_col is None and csm_col is None):
        raise BookError(
            [
                Issue(
                    "previous state: needs an account_id column and a tier and/or csm column "
                    f"(found: {', '.join(header) or 'no columns'})",
                    file=name,
                )
            ]
        )
    issues: list[Issue] = []
    tiers = {t.name.casefold() for t in model.tiers}
    seen: dict[str, int] = {}
    rows: list[tuple[str, Any, Any]] = []
    for i, rec in enumerate(records):
        row = first_row + i
        aid = _blank(rec.get(id_col))
        if aid is None:
            issues.append(Issue("blank account_id: fill it or delete the row", name, row=row))
            continue
        if aid in seen:
            issues.append(
                Issue(f"account {aid!r} again (first on row {seen[aid]}): keep one", name, row=row)
            )
            continue
        seen[aid] = row
        tier = _blank(rec.get(tier_col)) if tier_col else None
        if tier is not None and tier.casefold() not in tiers:
            issues.append(
                Issue(
                    f"tier {tier!r} is not a tier of the model "
                    f"({', '.join(t.name for t in model.tiers)}): fix the value or the model",
                    name,
                    row=row,
                    key=tier_col,
                )
            )
            continue
        rows.append((aid, tier, _blank(rec.get(csm_col)) if csm_col else None))
    if issues:
        raise BookError(issues, f"{name}: {len(issues)} problem(s) in the previous state")
    return history_of(rows, model, name)


def _records(path: Path, suffix: str) -> tuple[list[str], list[dict[str, Any]], int]:
    """Header, records and the file row of the first record."""
    if suffix == ".json":
        from tierform.core.book_json import read_json_records

        records = read_json_records(path, None)
        header = list(dict.fromkeys(k for r in records for k in r))
        return header, records, 1
    if suffix == ".csv":
        from tierform.core.book_csv import read_csv

        csv_book = read_csv(path, None, ("account_id",))
        table = csv_book.table
        header = [h.lstrip("\ufeff") for h in table.column_names]
        table = table.rename_columns(header)
        return header, table.to_pylist(), csv_book.first_row
    from tierform.core.book_xlsx import read_xlsx_rows

    names, columns = read_xlsx_rows(path, None)
    records = [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    return list(names), records, 2


def _blank(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an id or a name a spreadsheet stored as a number
    text = str(value).strip()
    return text or None


_TEXT_TYPES = {str, type(None)}


def with_history(book: AccountBook, history: History | None) -> AccountBook:
    """``book`` with the history in its ``previous_tier`` and ``owner`` columns (the history's
    value where it has one, else the book's own)."""
    if not history:
        return book
    assert history is not None
    ids = book.ids()
    table = book.table
    columns = _platform_columns(history, ids) or (None, None)
    for (column, values), names in zip(
        (("previous_tier", history.tiers), ("owner", history.owners)), columns, strict=True
    ):
        if not values:
            continue
        merged: list[str | None]
        if names is not None and (len(values) == len(ids) or _no_own(book, column, names)):
            merged = names  # the platform's name, where it has one; the book has none
        elif _in_book_order(values, ids):
            merged = list(values.values())
        else:
            own = book.text(column)
            if len(own) != len(ids):
                raise ValueError(f"column {column!r} does not have one value per account")
            if names is not None:  # the history's value (None or "": none), else the book's
                merged = [name or mine for name, mine in zip(names, own, strict=True)]
            else:
                merged = list(map(values.get, ids, own))
        if not set(map(type, merged)) <= _TEXT_TYPES:
            merged = [None if v is None else str(v) for v in merged]
        array = pa.array(merged, type=pa.string())
        if column in table.column_names:
            table = table.set_column(table.column_names.index(column), column, array)
        else:
            table = table.append_column(column, array)
    return book.with_columns(table)


def _platform_columns(
    history: History, ids: list[str]
) -> tuple[list[str | None], list[str | None]] | None:
    """A platform's history as its two name columns (tiers, owners), when it was read with
    exactly ``ids``, in their order; None otherwise. The columns share their ids, so the
    million ids are compared once, not once per column."""
    tiers, owners = history.tiers, history.owners
    if not (isinstance(tiers, AlignedNames) and isinstance(owners, AlignedNames)):
        return None
    if tiers.ids is not owners.ids or tiers.ids != ids:
        return None
    return tiers.names, owners.names


def _no_own(book: AccountBook, column: str, names: list[str | None]) -> bool:
    """Whether the book has no value of its own in ``column`` and ``names`` no blank text:
    the names are then the merged column as they are."""
    own = book.column(column)
    return (own is None or own.null_count == len(names)) and "" not in names


def describe(history: History, book: AccountBook) -> str:
    """One line for people: how much of the book the history covers."""
    ids = book.ids()
    if _platform_columns(history, ids) is not None:  # each name held is of a book's id
        tiers, owners = len(history.tiers), len(history.owners)
    else:
        tiers, owners = _known(history.tiers, ids), _known(history.owners, ids)
    return (
        f"previous state from {history.source}: a tier for {tiers} and a CSM for {owners} of "
        f"{len(ids)} account(s)"
    )


def _known(values: Mapping[str, Any], ids: list[str]) -> int:
    """How many of ``ids`` ``values`` has."""
    return len(ids) if _in_book_order(values, ids) else sum(map(values.__contains__, ids))


def _in_book_order(values: Mapping[str, Any], ids: list[str]) -> bool:
    """Whether ``values`` holds exactly ``ids``, in their order: a history read from a target
    the book was synced to does, and one list comparison then stands for a million look-ups
    scattered over memory (a quarter of a second each pass)."""
    return len(values) == len(ids) and list(values) == ids
