"""The byte scans that let clean columns skip a per-value pass: where a scan says "nothing to
do", the result must equal the full pass (trimming ids and names; escaping text in JSON)."""

from __future__ import annotations

import io

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tierform.cli import jsonout
from tierform.core.book import _as_text
from tierform.core.book_text import _ILLEGAL, _may_hold_illegal, may_need_trim
from tierform.core.records import RecordColumns, TextField

CELLS = ["ACC-1", " ACC-2", "ACC-3 ", "", None, "é", "x\u00a0", "\u3000y", "tab\t", "a b", "Z"]


def full_trim(col: pa.ChunkedArray) -> list[str | None]:
    """The trim every text column had before the scan: trim, then blanks become nulls."""
    trimmed = pc.utf8_trim_whitespace(col)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed).to_pylist()


@pytest.mark.parametrize("seed", range(6))
def test_as_text_equals_the_full_trim(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for size in (0, 1, 5, 40):
        cells = [CELLS[i] for i in rng.integers(0, len(CELLS), size)]
        clean = [c for c in cells if c and c.strip() == c and c.isascii()]
        for values in (cells, clean):
            whole = pa.array(values, pa.string())
            for col in (
                pa.chunked_array([whole], pa.string()),
                pa.chunked_array([whole.slice(1), whole.slice(0, 1)], pa.string()),
            ):
                assert _as_text(col).to_pylist() == full_trim(col)


def test_the_scan_says_maybe_for_every_kind_of_edge() -> None:
    for cell in (" a", "a ", "", "\ta", "a\n", "\u00a0a", "a\u3000", "é"):
        assert may_need_trim(pa.chunked_array([pa.array(["ok", cell])]))
    assert not may_need_trim(pa.chunked_array([pa.array(["ok", None, "a b"])]))
    # A slice looks only at its own values, not at its neighbours in the buffer.
    assert not may_need_trim(pa.chunked_array([pa.array([" x", "ok", "y "]).slice(1, 1)]))


@pytest.mark.parametrize("seed", range(8))
def test_a_scan_that_says_no_trim_is_right_with_nulls_anywhere(seed: int) -> None:
    rng = np.random.default_rng(seed)
    pool = ["ok", "a b", None, None, " x", "y ", "", "é"]
    for size in (1, 2, 7, 60):
        cells = [pool[i] for i in rng.integers(0, len(pool), size)]
        for values in (cells, [c for c in cells if c in ("ok", "a b", None)]):
            whole = pa.array(values, pa.string())
            start = int(rng.integers(0, len(values))) if values else 0
            for col in (
                pa.chunked_array([whole], pa.string()),
                pa.chunked_array([whole.slice(start), whole.slice(0, start)], pa.string()),
            ):
                if not may_need_trim(col):
                    assert full_trim(col) == col.to_pylist()
                elif all(v in ("ok", "a b", None) for v in values) and any(values):
                    raise AssertionError(f"clean values {values} said to need a trim")


ILLEGAL_CELLS = [
    "plain",
    "café ✓ 東京",  # non-ASCII below 0xEF: settled by the smallest and largest byte
    "tab\tand\nline\r",
    "bell\x07",
    "\x1f",
    "non\ufffe",
    "\uffffx",
    "\ufeff",
    "é\uffef",
    None,
    "",
]


@pytest.mark.parametrize("seed", range(8))
def test_the_illegal_scan_matches_the_pattern(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for size in (0, 1, 3, 30):
        cells = [ILLEGAL_CELLS[i] for i in rng.integers(0, len(ILLEGAL_CELLS), size)]
        whole = pa.array(cells, pa.string())
        hits = pc.match_substring_regex(whole, _ILLEGAL).fill_null(False).to_pylist()
        col = pa.chunked_array([whole], pa.string())
        assert _may_hold_illegal(col) == any(hits)
        # A slice may only say "maybe" for bytes outside it, never miss one inside it.
        if size > 1:
            part = whole.slice(1)
            if any(pc.match_substring_regex(part, _ILLEGAL).fill_null(False).to_pylist()):
                assert _may_hold_illegal(pa.chunked_array([part], pa.string()))


def written(data: object) -> bytes:
    out = io.BytesIO()
    jsonout.write_json(data, out.write)
    return out.getvalue()


@pytest.mark.parametrize(
    "texts",
    [
        ["plain", "also plain", None, "é ✓"],
        ['a "quote"', "back\\slash", "line\nbreak", "ctrl\x01"],
        ["clean"] * 3 + ["one\tbad"],
    ],
)
def test_json_text_with_and_without_escapes(texts: list[str | None]) -> None:
    for values in (pa.array(texts), pa.chunked_array([pa.array(texts[:2]), pa.array(texts[2:])])):
        records = RecordColumns(len(texts), [TextField("reason", values)])
        rows = [{"reason": t} for t in texts]
        assert written({"actions": records}) == written({"actions": rows})
    # A slice of a buffer whose other values need escaping.
    sliced = pa.array(['"x"', *texts, "\\"]).slice(1, len(texts))
    records = RecordColumns(len(texts), [TextField("reason", sliced)])
    assert written(records) == written([{"reason": t} for t in texts])
