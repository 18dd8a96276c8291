"""``AccountBook.ids()`` is computed once per table, yet hands every caller its own list."""

from __future__ import annotations

import dataclasses

import pyarrow as pa

from tierform.core.book import AccountBook, book_from_records


def _book() -> AccountBook:
    return book_from_records(
        [
            {"account_id": "A-1", "name": "One", "acv": 100},
            {"account_id": "A-2", "name": "Two", "acv": 200},
        ]
    )


def test_each_call_gives_a_list_of_its_own() -> None:
    book = _book()
    first = book.ids()
    first.append("changed")
    assert book.ids() == ["A-1", "A-2"]
    assert book.ids() is not book.ids()


def test_a_new_table_gives_its_own_ids() -> None:
    book = _book()
    assert book.ids() == ["A-1", "A-2"]
    book.table = book.table.set_column(
        book.table.column_names.index("account_id"), "account_id", pa.array(["B-1", "B-2"])
    )
    assert book.ids() == ["B-1", "B-2"]
    other = dataclasses.replace(book, table=book.table.slice(0, 1))
    assert other.ids() == ["B-1"]


def test_ids_that_are_not_text_are_given_as_text() -> None:
    book = _book()
    book.table = book.table.set_column(
        book.table.column_names.index("account_id"), "account_id", pa.array([7, 8])
    )
    assert book.ids() == ["7", "8"]
