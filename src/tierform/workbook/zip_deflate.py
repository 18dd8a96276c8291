"""A large zip entry deflated on two threads: a million-account sheet is half a gigabyte of XML,
and deflating it on one core was a third of the time the workbook takes to store.

The entry's bytes are cut in pieces of :data:`PIECE` bytes. Each piece is deflated on its own,
primed with the 32 KiB before it (deflate's whole window, so matches reach back as far as in
one stream), and ends on a sync flush: a byte-aligned end of block that is not the last. The
pieces then join into one deflate stream, and the entry's own compressor, never fed, adds the
stream's final block when the entry is closed (as pigz builds its streams). Readers inflate
it as any other deflated entry.

The bytes go to the zip file through the open entry's own file, size and CRC fields: those of
``zipfile``'s writer since Python 3.6, not public. :func:`deflater` checks that the entry has
them and is deflated, and answers None otherwise (the entry is then written as usual).
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

from tierform.workbook.ordered_map import mapped_ahead

PIECE = 4 << 20  # bytes deflated per task
WINDOW = 32 << 10  # deflate's window: how far back a piece's matches may reach
_COMPRESSOR = type(zlib.compressobj())
_FIELDS = ("_compressor", "_fileobj", "_crc", "_file_size", "_compress_size", "_zinfo")


class ThreadedDeflate:
    """Writes bytes into an open, deflated zip entry, deflating its pieces on two threads."""

    def __init__(self, entry: Any, level: int) -> None:
        self.entry = entry
        self.level = level

    def write_all(self, parts: Iterable[bytes]) -> None:
        """All of the entry's bytes (``parts``, in order, of any sizes), before it is closed."""
        entry = self.entry
        crc, size, written = entry._crc, entry._file_size, entry._compress_size
        for data, deflated in mapped_ahead(self._deflate, _primed(_pieces(parts))):
            crc = zlib.crc32(data, crc)
            size += len(data)
            entry._fileobj.write(deflated)
            written += len(deflated)
        entry._crc, entry._file_size, entry._compress_size = crc, size, written

    def _deflate(self, item: tuple[bytes, bytes]) -> tuple[bytes, bytes]:
        data, primer = item
        if primer:
            deflate = zlib.compressobj(
                self.level, zlib.DEFLATED, -15, zlib.DEF_MEM_LEVEL, zlib.Z_DEFAULT_STRATEGY, primer
            )
        else:
            deflate = zlib.compressobj(self.level, zlib.DEFLATED, -15)
        return data, deflate.compress(data) + deflate.flush(zlib.Z_SYNC_FLUSH)


def deflater(entry: Any, level: int) -> ThreadedDeflate | None:
    """A :class:`ThreadedDeflate` for ``entry`` (from ``ZipFile.open(info, "w")`` with the
    entry's size in ``info.file_size``), or None when the entry is a piece or less (a single
    task gains nothing), is not deflated, has been written to, or lacks the fields this
    writes."""
    if not all(hasattr(entry, name) for name in _FIELDS):
        return None
    info = entry._zinfo
    fresh = entry._file_size == 0 and entry._compress_size == 0
    deflating = isinstance(entry._compressor, _COMPRESSOR)
    if not (fresh and deflating and getattr(info, "compress_type", None) == zipfile.ZIP_DEFLATED):
        return None
    if getattr(info, "file_size", 0) <= PIECE:
        return None
    return ThreadedDeflate(entry, level)


def _pieces(parts: Iterable[bytes]) -> Iterator[bytes]:
    """``parts`` cut or joined into pieces of :data:`PIECE` bytes (the last one shorter)."""
    held: list[bytes] = []
    count = 0
    for part in parts:
        at = 0
        while at < len(part):
            take = part[at : at + PIECE - count]
            held.append(take)
            count += len(take)
            at += len(take)
            if count == PIECE:
                yield b"".join(held)
                held, count = [], 0
    if count:
        yield b"".join(held)


def _primed(pieces: Iterable[bytes]) -> Iterator[tuple[bytes, bytes]]:
    """Each piece with the :data:`WINDOW` bytes before it (fewer at the start)."""
    before = b""
    for piece in pieces:
        yield piece, before
        before = piece[-WINDOW:] if len(piece) >= WINDOW else (before + piece)[-WINDOW:]
