"""A fast, streaming .xlsx reader for large sheets (values only), plus custom properties.

openpyxl builds a Python object per cell, which takes ~12 s for a 100,000-row tracking sheet;
this reader keeps only values, several times faster. A sheet is streamed: its XML is inflated a
few megabytes at a time, cut at row ends, and each piece read by one regular expression (the
cell shapes spreadsheet programs write) or, for any other shape, by expat; a caller may ask for
some columns only (:meth:`XlsxReader.iter_rows`), so a million-row sheet is never held whole.
:meth:`XlsxReader.named_pieces` hands runs of rows keyed by column letters (with their names)
and reads the cell shapes tierform writes without a Python step per cell
(:mod:`tierform.workbook.xlsx_fast`); :meth:`XlsxReader.typed_runs` does so with keys that also
tell each cell's kind (:mod:`tierform.workbook.xlsx_typed`), inflating the next piece in a
thread meanwhile (and checking a large sheet's tags in worker processes:
:mod:`tierform.workbook.scan_workers`).
It reads shared and inline strings, numbers, booleans, ISO dates, errors, and formulas
(returned as their ``=`` text, so a formula typed into a managed cell is seen as the edit it
is). Dates stored as serial numbers come back as numbers: the caller knows
which columns hold dates (:func:`serial_to_date`).
"""

from __future__ import annotations

import datetime as dt
import json
import posixpath
import re
import zipfile
import zlib
from collections.abc import Collection, Generator, Iterator, Mapping
from contextlib import closing
from functools import partial
from html import unescape
from itertools import chain
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

from tierform.errors import UnreadableWorkbook
from tierform.workbook.ordered_map import mapped_in_pairs
from tierform.workbook.prefetch import ahead
from tierform.workbook.scan_workers import ScanWorkers
from tierform.workbook.xlsx_fast import Piece, letter_rows
from tierform.workbook.xlsx_typed import Coded, coded_from, coded_rows

Value = str | float | int | bool | None
EXCEL_EPOCH = dt.date(1899, 12, 30)


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1]


def _parse(data: bytes, start: Any = None, end: Any = None, chars: Any = None) -> None:
    p = expat.ParserCreate()
    p.buffer_text = True
    if start:
        p.StartElementHandler = start
    if end:
        p.EndElementHandler = end
    if chars:
        p.CharacterDataHandler = chars
    p.Parse(data, True)


def _column_index(ref: str) -> int:
    """'AB12' -> 27 (0-based column)."""
    n = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            n = n * 26 + (ord(ch) - 64)
        else:
            break
    return n - 1


