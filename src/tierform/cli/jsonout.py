"""JSON output for ``--format json``: a compiled encoder, written in chunks for long lists.

The data is the same as the standard library's ``json.dumps(indent=2, default=str)`` gave:
floats and their subclasses (numpy float64) as numbers, ints and bools as themselves, str and int
enums as their values, tuples as arrays, and every other value (dates, datetimes, Decimal, numpy
arrays and non-float numpy scalars, models) as its ``str()``. Non-ASCII text is spelled as UTF-8
instead of ``\\u`` escapes. Two cases differ in data: NaN and infinity, which are not JSON (the
old output was unreadable by strict parsers), are written as ``null``, as the commands already
write unknown figures; an enum that is neither a str nor an int enum (the project has none)
would be written as its value.

A top-level object or array whose long lists would make one very large output buffer is written
member by member, a few thousand list items at a time, with the same indentation. A per-account
list held as columns (``RecordColumns``) is written from its columns, with the same bytes its
list of dicts would give. A top-level member may be :class:`Later`: its value is worked out when
the writer reaches it (and written whole).
"""

from __future__ import annotations

import json
import math
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import orjson

from tierform.core.records import RecordColumns

OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
OPTIONS |= orjson.OPT_PASSTHROUGH_DATACLASS
CHUNK = 4096  # list items per encoder call when a list is written in pieces
INDENT = b"  "


def _default(value: Any) -> Any:
    """What the encoder cannot write natively, as the standard encoder wrote it."""
    if isinstance(value, float):
        return float(value)  # float subclasses such as numpy.float64: a number
    if isinstance(value, tuple):
        return list(value)  # named tuples: an array
    return str(value)


def _encode(value: Any) -> bytes:
    try:
        return orjson.dumps(value, default=_default, option=OPTIONS)
    except orjson.JSONEncodeError:
        # Integers beyond 64 bits, lone surrogates, very deep nesting: the standard encoder.
        return json.dumps(_finite(value), indent=2, default=str, allow_nan=False).encode()


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities as None (for the standard encoder's slow path)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _indented(chunk: bytes, level: int) -> bytes:
    """Encoded JSON moved ``level`` steps right (JSON strings hold no raw newlines)."""
    return chunk.replace(b"\n", b"\n" + INDENT * level) if level else chunk


def _items(values: list[Any] | RecordColumns, level: int) -> Iterator[bytes | memoryview]:
    """A list's items, ``CHUNK`` at a time, as the lines between its brackets."""
    if isinstance(values, RecordColumns):
        from tierform.core.records_json import record_items

        yield from record_items(values, level)
        return
    pad = INDENT * (level + 1)
    for start in range(0, len(values), CHUNK):
        body = _encode(values[start : start + CHUNK])  # b"[\n  item,\n  item\n]"
        lines = _indented(body[2:-2], level)
        yield (b",\n" if start else b"") + pad[len(INDENT) :] + lines


class Later:
    """A member whose value is asked for (``get()``) only when the writer reaches it: work begun
    on a second thread (:class:`~tierform.core.background.Background`) runs while the members
    before it are written."""

    def __init__(self, get: Callable[[], Any]) -> None:
        self.get = get


def _now(value: Any) -> Any:
    return value.get() if isinstance(value, Later) else value


def _is_long(value: Any) -> bool:
    if isinstance(value, RecordColumns):
        return len(value) > 0  # written from its columns at any length
    return isinstance(value, list) and len(value) > CHUNK


def chunks(data: Any) -> Iterator[bytes | memoryview]:
    """The encoded document in pieces; long lists at the top two levels are cut in chunks."""
    if _is_long(data):
        yield b"[\n"
        yield from _items(data, 0)
        yield b"\n]"
    elif (
        isinstance(data, dict)
        and data
        and all(isinstance(k, str) for k in data)
        and any(_is_long(v) for v in data.values())
    ):
        yield b"{"
        for n, (key, later) in enumerate(data.items()):
            yield (b",\n" if n else b"\n") + INDENT + orjson.dumps(key) + b": "
            value = _now(later)
            if _is_long(value):
                yield b"[\n"
                yield from _items(value, 1)
                yield b"\n" + INDENT + b"]"
            else:
                yield _indented(_encode(value), 1)
        yield b"\n}"
    elif isinstance(data, dict):
        yield _encode({k: _plain(v) for k, v in data.items()})
    else:
        yield _encode(data)


def _plain(value: Any) -> Any:
    """A list held as columns as a plain list, for the encoder that writes whole values."""
    value = _now(value)
    return value.to_list() if isinstance(value, RecordColumns) else value


def write_json(data: Any, write: Callable[[bytes | memoryview], object]) -> None:
    """Write ``data`` as indented JSON and a final newline through ``write``."""
    for piece in chunks(data):
        write(piece)
    write(b"\n")


@contextmanager
def written_behind(
    write: Callable[[bytes | memoryview], object], depth: int = 4
) -> Iterator[Callable[[bytes | memoryview], None]]:
    """``write`` done by a second thread, up to ``depth`` pieces behind: a large output's next
    piece is encoded while the last one is written (both let go of the interpreter lock).
    The pieces are written in order; a failed write (a closed pipe) is raised here, at the
    next piece or at the end, and nothing after it is written."""
    pieces: queue.Queue[bytes | memoryview | None] = queue.Queue(maxsize=depth)
    failed: list[BaseException] = []

    def drain() -> None:
        while (piece := pieces.get()) is not None:
            if not failed:
                try:
                    write(piece)
                except BaseException as exc:  # handed to the caller's thread
                    failed.append(exc)

    def put(piece: bytes | memoryview) -> None:
        if failed:
            raise failed[0]
        pieces.put(piece)

    writer = threading.Thread(target=drain, name="tierform-json-writer", daemon=True)
    writer.start()
    try:
        yield put
    finally:
        pieces.put(None)
        writer.join()
    if failed:
        raise failed[0]
