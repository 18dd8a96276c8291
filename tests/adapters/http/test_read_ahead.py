"""ReadAhead: a read's listings fetched side by side, each taken in the reader's order, an
error raised where its listing is taken, and a listing no one takes stopped between pages."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from tierform.adapters.http.concurrency import ReadAhead


def _meeting(name: str, meet: threading.Barrier) -> Callable[[], Iterator[str]]:
    def pages() -> Iterator[str]:
        meet.wait()  # passed only while the other listing runs too
        yield from (f"{name}-1", f"{name}-2")

    return pages


def test_listings_started_together_run_side_by_side() -> None:
    meet = threading.Barrier(2, timeout=10)
    a, b = _meeting("a", meet), _meeting("b", meet)
    with ReadAhead(4) as ahead:
        ahead.start("a", a)
        ahead.start("b", b)
        assert list(ahead.take("a", a)) == ["a-1", "a-2"]
        assert list(ahead.take("b", b)) == ["b-1", "b-2"]


def test_with_one_in_flight_a_listing_is_read_when_taken() -> None:
    calls: list[str] = []

    def listing() -> Iterator[int]:
        calls.append("read")
        yield from (1, 2)

    with ReadAhead(1) as ahead:
        ahead.start("a", listing)
        assert calls == []
        assert list(ahead.take("a", listing)) == [1, 2]
    assert calls == ["read"]


def test_a_listing_not_started_is_read_when_taken() -> None:
    with ReadAhead(4) as ahead:
        assert list(ahead.take("a", lambda: iter([3]))) == [3]


def test_a_listing_error_is_raised_where_it_is_taken() -> None:
    def failing() -> Iterator[int]:
        yield 1
        raise ValueError("page 2 refused")

    with ReadAhead(2) as ahead:
        ahead.start("a", failing)
        with pytest.raises(ValueError, match="page 2"):
            ahead.take("a", failing)


def test_a_listing_no_one_takes_is_stopped_between_pages() -> None:
    produced: list[int] = []
    first, go = threading.Event(), threading.Event()

    def endless() -> Iterator[int]:
        for n in range(10**6):
            produced.append(n)
            yield n
            if n == 0:
                first.set()
                assert go.wait(10)

    ahead = ReadAhead(2)
    ahead.start("a", endless)
    assert first.wait(10)
    closer = threading.Thread(target=ahead.close)
    closer.start()
    while not ahead._stop.is_set():  # until close() has asked it to stop
        time.sleep(0.001)
    go.set()
    closer.join(10)
    assert not closer.is_alive() and produced == [0, 1]
