"""The engine on the in-memory FakeAdapter: ordering, checksum, capability gaps, journal, resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tierform.errors import ChecksumMismatch, TooManyChanges, UnsupportedFeature
from tierform.sync.adapter import AdapterContext
from tierform.sync.buildsheet import StepStatus
from tierform.sync.capabilities import Capabilities
from tierform.sync.change import Op
from tierform.sync.engine import Syncer
from tierform.sync.journal import Journal
from tierform.sync.render import render_json, render_markdown, render_text
from tierform.sync.safety import SafetyPolicy
from tierform.sync.state import Kind, State
from tierform.testing import FakeAdapter, FakePlatform, fake_adapter_class, sample_desired
from tierform.testing.fake import FakeSettings


def syncer(
    tmp_path: Path, store: FakePlatform, cls: type[FakeAdapter] = FakeAdapter, strict: bool = False
) -> Syncer:
    adapter = cls(FakeSettings(strict=strict), AdapterContext("fake", tmp_path), store=store)
    return Syncer(adapter, Journal(tmp_path / "journal.sqlite"))


def test_changes_are_ordered_definitions_values_work_items(tmp_path: Path) -> None:
    plan = syncer(tmp_path, FakePlatform()).plan(sample_desired(6))
    ranks = [c.kind.rank for c in plan.changes]
    assert ranks == sorted(ranks)
    kinds = [c.kind for c in plan.changes]
    assert kinds.index(Kind.field) < kinds.index(Kind.account) < kinds.index(Kind.work_item)


def test_deletes_come_last_dependents_first(tmp_path: Path) -> None:
    store = FakePlatform()
    s = syncer(tmp_path, store)
    s.apply(s.plan(sample_desired(6)))
    store.objects[Kind.field]["tf_old"] = {"label": "Old"}
    store.objects[Kind.account]["GONE"] = {"tf_tier": "Small"}
    plan = syncer(tmp_path, store).plan(sample_desired(6))
    ops = [(c.op, c.kind) for c in plan.changes]
    assert ops[-2:] == [(Op.delete, Kind.account), (Op.delete, Kind.field)]


def test_checksum_is_stable_and_renderers_agree(tmp_path: Path) -> None:
    store = FakePlatform()
    a = syncer(tmp_path, store).plan(sample_desired(5))
    b = syncer(tmp_path, store).plan(sample_desired(5))
    assert a.checksum() == b.checksum() and len(a.checksum()) == 64
    c = syncer(tmp_path, store).plan(sample_desired(6))
    assert c.checksum() != a.checksum()
    data = json.loads(render_json(a))
    assert data["checksum"] == a.checksum()
    assert data["summary"]["create"] == len(a.changes)
    assert f"{len(a.changes)} to create" in render_text(a)
    assert f"| {len(a.changes)} | 0 | 0 |" in render_markdown(a)


def test_checksum_mismatch_applies_nothing(tmp_path: Path) -> None:
    store = FakePlatform()
    s = syncer(tmp_path, store)
    with pytest.raises(ChecksumMismatch):
        s.apply(s.plan(sample_desired(4)), checksum="f" * 64)
    assert store.writes == 0


def test_field_level_diffs(tmp_path: Path) -> None:
    store = FakePlatform()
    s = syncer(tmp_path, store)
    s.apply(s.plan(sample_desired(4)))
    store.objects[Kind.account]["ACC-0002"]["tf_tier"] = "Enterprise"
    plan = syncer(tmp_path, store).plan(sample_desired(4))
    [change] = plan.changes
    assert [(d.field, d.old, d.new) for d in change.diffs] == [
        ("tf_tier", "Enterprise", "Mid-Market")
    ]


NO_CONFIG = Capabilities.build(
    notes={Kind.segment: "segments are built in the UI"},
    field="r",
    segment="r",
    playbook="",
    rule="",
    health="",
    account="rcud",
    work_item="rcud",
)


def test_capability_gaps_become_build_steps_nothing_silent(tmp_path: Path) -> None:
    cls = fake_adapter_class(NO_CONFIG, "noconfig")
    store = FakePlatform()
    desired = sample_desired(4)
    store.objects[Kind.segment] = {k: v for k, v in list(desired.of(Kind.segment).items())[:2]}
    plan = syncer(tmp_path, store, cls).plan(desired)
    assert not [c for c in plan.changes if c.kind.is_config or c.kind is Kind.field]
    steps = {(s.kind, s.key): s for s in plan.build_steps}
    for kind in (Kind.field, Kind.segment, Kind.playbook, Kind.rule, Kind.health):
        for key in desired.of(kind):
            assert (kind, key) in steps, (kind, key)  # every gap is listed
    done = [s for s in plan.build_steps if s.kind is Kind.segment and s.status is StepStatus.done]
    assert len(done) == 2
    missing = [
        s for s in plan.build_steps if s.kind is Kind.segment and s.status is StepStatus.missing
    ]
    assert len(missing) == len(desired.of(Kind.segment)) - 2
    assert missing[0].reason == "segments are built in the UI"
    assert {s.status for s in plan.build_steps if s.kind is Kind.playbook} == {
        StepStatus.unverified
    }
    assert plan.has_drift  # missing segments are drift


def test_strict_mode_fails_on_a_gap(tmp_path: Path) -> None:
    cls = fake_adapter_class(NO_CONFIG, "noconfig")
    with pytest.raises(UnsupportedFeature, match="strict: false"):
        syncer(tmp_path, FakePlatform(), cls, strict=True).plan(sample_desired(3))


WRITE_ONLY_TASKS = Capabilities.build(
    field="rcud",
    segment="rcud",
    playbook="rcud",
    rule="rcud",
    health="rcud",
    account="rcud",
    work_item="cud",
)


def test_write_only_kind_uses_journal_state_no_duplicates(tmp_path: Path) -> None:
    cls = fake_adapter_class(WRITE_ONLY_TASKS, "blind")
    store = FakePlatform()
    desired = sample_desired(8)
    s = syncer(tmp_path, store, cls)
    s.apply(s.plan(desired))
    plan = syncer(tmp_path, store, cls).plan(desired)
    assert plan.is_empty
    assert store.duplicates() == []


def test_a_change_to_a_write_only_object_carries_its_journaled_remote_id(tmp_path: Path) -> None:
    """The journal stands in for the read of a kind the platform cannot list: the remote id of
    each object's last write comes with it, so a change already names the platform's object."""
    cls = fake_adapter_class(WRITE_ONLY_TASKS, "blind")
    store = FakePlatform()
    desired = sample_desired(4)
    s = syncer(tmp_path, store, cls)
    s.apply(s.plan(desired))
    tasks = sorted(desired.of(Kind.work_item))
    changed = tasks[0]
    desired.put(
        Kind.work_item, changed, {**desired.of(Kind.work_item)[changed], "due": "2031-01-01"}
    )
    plan = syncer(tmp_path, store, cls).plan(desired)
    assert [(c.op, c.key, c.remote_id) for c in plan.changes] == [
        (Op.update, changed, f"fake-{changed}")
    ]


def test_crash_mid_apply_resumes_without_duplicates(tmp_path: Path) -> None:
    cls = fake_adapter_class(WRITE_ONLY_TASKS, "blind")
    store = FakePlatform(crash_after=30)
    desired = sample_desired(10)
    s = syncer(tmp_path, store, cls)
    plan = s.plan(desired)
    total = len(plan.changes)
    with pytest.raises(RuntimeError, match="simulated crash"):
        s.apply(plan)
    journal = Journal(tmp_path / "journal.sqlite")
    [run] = journal.runs("fake")
    assert run.status == "interrupted"
    assert sum(1 for e in journal.entries(run.run_id) if e["result"] == "ok") == 30
    store.crash_after = None
    s2 = syncer(tmp_path, store, cls)
    report = s2.apply(s2.plan(desired))
    assert report.resumed_from == run.run_id
    assert sum(report.counts[o.value] for o in Op) == total - 30
    assert store.duplicates() == []
    assert syncer(tmp_path, store, cls).plan(desired).is_empty


def test_resume_skips_changes_already_applied_in_the_interrupted_run(tmp_path: Path) -> None:
    store = FakePlatform(crash_after=5)
    desired = sample_desired(4)
    s = syncer(tmp_path, store)
    plan = s.plan(desired)
    with pytest.raises(RuntimeError):
        s.apply(plan)
    store.crash_after = None
    # Re-applying the very same plan (e.g. the reviewed one): the 5 done are skipped.
    report = syncer(tmp_path, store).apply(plan)
    assert report.counts["skipped"] == 5
    assert store.duplicates() == []


def test_failed_objects_are_reported_and_retried_next_run(tmp_path: Path) -> None:
    store = FakePlatform(fail_keys={"ACC-0001"})
    desired = sample_desired(4)
    s = syncer(tmp_path, store)
    report = s.apply(s.plan(desired))
    assert not report.ok and report.counts["failed"] == 1
    assert Journal(tmp_path / "journal.sqlite").runs("fake")[0].status == "failed"
    store.fail_keys.clear()
    plan = syncer(tmp_path, store).plan(desired)
    assert [(c.op, c.key) for c in plan.changes] == [(Op.create, "ACC-0001")]


def test_safety_thresholds(tmp_path: Path) -> None:
    store = FakePlatform()
    s = syncer(tmp_path, store)
    s.apply(s.plan(sample_desired(12)))
    for data in store.objects[Kind.account].values():
        data["tf_tier"] = "Nowhere"  # 12 of 12 accounts now differ
    plan = syncer(tmp_path, store).plan(sample_desired(12))
    with pytest.raises(TooManyChanges, match="12 of 12 existing account objects"):
        syncer(tmp_path, store).apply(plan)
    assert all(d["tf_tier"] == "Nowhere" for d in store.objects[Kind.account].values())
    syncer(tmp_path, store).apply(plan, force=True)
    assert syncer(tmp_path, store).plan(sample_desired(12)).is_empty


def test_safety_ignores_small_platforms(tmp_path: Path) -> None:
    from tierform.sync.plan import Plan

    plan = Plan("t", "fake", existing_count=9, existing_by_kind={"account": 9})
    SafetyPolicy().check(plan)  # fewer than 10: no threshold


def test_empty_desired_against_empty_platform(tmp_path: Path) -> None:
    plan = syncer(tmp_path, FakePlatform()).plan(State())
    assert plan.is_empty and not plan.has_drift
