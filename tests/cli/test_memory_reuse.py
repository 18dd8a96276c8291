"""Only the analysis commands on a large book keep freed memory for reuse
(``tierform.core.memory``); the report and sync, which go on to build large outputs, do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierform.cli.common import load
from tierform.core import memory
from tierform.errors import BookError


@pytest.fixture
def kept(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    monkeypatch.setattr(memory, "keep_freed_memory", lambda: calls.append(1) or True)
    return calls


def _large_book(folder: Path) -> Path:
    """The example's accounts copied over, each copy under ids of its own, to 1 MiB."""
    header, *rows = (folder / "accounts.csv").read_text(encoding="utf-8").splitlines()
    copies = memory.LARGE_INPUT_BYTES // sum(len(r) for r in rows) + 1
    lines = [header]
    for copy in range(copies):
        for row in rows:
            old_id, rest = row.split(",", 1)
            lines.append(f'"{old_id.strip(chr(34))}-{copy}",{rest}')
    book = folder / "large.csv"
    book.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert book.stat().st_size >= memory.LARGE_INPUT_BYTES
    return book


def test_a_large_book_read_for_analysis_keeps_freed_memory(example: Path, kept: list[int]) -> None:
    large = _large_book(example.parent)
    load(str(example), str(example.parent / "accounts.csv"), reuse_memory=True)
    assert kept == []  # the bundled example is small
    load(str(example), str(large))
    assert kept == []  # not an analysis command
    load(str(example), str(large), reuse_memory=True)
    assert kept == [1]


def test_a_missing_book_is_reported_by_the_read(example: Path, kept: list[int]) -> None:
    with pytest.raises(BookError, match="file not found"):
        load(str(example), str(example.parent / "missing.csv"), reuse_memory=True)
    assert kept == []


@pytest.mark.parametrize(
    ("command", "reuses"),
    [
        (["segment"], True),
        (["capacity"], True),
        (["health", "--as-of", "2026-11-01"], True),
        (["rules", "run", "--as-of", "2026-11-01"], True),
        (["validate"], False),
    ],
)
def test_which_commands_reuse_memory(
    run, example: Path, kept: list[int], command: list[str], reuses: bool
) -> None:
    large = _large_book(example.parent)
    result = run(*command, "-c", str(example), "--accounts", str(large), "--format", "json")
    assert result.exit_code in (0, 1), result.output
    assert kept == ([1] if reuses else [])
