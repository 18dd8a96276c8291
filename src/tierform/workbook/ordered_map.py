"""``map`` on a few threads, its results in order: for work that lets go of the interpreter lock
(zlib's deflate, for one), so the next items are made on the other core while the caller uses
this one's result.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
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
