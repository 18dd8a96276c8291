"""The sheet's pieces cut block by block are those of cutting the whole joined text."""

from __future__ import annotations

import io
import random
import re
import zipfile

import pytest

from tierform.workbook import xlsx_read

_END = re.compile(rb"</(?:[\w.-]+:)?row\s*>|<(?:[\w.-]+:)?row\b[^>]*/>")


def _reference(xml: bytes, size: int) -> list[bytes]:
    """Join every block to what is left, then cut after the last complete row end."""
    start = re.search(rb"<(?:[\w.-]+:)?sheetData(?:\s[^>]*)?(/?)>", xml)
    assert start is not None and not start.group(1)
    pieces: list[bytes] = []
    buf = b""
    begun = False
    for at in range(0, len(xml) + size, size):
        block = xml[at : at + size]
        buf += block
        if not begun:
            if len(buf) < start.end():
                continue
            buf = buf[start.end() :]
            begun = True
        end = re.search(rb"</(?:[\w.-]+:)?sheetData\s*>", buf)
        if end is not None:
            return pieces + ([buf[: end.start()]] if end.start() else [])
        if not block:
            return pieces + ([buf] if buf.strip() else [])
        cut = max((m.end() for m in _END.finditer(buf)), default=0)
        if cut:
            pieces.append(buf[:cut])
            buf = buf[cut:]
    return pieces


def _row(rng: random.Random, n: int, prefix: str) -> str:
    text = rng.choice(["", "a", "é ü", "ü€", "x" * rng.randrange(40), "rows", "<row"])
    text = text.replace("<", "&lt;")
    if rng.random() < 0.1:
        return f'<{prefix}row r="{n}"/>'
    space = rng.choice(["", " ", "\n"])
    cell = f'<{prefix}c r="A{n}" t="inlineStr"><{prefix}is><{prefix}t>{text}</{prefix}t>'
    return f'<{prefix}row r="{n}">{cell}</{prefix}is></{prefix}c></{prefix}row{space}>'


@pytest.mark.parametrize("seed", range(12))
def test_pieces_match_the_joined_cut(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    prefix = rng.choice(["", "x:"])
    rows = "".join(_row(rng, n, prefix) for n in range(1, rng.randrange(1, 300)))
    close = rng.choice([f"</{prefix}sheetData>", f"</{prefix}sheetData >", ""])
    xml = (
        f'<?xml version="1.0"?><{prefix}worksheet><{prefix}sheetData>{rows}{close}'
        f"<{prefix}pageMargins/></{prefix}worksheet>"
    ).encode()
    if not close:
        xml = xml[: xml.index(f"<{prefix}pageMargins".encode())]
    size = rng.choice([7, 13, 16, 31, 64, 100, 257, 1000, 4096])
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("sheet.xml", xml)
    monkeypatch.setattr(xlsx_read, "_CHUNK", size)
    with zipfile.ZipFile(archive) as zf:
        for ahead in (False, True):
            pieces = list(xlsx_read._sheet_chunks(zf, "sheet.xml", inflate_ahead=ahead))
            assert pieces == _reference(xml, size)
