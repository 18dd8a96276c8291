"""Shared fixtures: small hand-built models and books."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tierform.core import book, book_ahead, book_csv
from tierform.core.loader import default_model
from tierform.core.model import CoverageModel

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.fixture
def model() -> CoverageModel:
    return default_model()


@pytest.fixture
def write(tmp_path: Path):
    """Write text to a file in tmp_path and return its path."""

    def _write(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def csv_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The name of the thread each CSV book read ran on, however it was reached (a book of
    any size is read ahead here); any read ahead left is waited for at the end."""
    names: list[str] = []
    real = book_csv.read_csv

    def spy(*args: Any, **kwargs: Any) -> book_csv.CsvBook:
        names.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(book_ahead, "MIN_BYTES", 0)
    monkeypatch.setattr(book_csv, "read_csv", spy)
    monkeypatch.setattr(book, "read_csv", spy)
    yield names
    book_ahead.finish()
