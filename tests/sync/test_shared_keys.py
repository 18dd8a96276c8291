"""Rows built with one shared table of keys: ordinary dicts in every respect but their size."""

from __future__ import annotations

import pickle
import sys
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from tierform.sync.shared_keys import row_type, shared_keys_function

FIELDS = [
    "account_id",
    "Health Score",  # a space
    "tf_band",
    'say "hi"',  # quotes are repr()'d, never code
    "Ünïcode Café",
    "tf_renewal",
    "tf_score_usage",
    "tf_score_engagement",
    "tf_score_support",
    "tf_score_financial",
    "tf_tier",
    "tf_owner",
    "tf_segment",
    "tf_stage",
    "tf_motion",
]


def display(row: tuple[object, ...]) -> dict[str, object]:
    """The same row the plain way, field by field."""
    out: dict[str, object] = {}
    for j, name in enumerate(FIELDS):
        out[name] = row[j]
    return out


def build_rows() -> tuple[Callable[..., Any], list[tuple[object, ...]]]:
    """A builder of FIELDS and 50 rows of texts and numbers for it."""
    build = shared_keys_function("row", [(name, f"row[{j}]") for j, name in enumerate(FIELDS)])
    rows: list[tuple[object, ...]] = [
        tuple(f"{name}-{i}" if j % 3 else i * 1.5 for j, name in enumerate(FIELDS))
        for i in range(50)
    ]
    return build, rows


def test_rows_are_plain_dicts_with_the_fields_in_order() -> None:
    build, rows = build_rows()
    for row in rows:
        got = build(row)
        want = display(row)
        assert type(got) is dict
        assert got == want
        assert list(got) == FIELDS
        assert [type(v) for v in got.values()] == [type(v) for v in want.values()]
        assert orjson.dumps(got) == orjson.dumps(want)
        assert pickle.loads(pickle.dumps(got)) == want


@pytest.mark.skipif(sys.implementation.name != "cpython", reason="CPython's shared-key dicts")
def test_rows_take_less_memory_than_ordinary_dicts() -> None:
    build, rows = build_rows()
    shared = sum(sys.getsizeof(build(row)) for row in rows)
    ordinary = sum(sys.getsizeof(display(row)) for row in rows)
    assert shared < 0.6 * ordinary


def test_a_changed_row_leaves_the_others_as_they_were() -> None:
    build, rows = build_rows()
    first, second = build(rows[0]), build(rows[1])
    first["extra"] = 1
    del first["tf_band"]
    first["account_id"] = "changed"
    assert second == display(rows[1])
    assert build(rows[2]) == display(rows[2])
    assert list(first)[-1] == "extra" and "tf_band" not in first


def test_functions_of_other_fields_do_not_share_keys() -> None:
    one = shared_keys_function("row", [("a", "row[0]"), ("b", "row[1]")])
    other = shared_keys_function("row", [("b", "row[1]"), ("a", "row[0]")])
    assert list(one((1, 2))) == ["a", "b"]
    assert list(other((1, 2))) == ["b", "a"]
    assert list(one((3, 4))) == ["a", "b"]


def test_the_returned_expression_the_namespace_and_errors() -> None:
    table = {"x": "ex"}
    build = shared_keys_function(
        "row", [("name", "TABLE[row[1]]")], "(row[0].strip(), {dict})", {"TABLE": table}
    )
    assert build((" k ", "x")) == ("k", {"name": "ex"})
    with pytest.raises(KeyError):
        build(("k", "missing"))  # a value the table does not hold: the caller's to handle
    assert shared_keys_function("row", [])(()) == {}


def test_rows_of_one_type_hold_any_of_its_keys_in_any_order() -> None:
    row = row_type()
    orders = [FIELDS, FIELDS[::-1], FIELDS[::2], FIELDS[1::3] + FIELDS[:1], []]
    rows = []
    for n, keys in enumerate(orders * 3):
        data = row().__dict__
        for k in keys:
            data[k] = n
        rows.append((data, keys, n))
    for data, keys, n in rows:
        assert type(data) is dict
        assert list(data) == keys
        assert data == dict.fromkeys(keys, n)
    if sys.implementation.name == "cpython":  # CPython's shared-key dicts
        full = [data for data, keys, _ in rows if keys == FIELDS]
        assert sys.getsizeof(full[-1]) < 0.6 * sys.getsizeof(dict(full[-1]))
