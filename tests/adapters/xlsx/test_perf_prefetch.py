"""Pieces made one step ahead in a thread (:func:`tierform.workbook.prefetch.ahead`) arrive
as the plain iterator gives them; errors reach the caller; a caller that stops stops the
thread and closes the source."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from tierform.workbook.prefetch import ahead


def test_items_in_order_including_none_and_an_empty_source() -> None:
    items = [b"a", None, b"", b"b" * 100, 0]
    assert list(ahead(iter(items))) == items
    assert list(ahead(iter([]))) == []


def test_an_error_reaches_the_caller_after_the_items_before_it() -> None:
    def source() -> Iterator[int]:
        yield 1
        yield 2
        raise KeyError("piece")

    got = []
    with pytest.raises(KeyError, match="piece"):
        for item in ahead(source()):
            got.append(item)
    assert got == [1, 2]


def test_a_caller_that_stops_early_stops_the_thread_and_closes_the_source() -> None:
    closed = threading.Event()

    def source() -> Iterator[int]:
        try:
            yield from range(1000)
        finally:
            closed.set()

    before = threading.active_count()
    stream = ahead(source())
    assert next(stream) == 0
    stream.close()
    assert closed.is_set()
    assert threading.active_count() == before
