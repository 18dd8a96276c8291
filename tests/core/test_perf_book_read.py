"""The quicker ways of reading a book agree with the plain ones they replace.

* a large CSV read as its first block plus the rest gives the table of one read in
  first-block-sized blocks;
* counting ACVs like "12.500" on the cells that can match gives the count over every cell;
* the byte-level check for plain numbers reads ACVs as the plain pattern does.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest

from tierform.core import book_csv, book_numbers
from tierform.core.book import _parse_level, read_book
from tierform.errors import BookError

INFER = 1 << 12


def single_size(path, types):
    """The reference: the whole body in first-block-sized blocks, as every book once was."""
    read = pacsv.ReadOptions(encoding="utf-8", block_size=INFER)
    parse = pacsv.ParseOptions(delimiter=",", newlines_in_values=False)
    convert = pacsv.ConvertOptions(
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        null_values=book_csv._NULLS,
        column_types=types,
    )
    table = pacsv.read_csv(path, read_options=read, parse_options=parse, convert_options=convert)
    return table.rename_columns([n.lstrip("\ufeff").strip() for n in table.column_names])


def lines(n: int, late: str, newline: str, at: int) -> str:
    out = ["\ufeffaccount_id,name,acv,score,when"]
    for i in range(n):
        score = late if i == at else str(i % 97)
        name = ["Caf\xe9", "Ünïcode 名前", "", "plain"][i % 4]
        out.append(f"A{i},{name} {i},{1000 + i}.5,{score},2025-01-{1 + i % 28:02d}")
        if i % 50 == 0:
            out.append("")  # blank lines are skipped
    return newline.join(out) + newline


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("late", ["12.5", "high", "", "NaN", "7"])
@pytest.mark.parametrize("at", [5, 60, 61, 62, 63, 64, 65, 900])
def test_first_block_and_rest_read_as_one_size(tmp_path, monkeypatch, newline, late, at):
    monkeypatch.setattr(book_csv, "INFER_BLOCK", INFER)
    monkeypatch.setattr(book_csv, "PARSE_BLOCK", 1 << 10)
    path = tmp_path / "accounts.csv"
    path.write_bytes(lines(1000, late, newline, at).encode("utf-8"))
    assert path.stat().st_size > 4 * INFER
    types = {"account_id": pa.string(), "acv": pa.string()}
    try:
        expected = single_size(path, types)
    except pa.ArrowInvalid:
        expected = None
    got = book_csv.read_csv(path, None, ("account_id", "acv")).table
    if expected is not None:
        assert got.schema == expected.schema
        assert shown(got) == shown(expected)


def shown(table: pa.Table) -> list[list[str]]:
    """Rows as reprs, so NaN compares equal to NaN."""
    return [[repr(v) for v in row.values()] for row in table.to_pylist()]


def test_a_first_block_without_a_line_end_fails_as_one_size_does(tmp_path, monkeypatch):
    monkeypatch.setattr(book_csv, "INFER_BLOCK", 64)
    path = tmp_path / "accounts.csv"
    path.write_text("account_id,name\n" + "".join(f"A{i},{'x' * 90}\n" for i in range(30)))
    outcomes = []
    for shortcut in (True, False):
        if not shortcut:
            monkeypatch.setattr(book_csv, "_read_in_two", lambda *args: None)
        try:
            outcomes.append(book_csv.read_csv(path, None).table.to_pylist())
        except BookError as exc:
            outcomes.append(str(exc))
    assert outcomes[0] == outcomes[1]


def test_an_empty_file_is_still_named_empty(tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_bytes(b"")
    with pytest.raises(BookError, match="the file is empty"):
        read_book(path)


CELLS = [
    "12.500",
    "1.000",
    "999.999",
    "1000.000",
    "-12.500",
    "12.50",
    "12.5000",
    "12,500",
    "abc.def",
    "1.2345",
    "",
    None,
    "12.500 ",
    "١٢.٥٠٠",
    "100.5",
]


@pytest.mark.parametrize("seed", range(10))
def test_ambiguous_dots_count_like_the_pattern_on_every_cell(seed):
    rng = random.Random(seed)
    cells = [rng.choice(CELLS) for _ in range(rng.randint(0, 200))]
    half = len(cells) // 2
    col = pa.chunked_array([pa.array(cells[:half], pa.string()), pa.array(cells[half:])])
    expected = sum(
        bool(v) for v in pc.match_substring_regex(col, book_numbers._AMBIGUOUS_DOT_RE).to_pylist()
    )
    assert book_numbers._ambiguous_dots(col) == expected


PLAIN_CELLS = [
    "12.500",
    "123.456",
    "-123.456",
    "1.000",
    "-1",
    "-0",
    "0.0",
    "007",
    "16641.68",
    "99999",
    "9" * 400,
    None,
    "-.5",
    ".5",
    "5.",
    "1.2.3",
    "1-2",
    "--1",
    "-",
    "",
    "1e5",
    "+1",
    " 1",
    "12,500",
    "١٢",
]


def _same(a: book_numbers.ParsedNumbers, b: book_numbers.ParsedNumbers) -> None:
    assert np.array_equal(a.values, b.values, equal_nan=True)
    assert np.array_equal(a.kind, b.kind)
    assert (a.number_format, a.detected, a.ambiguous_dots) == (
        b.number_format,
        b.detected,
        b.ambiguous_dots,
    )


@pytest.mark.parametrize("seed", range(12))
def test_the_plain_byte_check_reads_as_the_pattern_does(seed, monkeypatch):
    """The byte-level check for plain numbers gives what the plain pattern gives (the path it
    replaces), on clean columns and on columns with one odd cell anywhere."""
    rng = random.Random(seed)
    cells = [rng.choice(PLAIN_CELLS[:12]) for _ in range(rng.randint(0, 120))]
    if seed % 2:
        cells.insert(rng.randint(0, len(cells)), rng.choice(PLAIN_CELLS))
    cut = rng.randint(0, len(cells))
    whole = pa.array(cells, pa.string())
    for col in (
        pa.chunked_array([whole], pa.string()),
        pa.chunked_array([whole.slice(0, cut), whole.slice(cut)], pa.string()),
        pa.chunked_array([pa.array(["x", *cells, "y"], pa.string()).slice(1, len(cells))]),
    ):
        fast = book_numbers.parse_number_text(col)
        monkeypatch.setattr(book_numbers, "_plain_shape", lambda col: None)
        reference = book_numbers.parse_number_text(col)
        monkeypatch.undo()
        _same(fast, reference)


@pytest.mark.parametrize("odd", PLAIN_CELLS[12:])
def test_each_cell_that_is_not_plain_reads_as_the_pattern_reads_it(odd, monkeypatch):
    """Each kind of cell the plain pattern refuses, alone among plain cells, is read as that
    path reads it (the random mixes above may not draw every one)."""
    cells = ["16641.68", odd, "-12.5", "12.500", None, "007"]
    col = pa.chunked_array([pa.array(cells, pa.string())])
    fast = book_numbers.parse_number_text(col)
    monkeypatch.setattr(book_numbers, "_plain_shape", lambda col: None)
    _same(fast, book_numbers.parse_number_text(col))


def numeric_reference(col: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """A numeric column as read before the blank-aware shortcut: every cell looked at."""
    valid = np.asarray(pc.is_valid(col).to_numpy(zero_copy_only=False), dtype=bool)
    values = np.asarray(col.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
    kind = np.zeros(len(col), dtype=np.int8)
    with np.errstate(invalid="ignore"):
        kind[valid & ~np.isfinite(values)] = book_numbers.NOT_FINITE
    return np.where(valid & (kind == 0), values, np.nan), kind


@pytest.mark.parametrize("seed", range(8))
def test_numeric_columns_read_as_every_cell_was(seed):
    rng = random.Random(seed)
    pool = [1.5, -2.0, 0.0, None, float("nan"), float("inf"), float("-inf"), 1e300]
    cells = [rng.choice(pool if seed % 2 else pool[:4]) for _ in range(rng.randint(1, 80))]
    ints = [None if c is None else int(c) for c in cells if c is None or abs(c) < 1e9]
    for values, kind in ((cells, pa.float64()), (ints or [1], pa.int64())):
        whole = pa.array(values, kind)
        for col in (
            pa.chunked_array([whole]),
            pa.chunked_array([whole.slice(1), whole.slice(0, 1)]),
        ):
            parsed = book_numbers.parse_number_column(col)
            expected_values, expected_kind = numeric_reference(col)
            assert np.array_equal(parsed.values, expected_values, equal_nan=True)
            assert np.array_equal(parsed.kind, expected_kind)
            parsed.values[:1] = 7.0  # the caller's own array


def level_reference(col: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """A numeric 1-5 column as read before: every cell's validity looked at."""
    raw = np.asarray(col.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
    valid = np.asarray(pc.is_valid(col).to_numpy(zero_copy_only=False), dtype=bool)
    with np.errstate(invalid="ignore"):
        bad = valid & (np.isnan(raw) | (raw < 1) | (raw > 5))
    return np.where(bad, np.nan, (raw - 1) / 4), bad


@pytest.mark.parametrize("seed", range(8))
def test_numeric_levels_read_as_every_cell_was(seed):
    rng = random.Random(seed)
    pool = [1.0, 3.0, 5.0, 2.5, None, 0.0, 6.0, float("nan"), float("inf"), -1.0]
    cells = [rng.choice(pool if seed % 2 else pool[:5]) for _ in range(rng.randint(1, 60))]
    ints = [None if c is None else int(c) for c in cells if c is None or math.isfinite(c)]
    for values, kind in ((cells, pa.float64()), (ints or [3], pa.int64())):
        whole = pa.array(values, kind)
        for col in (pa.chunked_array([whole]), pa.chunked_array([whole.slice(1), whole[:1]])):
            level, bad = _parse_level(col)
            expected_level, expected_bad = level_reference(col)
            assert np.array_equal(level, expected_level, equal_nan=True)
            assert np.array_equal(bad, expected_bad)
