"""Plan -> apply -> re-plan against the stateful fake: traits, tasks, ownership, unmatched."""

from __future__ import annotations

from collections import Counter

import pytest

from tierform.sync.change import Op
from tierform.sync.state import Kind

from . import states
from .states import UNMANAGED, ext, task_key


def test_plan_apply_replan_is_empty(fake, syncer):
    states.seed(fake)
    desired = states.desired()
    plan = syncer().plan(desired)
    # 9 accounts get tierform's fields, 4 tasks (even accounts 2, 4, 6, 8) are created.
    assert Counter((c.kind, c.op) for c in plan.changes) == {
        (Kind.account, Op.create): 9,
        (Kind.work_item, Op.create): 4,
    }
    report = syncer().apply(plan)
    assert report.ok and report.counts["create"] == 13

    assert fake.account("ACC-003")["traits"] == {
        **UNMANAGED,
        "tf_tier": "Enterprise",
        "tf_csm": "Ana Ruiz",
        "tf_health_score": 53,
        "tf_health_band": "green",
    }
    assert fake.account("ACC-004")["traits"] == {
        **UNMANAGED,
        "tf_tier": "SMB",
        "tf_csm": "Growth pod",
        "tf_health_score": 54,
        "tf_health_band": "yellow",
    }
    assert syncer().plan(desired).is_empty


def test_second_apply_sends_no_write(fake, syncer):
    states.seed(fake)
    desired = states.desired()
    syncer().apply(syncer().plan(desired))
    writes = len(fake.log.writes())
    again = syncer().plan(desired)
    assert again.is_empty
    assert syncer().apply(again).counts == {
        "create": 0,
        "update": 0,
        "delete": 0,
        "failed": 0,
        "skipped": 0,
    }
    assert len(fake.log.writes()) == writes


@pytest.mark.parametrize("kept", ["any", "custom"])
def test_tasks_are_upserted_never_duplicated(fake, syncer, kept):
    """``custom``: the tenant keeps no data traits on tasks (tierform's source, reason and
    assignee among them): the plans still settle."""
    fake.custom_traits_only = {"tasks"} if kept == "custom" else set()
    states.seed(fake)
    syncer().apply(syncer().plan(states.desired()))
    assert sorted(t["externalId"] for t in fake.tasks.values()) == [
        task_key(2),
        task_key(4),
        task_key(6),
        task_key(8),
    ]
    task6 = next(t for t in fake.tasks.values() if t["externalId"] == task_key(6))
    assert task6["dueDate"] == "2025-02-01"
    assert task6["assignedToId"] == next(
        a["id"] for a in fake.admins.values() if a["name"] == "Ana Ruiz"
    )
    assert task6["accountId"] == fake.account("ACC-006")["id"]
    assert task6["description"] == "<p>health &lt;b&gt;56&lt;/b&gt; below 60</p>"

    # The rule fires again with a new due date: the same task is updated in place.
    desired = states.desired()
    desired.put(Kind.work_item, task_key(6), states.task_data(6, due="2025-03-01"))
    plan = syncer().plan(desired)
    assert [(c.op, c.key, [d.field for d in c.diffs]) for c in plan.changes] == [
        (Op.update, task_key(6), ["due"])
    ]
    syncer().apply(plan)
    assert len(fake.tasks) == 4
    assert task6["dueDate"] == "2025-03-01"
    assert syncer().plan(desired).is_empty


def test_task_no_longer_due_is_archived_and_recreated_once(fake, syncer):
    states.seed(fake)
    syncer().apply(syncer().plan(states.desired()))
    without = states.desired()
    del without.objects[Kind.work_item][task_key(2)]
    plan = syncer().plan(without)
    assert [(c.op, c.key) for c in plan.changes] == [(Op.delete, task_key(2))]
    syncer().apply(plan)
    assert {t["externalId"] for t in fake.live_tasks()} == {task_key(4), task_key(6), task_key(8)}
    syncer().apply(syncer().plan(states.desired()))
    assert len(fake.tasks) == 4 and len(fake.live_tasks()) == 4


def test_unmanaged_traits_and_tasks_untouched(fake, syncer):
    states.seed(fake)
    acc = fake.account("ACC-001")
    acc["traits"]["tf_retired_field"] = "old"  # ours (namespaced), no longer in the model
    people_task = {
        "id": "t-human",
        "externalId": "crm-42",
        "accountId": acc["id"],
        "name": "Human task",
        "archivedAt": None,
        "traits": {"x": 1},
        "createdAt": "2024-01-01T00:00:00.000Z",
        "updatedAt": "2024-01-01T00:00:00.000Z",
        "_seq": 0,
    }
    fake.tasks["t-human"] = dict(people_task)
    syncer().apply(syncer().plan(states.desired()))
    assert fake.account("ACC-001")["traits"] == {
        **UNMANAGED,
        "tf_tier": "SMB",
        "tf_csm": "Growth pod",
        "tf_health_score": 51,
        "tf_health_band": "green",
    }
    assert fake.tasks["t-human"] == people_task
    for entry in fake.log.select(method="PUT", path="/resources/accounts/"):
        assert all(k.startswith("tf_") for k in entry.body["traits"]), entry.body


