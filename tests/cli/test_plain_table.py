"""The plain table writer against rich itself: wherever it writes a table, the bytes must be
those rich writes for the same table on the same console; elsewhere it leaves the table to
rich."""

from __future__ import annotations

import io
import random

import pytest
from rich.console import Console
from rich.table import Table

from tierform.cli.plain_table import plain_table, print_table

WORDS = ["Enterprise", "Mid-Market", "Ana Ruiz", "Enterprise CSM 12", "$2,252,571", "15", "7", ""]
AWKWARD = ["José", "—", "名前", "tab\tin", " lead", "trail ", "a" * 90]


def console(width: int = 160) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(
        file=out, highlight=False, soft_wrap=True, width=width, markup=False, emoji=False
    ), out


def by_rich(title: str | None, headers: list[str], rows: list[list[str]], width: int) -> str:
    con, out = console(width)
    table = Table(title=title)
    for h in headers:
        table.add_column(h)
    for row in rows:
        table.add_row(*row)
    con.print(table)
    return out.getvalue()


def random_table(rng: random.Random, words: list[str]) -> tuple[str | None, list[str], list]:
    ncols = rng.randint(1, 6)
    headers = [
        rng.choice(["tier", "owner", "accounts", "ARR", "capacity", "why"]) for _ in range(ncols)
    ]
    rows = [[rng.choice(words) for _ in headers] for _ in range(rng.randint(0, 40))]
    title = rng.choice([None, "Books of business", "T"])
    return title, headers, rows


@pytest.mark.parametrize("seed", range(40))
def test_same_bytes_as_rich_wherever_it_writes(seed: int) -> None:
    rng = random.Random(seed)
    words = WORDS + (AWKWARD if seed % 3 == 0 else [])
    title, headers, rows = random_table(rng, words)
    for width in (160, 40, 80):
        text = plain_table(title, headers, rows, width)
        if text is not None:
            assert text == by_rich(title, headers, rows, width)
        # Either way, what the command prints is rich's table.
        con, out = console(width)
        print_table(con, title, headers, rows)
        assert out.getvalue() == by_rich(title, headers, rows, width)


@pytest.mark.parametrize("owners", [1, 17, 300])
def test_a_book_table_of_any_roster_size_is_written_plainly(owners: int) -> None:
    rows = [
        ["Enterprise", f"Enterprise CSM {k}", str(k % 15), f"${k * 12345:,}", "15"]
        for k in range(owners)
    ]
    headers = ["tier", "owner", "accounts", "ARR", "capacity"]
    text = plain_table("Books of business", headers, rows, 160)
    assert text is not None
    assert text == by_rich("Books of business", headers, rows, 160)


def test_it_leaves_to_rich_what_it_cannot_promise() -> None:
    headers = ["a", "b"]
    assert plain_table("T", headers, [], 160) is None  # no rows
    assert plain_table("T", headers, [["José", "x"]], 160) is None  # not ASCII
    assert plain_table("T", headers, [["x" * 100, "y" * 100]], 160) is None  # too wide
    assert plain_table("", headers, [["x", "y"]], 160) is None  # an empty title


@pytest.mark.parametrize("slack", [-1, 0, 1])
def test_a_table_exactly_as_wide_as_the_console(slack: int) -> None:
    rows = [["x" * 20, "y" * 15], ["z", "w"]]
    width = 20 + 15 + 3 * 2 + 1 + slack
    text = plain_table("T", ["a", "b"], rows, width)
    assert (text is None) == (slack < 0)
    if text is not None:
        assert text == by_rich("T", ["a", "b"], rows, width)
