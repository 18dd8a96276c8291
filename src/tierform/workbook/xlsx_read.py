"""A fast, streaming .xlsx reader for large sheets (values only), plus custom properties.

openpyxl builds a Python object per cell, which takes ~12 s for a 100,000-row tracking sheet;
this reader runs expat over the sheet XML and keeps only values, several times faster. It reads
what spreadsheet programs write: shared and inline strings, numbers, booleans, ISO dates,
errors, and formulas (returned as their ``=`` text, so a formula typed into a managed cell is
seen as the edit it is). Dates stored as serial numbers come back as numbers: the caller knows
which columns hold dates (:func:`serial_to_date`).
"""

from __future__ import annotations

import datetime as dt
import json
import posixpath
import re
import zipfile
from html import unescape
from pathlib import Path
from typing import Any
from xml.parsers import expat

from tierform.errors import UnreadableWorkbook

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

    def close(self) -> None:
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
        path = self._sheet_paths.get(title)
        if path is None:
            raise UnreadableWorkbook(f"{self.path}: no sheet {title!r}")
        strings = self._shared_strings()
        out: list[list[Value]] = []
        row: list[Value] = []
        buf: list[str] = []
        fbuf: list[str] = []
        # Mutable cell state in one list (faster than a dict in these hot callbacks):
        # [cell type, column, collecting ("v"/"t"/"f"/None), has formula, next row index]
        st: list[Any] = [None, -1, None, False, 0]

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
                index = int(r) - 1 if r else st[4]
                while len(out) < index:
                    out.append([])
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
                value = _cell(st[0], "".join(buf), "".join(fbuf) if st[3] else None, strings)
                col = st[1]
                if col == len(row):
                    row.append(value)
                else:
                    if col > len(row):
                        row.extend([None] * (col - len(row) + 1))
                    row[col] = value
            elif name == "v" or name == "t" or name == "f":
                st[2] = None
            elif name == "row":
                out.append(list(row))
                st[4] = len(out)

        try:
            data = self._zip.read(path)
            fast = _fast_rows(data, strings)
            if fast is not None:
                return fast
            _parse(data, start, end, chars)
        except (KeyError, expat.ExpatError) as exc:
            raise UnreadableWorkbook(
                f"{self.path}: sheet {title!r} cannot be read ({exc})"
            ) from None
        while out and not any(v is not None for v in out[-1]):
            out.pop()
        return out


# The cell shapes spreadsheet programs write (openpyxl, Excel, LibreOffice): attributes r, s, t
# in this order, then an optional formula and a plain value or a plain inline string. Anything
# else (rich text, prefixed tags, shared-formula refs) makes the fast path decline.
_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})(\d+)"(?: s="\d+")?(?: t="(\w+)")?(?: s="\d+")?\s*'
    rb"(?:/>|>(?:<f>([^<]*)</f>)?(?:<v>([^<]*)</v>|<v\s*/>|<is><t(?: [^>]*)?>([^<]*)</t></is>)?"
    rb"</c>)"
)
_LETTERS: dict[bytes, int] = {}


def _fast_rows(data: bytes, strings: list[str]) -> list[list[Value]] | None:
    """Rows by one regular expression over the sheet XML, or None when a cell has a shape the
    expression does not cover (the caller then uses the full XML parser)."""
    if b"<c " not in data and b"<row" not in data:
        return [] if b"<sheetData" in data else None
    matches = _CELL.findall(data)
    if len(matches) != data.count(b"<c "):
        return None
    rows: dict[int, list[Value]] = {}
    letters = _LETTERS
    for col_ref, row_ref, kind_b, formula, value, inline in matches:
        col = letters.get(col_ref)
        if col is None:
            col = letters[col_ref] = _column_index(col_ref.decode())
        r = int(row_ref) - 1
        kind = kind_b.decode() if kind_b else None
        if formula:
            cell: Value = "=" + unescape(formula.decode())
        elif kind == "inlineStr":
            cell = unescape(inline.decode()) if b"&" in inline else inline.decode()
        else:
            text = value.decode()
            cell = _cell(kind, unescape(text) if "&" in text else text, None, strings)
        row = rows.get(r)
        if row is None:
            row = rows[r] = []
        if col == len(row):
            row.append(cell)
        else:
            if col > len(row):
                row.extend([None] * (col - len(row) + 1))
            row[col] = cell
    if not rows:
        return []
    out: list[list[Value]] = [rows.get(i, []) for i in range(max(rows) + 1)]
    while out and not any(v is not None for v in out[-1]):
        out.pop()
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
