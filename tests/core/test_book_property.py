"""Whatever bytes or cells a book holds, reading it returns a book or raises tierform's own
error: never a traceback, never a hang (each example has a deadline)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tierform.core.book import AccountBook, read_book  # noqa: E402
from tierform.errors import TierformError  # noqa: E402

SETTINGS = settings(
    max_examples=150,
    deadline=2000,  # ms per example: a hang or a quadratic blow-up fails the example
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)

# Cells made of the pieces real exports break on: numbers, separators, currency, dates, words.
_PIECES = st.sampled_from(
    [
        "1",
        "12",
        "123",
        "1,234",
        "1.234",
        ",",
        ".",
        "'",
        " ",
        "\u00a0",
        "$",
        "€",
        "USD",
        "(",
        ")",
        "-",
        "+",
        "e",
        "E",
        "400",
        "inf",
        "NaN",
        "/",
        "13",
        "2027",
        "02",
        "30",
        "0000",
        "Grand Totals",
        "Confidential",
        "\x00",
        "\x01",
        "\x1f",
        '"',
        "\n",
        "\r",
        "\t",
        ";",
        "true",
        "yes",
        "high",
        "é",
        "\ufeff",
        "[",
        "{",
        "}",
        "]",
    ]
)
_CELL = st.one_of(st.text(max_size=12), st.lists(_PIECES, max_size=6).map("".join))
_COLUMNS = ["account_id", "acv", "renewal_date", "complexity", "strategic", "logins", "name"]


def _read(path: Path) -> None:
    try:
        book = read_book(path)
    except TierformError:
        return
    assert isinstance(book, AccountBook)
    assert len(book.acv) == len(book) == len(book.rows)


@SETTINGS
@given(data=st.binary(max_size=600), suffix=st.sampled_from([".csv", ".json", ".jsonl", ".xlsx"]))
def test_random_bytes(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("bytes") / f"book{suffix}"
    path.write_bytes(data)
    _read(path)


@SETTINGS
@given(
    rows=st.lists(st.lists(_CELL, min_size=1, max_size=len(_COLUMNS)), max_size=8),
    header=st.integers(min_value=1, max_value=len(_COLUMNS)),
    encoding=st.sampled_from(["utf-8", "utf-16", "cp1252"]),
)
def test_random_csv_cells(tmp_path_factory, rows, header, encoding):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_COLUMNS[:header])
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("cells") / "book.csv"
    path.write_bytes(out.getvalue().encode(encoding, errors="replace"))
    _read(path)


@SETTINGS
@given(rows=st.lists(st.dictionaries(st.sampled_from(_COLUMNS), _CELL, max_size=7), max_size=6))
def test_random_json_cells(tmp_path_factory, rows):
    import json

    path = tmp_path_factory.mktemp("json") / "book.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    _read(path)
