"""The engine's diff (creates' field diffs worked out only when read) against the plain diff
it replaced (kept here as the reference: it builds every field diff up front)."""

from __future__ import annotations

import random

import tierform.sync.diff
from tierform.sync.change import (
    DERIVED,
    Change,
    FieldDiff,
    Op,
    diff_data,
    diff_objects,
    sort_changes,
)
from tierform.sync.state import Kind, State


def diff_kind(kind: Kind, desired: State, existing: State) -> list[Change]:
    """The plain diff, written out: set arithmetic on keys, every field diff built at once."""
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


def _states(seed: int) -> tuple[State, State]:
    rng = random.Random(seed)
    desired, existing = State(), State()
    values = ["SMB", "Enterprise", 3, 72.5, None, ""]
    for i in range(300):
        key = f"ACC-{i:04d}"
        data = {f"tf_{f}": rng.choice(values) for f in "abcde" if rng.random() < 0.8}
        where = rng.random()
        if where < 0.7:
            desired.put(Kind.account, key, data, label=f"Customer {i}" if i % 3 else None)
        if where > 0.3:
            old = dict(data) if rng.random() < 0.5 else {"tf_a": rng.choice(values)}
            existing.put(Kind.account, key, old, label=f"Old {i}", remote_id=f"r{i}")
    return desired, existing


def _fields(c: Change) -> tuple[object, ...]:
    return (c.op, c.kind, c.key, c.data, c.existing, c.diffs, c.label, c.remote_id)


def test_same_changes_as_the_plain_diff() -> None:
    for seed in range(5):
        desired, existing = _states(seed)
        got = sort_changes(diff_objects(Kind.account, desired, existing))
        want = sort_changes(diff_kind(Kind.account, desired, existing))
        assert {c.op for c in want} == {Op.create, Op.update, Op.delete}
        assert [_fields(c) for c in got] == [_fields(c) for c in want]


def test_derived_diffs_are_every_field_of_a_create() -> None:
    data = {"tf_csm": "Ana Ruiz", "tf_open_tasks": 2, "tf_tier": "Enterprise"}
    change = Change(Op.create, Kind.account, "A1", data, None, DERIVED)
    assert change.diffs == [
        FieldDiff("tf_csm", None, "Ana Ruiz"),
        FieldDiff("tf_open_tasks", None, 2),
        FieldDiff("tf_tier", None, "Enterprise"),
    ]
    assert change.diffs is change.diffs  # worked out once


def test_diffs_given_or_left_out_behave_as_before() -> None:
    given = [FieldDiff("tf_tier", "SMB", "Enterprise")]
    update = Change(Op.update, Kind.account, "A1", {"tf_tier": "Enterprise"}, {}, given)
    assert update.diffs is given
    first = Change(Op.create, Kind.account, "A1", {"tf_tier": "SMB"})
    second = Change(Op.create, Kind.account, "A2", {"tf_tier": "SMB"})
    assert first.diffs == [] and second.diffs == []  # no diffs given: none, as before
    first.diffs.append(given[0])
    assert second.diffs == []  # each change has its own list


def test_the_module_diff_is_the_engine_diff() -> None:
    """``tierform.sync.diff.diff_kind`` is the engine's diff (one diff), same changes as the
    reference above."""
    for seed in range(3):
        desired, existing = _states(seed)
        got = sort_changes(tierform.sync.diff.diff_kind(Kind.account, desired, existing))
        want = sort_changes(diff_kind(Kind.account, desired, existing))
        assert [_fields(c) for c in got] == [_fields(c) for c in want]
