"""Bounded concurrency for independent requests, so a paced sync stays limit-bound under latency.

One request at a time caps a sync at ``60 / round_trip`` requests a minute (about 300/min at a
200 ms round trip), far below a 1000/min limit. :func:`bounded_map` keeps up to ``in_flight``
calls running on a small thread pool; the adapter's :class:`~.pacer.Pacer` (thread-safe) still
sets the pace, so the limit is honoured whatever the concurrency. Results come back in input
order, so an adapter can yield its ``ChangeResult`` objects in the plan's order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

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
