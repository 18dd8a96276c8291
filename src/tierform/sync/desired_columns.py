"""The desired state's per-account dicts, built from per-field columns.

A million-account book turns into a million dicts: they are built a handful of ways at once
(one per pattern of blank fields, the dicts of a pattern sharing one table of keys) rather than
one value test at a time, score values are rounded once per distinct value (equal scores share
one object), and where the platform already holds an account exactly as desired its dict is
reused (:func:`~tierform.sync.state.reuse`): for rows of scalars, the platform's dict is
matched field by field before any dict is built, so an aligned account costs no new dict.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable
from itertools import repeat
from typing import Any

import numpy as np

from tierform.core.arrays import distinct
from tierform.sync.shared_keys import shared_keys_function
from tierform.sync.state import Data, reuse


def _round(values: np.ndarray | None, n: int) -> list[float | None]:
    if values is None:
        return []
    rounded = np.round(values.astype(float), n)
    return [None if v != v else v for v in rounded.tolist()]


def rounded_column(values: np.ndarray | None, n: int) -> list[float | int | None]:
    """``_whole(_round(values, n))``, worked out once per distinct value: a score column holds
    a few hundred values over a million accounts, and equal values share one object."""
    if values is None:
        return []
    rounded = np.round(values.astype(float), n).reshape(-1)
    if rounded.size == 0:
        return []
    where = _slots(rounded, n)
    if where is None:  # values too spread for a table: sort them instead
        distinct, where = np.unique(rounded, return_inverse=True)
        where = where.reshape(-1)
    else:
        distinct = np.zeros(int(where.max()) + 1)
        distinct[where] = rounded  # a slot holds one value (0.0 or -0.0: both written 0)
    objects = _whole([None if v != v else v for v in distinct.tolist()])
    return list(map(objects.__getitem__, where.tolist()))


def _slots(rounded: np.ndarray, n: int) -> np.ndarray | None:
    """A slot per distinct value of ``rounded`` (values rounded to ``n`` decimals), found
    without sorting: the value times 10**n is a whole number that names it. None when the
    numbers span too wide a range for a table; NaN and infinities take the last slots."""
    finite = np.isfinite(rounded)
    steps = np.rint(np.where(finite, rounded, 0.0) * 10.0**n)
    low, high = float(steps.min()), float(steps.max())
    if high - low > 4 * rounded.size + 4096 or max(-low, high) > 2.0**50:
        return None
    where = (steps - low).astype(np.int64)
    if not finite.all():
        top = int(high - low) + 1
        where[np.isnan(rounded)] = top
        where[rounded == np.inf] = top + 1
        where[rounded == -np.inf] = top + 2
    return where


def account_rows(
    ids: list[str], columns: dict[str, list[Any]], like: dict[str, Data] | None = None
) -> dict[str, Data]:
    """Account id -> its fields (sorted by name, blanks left out), from per-field columns;
    ``like``'s dict where it is exactly the same (:func:`~tierform.sync.state.reuse`).

    Accounts are grouped by which fields they leave blank (a handful of patterns), so each
    account's dict is built in one pass over the fields it has, with no per-value test."""
    names = sorted(columns)
    values = [columns[n] for n in names]
    if any(len(col) != len(ids) for col in values):
        raise ValueError("a coverage field does not have one value per account")
    types = [set(map(type, col)) for col in values]
    blanks = {j: b for j, col in enumerate(values) if (b := _blanks(col, types[j])) is not None}
    sparse = list(blanks)
    if len(sparse) > 62:  # more blank-able fields than bits: one account at a time
        return {
            aid: _present(names, row)
            for aid, row in zip(ids, zip(*values, strict=True), strict=True)
        }
    code = np.zeros(len(ids), dtype=np.int64)
    for bit, j in enumerate(sparse):
        code |= blanks[j].astype(np.int64) << bit
    # Against the platform's dicts, scalar fields are matched as the dicts are built (no dict
    # built where the platform's is the same); other values go through ``reuse``.
    matched = bool(like) and all(t <= _SCALARS for t in types)
    floats = {j for j, t in enumerate(types) if float in t}
    build: dict[int, Callable[..., Data]] = {}
    for pattern in distinct(code).tolist():
        blank = {j for bit, j in enumerate(sparse) if pattern >> bit & 1}
        fields = [(j, names[j]) for j in range(len(names)) if j not in blank]
        build[pattern] = _row_matcher(fields, floats) if matched else _row_builder(fields)
    rows = zip(*values, strict=True)
    ordered = _in_order(like, ids) if like else False
    held = (_held(like, ids, ordered),) if matched and like else ()
    if len(build) == 1:
        datas = map(next(iter(build.values())), *held, rows)
    else:
        datas = map(operator.call, map(build.__getitem__, code.tolist()), *held, rows)
    if like and not matched:
        datas = map(reuse, _held(like, ids, ordered), datas)
    if ordered:
        assert like is not None
        made = list(datas)
        if all(map(operator.is_, made, like.values())):
            return dict(like)  # each account as the platform holds it: its dict copied whole
        return dict(zip(ids, made, strict=True))
    return dict(zip(ids, datas, strict=True))


