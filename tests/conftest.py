"""Shared fixtures: small hand-built models and books."""

from __future__ import annotations

from pathlib import Path

import pytest

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
