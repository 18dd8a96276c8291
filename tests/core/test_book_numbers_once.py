"""A signal column read while the book is checked is what ``numbers()`` reads on its own: the
second call of each column (which parses again) is the reference for the first."""

from __future__ import annotations

import numpy as np

from tierform.core.book import book_from_records
from tierform.core.model import AccountSource


def records() -> list[dict]:
    rows = []
    for i in range(40):
        rows.append(
            {
                "account_id": f"A{i}",
                "acv": 1000 + i,
                "usage": f"{i * 1.5:,.2f}" if i % 7 else "",
                "tickets": i % 5,
                "nps": float(i) if i % 3 else None,
                "notes": "call back" if i % 2 else "12",
                "eu_amount": f"{i}.500,25",
            }
        )
    return rows


def same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)


def test_first_read_matches_a_fresh_parse():
    book = book_from_records(records())
    for name in ("usage", "tickets", "nps", "notes", "eu_amount", "absent"):
        first, again = book.numbers(name), book.numbers(name)
        assert same(first, again), name
    assert book.numbers("notes") is None
    assert np.isnan(book.numbers("usage")[0]) and book.numbers("usage")[3] == 4.5


def test_a_configured_format_or_skipped_rows_read_afresh():
    configured = book_from_records(records(), AccountSource(number_format="1.234,56"))
    assert configured.read_numbers == {}
    rows = records()
    rows[4]["acv"] = -5  # refused, then skipped: the checked rows are not the book's rows
    skipped = book_from_records(rows, AccountSource(skip_invalid=True))
    assert len(skipped) == 39 and skipped.read_numbers == {}
    assert skipped.numbers("usage")[4] == 7.5  # the row after the skipped one