def _in_order(like: dict[str, Data], ids: list[str]) -> bool:
    """Whether ``like`` holds exactly ``ids``, in their order: a platform the book was synced
    to does. Its dicts are then taken in order, with no look-up per account (a million of
    them, scattered over memory), and where every one is kept, the dict of them all is
    copied whole: a fresh million-entry dict costs ten times as long."""
    return len(like) == len(ids) and list(like) == ids


def _held(like: dict[str, Data], ids: list[str], ordered: bool) -> Iterable[Data | None]:
    """``like``'s dict of each id (None where it has none)."""
    return like.values() if ordered else map(like.get, ids)


def _row_builder(fields: list[tuple[int, str]]) -> Callable[[tuple[Any, ...]], Data]:
    """``row -> {name: row[j], ...}`` for these (j, name), the rows of one pattern sharing
    one table of keys (:mod:`~tierform.sync.shared_keys`)."""
    return shared_keys_function("row", [(name, f"row[{j}]") for j, name in fields])


def _row_matcher(
    fields: list[tuple[int, str]], floats: set[int]
) -> Callable[[Data | None, tuple[Any, ...]], Data]:
    """``(old, row) -> reuse(old, {name: row[j], ...})`` for rows of scalars (text, numbers,
    booleans), with no dict built where ``old`` holds the same: the same keys, each value
    equal (or the very object: a NaN) and of the same type, a float zero of the same sign
    (``0.0 == -0.0``, but their JSON differs): what :func:`~tierform.sync.state.reuse` asks
    of scalars. It also shares the few scalars orjson refuses to write (a lone surrogate, an
    integer past 64 bits), which ``reuse`` keeps apart though they are the same value."""
    checks = [f"type(old) is dict and len(old) == {len(fields)}"]
    for j, name in fields:
        check = (
            f"type(a := old.get({name!r}, absent)) is type(b := row[{j}]) and (a is b or a == b)"
        )
        if j in floats:
            check += " and (a or type(a) is not float or copysign(1.0, a) == copysign(1.0, b))"
        checks.append(f"({check})")
    return shared_keys_function(
        "old, row",
        [(name, f"row[{j}]") for j, name in fields],
        namespace={"absent": _ABSENT, "copysign": math.copysign},
        shortcut=(" and ".join(checks), "old"),
    )


_ABSENT = object()  # a key the platform's dict lacks (its type is no value's)
_SCALARS = {str, int, float, bool, type(None)}


def _present(names: list[str], row: tuple[Any, ...]) -> Data:
    return {k: v for k, v in zip(names, row, strict=True) if v is not None and v != ""}


def _blanks(column: list[Any], types: set[type]) -> np.ndarray | None:
    """Where ``column`` (whose values are of ``types``) is blank (None or ""); None if
    nowhere. A number is never "", so a score column is not compared value by value."""
    n = len(column)
    blank = None
    if types == _NONE_ONLY:  # a field no account has (a dimension with no signal)
        return np.ones(n, dtype=bool)
    if type(None) in types:
        blank = np.fromiter(map(operator.is_, column, repeat(None)), dtype=bool, count=n)
    if not types <= _NEVER_EMPTY and "" in column:
        empty = np.fromiter(map(operator.eq, column, repeat("")), dtype=bool, count=n)
        blank = empty if blank is None else blank | empty
    return blank


_NEVER_EMPTY = {int, float, bool, type(None)}
_NONE_ONLY = {type(None)}


def _whole(values: list[float | None]) -> list[float | int | None]:
    """Whole numbers as ints, as :func:`~tierform.sync.state.canon` writes them."""
    return [int(v) if v is not None and v.is_integer() else v for v in values]
