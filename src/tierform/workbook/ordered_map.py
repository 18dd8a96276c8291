"""``map`` on a few threads, its results in order: for work that lets go of the interpreter lock
(zlib's deflate, numpy's and Arrow's loops), so items are made on the machine's other core.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def mapped_ahead(
    function: Callable[[T], R], items: Iterable[T], workers: int = 2, window: int = 4
) -> Iterator[R]:
    """``function`` of each item, in the items' order, with up to ``window`` of them made or
    held at once on ``workers`` threads. An error is raised where its item's result is taken;
    a caller that stops early cancels what has not begun and waits for what has, so no
    thread outlives the iteration."""
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tierform-map")
    pending: deque[Future[R]] = deque()
    try:
        for item in items:
            pending.append(pool.submit(function, item))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def mapped_in_pairs(function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
    """``function`` of each item, in order, two items at a time: one on a second thread, one
    on this one, both results given only once both are made. Unlike :func:`mapped_ahead`,
    nothing is made while the caller works on the results: pure-Python work (which holds the
    interpreter lock) beside array work on another thread leaves the latter waiting for the
    lock between its calls, slower than one thread doing both in turn."""
    iterator = iter(items)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tierform-map") as pool:
        while pair := list(islice(iterator, 2)):
            other = pool.submit(function, pair[1]) if len(pair) == 2 else None
            first = function(pair[0])  # an error here: the pool is waited for on the way out
            second = other.result() if other is not None else None
            yield first
            if other is not None:
                yield second  # type: ignore[misc]
