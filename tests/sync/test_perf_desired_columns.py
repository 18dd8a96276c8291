"""The column-wise pieces of the desired state against straightforward per-value references:
account rows built per blank pattern, score columns rounded per distinct value, migrations
per distinct (previous, now) pair, renewal windows, and objects shared with the platform's."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from tierform.core.book import book_from_records
from tierform.core.loader import default_model
from tierform.sync.desired import (
    MIGRATIONS,
    RENEWAL_WINDOWS,
    migrations,
    renewal_windows,
)
from tierform.sync.desired_columns import account_rows, rounded_column
from tierform.sync.state import reuse


def reference_rows(ids: list[str], columns: dict[str, list[Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    names = sorted(columns)
    for i, aid in enumerate(ids):
        data = {}
        for name in names:
            v = columns[name][i]
            if v is not None and v != "":
                data[name] = v
        out[aid] = data
    return out


def _same_rows(
    got: dict[str, dict[str, Any]], want: dict[str, dict[str, Any]], ordered: bool = True
) -> None:
    assert list(got) == list(want)
    for key, data in want.items():
        # same keys (in the same order, unless shared), same values of the same types
        assert list(got[key]) == list(data) if ordered else sorted(got[key]) == sorted(data)
        for name, value in data.items():
            other = got[key][name]
            assert type(other) is type(value)
            assert other == value or (value != value and other != other)


def _random_columns(rng: np.random.Generator, n: int, fields: int) -> dict[str, list[Any]]:
    pool: list[Any] = [None, "", "a", "Ünïcode Café", "日本", 0, 1, 2.5, -0.0, True, math.nan, "x"]
    columns: dict[str, list[Any]] = {}
    for f in range(fields):
        kind = f % 4
        if kind == 0:  # never blank
            values = [f"v{int(i)}" for i in rng.integers(0, 5, n)]
        elif kind == 1:  # numbers, some missing
            values = [None if r < 0.2 else float(r) for r in rng.random(n)]
        elif kind == 2:  # mixed
            values = [pool[int(i)] for i in rng.integers(0, len(pool), n)]
        else:  # text with empty strings
            values = ["" if r < 0.3 else f"t{r:.2f}" for r in rng.random(n)]
        columns[f"tf_{chr(ord('z') - f)}_{f}"] = values
    return columns


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("n", [0, 1, 7, 500])
def testaccount_rows_match_reference(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    ids = [f"A{int(i)}" for i in rng.integers(0, max(n, 1) * 2, n)]  # repeats included
    columns = _random_columns(rng, n, 3 + seed * 3)
    _same_rows(account_rows(ids, columns), reference_rows(ids, columns))


def testaccount_rows_all_blank_one_field_and_no_blank() -> None:
    ids = ["a", "b", "c"]
    for columns in (
        {"f": [None, "", None]},
        {"f": ["x", "y", "z"]},
        {"f": ["x", None, ""], "g": [1, 2, 3]},
    ):
        _same_rows(account_rows(ids, columns), reference_rows(ids, columns))


def testaccount_rows_need_one_value_per_account() -> None:
    with pytest.raises(ValueError):
        account_rows(["a", "b"], {"f": ["x"]})


def testaccount_rows_many_blankable_fields_fall_back() -> None:
    rng = np.random.default_rng(9)
    n = 40
    ids = [f"A{i}" for i in range(n)]
    columns = {f"f{j:02d}": [None if r < 0.5 else j for r in rng.random(n)] for j in range(70)}
    _same_rows(account_rows(ids, columns), reference_rows(ids, columns))


def testaccount_rows_share_exactly_equal_platform_objects() -> None:
    ids = ["a", "b", "c", "d", "e"]
    columns: dict[str, list[Any]] = {
        "tf_n": [1, 2, 3, 4, 5],
        "tf_t": ["x", "y", None, "é", "w"],
    }
    like: dict[str, dict[str, Any]] = {
        "a": {"tf_t": "x", "tf_n": 1},  # same values, the platform's key order: shared
        "b": {"tf_n": 2.0, "tf_t": "y"},  # 2.0 == 2 but not the same value: not shared
        "c": {"tf_n": True},  # True == 1 ... and 3: not equal at all
        "d": {"tf_n": 4, "tf_t": "é", "extra": None},  # a field more: not shared
    }
    got = account_rows(ids, columns, like)
    _same_rows(got, reference_rows(ids, columns), ordered=False)
    assert got["a"] is like["a"]
    assert got["b"] is not like["b"] and type(got["b"]["tf_n"]) is int
    assert got["c"] is not like["c"] and got["d"] is not like["d"]
    assert list(got["e"]) == ["tf_n", "tf_t"]


def _altered(rng: np.random.Generator, data: dict[str, Any]) -> dict[str, Any] | None:
    """``data`` as a platform may hold it: the same (keys in another order), or one value of
    another type or sign, one field more or less, or nothing at all."""
    keys = list(data)
    out = {k: data[k] for k in (keys[::-1] if rng.random() < 0.5 else keys)}
    how = int(rng.integers(0, 8))
    if how == 0 or not keys:
        return None if how == 0 else out
    name = keys[int(rng.integers(0, len(keys)))]
    value = out[name]
    if how == 1:
        out["tf_extra"] = "x"
    elif how == 2:
        del out[name]
    elif how == 3 and type(value) in (int, float, bool):
        swapped = {bool: int, int: float, float: int}[type(value)]
        out[name] = swapped(value) if value == value else None
    elif how == 4 and type(value) is float:
        out[name] = -value  # 0.0 <-> -0.0: equal, not the same
    elif how == 5:
        out[name] = _Text(value) if type(value) is str else str(value)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def testaccount_rows_share_a_platform_object_where_reuse_does(seed: int) -> None:
    """Rows of scalars are matched as they are built: each platform dict is shared exactly
    where :func:`reuse` shares it with the row built in full."""
    rng = np.random.default_rng(seed)
    n = 400
    ids = [f"A{i}" for i in range(n)]
    columns = _random_columns(rng, n, 4 + seed)
    columns["tf_zero"] = [[0.0, -0.0, 0, 1.5, None][int(i)] for i in rng.integers(0, 5, n)]
    want = reference_rows(ids, columns)
    like = {aid: old for aid in ids if (old := _altered(rng, want[aid])) is not None}
    got = account_rows(ids, columns, like)
    _same_rows(got, want, ordered=False)
    shared = [aid for aid in ids if aid in like and got[aid] is like[aid]]
    assert shared == [
        aid for aid in ids if aid in like and reuse(like[aid], want[aid]) is like[aid]
    ]
    assert 0 < len(shared) < len(like)
    # built in full where not shared: the book's key order
    assert all(list(got[a]) == list(want[a]) for a in ids if a not in shared)


@pytest.mark.parametrize(
    ("old", "new", "shared"),
    [
        ({"a": 1}, {"a": 1}, True),
        ({"b": "x", "a": 1}, {"a": 1, "b": "x"}, True),
        ({"a": 1.0}, {"a": 1}, False),
        ({"a": True}, {"a": 1}, False),
        ({"a": 0.0}, {"a": -0.0}, False),
        ({"a": [1, 2.0]}, {"a": [1, 2]}, False),
        ({"a": {"x": 1}}, {"a": {"x": 1}}, True),
        ({"a": dt.date(2025, 1, 1)}, {"a": dt.date(2025, 1, 1)}, False),
        ({"a": math.nan}, {"a": None}, False),
        ({"a": "\ud800"}, {"a": "\ud800"}, False),
        ({1: "x"}, {1: "x"}, False),
        (None, {"a": 1}, False),
        ({}, {}, True),
    ],
)
def test_reuse_only_exactly_equal_data(old: Any, new: dict[str, Any], shared: bool) -> None:
    got = reuse(old, new)
    assert (got is old) is shared
    if not shared:
        assert got is new


class _Text(str):
    pass


def test_reuse_does_not_take_a_text_subclass() -> None:
    new = {"a": "x"}
    assert reuse({"a": _Text("x")}, new) is new


def reference_whole_round(values: np.ndarray | None, n: int) -> list[float | int | None]:
    if values is None:
        return []
    out: list[float | int | None] = []
    for v in np.round(values.astype(float), n).tolist():
        if v != v:
            out.append(None)
        elif v.is_integer():
            out.append(int(v))
        else:
            out.append(v)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def testrounded_column_matches_per_value_rounding(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.normal(50, 30, 2000)
    values[rng.random(2000) < 0.1] = np.nan
    values[:8] = [0.0, -0.0, -0.04, 0.05, np.inf, -np.inf, 1e17, 2.25]
    whole = rng.integers(-5, 500, 300)
    spread = values.copy()
    spread[100:110] = [-3e6, 3e6, 1e-3, 0.049999, -0.05, 0.15, 0.25, 1.45, 2.675, 1e9]
    # a table of slots (no huge value, NaN and infinities aside) and the sorted fallback
    table = np.concatenate([values[:6], values[8:]])  # zeros, infinities, NaN: no huge value
    for array in (table, values[8:], spread, values, values.astype(np.float32), whole):
        got = rounded_column(array, 1)
        want = reference_whole_round(array, 1)
        assert [type(v) for v in got] == [type(v) for v in want]
        assert got == want
    assert rounded_column(None, 1) == [] and rounded_column(np.array([]), 1) == []
    assert rounded_column(np.array([np.nan, np.nan]), 1) == [None, None]


def reference_migrations(
    tiers_ranked: dict[str, float], previous: list[str | None], now: list[str | None], new: bool
) -> list[str | None]:
    out: list[str | None] = []
    for prev, cur in zip(previous, now, strict=True):
        p = tiers_ranked.get((prev or "").lower())
        n = tiers_ranked.get((cur or "").lower())
        if n is not None and p is None and new:
            out.append(MIGRATIONS[2])
        elif p is None or n is None:
            out.append(None)
        else:
            out.append(MIGRATIONS[0] if n > p else MIGRATIONS[1] if n < p else MIGRATIONS[2])
    return out


@pytest.mark.parametrize("new_is_none", [False, True])
def test_migrations_match_reference(new_is_none: bool) -> None:
    model = default_model()
    names = [t.name for t in model.tiers]
    choices: list[str | None] = [*names, None, "", "enterprise", "MID-MARKET", "Gold", "Ünï"]
    rng = np.random.default_rng(4)
    n = 600
    previous = [choices[int(i)] for i in rng.integers(0, len(choices), n)]
    now = [choices[int(i)] for i in rng.integers(0, len(names) + 2, n)]
    book = book_from_records(
        [{"account_id": f"A{i}", "acv": 10, "previous_tier": p} for i, p in enumerate(previous)]
    )
    previous = book.text("previous_tier")  # as the book keeps them (blanks cleaned)
    ranked = {t.name.lower(): t.min_acv for t in model.tiers}
    want = reference_migrations(ranked, previous, now, new_is_none)
    assert migrations(model, book, now, new_is_none=new_is_none) == want


@pytest.mark.parametrize("shape", ["chunked", "all blank", "absent", "empty"])
def test_migrations_of_any_previous_tier_column_match_reference(shape: str) -> None:
    model = default_model()
    names = [t.name for t in model.tiers]
    previous: list[str | None] = [names[i % 4] if i % 3 else None for i in range(40)]
    now: list[str | None] = [names[(i * 7) % 4] if i % 5 else None for i in range(40)]
    if shape == "empty":
        previous, now = previous[:1], now[:1]
    records = [{"account_id": f"A{i}", "acv": 10} for i in range(len(previous))]
    if shape != "absent":
        for record, prev in zip(records, previous, strict=True):
            record["previous_tier"] = None if shape == "all blank" else prev
    book = book_from_records(records)
    if shape == "chunked":
        column = book.table.column("previous_tier")
        pieces = pa.chunked_array(
            [column.slice(0, 13).combine_chunks(), column.slice(13).combine_chunks()]
        )
        book = book.with_columns(
            book.table.set_column(
                book.table.column_names.index("previous_tier"), "previous_tier", pieces
            )
        )
        assert book.table.column("previous_tier").num_chunks == 2
    if shape == "empty":
        book = book.with_columns(book.table.slice(0, 0))
        now = []
    ranked = {t.name.lower(): t.min_acv for t in model.tiers}
    for new_is_none in (False, True):
        want = reference_migrations(ranked, book.text("previous_tier"), now, new_is_none)
        assert migrations(model, book, now, new_is_none=new_is_none) == want


def test_renewal_windows_match_reference() -> None:
    as_of = dt.date(2025, 1, 15)
    offsets = [-400, -1, 0, 1, 30, 31, 60, 61, 90, 91, 180, 181, 2000, None]
    records = [
        {"account_id": f"A{i}", "acv": 10, "renewal_date": _date(as_of, o)}
        for i, o in enumerate(offsets)
    ]
    book = book_from_records(records)

    def bucket(days: int | None) -> str | None:
        if days is None:
            return None
        for window, below in zip(RENEWAL_WINDOWS, (0, 31, 61, 91, 181), strict=False):
            if days < below:
                return window
        return RENEWAL_WINDOWS[-1]

    assert renewal_windows(book, as_of) == [bucket(o) for o in offsets]


def _date(as_of: dt.date, offset: int | None) -> str | None:
    return None if offset is None else (as_of + dt.timedelta(days=offset)).isoformat()
