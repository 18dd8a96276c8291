"""Diff desired against actual state: set arithmetic on keys, field-level diffs on data."""

from __future__ import annotations

from tierform.sync.change import Change, Op, diff_data
from tierform.sync.state import Kind, State


def diff_kind(kind: Kind, desired: State, existing: State) -> list[Change]:
    want, have = desired.of(kind), existing.of(kind)
    changes: list[Change] = []
    remote = existing.remote_ids.get(kind, {})
    for key, data in want.items():
        old = have.get(key)
        label = desired.label(kind, key)
        if old is None:
            changes.append(Change(Op.create, kind, key, data, None, diff_data(None, data), label))
        elif old != data:
            changes.append(
                Change(
                    Op.update, kind, key, data, old, diff_data(old, data), label, remote.get(key)
                )
            )
    for key in have.keys() - want.keys():
        changes.append(
            Change(
                Op.delete,
                kind,
                key,
                None,
                have[key],
                [],
                existing.label(kind, key),
                remote.get(key),
            )
        )
    return changes
