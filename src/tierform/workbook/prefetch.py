"""Produce the next item of an iterator in a thread while the caller works on the current one.

A sheet's pieces are inflated by zlib, which lets go of the interpreter lock: reading a large
sheet then overlaps the inflating of its next piece with the reading of this one.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from typing import TypeVar

T = TypeVar("T")

_WAIT = 0.05  # seconds between looks at whether the caller stopped


def ahead(items: Iterator[T]) -> Generator[T, None, None]:
    """``items``, each made one step ahead in a thread. An error raised making an item is
    raised here, where the caller takes that item; a caller that stops early stops the
    thread (and closes ``items``) before going on."""
    slot: queue.Queue[tuple[bool, object]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(entry: tuple[bool, object]) -> bool:
        while not stop.is_set():
            try:
                slot.put(entry, timeout=_WAIT)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((True, item)):
                    return
            put((False, None))
        except BaseException as exc:  # handed to the caller, raised there
            put((False, exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="tierform-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            more, item = slot.get()
            if not more:
                if isinstance(item, BaseException):
                    raise item
                return
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()
