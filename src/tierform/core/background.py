"""Work on a second thread during a command's single-threaded stretches.

numpy and Arrow let go of the interpreter lock in their loops, so array work handed to a second
thread runs on the machine's other core while this one goes on (a million-account book is
cleaned, and its JSON written, with one core otherwise idle).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
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
