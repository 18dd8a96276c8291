"""A large sheet's tag scans in worker processes, beside the reading of the rows.

The scan (:func:`~tierform.workbook.xlsx_scan.coded_arrays`) is array work, but it makes a
hundred small array calls per piece, and each needs the interpreter lock: on a thread beside
the reader, which builds the rows' dicts in pure Python, it waits for the lock at every call.
So the reader scans two pieces at once on two threads and then folds them alone
(:func:`~tierform.workbook.ordered_map.mapped_in_pairs`). In processes of their own the scans
run while the reader folds: a million-account sheet is some two hundred pieces of 4 MiB.

A worker is ``python -P -m tierform.workbook.scan_workers`` (the running interpreter; ``-P``:
a ``tierform.py`` in the working folder is not imported in its place): it reads pieces from
its stdin and writes each one's scan to its stdout. Its scan of a piece allocates and frees
the same few dozen arrays of up to a few megabytes each time: glibc's malloc is told (by its
environment, :data:`KEEP_FREED`) to keep them for the next piece rather than hand them back
to the system and fault them in again, page by page. It never runs the caller's own program
again, as a ``multiprocessing`` child started by "spawn" would (a script without a
``__main__`` guard). Each worker holds one piece at a time, so no pipe fills both ways.
Where a worker cannot start or stops answering, its pieces and the rest are scanned here, as
they would have been: the answer is the same, only slower.

Messages: a piece is its length (8 bytes, little-endian; 0 ends the worker) and its bytes; an
answer is two lengths (the JSON text's and the number of rows, both -1 for "not this shape")
and the text, the rows' codes and their cell counts (little-endian int64 each).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from itertools import chain
from typing import IO

import numpy as np

from tierform.workbook.ordered_map import mapped_in_pairs
from tierform.workbook.xlsx_scan import coded_arrays, coded_json

if sys.platform == "win32":  # no fcntl: its pipes keep their size
    fcntl = None
else:
    import fcntl

Scanned = tuple[bytes, list[int], list[int]] | None
WORKER_ARGS = ("-P", "-m", "tierform.workbook.scan_workers")  # -P: not from the working folder
_HEAD = 16  # an answer's lengths: text bytes, rows
_NOT_THIS_SHAPE = (-1).to_bytes(8, "little", signed=True) * 2
_STOP_TIMEOUT = 10.0  # seconds a worker may take to stop before it is killed
#: A worker's pipe buffers: Linux's cap for a process without privileges (a quarter of a piece).
PIPE_BYTES = 1 << 20
#: glibc's malloc(3) settings, read as a worker starts (other C libraries ignore them): blocks
#: up to 32 MiB from the heap, and up to 1 GiB of free heap kept, as
#: :func:`tierform.core.memory.keep_freed_memory` sets for an analysis command (written out
#: again: this layer cannot import the core; a test keeps the two the same). A million-account
#: sheet's scans then take 21 thousand page faults instead of 300 thousand, and a third of the
#: system time. A worker's peak is the same: it keeps what its largest piece needed.
KEEP_FREED = {
    "MALLOC_MMAP_THRESHOLD_": str(32 << 20),
    "MALLOC_TRIM_THRESHOLD_": str(1 << 30),
    "MALLOC_TOP_PAD_": str(64 << 20),
}


class _Worker:
    """One worker process and its pipes."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, *WORKER_ARGS],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**KEEP_FREED, **os.environ},  # a value the user set is kept
        )
        for pipe in (self.process.stdin, self.process.stdout):
            _widen(pipe)

    def send(self, piece: bytes) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(len(piece).to_bytes(8, "little"))
        stdin.write(piece)
        stdin.flush()

    def answer(self) -> Scanned:
        stdout = self.process.stdout
        assert stdout is not None
        head = _exactly(stdout, _HEAD)
        size = int.from_bytes(head[:8], "little", signed=True)
        rows = int.from_bytes(head[8:], "little", signed=True)
        if size < 0:
            return None
        if rows < 0 or size > 1 << 40:
            raise OSError("a scan worker answered out of turn")
        text = _exactly(stdout, size)
        numbers = np.frombuffer(_exactly(stdout, 16 * rows), dtype="<i8")
        return text, numbers[:rows].tolist(), numbers[rows:].tolist()

    def stop(self) -> None:
        """End the worker: a zero length, then both pipes closed (a worker still writing an
        answer no one will read then fails at once), then waited for."""
        for close in (self._end_input, self._end_output):
            try:
                close()
            except (OSError, ValueError):
                pass
        try:
            self.process.wait(timeout=_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _end_input(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.write(bytes(8))
            self.process.stdin.close()

    def _end_output(self) -> None:
        if self.process.stdout is not None:
            self.process.stdout.close()


def _widen(pipe: IO[bytes] | None) -> None:
    """Give ``pipe`` a buffer of :data:`PIPE_BYTES` where the system lets us (Linux): a piece
    and its answer then pass in a few system calls each, where the default 64 KiB took one
    per 64 KiB, each waiting for the other side to be scheduled (a million-account plan ran
    about a tenth faster, with a third less system time). Elsewhere, or past the system's
    cap, the pipe stays as it is."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if pipe is None or set_size is None:
        return
    try:
        fcntl.fcntl(pipe.fileno(), set_size, PIPE_BYTES)
    except OSError:  # past /proc/sys/fs/pipe-max-size, or a user's pipe quota spent
        pass


def _exactly(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise OSError("a scan worker stopped")
    return data


class ScanWorkers:
    """Worker processes, started for the first large sheet and kept for the next ones (a
    workbook's tasks after its accounts), so a read pays their start once."""

    def __init__(self, count: int = 2) -> None:
        self._count = count
        self._workers: list[_Worker] = []
        self._unusable = False  # a worker failed, or would not start: scan here from now on

    def scanned(self, pieces: Iterable[bytes]) -> Generator[tuple[bytes, Scanned], None, None]:
        """Each piece with its :func:`~tierform.workbook.xlsx_scan.coded_json`, in order,
        scanned by the workers while the caller works on the pieces before it."""
        workers = self._started()
        if not workers:
            yield from _here(pieces)
            return
        answered: bool | None = None
        try:
            answered = yield from _through(workers, iter(pieces))
        finally:
            if answered is not True:  # failed, or stopped early with pieces still out
                self._unusable = answered is False
                self.close()

    def close(self) -> None:
        workers, self._workers = self._workers, []
        for worker in workers:
            worker.stop()

    def _started(self) -> list[_Worker]:
        if not self._workers and not self._unusable:
            try:
                while len(self._workers) < self._count:
                    self._workers.append(_Worker())
            except OSError:  # no interpreter to start (an embedded or frozen program)
                self._unusable = True
                self.close()
        return self._workers


def _through(
    workers: list[_Worker], pieces: Iterator[bytes]
) -> Generator[tuple[bytes, Scanned], None, bool]:
    """Pieces handed to the workers in turn, a piece per worker at a time; True when the
    workers answered for all. From the first piece a worker fails on, that piece, those still
    out and the rest are scanned here (an error of the pieces themselves is the caller's: it
    is raised, not caught)."""
    waiting: deque[tuple[bytes, _Worker]] = deque()
    free = deque(workers)
    for piece in pieces:
        if not free:
            done, worker = waiting[0]
            answer = _answer(worker)
            if answer is _FAILED:
                yield from _here(chain([d for d, _ in waiting], [piece], pieces))
                return False
            waiting.popleft()
            yield done, answer  # type: ignore[misc]
            free.append(worker)
        worker = free.popleft()
        waiting.append((piece, worker))
        try:
            worker.send(piece)
        except (OSError, ValueError):  # a broken pipe: the worker is gone
            yield from _here(chain([d for d, _ in waiting], pieces))
            return False
    while waiting:
        done, worker = waiting[0]
        answer = _answer(worker)
        if answer is _FAILED:
            yield from _here([d for d, _ in waiting])
            return False
        waiting.popleft()
        yield done, answer  # type: ignore[misc]
    return True


_FAILED = object()


def _answer(worker: _Worker) -> Scanned | object:
    try:
        return worker.answer()
    except (OSError, ValueError):  # the worker stopped, or its answer makes no sense
        return _FAILED


def _here(pieces: Iterable[bytes]) -> Iterator[tuple[bytes, Scanned]]:
    """The pieces scanned in this process, two at a time as without workers."""
    return mapped_in_pairs(_scan_here, pieces)


def _scan_here(piece: bytes) -> tuple[bytes, Scanned]:
    return piece, coded_json(piece)


def _serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """The worker's loop: a piece in, its scan out, until a zero length or the end of input."""
    while True:
        head = stdin.read(8)
        size = int.from_bytes(head, "little") if len(head) == 8 else 0
        if not size:
            return
        piece = stdin.read(size)
        if len(piece) != size:
            return
        out = coded_arrays(piece)
        if out is None:
            stdout.write(_NOT_THIS_SHAPE)
        else:
            text, codes, cells = out
            stdout.write(len(text).to_bytes(8, "little") + len(codes).to_bytes(8, "little"))
            stdout.write(text)
            stdout.write(codes.astype("<i8").tobytes())
            stdout.write(cells.astype("<i8").tobytes())
        stdout.flush()


if __name__ == "__main__":
    _serve(sys.stdin.buffer, sys.stdout.buffer)
