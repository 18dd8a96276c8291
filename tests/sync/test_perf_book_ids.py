"""A book rebuilt with some columns replaced keeps its ids only while the ids are the same data."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from tierform.core.book import AccountBook
from tierform.core.history import History, with_history


def _book(ids: pa.Array) -> AccountBook:
    n = len(ids)
    table = pa.table({"account_id": ids, "owner": pa.array(["x"] * n, type=pa.string())})
    return AccountBook(
        table=table,
        acv=np.arange(n, dtype=float),
        acv_proxied=np.zeros(n, dtype=bool),
        rows=np.arange(2, n + 2),
    )


def _reference(book: AccountBook, table: pa.Table) -> list[str]:
    """The ids a freshly made book over ``table`` gives (no cache carried)."""
    fresh = AccountBook(table=table, acv=book.acv, acv_proxied=book.acv_proxied, rows=book.rows)
    return fresh.ids()


CASES = [
    pa.array([], type=pa.string()),
    pa.array(["a", "b", "a", "ünï", "", " sp "], type=pa.string()),
    pa.array([1, 2, 2, 30], type=pa.int64()),
    pa.array(["z", None, "y"], type=pa.string()),
    pa.chunked_array([["p", "q"], ["r"]], type=pa.string()),
]


@pytest.mark.parametrize("ids", CASES)
def test_other_columns_replaced_keep_the_same_ids(ids: pa.Array) -> None:
    book = _book(ids)
    first = book.ids()
    table = book.table.set_column(1, "owner", pa.array(["o"] * len(book), type=pa.string()))
    rebuilt = book.with_columns(table)
    assert rebuilt.ids() == _reference(book, table) == first
    assert rebuilt.text("owner") == ["o"] * len(book)
    assert (rebuilt.acv is book.acv) and rebuilt.rows is book.rows


@pytest.mark.parametrize("ids", CASES)
def test_replaced_ids_are_made_again(ids: pa.Array) -> None:
    book = _book(ids)
    book.ids()
    other = pa.array([f"n{i}é" for i in range(len(book))], type=pa.string())
    table = book.table.set_column(0, "account_id", other)
    assert book.with_columns(table).ids() == _reference(book, table)
    # equal values in other memory are made again too, and come out the same
    copy = pa.array(book.table.column("account_id").to_pylist(), type=ids.type)
    table = book.table.set_column(0, "account_id", copy)
    assert book.with_columns(table).ids() == _reference(book, table)


def test_a_sliced_id_column_is_not_taken_for_the_whole() -> None:
    book = _book(pa.array(["a", "b", "c", "d"], type=pa.string()))
    book.ids()
    table = book.table.slice(1, 2)
    assert book.with_columns(table).ids() == ["b", "c"]


def test_with_history_gives_the_ids_a_fresh_book_gives() -> None:
    book = _book(pa.array(["a", "b", "ü", "b"], type=pa.string()))
    history = History(source="t", tiers={"a": "Gold", "ü": "Tech"}, owners={"b": "Kim"})
    merged = with_history(book, history)
    assert merged.ids() == _reference(book, merged.table) == ["a", "b", "ü", "b"]
    assert merged.text("previous_tier") == ["Gold", None, "Tech", None]
    assert merged.text("owner") == ["x", "Kim", "x", "Kim"]
