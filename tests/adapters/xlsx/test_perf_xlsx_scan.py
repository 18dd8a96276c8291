"""The array scan of tierform's cell shapes (:mod:`tierform.workbook.xlsx_scan`) against the
replacement conversion of :mod:`tierform.workbook.xlsx_typed` and against the rows each run was
generated from: where the scan answers, its JSON text is the conversion's byte for byte, and
coded rows are the keyed rows; where it does not, the conversion decides alone."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from tierform.workbook.xlsx_scan import coded_json, typed_json
from tierform.workbook.xlsx_typed import Coded, _typed_text, coded_rows, typed_rows

TEXTS = [
    "Enterprise",
    "Mid-Market",
    "a & b <c> d",
    'say "hi"',
    "two\nlines",
    "tab\there",
    "cr\rhere",
    "é 漢字 ✓ 🙂",
    " padded ",
    "x>y",
    "{not json}",
    "[1, 2]",
    "12",
    "-",
    "it's",
    ":",
    ",",
]
NUMBERS = ["75.9", "80", "0", "-3", "12.125", "-0.5", "45672", "1e5", "-0", "1.0", "99.999999"]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


def _cell(ref: str, kind: str, raw: str, style: str = "") -> str:
    if kind == "t":
        return f'<c r="{ref}" t="inlineStr"><is><t>{_escape(raw)}</t></is></c>'
    s = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{s}><v>{raw}</v></c>'


def _run(rng: random.Random, first: int, n: int, columns: str) -> tuple[str, list[dict[str, Any]]]:
    """``n`` rows from row ``first`` in ``columns`` (blanks, repeats, awkward texts, styled
    values), and what each row reads as: {letters, ``#`` for a value: value}."""
    xml, expected = [], []
    for r in range(first, first + n):
        cells, row = [], {}
        for letter in columns:
            roll = rng.random()
            if roll < 0.25:
                continue
            if roll < 0.7:
                text = rng.choice(TEXTS) + (str(r % 5) if rng.random() < 0.5 else "")
                cells.append(_cell(f"{letter}{r}", "t", text))
                row[letter] = text
            else:
                raw = rng.choice(NUMBERS)
                style = rng.choice(["", "", "2", "17"])
                cells.append(_cell(f"{letter}{r}", "v", raw, style))
                row[letter + "#"] = json.loads(raw)
        xml.append(f'<row r="{r}">{"".join(cells)}</row>')
        expected.append(row)
    return "".join(xml), expected


def _keyed(coded: Coded) -> list[dict[str, Any]]:
    """Coded rows as the keyed rows they stand for (the reference decoding)."""
    out = []
    for code, values in zip(coded.codes, coded.rows, strict=True):
        keys = [
            chr(65 + c) + ("#" if code >> (2 * c + 1) & 1 else "")
            for c in range(26)
            if code >> (2 * c) & 3
        ]
        out.append(dict(zip(keys, values, strict=True)))
    return out


def _same(data: bytes) -> None:
    """The scan says what the conversion says, or nothing; coded rows are the keyed rows."""
    fast, general = typed_json(data), _typed_text(data)
    if fast is not None:
        assert fast == general
    coded, keyed = coded_rows(data), typed_rows(data)
    if isinstance(coded, Coded):
        assert keyed is not None
        got = _keyed(coded)
        assert [list(r.items()) for r in got] == [list(r.items()) for r in keyed]
    else:
        assert coded == keyed


@pytest.mark.parametrize("seed", range(12))
def test_generated_runs_scan_as_the_conversion_reads_them(seed: int) -> None:
    rng = random.Random(seed)
    first = rng.choice([2, 9, 99, 999_998, 1_048_570])
    columns = rng.choice(["ABCDEFGHIJKLMNOPQ", "ACEGZ", "B", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"])
    xml, expected = _run(rng, first, rng.randint(1, 40), columns)
    data = xml.encode()
    assert typed_json(data) is not None  # the shapes tierform writes: the scan answers
    coded = coded_rows(data)
    assert isinstance(coded, Coded)
    assert [list(r.items()) for r in _keyed(coded)] == [list(r.items()) for r in expected]
    assert typed_rows(data) == expected
    _same(data)


def _one(cells: str, row: str = "5") -> bytes:
    return f'<row r="{row}">{cells}</row>'.encode()


A5 = _cell("A5", "t", "K")
ODD = {
    "empty row": _one(""),
    "empty rows": b'<row r="5"></row><row r="6"></row>',
    "no cells but one row of three": _one("") + _one(A5, "6") + _one("", "7"),
    "a cell of another row": _one(_cell("A6", "t", "K")),
    "a cell of a longer row number": _one(_cell("A15", "t", "K")),
    "a cell of a shorter row number": _one(_cell("A5", "t", "K"), "15"),
    "leading zeros": b'<row r="05"><c r="A05" t="inlineStr"><is><t>K</t></is></c></row>',
    "empty text": _one(A5 + _cell("B5", "t", "")),
    "empty value": _one(A5 + '<c r="B5"><v></v></c>'),
    "value not a number": _one(A5 + _cell("B5", "v", "true")),
    "value of two numbers": _one(A5 + _cell("B5", "v", "1,2")),
    "value of a list": _one(A5 + _cell("B5", "v", "1,[2]")),
    "value closing the row": _one(A5 + _cell("B5", "v", "1]")),
    "value making rows": _one(A5 + _cell("B5", "v", "1],[2")),
    "value making keyed rows": _one(A5 + _cell("B5", "v", "1}],[{")),
    "value with a quote": _one(A5 + _cell("B5", "v", '1"')),
    "row with spans": b'<row r="5" spans="1:2">' + A5.encode() + b"</row>",
    "self-closing row": b'<row r="5"/>',
    "trailing space": _one(A5) + b"\n",
    "leading space": b" " + _one(A5),
    "space between cells": _one(A5 + " " + _cell("B5", "t", "x")),
    "space between rows": _one(A5) + b" " + _one(_cell("A6", "t", "K"), "6"),
    "styled text": _one('<c r="A5" s="1" t="inlineStr"><is><t>K</t></is></c>'),
    "styled empty cell": _one(A5 + '<c r="B5" s="1"/>'),
    "style without digits": _one(A5 + '<c r="B5" s=""><v>1</v></c>'),
    "t n": _one(A5 + '<c r="B5" t="n"><v>3</v></c>'),
    "shared string": _one('<c r="A5" t="s"><v>0</v></c>'),
    "formula": _one(A5 + '<c r="B5"><f>1+1</f><v>2</v></c>'),
    "preserved spaces": _one('<c r="A5" t="inlineStr"><is><t xml:space="preserve"> K</t></is></c>'),
    "rich text": _one('<c r="A5" t="inlineStr"><is><r><t>K</t></r></is></c>'),
    "character reference": _one(_cell("A5", "t", "K&#38;x").replace("&amp;#", "&#")),
    "entities": _one('<c r="A5" t="inlineStr"><is><t>&lt;&gt;&amp;&quot;&apos;</t></is></c>'),
    "backslash": _one(_cell("A5", "t", "a\\b")),
    "marker": _one(_cell("A5", "t", "a\x1db")),
    "control character": _one(_cell("A5", "t", "a\x01b")),
    "column AA": _one(A5 + _cell("AA5", "t", "x")),
    "column XFD": _one(A5 + _cell("XFD5", "v", "1")),
    "four letters": _one(A5 + _cell("ABCD5", "v", "1")),
    "lower-case column": _one(A5 + _cell("b5", "v", "1")),
    "columns out of order": _one(_cell("B5", "t", "x") + A5),
    "a column twice": _one(A5 + _cell("A5", "t", "y")),
    "prefixed tags": b'<x:row r="5"><x:c r="A5" t="inlineStr"><x:is><x:t>K</x:t></x:is></x:c>'
    b"</x:row>",
    "unknown tag": _one(A5 + "<extLst/>"),
    "half a row": _one(A5)[:-3],
    "no row": A5.encode(),
    "just text": b"hello",
    "nothing": b"",
    "digits": b'<row r="12345678"></row>',
    "row number not digits": b'<row r="x"></row>',
    "row number with a sign": _one(A5, "+5"),
    "cell without quote end": _one('<c r="A5 t="inlineStr"><is><t>K</t></is></c>'),
    "NUL": _one(_cell("A5", "t", "a\x00b")),
    "non-UTF-8 text": _one(A5).replace(b">K<", b">\xff<"),
}


@pytest.mark.parametrize("data", list(ODD.values()), ids=list(ODD))
def test_other_shapes_are_left_to_the_conversion(data: bytes) -> None:
    _same(data)
    seeded = _run(random.Random(len(data)), 2, 3, "ABC")[0].encode()
    _same(seeded + data)  # behind rows the scan takes
    _same(data + seeded)


@pytest.mark.parametrize(
    "name", ["a cell of another row", "empty text", "value not a number", "value making rows"]
)
def test_the_conversion_declines_what_the_scan_does_not_answer(name: str) -> None:
    data = ODD[name]
    if name != "value making rows":  # valid as far as the scan looks: the JSON parser says no
        assert typed_json(data) is None
        assert coded_json(data) is None
    assert typed_rows(data) is None
    assert coded_rows(data) is None


@pytest.mark.parametrize(
    "name", ["column AA", "columns out of order", "value of two numbers", "value of a list"]
)
def test_rows_the_codes_cannot_hold_come_keyed(name: str) -> None:
    rows = coded_rows(ODD[name])
    assert not isinstance(rows, Coded)
    assert rows == typed_rows(ODD[name])


def test_entities_quotes_and_line_breaks_read_as_text() -> None:
    data = _one(
        '<c r="A5" t="inlineStr"><is><t>&lt;a&gt; &amp;amp; &quot;q&quot; it&apos;s</t></is></c>'
        + _cell("B5", "t", 'say "hi"\n\tnow\r')
        + _cell("C5", "v", "-12.5", "3")
    )
    assert typed_rows(data) == [{"A": '<a> &amp; "q" it\'s', "B": 'say "hi"\n\tnow\r', "C#": -12.5}]
    coded = coded_rows(data)
    assert isinstance(coded, Coded)
    assert coded.rows == [['<a> &amp; "q" it\'s', 'say "hi"\n\tnow\r', -12.5]]
    assert coded.codes == [1 | 1 << 2 | 1 << 5]
