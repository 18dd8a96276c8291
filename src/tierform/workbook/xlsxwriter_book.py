"""The XlsxWriter workbook the sink draws on, tuned for a sheet of half a gigabyte of XML.

A million accounts make the Assignments sheet about 500 MB of XML. XlsxWriter (in
``constant_memory`` mode) streams its rows to a temporary file, copies that file into the
sheet's part as text (decoding and re-encoding every byte) and deflates every part at zlib's
default level 6, with no option to change either. Measured on the generated books
(``benchmarks/bench_report.py``), level 6 spends three times as long as level 2 for a file only
about a fifth smaller, and the text copy costs as much as the disk. So:

* :class:`FastWorkbook` deflates at :data:`LEVEL` (every reader inflates any level alike);
* :class:`ByteCopyWorksheet` does not copy the row stream into the sheet's part at all: the part
  is written around it, and the zip takes the part's head, the row stream's bytes and the part's
  tail in turn (the same bytes in the same entry: both files are UTF-8), so half a gigabyte is
  neither written a second time nor read back;
* a part larger than a few megabytes is deflated on two threads, in pieces that join into one
  deflate stream (:mod:`tierform.workbook.zip_deflate`): a third of the store's time at a
  million accounts was that one core deflating.

Both are subclasses, as XlsxWriter's own examples extend it. The internal methods they override
are XlsxWriter 3's; with an XlsxWriter that lacks them (or files that are not as expected) they
are not used or fall back to XlsxWriter's own code, and the file is the same apart from its size.
``tests/report/test_workbook_rows.py`` compares every part with plain XlsxWriter's.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import IO, Any, BinaryIO

import xlsxwriter
import xlsxwriter.workbook
from xlsxwriter.worksheet import Worksheet

from tierform.workbook.zip_deflate import PIECE, deflater

LEVEL = 2
COPY_CHUNK = 1 << 20


def _utf8_file(fh: Any) -> bool:
    """A text file over a binary one, encoding UTF-8 (so its bytes can be written directly)."""
    encoding = str(getattr(fh, "encoding", "")).lower().replace("-", "").replace("_", "")
    return encoding == "utf8" and hasattr(fh, "buffer") and not getattr(fh, "closed", True)


@dataclass(frozen=True)
class Splice:
    """A part written without its rows: they go in at byte ``at``, from the file ``rows``."""

    at: int
    rows: str


class ByteCopyWorksheet(Worksheet):
    """A worksheet whose streamed rows are left in their own file, to be spliced into its part
    as bytes when the part is zipped (:class:`Splice`), where its workbook keeps a table of
    splices (``splices``, set by :class:`FastWorkbook`); with none, they are copied into the
    part as bytes."""

    splices: dict[str, Splice] | None = None
    _part: str | None = None

    def _set_xml_writer(self, filename: Any) -> None:
        self._part = filename if isinstance(filename, str) else None
        super()._set_xml_writer(filename)

    def _write_optimized_sheet_data(self) -> None:
        rows: Any = getattr(self, "row_data_fh", None)
        name: Any = getattr(self, "row_data_filename", None)
        plain = name is None or not (_utf8_file(rows) and _utf8_file(self.fh))
        if self.dim_rowmin is None or plain:
            super()._write_optimized_sheet_data()
            return
        self._xml_start_tag("sheetData")
        rows.flush()
        self.fh.flush()  # the text written so far goes first, then the rows' bytes
        if self.splices is not None and self._part is not None:
            rows.close()
            self.splices[self._part] = Splice(self.fh.buffer.tell(), name)
        else:
            with open(name, "rb") as source:
                shutil.copyfileobj(source, self.fh.buffer, COPY_CHUNK)
            rows.close()
            os.unlink(name)
        self._xml_end_tag("sheetData")


class _FastZipFile(zipfile.ZipFile):
    """A ``ZipFile`` that deflates at :data:`LEVEL` unless told otherwise, and writes a part
    with a :class:`Splice` with its rows in place (what ``ZipFile.write`` does, reading three
    pieces instead of one file)."""

    def __init__(self, *args: Any, splices: dict[str, Splice] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("compresslevel", LEVEL)
        super().__init__(*args, **kwargs)
        self.splices = splices if splices is not None else {}

    def write(
        self,
        filename: Any,
        arcname: Any = None,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        splice = self.splices.pop(filename, None) if isinstance(filename, str) else None
        if splice is None:
            super().write(filename, arcname, compress_type, compresslevel)
            return
        try:
            strict = getattr(self, "_strict_timestamps", True)  # as ZipFile.write reads it
            info = zipfile.ZipInfo.from_file(filename, arcname, strict_timestamps=strict)
            info.compress_type = self.compression if compress_type is None else compress_type
            level = self.compresslevel if compresslevel is None else compresslevel
            info._compresslevel = level  # type: ignore[attr-defined]
            info.file_size = os.path.getsize(filename) + os.path.getsize(splice.rows)
            with open(filename, "rb") as part, open(splice.rows, "rb") as rows:
                with self.open(info, "w") as entry:
                    threaded = deflater(entry, level) if level is not None else None
                    if threaded is None:
                        _copy(part, entry, splice.at)
                        shutil.copyfileobj(rows, entry, COPY_CHUNK)
                        shutil.copyfileobj(part, entry, COPY_CHUNK)
                    else:
                        head = io.BytesIO()
                        _copy(part, head, splice.at)
                        # The head and the rows' first bytes make one piece, so each read of
                        # the rows after it is a whole piece, deflated without a copy.
                        first = head.getvalue()
                        first += rows.read(max(0, PIECE - len(first)))
                        threaded.write_all(chain([first], _read(rows), _read(part)))
        finally:
            os.unlink(splice.rows)


def _read(source: BinaryIO) -> Iterator[bytes]:
    """The rest of ``source``, a piece's worth at a time."""
    while chunk := source.read(PIECE):
        yield chunk