def test_null_removes_only_our_key(fake, syncer):
    states.seed(fake)
    syncer().apply(syncer().plan(states.desired()))
    desired = states.desired()
    desired.put(
        Kind.account, ext(5), {"tf_tier": "SMB", "tf_csm": "Growth pod", "tf_health_score": 55}
    )  # band no longer computed
    plan = syncer().plan(desired)
    assert [(c.op, c.key) for c in plan.changes] == [(Op.update, ext(5))]
    before = fake.log.total
    syncer().apply(plan)
    assert [e.body for e in fake.log.entries[before:] if e.method == "PUT"] == [
        {"traits": {"tf_health_band": None}}
    ]
    assert fake.account(ext(5))["traits"] == {
        **UNMANAGED,
        "tf_tier": "SMB",
        "tf_csm": "Growth pod",
        "tf_health_score": 55,
    }


def test_account_dropped_from_book_loses_only_our_traits(fake, syncer):
    states.seed(fake)
    syncer().apply(syncer().plan(states.desired(9)))
    plan = syncer().plan(states.desired(8, tasks=False))
    assert sorted((c.op.value, c.key) for c in plan.changes) == [
        ("delete", ext(9)),
        ("delete", task_key(2)),
        ("delete", task_key(4)),
        ("delete", task_key(6)),
        ("delete", task_key(8)),
    ]
    syncer().apply(plan, force=True)
    assert fake.account(ext(9))["traits"] == UNMANAGED
    assert len(fake.accounts) == 9


def test_unmatched_accounts_reported_not_created(fake, syncer):
    states.seed(fake, 8)  # ACC-009 is in the book, not in Vitally
    plan = syncer().plan(states.desired(9, tasks=False))
    assert any(
        w.startswith("unmatched: 1 account(s)") and "ACC-009" in w and "create_accounts: true" in w
        for w in plan.warnings
    )
    assert ext(9) not in {c.key for c in plan.changes}
    syncer().apply(plan)
    assert fake.log.count(method="POST", path="/resources/accounts") == 0
    assert fake.accounts_with(ext(9)) == []


def test_unmatched_accounts_work_items_left_out(fake, syncer):
    states.seed(fake, 7)  # ACC-008 (with a task) is missing
    plan = syncer().plan(states.desired(8))
    assert task_key(8) not in {c.key for c in plan.changes}
    assert any("with 1 work item(s)" in w for w in plan.warnings)


def test_create_accounts_when_the_model_says_so(fake, syncer):
    states.seed(fake, 7)
    desired = states.desired(8)
    plan = syncer(create_accounts=True).plan(desired)
    assert {(c.op, c.key) for c in plan.changes if c.kind is Kind.account} >= {(Op.create, ext(8))}
    syncer(create_accounts=True).apply(plan)
    created = fake.account(ext(8))
    assert created["name"] == "Customer 8"
    assert created["traits"] == {
        "tf_tier": "SMB",
        "tf_csm": "Growth pod",
        "tf_health_score": 58,
        "tf_health_band": "yellow",
    }
    task8 = next(t for t in fake.tasks.values() if t["externalId"] == task_key(8))
    assert task8["accountId"] == created["id"]
    assert fake.log.count(method="POST", path="/resources/accounts") == 1
    assert syncer(create_accounts=True).plan(desired).is_empty


def test_churned_account_is_matched(fake, syncer):
    states.seed(fake, 3)
    fake.account(ext(2))["churnedAt"] = "2024-06-01T00:00:00.000Z"
    plan = syncer().plan(states.desired(3, tasks=False))
    assert not any(w.startswith("unmatched") for w in plan.warnings)
    assert {c.key for c in plan.changes} == {ext(1), ext(2), ext(3)}


def test_duplicate_external_id_writes_the_oldest(fake, syncer):
    states.seed(fake, 3)
    newer = fake.add_account(ext(2), "Customer 2 (copy)")
    plan = syncer().plan(states.desired(3, tasks=False))
    assert any("more than one Vitally account" in w and ext(2) in w for w in plan.warnings)
    syncer().apply(plan)
    oldest = min(fake.accounts_with(ext(2)), key=lambda a: a["_seq"])
    assert oldest["traits"]["tf_tier"] == "SMB"
    assert newer["traits"] == {}


def test_full_scan_pages_by_created_at(fake, syncer):
    states.seed(fake, 250, unmanaged=False)
    syncer().plan(states.desired(250, tasks=False))
    pages = fake.log.select(method="GET", path="/resources/accounts", prefix=False)
    assert len(pages) == 3  # 100 + 100 + 50
    assert all(
        "sortBy=createdAt" in p.query
        and "limit=100" in p.query
        and "status=activeOrChurned" in p.query
        for p in pages
    )
    assert "from=" not in pages[0].query and all("from=" in p.query for p in pages[1:])
    assert fake.log.count(status=429) == 0
