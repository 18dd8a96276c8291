"""The XlsxWriter workbook the sink draws on, tuned for a sheet of half a gigabyte of XML.

A million accounts make the Assignments sheet about 500 MB of XML. XlsxWriter (in
``constant_memory`` mode) streams its rows to a temporary file, copies that file into the
sheet's part as text (decoding and re-encoding every byte) and deflates every part at zlib's
default level 6, with no option to change either. Measured on the generated books
(``benchmarks/bench_report.py``), level 6 spends three times as long as level 2 for a file only
about a fifth smaller, and the text copy costs as much as the disk. So:

* :class:`FastWorkbook` deflates at :data:`LEVEL` (every reader inflates any level alike);
* :class:`ByteCopyWorksheet` copies the row stream as bytes (the same bytes: both files are
  UTF-8).

Both are subclasses, as XlsxWriter's own examples extend it. The internal methods they override
are XlsxWriter 3's; with an XlsxWriter that lacks them (or files that are not as expected) they
are not used or fall back to XlsxWriter's own code, and the file is the same apart from its size.
``tests/report/test_workbook_rows.py`` compares every part with plain XlsxWriter's.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from typing import Any

import xlsxwriter
import xlsxwriter.workbook
from xlsxwriter.worksheet import Worksheet

LEVEL = 2
COPY_CHUNK = 1 << 20


def _utf8_file(fh: Any) -> bool:
    """A text file over a binary one, encoding UTF-8 (so its bytes can be written directly)."""
    encoding = str(getattr(fh, "encoding", "")).lower().replace("-", "").replace("_", "")
    return encoding == "utf8" and hasattr(fh, "buffer") and not getattr(fh, "closed", True)


class ByteCopyWorksheet(Worksheet):
    """A worksheet whose streamed rows are copied into its part as bytes, not as text."""

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
        with open(name, "rb") as source:
            shutil.copyfileobj(source, self.fh.buffer, COPY_CHUNK)
        rows.close()
        os.unlink(name)
        self._xml_end_tag("sheetData")


class _FastZipFile(zipfile.ZipFile):
    """A ``ZipFile`` that deflates at :data:`LEVEL` unless told otherwise."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("compresslevel", LEVEL)
        super().__init__(*args, **kwargs)


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
        module.ZipFile = _FastZipFile
        try:
            super()._store_workbook()
        finally:
            module.ZipFile = original
