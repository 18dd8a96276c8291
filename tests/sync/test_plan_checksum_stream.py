"""The plan's checksum, hashed a change at a time, is the sha256 of the whole plan's canonical
JSON text, and a create's payload hash worked out on the way is the journal's hash of its data.

The reference is the definition itself, written with the standard encoder: sha256 of
``json.dumps(plan.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tierform.sync.buildsheet import BuildStep, StepStatus
from tierform.sync.change import DERIVED, Change, FieldDiff, Op
from tierform.sync.plan import Plan
from tierform.sync.state import Kind


def reference(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def reference_checksum(plan: Plan) -> str:
    return hashlib.sha256(reference(plan.to_dict())).hexdigest()


def reference_payload(change: Change) -> str:
    return hashlib.sha256(reference([change.kind.value, change.key, change.data])).hexdigest()


leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.floats(min_value=-1e6, max_value=1e6).map(lambda f: round(f, 6))
    | st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8)
)
data = st.dictionaries(
    st.text(max_size=6),
    st.recursive(leaves, lambda inner: st.lists(inner, max_size=3), max_leaves=6),
    max_size=6,
)
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=10)
creates = st.builds(
    lambda kind, key, d, label, transition: Change(
        Op.create, kind, key, d, None, DERIVED, label, transition=transition
    ),
    st.sampled_from(list(Kind)),
    texts,
    data,
    st.none() | texts,
    st.none() | texts,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(creates, max_size=5))
def test_checksum_of_creates_is_the_whole_plan_hash(changes: list[Change]) -> None:
    plan = Plan("workbook", "xlsx", changes=changes, desired_count=len(changes))
    expected = reference_checksum(plan)
    assert plan.checksum() == expected
    for change in changes:  # the hash kept on the way is the journal's
        assert change.payload_hash == reference_payload(change)


def test_every_kind_of_change_step_and_warning() -> None:
    changes = [
        Change(Op.create, Kind.account, "ACC-1", {"tf_tier": "SMB", "tf_health_score": 72.5}),
        Change(Op.create, Kind.account, "ACC-2", {"tiny": 1e-7, "huge": 2**65}, label="Acme"),
        Change(Op.create, Kind.work_item, "W-1", {"title": 'say "hi" & <go>'}, label="Ünïcödé"),
        Change(
            Op.update,
            Kind.account,
            "ACC-3",
            {"tf_tier": "Enterprise"},
            {"tf_tier": "SMB"},
            [FieldDiff("tf_tier", "SMB", "Enterprise")],
            transition="moving",
        ),
        Change(Op.delete, Kind.work_item, "W-2", None, {"title": "old"}, []),
    ]
    step = BuildStep(Kind.segment, "Enterprise", "a segment", "the API cannot", ["open", "save"])
    step.status = StepStatus.missing
    plan = Plan(
        "workbook",
        "xlsx",
        changes=changes,
        build_steps=[step],
        existing_count=2,
        existing_by_kind={"account": 1},
        desired_count=4,
        warnings=["a warning", "another: ø"],
        meta={"timing": 1.5},  # not in the checksum
    )
    assert plan.checksum() == reference_checksum(plan)
    for change in changes[:3]:
        assert change.payload_hash == reference_payload(change)


def test_an_empty_plan() -> None:
    plan = Plan("t", "fake")
    assert plan.checksum() == reference_checksum(plan)
    # and by hand: the canonical text of an empty plan
    text = (
        '{"build_steps":[],"changes":[],"platform":"fake","summary":{"build_steps":0,'
        '"create":0,"delete":0,"desired":0,"existing":0,"update":0},"target":"t","warnings":[]}'
    )
    assert plan.checksum() == hashlib.sha256(text.encode()).hexdigest()


def test_a_create_payload_hash_by_hand() -> None:
    change = Change(Op.create, Kind.account, "ACC-000001", {"tf_tier": "SMB", "tf_open_tasks": 2})
    text = '["account","ACC-000001",{"tf_open_tasks":2,"tf_tier":"SMB"}]'
    before = change.payload_hash
    Plan("t", "x", changes=[change]).checksum()
    assert before == change.payload_hash == hashlib.sha256(text.encode()).hexdigest()


def _creates(n: int) -> list[Change]:
    return [
        Change(Op.create, Kind.account, f"ACC-{i:05d}", {"tf_tier": "SMB", "n": i}, label=f"A{i}")
        for i in range(n)
    ]


def test_blocks_of_changes_join_to_the_whole_plan(monkeypatch: Any) -> None:
    """Every count of changes around a block's edge: none, part of one, one whole, one and
    a bit, several (with blocks of three changes)."""
    import tierform.sync.plan as plan_module

    monkeypatch.setattr(plan_module, "_BLOCK", 3)
    for n in range(0, 11):
        plan = Plan("workbook", "xlsx", changes=_creates(n), desired_count=n)
        assert plan.checksum() == reference_checksum(plan), n


def test_a_plan_of_several_default_blocks() -> None:
    plan = Plan("workbook", "xlsx", changes=_creates(2 * 4096 + 5))
    assert plan.checksum() == reference_checksum(plan)
    assert plan.changes[-1].payload_hash == reference_payload(plan.changes[-1])


def test_hashed_behind_is_the_hash_of_the_joined_blocks() -> None:
    import random

    from tierform.sync.plan import hashed_behind

    rng = random.Random(7)
    for _ in range(20):
        sizes = [
            rng.choice([0, 1, 100, 2047, 2048, 5000, 70_000]) for _ in range(rng.randrange(12))
        ]
        blocks = [rng.randbytes(size) for size in sizes]
        assert hashed_behind(iter(blocks)) == hashlib.sha256(b"".join(blocks)).hexdigest()


def test_hashed_behind_raises_what_its_blocks_raise_and_leaves_no_thread() -> None:
    import threading

    import pytest

    from tierform.sync.plan import hashed_behind

    def blocks() -> Any:
        for _ in range(10):
            yield b"x" * 100_000
        raise OSError("the plan could not be encoded")

    with pytest.raises(OSError, match="could not be encoded"):
        hashed_behind(blocks())
    assert not [t for t in threading.enumerate() if t.name.startswith("tierform-map")]
