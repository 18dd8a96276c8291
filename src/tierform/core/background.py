"""Work on a second thread during a command's single-threaded stretches.

numpy and Arrow let go of the interpreter lock in their loops, so array work handed to a second
thread runs on the machine's other core while this one goes on (a million-account book is
cleaned, and its JSON written, with one core otherwise idle).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator
from typing import Generic, TypeVar

T = TypeVar("T")


class Background(threading.Thread, Generic[T]):
    """``work()`` on a second thread; :meth:`result` waits for it and raises its error."""

    def __init__(self, work: Callable[[], T], name: str = "tierform-background") -> None:
        super().__init__(name=name, daemon=True)
        self._work = work
        self._result: T | None = None
        self._error: BaseException | None = None
        self._ended = threading.Event()
        self.start()

    def run(self) -> None:
        try:
            self._result = self._work()
        except BaseException as exc:  # raised in the caller's thread by result()
            self._error = exc
        finally:
            self._ended.set()

    def wait(self) -> None:
        """Until the work and the thread have ended. Unlike a bare ``join()``, this can be
        called again after an interrupt: on Python 3.11 a ``join()`` cut short by Ctrl-C can
        mark a thread that is still working as ended, and the next ``join()`` returns at
        once. The thread is joined only once its work is over."""
        self._ended.wait()
        self.join()

    def result(self) -> T:
        self.wait()
        if self._error is not None:
            raise self._error
        return self._result  # type: ignore[return-value]


def in_turns(work: Callable[[int], T], count: int) -> Generator[T, None, None]:
    """``work(0)``, ``work(1)``, ... ``work(count - 1)`` in order, each odd one made on a second
    thread while this one makes the even one before it: array work that lets go of the lock
    (Arrow's ``take``) runs on both cores. An error is raised here in its place in the order;
    the second thread has ended when the iterator has (used up, closed or failed). A single
    item is made here, with no thread."""
    if count < 2:
        yield from (work(i) for i in range(count))
        return
    asked: queue.SimpleQueue[int | None] = queue.SimpleQueue()
    made: queue.SimpleQueue[tuple[T | None, BaseException | None]] = queue.SimpleQueue()

    def serve() -> None:
        while (i := asked.get()) is not None:
            try:
                made.put((work(i), None))
            except BaseException as exc:  # raised in the caller's thread, in its turn
                made.put((None, exc))

    helper = threading.Thread(target=serve, name="tierform-in-turns", daemon=True)
    helper.start()
    try:
        for i in range(0, count, 2):
            if i + 1 < count:
                asked.put(i + 1)
            yield work(i)
            if i + 1 < count:
                value, error = made.get()
                if error is not None:
                    raise error
                yield value  # type: ignore[misc]
    finally:
        asked.put(None)
        helper.join()
