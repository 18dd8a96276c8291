"""A large CSV book is parsed in small blocks with the types its first block gives: the same
table, and the same refusals, as one read in first-block-sized blocks (the reference, which is
how every book was read before).

The block sizes are shrunk so a small file spans many blocks.
"""

from __future__ import annotations

import pytest

from tierform.core import book_csv
from tierform.core.book import read_book
from tierform.errors import BookError
from tierform.testing.sample import generate_accounts, write_csv

INFER = 1 << 16


def read_both(monkeypatch, path):
    """(blocks of two sizes, one size) results: a table's rows or the error's text."""
    out = []
    for parse_block in (1 << 12, INFER):  # the second is the single-size reference
        monkeypatch.setattr(book_csv, "INFER_BLOCK", INFER)
        monkeypatch.setattr(book_csv, "PARSE_BLOCK", parse_block)
        try:
            book = read_book(path)
            out.append((book.table.schema, book.table.to_pylist(), book.acv.tobytes()))
        except BookError as exc:
            out.append(str(exc))
    return out


def test_a_generated_book_reads_the_same(tmp_path, monkeypatch):
    path = tmp_path / "accounts.csv"
    write_csv(generate_accounts(4000, seed=3, blank_acv_share=0.05), str(path))
    assert path.stat().st_size > 4 * INFER
    blocks: list[int] = []
    read = book_csv._read_csv

    def spy(*args):
        blocks.append(args[-1])
        return read(*args)

    monkeypatch.setattr(book_csv, "_read_csv", spy)
    fast, reference = read_both(monkeypatch, path)
    assert blocks == [1 << 12, INFER]  # the small blocks really read the first time
    assert not isinstance(fast, str)
    assert fast == reference


def rows(n: int, late: str) -> str:
    lines = ["account_id,name,acv,usage_score,industry"]
    for i in range(n):
        score = late if i == n - 5 else str(i % 100)
        lines.append(f"A{i},Name {i},{1000 + i},{score},Retail")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "late",
    ["high", "", "12.5", "NaN"],  # text, blank, a float, NaN in an int column after block one
)
def test_a_value_past_the_first_block_that_breaks_its_type(tmp_path, monkeypatch, late):
    path = tmp_path / "accounts.csv"
    path.write_text(rows(6000, late), encoding="utf-8")
    assert path.stat().st_size > 2 * INFER
    fast, reference = read_both(monkeypatch, path)
    assert fast == reference


def test_windows_1252_past_the_first_block(tmp_path, monkeypatch):
    path = tmp_path / "accounts.csv"
    text = rows(6000, "7").replace("Name 5990", "Caf\xe9 5990")
    path.write_bytes(text.encode("cp1252"))
    fast, reference = read_both(monkeypatch, path)
    assert fast == reference
    assert not isinstance(fast, str) and any(r["name"] == "Caf\xe9 5990" for r in fast[1])