class XlsxReader:
    """Open once, read any sheets by title."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._zip = zipfile.ZipFile(self.path)
            self._sheet_paths = self._sheets()
        except (OSError, zipfile.BadZipFile, KeyError, expat.ExpatError) as exc:
            raise UnreadableWorkbook(
                f"{self.path}: not a readable .xlsx workbook ({exc}); "
                "was it saved in another format?"
            ) from None
        self._strings: list[str] | None = None
        self._workers: ScanWorkers | None = None  # started for the first large sheet

    def close(self) -> None:
        if self._workers is not None:
            self._workers.close()
        self._zip.close()

    def __enter__(self) -> XlsxReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def titles(self) -> list[str]:
        return list(self._sheet_paths)

    def _sheets(self) -> dict[str, str]:
        rels: dict[str, str] = {}

        def rel(name: str, attrs: dict[str, str]) -> None:
            if _local(name) == "Relationship":
                target = attrs.get("Target", "")
                target = (
                    target.lstrip("/")
                    if target.startswith("/")
                    else posixpath.normpath(posixpath.join("xl", target))
                )
                rels[attrs.get("Id", "")] = target

        _parse(self._zip.read("xl/_rels/workbook.xml.rels"), start=rel)
        sheets: dict[str, str] = {}

        def sheet(name: str, attrs: dict[str, str]) -> None:
            if _local(name) == "sheet":
                rid = next((v for k, v in attrs.items() if _local(k) == "id"), "")
                if rid in rels:
                    sheets[attrs.get("name", "")] = rels[rid]

        _parse(self._zip.read("xl/workbook.xml"), start=sheet)
        return sheets

    def custom_properties(self) -> dict[str, str]:
        try:
            data = self._zip.read("docProps/custom.xml")
        except KeyError:
            return {}
        props: dict[str, str] = {}
        state: dict[str, Any] = {"name": None, "buf": []}

        def start(name: str, attrs: dict[str, str]) -> None:
            if _local(name) == "property":
                state["name"], state["buf"] = attrs.get("name"), []

        def chars(text: str) -> None:
            if state["name"] is not None:
                state["buf"].append(text)

        def end(name: str) -> None:
            if _local(name) == "property" and state["name"] is not None:
                props[state["name"]] = "".join(state["buf"])
                state["name"] = None

        _parse(data, start, end, chars)
        return props

    def _shared_strings(self) -> list[str]:
        if self._strings is not None:
            return self._strings
        strings: list[str] = []
        try:
            data = self._zip.read("xl/sharedStrings.xml")
        except KeyError:
            self._strings = strings
            return strings
        buf: list[str] = []
        flags = {"t": False, "rph": False}

        def start(name: str, attrs: dict[str, str]) -> None:
            tag = _local(name)
            if tag == "si":
                buf.clear()
            elif tag == "t":
                flags["t"] = True
            elif tag == "rPh":
                flags["rph"] = True  # phonetic runs are not part of the text

        def end(name: str) -> None:
            tag = _local(name)
            if tag == "si":
                strings.append("".join(buf))
            elif tag == "t":
                flags["t"] = False
            elif tag == "rPh":
                flags["rph"] = False

        def chars(text: str) -> None:
            if flags["t"] and not flags["rph"]:
                buf.append(text)

        _parse(data, start, end, chars)
        self._strings = strings
        return strings

    def rows(self, title: str) -> list[list[Value]]:
        """Every row of sheet ``title`` as a list of values, gaps as None (row 1 first)."""
        out: list[list[Value]] = []
        for index, row in self.iter_rows(title):
            if index < len(out):  # rows out of order: merge into the earlier one
                _merge(out[index], row)
                continue
            while len(out) < index:
                out.append([])
            out.append(row)
        while out and not any(v is not None for v in out[-1]):
            out.pop()
        return out

    def iter_rows(
        self, title: str, wanted: Collection[str] | None = None
    ) -> Iterator[tuple[int, list[Value]]]:
        """(0-based row, values) of sheet ``title`` in file order, streamed a few megabytes at a
        time. With ``wanted`` (header texts), the header row is read whole and later rows only
        in the columns headed by one of them (the other cells stay None)."""
        path = self._sheet_paths.get(title)
        if path is None:
            raise UnreadableWorkbook(f"{self.path}: no sheet {title!r}")
        strings = self._shared_strings()
        keep: dict[bytes, int] | None = None
        after = 0  # the row index that follows the last row seen (rows without an ``r``)
        try:
            for n, chunk in enumerate(_sheet_chunks(self._zip, path)):
                head: list[tuple[int, list[Value]]] = []
                if n == 0:  # the header row by the XML parser (see _strict_head)
                    cut = _first_row_end(chunk)
                    head, chunk = _strict_head(chunk[:cut], strings, keep), chunk[cut:]
                    after = head[-1][0] + 1 if head else after
                rows = _fast_chunk(chunk, strings, keep)
                if rows is None:
                    rows = _parsed_chunk(chunk, strings, after, keep)
                for index, row in chain(head, rows):
                    if wanted is not None and keep is None and index == 0:
                        keep = _columns(row, wanted)
                    after = index + 1
                    yield index, row
                if wanted is not None and keep is None and after > 0:
                    keep = {}  # no header row: no wanted columns
        except (KeyError, expat.ExpatError, zlib.error, zipfile.BadZipFile, EOFError) as exc:
            raise UnreadableWorkbook(
                f"{self.path}: sheet {title!r} cannot be read ({exc})"
            ) from None

    def header(self, title: str) -> list[Value]:
        """Row 1 of sheet ``title`` ([] when the sheet does not start with it)."""
        for index, row in self._first_rows(title):
            return row if index == 0 else []
        return []

    def _first_rows(self, title: str) -> Iterator[tuple[int, list[Value]]]:
        path = self._path(title)
        try:
            for chunk in _sheet_chunks(self._zip, path):
                cut = _first_row_end(chunk)
                yield from _strict_head(chunk[:cut], self._shared_strings(), None)
                return
        except (KeyError, expat.ExpatError, zlib.error, zipfile.BadZipFile, EOFError) as exc:
            raise self._unreadable(title, exc) from None

    def named_pieces(self, title: str, names: Mapping[int, str]) -> Iterator[Piece]:
        """The rows after row 1 of sheet ``title`` in runs (:class:`Piece`), for the columns
        ``names`` (column index -> name) holds; cells of other columns may be in the rows and
        are to be left out. Pieces in the cell shapes tierform writes go through
        :mod:`tierform.workbook.xlsx_fast` (keyed by column letters), any other piece through
        the general reader (keyed by name, empty cells left out; same values)."""
        path = self._path(title)
        letters = {column_letters(i): name for i, name in names.items()}
        own = {name: name for name in names.values()}
        keep = {column_letters(i).encode(): i for i in names}
        after = -1  # the row index after the last row seen (rows without an ``r``); -1: none yet
        try:
            for chunk in _sheet_chunks(self._zip, path):
                if after < 0:
                    cut = _first_row_end(chunk)
                    head = _strict_head(chunk[:cut], self._shared_strings(), keep)
                    after = head[-1][0] + 1 if head else 0
                    rows = head[1:] if head and head[0][0] == 0 else head
                    if rows:
                        yield Piece(_numbered(rows, names), own)
                    chunk = chunk[cut:]
                piece = letter_rows(chunk, letters)
                if piece is None:
                    piece = Piece(_numbered(self._general(chunk, after, keep), names), own)
                if piece.rows:
                    after = piece.rows[-1][0]
                    yield piece
        except (KeyError, expat.ExpatError, zlib.error, zipfile.BadZipFile, EOFError) as exc:
            raise self._unreadable(title, exc) from None

    def typed_runs(self, title: str) -> Generator[Coded | list[dict[str, Any]] | None, None, None]:
        """The rows after row 1 of sheet ``title`` in runs coded or keyed by column letters and
        cell kind (:func:`~tierform.workbook.xlsx_typed.coded_rows`); a run is None where the
        sheet has another shape, and the caller then reads the sheet the general way."""
        path = self._path(title)
        try:
            with closing(_sheet_chunks(self._zip, path, inflate_ahead=True)) as chunks:
                head = next(chunks, None)
                if head is None:
                    return
                cut = _first_row_end(head)
                if not head[:cut].lstrip().startswith(b'<row r="1"'):
                    yield None  # no header row 1: the rows need numbering
                    return
                pieces = chain([head[cut:]], chunks)
                if self._zip.getinfo(path).file_size < WORKERS_FROM:
                    # Two pieces' tags are checked at once, on two cores (array work); the
                    # caller's reading of the rows then runs alone.
                    yield from mapped_in_pairs(coded_rows, pieces)
                    return
                # A large sheet's tags are checked in worker processes while the caller
                # reads the rows of the pieces before; the pieces are cut from the inflated
                # blocks a step ahead, in a thread (a copy of 4 MiB each, made without the
                # interpreter lock), so the reading thread only hands them on.
                if self._workers is None:
                    self._workers = ScanWorkers()
                with (
                    closing(ahead(pieces)) as ready,
                    closing(self._workers.scanned(ready)) as scanned,
                ):
                    for piece, scan in scanned:
                        yield coded_from(piece, scan)
        except (KeyError, zlib.error, zipfile.BadZipFile, EOFError) as exc:
            raise self._unreadable(title, exc) from None

    def _path(self, title: str) -> str:
        path = self._sheet_paths.get(title)
        if path is None:
            raise UnreadableWorkbook(f"{self.path}: no sheet {title!r}")
        return path

    def _unreadable(self, title: str, exc: Exception) -> UnreadableWorkbook:
        return UnreadableWorkbook(f"{self.path}: sheet {title!r} cannot be read ({exc})")

    def _general(
        self, chunk: bytes, after: int, keep: dict[bytes, int] | None
    ) -> list[tuple[int, list[Value]]]:
        if not chunk.strip():
            return []
        strings = self._shared_strings()
        rows = _fast_chunk(chunk, strings, keep)
        return rows if rows is not None else _parsed_chunk(chunk, strings, after, keep)


def _strict_head(
    chunk: bytes, strings: list[str], keep: dict[bytes, int] | None
) -> list[tuple[int, list[Value]]]:
    """The first row of a sheet by the XML parser, which refuses what is not well-formed XML
    (a NUL byte, a reference to no character). The regular expression of the other rows would
    pass over a cell it cannot match: in the header, that loses a column and every row of its
    table with it (a plan would then create them all again)."""
    return _parsed_chunk(chunk, strings, 0, keep) if chunk.strip() else []


def _first_row_end(chunk: bytes) -> int:
    """The offset just after the first row of ``chunk`` (its length when it has none)."""
    m = _ROW_END.search(chunk)
    return m.end() if m is not None else len(chunk)


def _numbered(
    rows: list[tuple[int, list[Value]]], names: Mapping[int, str]
) -> list[tuple[int, dict[str, Value]]]:
    """Rows of the general reader as (1-based row number, {name: value}), empty cells left
    out."""
    return [
        (
            index + 1,
            {names[i]: v for i, v in enumerate(row) if v is not None and v != "" and i in names},
        )
        for index, row in rows
    ]


def _merge(into: list[Value], row: list[Value]) -> None:
    for col, value in enumerate(row):
        if value is None:
            continue
        if col >= len(into):
            into.extend([None] * (col - len(into) + 1))
        into[col] = value


def _columns(header: list[Value], wanted: Collection[str]) -> dict[bytes, int]:
    """Column letters -> index of the header cells whose text is wanted."""
    names = {str(w).strip() for w in wanted}
    return {
        column_letters(i).encode(): i
        for i, h in enumerate(header)
        if h is not None and str(h).strip() in names
    }


def column_letters(col: int) -> str:
    """0 -> 'A', 27 -> 'AB'."""
    out = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


_CHUNK = 4 << 20
WORKERS_FROM = 128 << 20  # a sheet's size (uncompressed) from which worker processes scan it
_SHEET_DATA = re.compile(rb"<(?:[\w.-]+:)?sheetData(?:\s[^>]*)?(/?)>")
_SHEET_DATA_END = re.compile(rb"</(?:[\w.-]+:)?sheetData\s*>")
_ROW_END = re.compile(rb"</(?:[\w.-]+:)?row\s*>|<(?:[\w.-]+:)?row\b[^>]*/>")


def _sheet_chunks(
    archive: zipfile.ZipFile, path: str, inflate_ahead: bool = False
) -> Generator[bytes, None, None]:
    """The inside of a sheet's ``sheetData`` in pieces that each end at a row's end;
    ``inflate_ahead``: the next block inflated in a thread meanwhile (only the inflating: the
    thread's allocator keeps what it allocated, so it allocates no more than the blocks).
    A block whose last row end lies wholly inside it is cut there and joined to the rest of
    the previous block in one copy (the same pieces as cutting the joined text)."""
    with archive.open(path) as fh, closing(_blocks(fh, inflate_ahead)) as blocks:
        buf = b""
        started = False
        for block in blocks:
            if started and block and b"sheetData" not in buf:
                edge = buf[-16:] + block[:16]
                if b"sheetData" not in block and b"sheetData" not in edge:
                    opened, cut = _last_row_match(block)
                    if cut and opened >= 0:
                        yield b"".join((buf, memoryview(block)[:cut]))
                        buf = block[cut:]
                        continue
            buf += block
            if not started:
                m = _SHEET_DATA.search(buf)
                if m is None:
                    if not block:
                        return
                    continue
                if m.group(1):  # <sheetData/>: no rows
                    return
                buf = buf[m.end() :]
                started = True
            end = _SHEET_DATA_END.search(buf) if b"sheetData" in buf else None
            if end is not None:
                if end.start():
                    yield buf[: end.start()]
                return
            if not block:
                if buf.strip():
                    yield buf
                return
            cut = _last_row_end(buf)
            if cut:
                yield buf[:cut]
                buf = buf[cut:]


def _blocks(fh: IO[bytes], inflate_ahead: bool) -> Generator[bytes, None, None]:
    """``fh`` inflated a block at a time, ending with an empty block."""
    blocks = iter(partial(fh.read, _CHUNK), b"")
    yield from ahead(blocks) if inflate_ahead else blocks
    yield b""


def _last_row_end(buf: bytes) -> int:
    """The offset just after the last complete row in ``buf`` (0: none yet)."""
    return _last_row_match(buf)[1]


def _last_row_match(buf: bytes) -> tuple[int, int]:
    """Where the last complete row's end tag in ``buf`` opens and the offset just after it
    ((-1, 0): none yet; an opening of -1 with an end: the tag's ``<`` is not in ``buf``)."""
    at = buf.rfind(b"row")
    while at > 0:
        opened = buf.rfind(b"<", 0, at)
        m = _ROW_END.match(buf, opened)
        if m is not None and m.end() > at:
            return opened, m.end()
        at = buf.rfind(b"row", 0, at)
    return -1, 0


# The cell shapes spreadsheet programs write (openpyxl, Excel, LibreOffice): attributes r, s, t
# in this order, then an optional formula and a plain value or a plain inline string. Anything
# else (rich text, prefixed tags, shared-formula refs) makes the fast path decline.
_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})(\d+)"(?: s="\d+")?(?: t="(\w+)")?(?: s="\d+")?\s*'
    rb"(?:/>|>(?:<f>([^<]*)</f>)?(?:<v>([^<]*)</v>|<v\s*/>|<is><t(?: [^>]*)?>([^<]*)</t></is>)?"
    rb"</c>)"
)
_LETTERS: dict[bytes, int] = {}


