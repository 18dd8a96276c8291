"""Diff desired against actual state (kept for callers of ``diff_kind``): the engine's diff,
:func:`tierform.sync.change.diff_objects`, so there is one diff."""

from __future__ import annotations

from tierform.sync.change import Change, diff_objects
from tierform.sync.state import Kind, State


def diff_kind(kind: Kind, desired: State, existing: State) -> list[Change]:
    """Creates, updates and deletes of ``kind`` (a create's field diffs worked out when read)."""
    return diff_objects(kind, desired, existing)
