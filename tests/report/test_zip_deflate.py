"""A large zip entry deflated on two threads: a zip any reader opens, holding the very bytes
written, about as small as one deflate stream at the same level; small or stored entries, and
entries this cannot write, are written as usual."""

from __future__ import annotations

import io
import random
import threading
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

import tierform.workbook.zip_deflate as zip_deflate
from tierform.workbook.xlsx import WorkbookLocked
from tierform.workbook.xlsxwriter_book import LEVEL
from tierform.workbook.xlsxwriter_sink import write_xlsx
from tierform.workbook.zip_deflate import deflater

from .test_workbook_rows import _column_spec, _same_parts_as_xlsxwriter


def _sheet_xml(rows: int, seed: int) -> bytes:
    """Bytes shaped like a sheet's rows (repeated tags, varied values), so deflate finds both
    near and far matches."""
    rng = random.Random(seed)
    return b"".join(
        f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>ACC-{rng.randrange(10**6):06d}</t></is>'
        f'</c><c r="B{i}"><v>{rng.randrange(10**5) / 100}</v></c></row>'.encode()
        for i in range(rows)
    )


def _deflated_entry(parts: list[bytes], level: int = LEVEL) -> tuple[bytes, int]:
    """A zip holding ``parts`` as one entry written through :func:`deflater`; the zip's bytes
    and the number of deflate tasks run."""
    calls = []
    real = zip_deflate.ThreadedDeflate._deflate

    def counted(self: Any, item: Any) -> Any:
        calls.append(threading.current_thread().name)
        return real(self, item)

    buf = io.BytesIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(zip_deflate.ThreadedDeflate, "_deflate", counted)
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
            info = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
            info.compress_type = zipfile.ZIP_DEFLATED
            info.file_size = sum(map(len, parts))
            with zf.open(info, "w") as entry:
                threaded = deflater(entry, level)
                assert threaded is not None
                threaded.write_all(iter(parts))
    assert all(name.startswith("tierform-map") for name in calls)
    return buf.getvalue(), len(calls)


def _raw_stream(archive: bytes, name: str) -> bytes:
    """The entry's compressed bytes, read from its local header (no zipfile code)."""
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        info = zf.getinfo(name)
    at = info.header_offset
    name_len = int.from_bytes(archive[at + 26 : at + 28], "little")
    extra_len = int.from_bytes(archive[at + 28 : at + 30], "little")
    start = at + 30 + name_len + extra_len
    return archive[start : start + info.compress_size]


@pytest.mark.parametrize("piece", [1000, 4096, 65536])
@pytest.mark.parametrize("seed", [1, 2])
def test_an_entry_deflated_on_threads_holds_the_bytes_written(
    piece: int, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(zip_deflate, "PIECE", piece)
    data = _sheet_xml(3000, seed)
    cuts = sorted(random.Random(seed).sample(range(1, len(data)), 5))
    parts = [b"", *(data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)), b""]
    archive, tasks = _deflated_entry(parts)
    assert tasks == -(-len(data) // piece)  # one task per piece, the last one shorter
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        assert zf.testzip() is None  # the CRC of what inflates
        assert zf.read("xl/worksheets/sheet1.xml") == data
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size == len(data)
    inflate = zlib.decompressobj(-15)
    assert inflate.decompress(_raw_stream(archive, "xl/worksheets/sheet1.xml")) == data
    assert inflate.eof and inflate.unused_data == b""  # one stream, ended by its last block


def test_the_stream_is_about_as_small_as_one_stream_at_the_same_level(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each piece is primed with the window before it, so little is lost at the joins; and the
    level is the one asked for (another level's size lies well outside the margin)."""
    monkeypatch.setattr(zip_deflate, "PIECE", 64 << 10)
    data = _sheet_xml(20000, 3)

    def one_stream(level: int) -> int:
        deflate = zlib.compressobj(level, zlib.DEFLATED, -15)
        return len(deflate.compress(data) + deflate.flush())

    archive, tasks = _deflated_entry([data])
    assert tasks > 10
    size = zipfile.ZipFile(io.BytesIO(archive)).getinfo("xl/worksheets/sheet1.xml").compress_size
    single = one_stream(LEVEL)
    assert abs(size - single) <= 0.005 * single
    assert abs(one_stream(9) - single) > 0.02 * single


def test_entries_it_cannot_or_need_not_write_are_left_to_zipfile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(zip_deflate, "PIECE", 1000)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=LEVEL) as zf:

        def opened(size: int, compress_type: int = zipfile.ZIP_DEFLATED) -> Any:
            info = zipfile.ZipInfo(f"part-{len(zf.namelist())}")
            info.compress_type = compress_type
            info.file_size = size
            return zf.open(info, "w")

        with opened(1000) as entry:  # one piece
            assert deflater(entry, LEVEL) is None
            entry.write(b"x" * 1000)
        with opened(5000, zipfile.ZIP_STORED) as entry:  # not deflated
            assert deflater(entry, LEVEL) is None
            entry.write(b"x" * 5000)
        with opened(5000) as entry:  # already written to
            entry.write(b"x")
            assert deflater(entry, LEVEL) is None
            entry.write(b"x" * 4999)
        with opened(5000) as entry:  # a writer without the fields this uses
            del entry._crc
            assert deflater(entry, LEVEL) is None
            entry._crc = 0
            entry.write(b"y" * 5000)
    with zipfile.ZipFile(buf) as zf:
        assert zf.testzip() is None


def test_a_workbook_with_large_rows_holds_the_parts_xlsxwriter_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The streamed sheets are deflated on threads (pieces made small here), and every part is
    still what plain XlsxWriter writes, in a zip openpyxl reads."""
    monkeypatch.setattr(zip_deflate, "PIECE", 4096)
    made = []
    real = zip_deflate.ThreadedDeflate.write_all

    def spy(self: Any, parts: Any) -> None:
        made.append(self.entry._zinfo.filename)
        real(self, parts)

    monkeypatch.setattr(zip_deflate.ThreadedDeflate, "write_all", spy)
    fast = tmp_path / "fast" / "book.xlsx"
    spec = _column_spec(5000)
    write_xlsx(spec, fast)
    assert made == ["xl/worksheets/sheet2.xml"]  # the streamed sheet above a piece
    with zipfile.ZipFile(fast) as zf:
        assert zf.testzip() is None
    monkeypatch.undo()  # plain XlsxWriter's side: its own ZipFile
    _same_parts_as_xlsxwriter(spec, fast, tmp_path, monkeypatch)
    book = load_workbook(fast, read_only=True)
    rows = list(book["Accounts"].iter_rows(values_only=True))
    book.close()
    assert rows[1:] == [(f"A-{i}", float(i) * 1.5) for i in range(5000)]


def test_a_deflate_that_fails_leaves_the_folder_as_it_was_and_no_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(zip_deflate, "PIECE", 4096)
    real = zip_deflate.ThreadedDeflate._deflate
    seen = []

    def broken(self: Any, item: Any) -> Any:
        seen.append(1)
        if len(seen) == 3:
            raise OSError("disk full")
        return real(self, item)

    monkeypatch.setattr(zip_deflate.ThreadedDeflate, "_deflate", broken)
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "mine.txt").write_text("the user's", encoding="utf-8")
    with pytest.raises(WorkbookLocked, match="disk full"):
        write_xlsx(_column_spec(5000), folder / "book.xlsx")
    assert [p.name for p in folder.iterdir()] == ["mine.txt"]
    assert not [t for t in threading.enumerate() if t.name.startswith("tierform-map")]