def _fast_chunk(
    data: bytes, strings: list[str], keep: dict[bytes, int] | None
) -> list[tuple[int, list[Value]]] | None:
    """Rows of a run of ``<row>`` elements by one regular expression, or None when a cell
    has a shape the expression does not cover (the caller then uses the XML parser)."""
    if b":c " in data or b":row" in data:
        return None
    matches = _CELL.findall(data)
    # Every tag that starts "<c" in sheet data is a cell: one the expression passed over (a
    # damaged "<c\x00 r=...") sends the run to the parser, which says what is wrong.
    if len(matches) != data.count(b"<c"):
        return None
    return _cell_loop(matches, strings, keep)


def _cell_loop(
    matches: list[Any], strings: list[str], keep: dict[bytes, int] | None
) -> list[tuple[int, list[Value]]]:
    """Rows of the matched cells, one cell at a time (any cell kind)."""
    rows: dict[bytes, list[Value]] = {}
    letters = _LETTERS
    last_ref = b""
    row: list[Value] = []
    for col_ref, row_ref, kind_b, formula, value, inline in matches:
        if row_ref != last_ref:
            last_ref = row_ref
            got = rows.get(row_ref)
            if got is None:
                got = rows[row_ref] = []
            row = got
        if keep is not None:
            col = keep.get(col_ref)
            if col is None:
                continue
        else:
            col = letters.get(col_ref)
            if col is None:
                col = letters[col_ref] = _column_index(col_ref.decode())
        cell: Value
        if formula:
            cell = "=" + unescape(formula.decode())
        elif kind_b == b"inlineStr":
            cell = unescape(inline.decode()) if b"&" in inline else inline.decode()
        elif (kind_b == b"n" or not kind_b) and value:
            try:
                number = float(value)
            except ValueError:
                cell = unescape(value.decode())
            else:
                cell = int(number) if number.is_integer() and abs(number) < 2**53 else number
        else:
            text = value.decode()
            cell = _cell(
                kind_b.decode() or None, unescape(text) if "&" in text else text, None, strings
            )
        if col == len(row):
            row.append(cell)
        else:
            if col > len(row):
                row.extend([None] * (col - len(row) + 1))
            row[col] = cell
    return [(int(ref) - 1, cells) for ref, cells in rows.items()]


