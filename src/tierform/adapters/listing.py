"""How an adapter's warnings name a set of keys: the first few, sorted, and how many more."""

from __future__ import annotations

from collections.abc import Iterable

SHOWN = 10


def some(items: Iterable[str], shown: int = SHOWN) -> str:
    """The first ``shown`` of ``items`` in sorted order, then how many more: enough for a
    person to find them in the platform, short enough for one warning line."""
    items = sorted(items)
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more
