"""Which model file a command reads, and where the book it names is, decided without loading
the model (no pydantic import): the loader, the CLI and the book's read-ahead agree on both."""

from __future__ import annotations

from pathlib import Path

DEFAULT_MODEL_FILE = "tierform.yaml"


def model_file(config: str | Path | None) -> Path | None:
    """``config`` when given, else ``./tierform.yaml`` when present, else None (the built-in
    default model)."""
    if config:
        return Path(config)
    return Path(DEFAULT_MODEL_FILE) if Path(DEFAULT_MODEL_FILE).exists() else None


def book_path(model: Path, path: str) -> str:
    """An account-book path written in ``model``: a relative one is relative to the model
    file, not the shell."""
    return path if Path(path).is_absolute() else str(model.parent / path)
