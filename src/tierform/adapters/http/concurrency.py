"""Bounded concurrency for independent requests, so a paced sync stays limit-bound under latency.

One request at a time caps a sync at ``60 / round_trip`` requests a minute (about 300/min at a
200 ms round trip), far below a 1000/min limit. :func:`bounded_map` keeps up to ``in_flight``
calls running on a small thread pool; the adapter's :class:`~.pacer.Pacer` (thread-safe) still
sets the pace, so the limit is honoured whatever the concurrency. Results come back in input
order, so an adapter can yield its ``ChangeResult`` objects in the plan's order.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Outcome(Generic[T, R]):
    """One call's item and either its result or the exception it raised."""

    item: T
    result: R | None = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def bounded_map(
    fn: Callable[[T], R], items: Iterable[T], in_flight: int = 4
) -> Iterator[Outcome[T, R]]:
    """``fn`` over ``items`` with at most ``in_flight`` calls running, in input order.

    Exceptions are captured per item (the caller decides which stop the run); a consumer that
    stops iterating early cancels what has not started. ``in_flight`` 1 runs inline.
    """
    if in_flight <= 1:
        for item in items:
            try:
                yield Outcome(item, fn(item))
            except Exception as exc:  # noqa: BLE001 -- handed to the caller, per item
                yield Outcome(item, error=exc)
        return
    window: deque[tuple[T, Future[R]]] = deque()
    with ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="tierform-http") as pool:
        try:
            for item in items:
                window.append((item, pool.submit(fn, item)))
                if len(window) >= in_flight:
                    yield _outcome(*window.popleft())
            while window:
                yield _outcome(*window.popleft())
        finally:
            for _, future in window:
                future.cancel()


def _outcome(item: T, future: Future[R]) -> Outcome[T, R]:
    try:
        return Outcome(item, future.result())
    except Exception as exc:  # noqa: BLE001
        return Outcome(item, error=exc)


class ReadAhead:
    """The listings a read will need, each fetched whole on a thread of its own as the read
    starts (up to ``in_flight`` at once, in the order started): their chains of pages (each
    page needing the cursor of the one before) then run side by side instead of one after
    another. The pacer still sets the pace. With ``in_flight`` 1 nothing is fetched ahead: a
    listing is read when it is taken, as it would be without this.

    A listing started and never taken, or still running when the read fails, is stopped
    between two pages when the block ends."""

    def __init__(self, in_flight: int) -> None:
        self._pool = (
            ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="tierform-read")
            if in_flight > 1
            else None
        )
        self._started: dict[str, Future[list[Any]]] = {}
        self._stop = threading.Event()

    def start(self, name: str, listing: Callable[[], Iterable[Any]]) -> None:
        if self._pool is not None and name not in self._started:
            self._started[name] = self._pool.submit(self._whole, listing)

    def take(self, name: str, listing: Callable[[], Iterable[Any]]) -> Iterable[Any]:
        """Listing ``name`` as fetched ahead (raising its error here), else ``listing()``."""
        future = self._started.pop(name, None)
        return listing() if future is None else future.result()

    def _whole(self, listing: Callable[[], Iterable[Any]]) -> list[Any]:
        out = []
        for item in listing():  # the next page is asked for only when its first item is
            if self._stop.is_set():
                break
            out.append(item)
        return out

    def close(self) -> None:
        self._stop.set()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
