"""Batching helpers: split work by count and by serialised size (platform payload caps)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most ``size`` items."""
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def chunks_by_bytes(
    items: Iterable[Any], max_bytes: int, max_items: int | None = None
) -> Iterator[list[Any]]:
    """Consecutive lists whose JSON stays under ``max_bytes`` (an item alone may exceed it)."""
    batch: list[Any] = []
    size = 2
    for item in items:
        item_size = len(json.dumps(item, separators=(",", ":")).encode()) + 1
        full = max_items is not None and len(batch) >= max_items
        if batch and (size + item_size > max_bytes or full):
            yield batch
            batch, size = [], 2
        batch.append(item)
        size += item_size
    if batch:
        yield batch