def _parsed_chunk(
    data: bytes, strings: list[str], after: int, keep: dict[bytes, int] | None
) -> list[tuple[int, list[Value]]]:
    """Rows of a run of ``<row>`` elements by the XML parser (any shape, prefixed tags)."""
    cols = None if keep is None else set(keep.values())
    out: list[tuple[int, list[Value]]] = []
    row: list[Value] = []
    buf: list[str] = []
    fbuf: list[str] = []
    # Mutable cell state in one list (faster than a dict in these hot callbacks):
    # [cell type, column, collecting ("v"/"f"/None), has formula, next row index]
    st: list[Any] = [None, -1, None, False, after]

    def start(name: str, attrs: dict[str, str]) -> None:
        if ":" in name:
            name = name.rsplit(":", 1)[1]
        if name == "c":
            st[0] = attrs.get("t")
            ref = attrs.get("r")
            st[1] = _column_index(ref) if ref else len(row)
            st[3] = False
            buf.clear()
        elif name == "v" or name == "t":
            st[2] = "v"
        elif name == "f":
            st[2] = "f"
            st[3] = True
            fbuf.clear()
        elif name == "row":
            r = attrs.get("r")
            st[4] = int(r) - 1 if r else st[4]
            row.clear()

    def chars(text: str) -> None:
        where = st[2]
        if where == "v":
            buf.append(text)
        elif where == "f":
            fbuf.append(text)

    def end(name: str) -> None:
        if ":" in name:
            name = name.rsplit(":", 1)[1]
        if name == "c":
            col = st[1]
            if cols is not None and col not in cols:
                return
            value = _cell(st[0], "".join(buf), "".join(fbuf) if st[3] else None, strings)
            if col == len(row):
                row.append(value)
            else:
                if col > len(row):
                    row.extend([None] * (col - len(row) + 1))
                row[col] = value
        elif name == "v" or name == "t" or name == "f":
            st[2] = None
        elif name == "row":
            out.append((st[4], list(row)))
            st[4] += 1

    _parse(b"<sheetData>" + data + b"</sheetData>", start, end, chars)
    return out


def _cell(kind: str | None, text: str, formula: str | None, strings: list[str]) -> Value:
    if formula:
        return "=" + formula
    if kind is None or kind == "n":
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if kind == "s":
        return strings[int(text)] if text else None
    if kind in ("inlineStr", "str"):
        return text
    if kind == "b":
        return text.strip() == "1"
    if kind == "e":
        return text or None
    if kind == "d":
        return text[:10] if text else None
    return text or None


def serial_to_date(value: Any) -> dt.date | None:
    """An Excel serial day number (or a date/datetime/ISO text) as a date; None if not one."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 2958466:
        return EXCEL_EPOCH + dt.timedelta(days=int(value))
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def read_json_property(reader: XlsxReader, name: str) -> Any:
    raw = reader.custom_properties().get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return None