def _copy(source: BinaryIO, target: IO[bytes], size: int) -> None:
    """The next ``size`` bytes of ``source`` (a part's head: a few kilobytes) into ``target``."""
    head = source.read(size)
    if len(head) != size:
        raise OSError("a workbook part ended before its rows' place")
    target.write(head)


class FastWorkbook(xlsxwriter.Workbook):
    """An XlsxWriter workbook of :class:`ByteCopyWorksheet` sheets, deflated at :data:`LEVEL`.

    XlsxWriter opens its ``ZipFile`` by the name its module imported; that name points at
    :class:`_FastZipFile` only while this workbook is being stored, and is put back after.
    """

    worksheet_class = ByteCopyWorksheet

    def _store_workbook(self) -> None:
        module = xlsxwriter.workbook
        original = getattr(module, "ZipFile", None)
        if original is not zipfile.ZipFile:  # another XlsxWriter: its own level
            super()._store_workbook()
            return
        splices: dict[str, Splice] = {}
        for sheet in self.worksheets():
            if isinstance(sheet, ByteCopyWorksheet):
                sheet.splices = splices
        module.ZipFile = functools.partial(_FastZipFile, splices=splices)
        try:
            super()._store_workbook()
        finally:
            module.ZipFile = original
            for splice in splices.values():  # rows a failed store never reached
                with contextlib.suppress(OSError):
                    os.unlink(splice.rows)


def store_failure(exc: Exception) -> str:
    """Why a workbook could not be stored, from XlsxWriter's ``FileCreateError`` (which wraps
    the system's error without being an ``OSError``): the system's reason, as "No space left
    on device"."""
    cause = exc.args[0] if exc.args else exc
    return str(getattr(cause, "strerror", None) or cause)


@contextlib.contextmanager
def streamed_workbook(tmp: str, path: Path, **options: Any) -> Iterator[FastWorkbook]:
    """A :class:`FastWorkbook` writing ``tmp`` (the save of ``path``) as tierform streams its
    workbooks: rows to disk as they are written, and user text kept as text, never turned into
    a formula, a number or a link (``options`` adds to these). XlsxWriter's temporary files go
    in a folder of their own beside ``path``: on the output's disk, and removed with everything
    in it however the write ends (XlsxWriter leaves its files behind when the store fails).
    Removing it is best effort (a file still open on Windows), so it never hides the error
    that ended the write."""
    with tempfile.TemporaryDirectory(
        prefix=f".{path.name}-scratch-", dir=path.parent, ignore_cleanup_errors=True
    ) as scratch:
        yield FastWorkbook(
            tmp,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
                "tmpdir": scratch,
                **options,
            },
        )
