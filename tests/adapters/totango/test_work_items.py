"""Tasks (never duplicated across runs) and manual SuccessPlay runs."""

from __future__ import annotations

from collections import Counter

import pytest

from tierform.adapters.totango.flows import parse_flows
from tierform.adapters.totango.tasks import TaskWriter
from tierform.sync.buildsheet import StepStatus
from tierform.sync.change import Change, Op
from tierform.sync.state import Kind

from . import states
from .fake import TotangoFake
from .states import ext, task_key

PLAY = "66b6ea0c-e855-40a1-b875-d4dd96a58638"


def test_tasks_created_once_then_updated_in_place(fake, syncer):
    states.seed(fake)
    syncer().apply(syncer().plan(states.desired()))
    assert len(fake.tasks) == 4
    task6 = next(t for t in fake.tasks.values() if t["account_id"] == ext(6))
    assert task6["title"] == "Check in on ACC-006"
    assert task6["due_date"] == "2025-02-01"
    assert task6["assignee"] == "ana@example.com"
    assert task6["activity_type_id"] == "flow-general"
    assert task6["status"] == "open"
    assert f"tierform key: {task_key(6)}" in task6["description"]

    for _ in range(2):  # re-runs: nothing new
        plan = syncer().plan(states.desired())
        assert plan.is_empty
        syncer().apply(plan)
    assert len(fake.tasks) == 4

    desired = states.desired()
    desired.put(Kind.work_item, task_key(6), states.task_data(6, due="2025-03-01"))
    plan = syncer().plan(desired)
    assert [(c.op, c.key) for c in plan.changes] == [(Op.update, task_key(6))]
    before = fake.log.total
    assert syncer().apply(plan).ok
    puts = [e for e in fake.log.entries[before:] if e.method == "PUT"]
    # No task list to diff against: the journal says "changed", so the whole task is sent.
    assert [e.path for e in puts] == [f"/api/v3/tasks/{task6['id']}"]
    assert puts[0].body["due_date"] == "2025-03-01"
    assert puts[0].body["title"] == "Check in on ACC-006"
    assert len(fake.tasks) == 4 and task6["due_date"] == "2025-03-01"
    assert syncer().plan(desired).is_empty


def test_flow_listed_in_an_envelope_with_camel_case_ids(fake, syncer):
    """The activity-types reply shape is not documented: an envelope whose list holds
    ``activityTypeId`` still gives the Flow a task create requires."""
    fake.flows_shape = "envelope"
    states.seed(fake)
    report = syncer().apply(syncer().plan(states.desired()))
    assert report.ok, [f.error for f in report.failures]
    assert len(fake.tasks) == 4
    assert {t["activity_type_id"] for t in fake.tasks.values()} == {"flow-general"}


@pytest.mark.parametrize(
    "body",
    [
        [{"activity_type_id": "f1", "display_name": "General"}],
        [{"id": "f1", "name": "General"}],
        {"data": [{"activityTypeId": "f1", "title": "General"}]},
        {"status": "success", "response": {"types": [{"activityTypeId": "f1"}]}},
    ],
)
def test_flow_reply_shapes(body):
    assert parse_flows(body)[0].id == "f1"


def test_task_no_longer_due_is_closed(fake, syncer):
    states.seed(fake)
    syncer().apply(syncer().plan(states.desired()))
    without = states.desired()
    del without.objects[Kind.work_item][task_key(2)]
    plan = syncer().plan(without)
    assert [(c.op, c.key) for c in plan.changes] == [(Op.delete, task_key(2))]
    syncer().apply(plan)
    closed = [t for t in fake.tasks.values() if t["status"] == "closed"]
    assert [t["account_id"] for t in closed] == [ext(2)]
    assert len(fake.live_tasks()) == 3


def test_pool_assignee_is_left_unassigned(fake, syncer):
    states.seed(fake, 2)
    syncer().apply(syncer().plan(states.desired(2)))
    (task,) = fake.tasks.values()
    assert task["account_id"] == ext(2) and task["assignee"] is None


def test_task_for_unknown_account_reports_account_not_found(fake, syncer):
    states.seed(fake, 4)
    syncer().apply(syncer().plan(states.desired(4, tasks=False)))
    sync = syncer()
    plan = sync.plan(states.desired(4))
    assert {c.kind for c in plan.changes} == {Kind.work_item}
    del fake.accounts[ext(4)]
    report = sync.apply(plan)
    errors = {f.change.key: f.error for f in report.failures}
    assert "Account not found" in errors[task_key(4)]


@pytest.fixture
def success_text(clock, monkeypatch):
    """Task creates answered with the bare text "Success", no id, as the docs show [TASKS]."""
    from .conftest import TOKEN

    server = TotangoFake(app_token=TOKEN, clock=clock, task_reply="text")
    monkeypatch.setenv("TOTANGO_APP_TOKEN", TOKEN)
    with server.mock():
        states.seed(server, 4)
        yield server


def test_task_created_without_id_becomes_a_step_for_a_person(success_text, syncer):
    """Totango answered the create with a bare "Success" [C]: the task cannot be addressed, so
    its update is a build step (unverified) naming the task and the change, never a change
    reported as made; no PUT is sent and no second task made."""
    server = success_text
    assert syncer().apply(syncer().plan(states.desired(4))).ok
    assert len(server.tasks) == 2
    assert syncer().plan(states.desired(4)).is_empty
    desired = states.desired(4)
    desired.put(Kind.work_item, task_key(2), states.task_data(2, due="2025-04-01"))
    plan = syncer().plan(desired)
    assert plan.is_empty  # nothing the API can apply
    [step] = [s for s in plan.build_steps if s.kind is Kind.work_item]
    assert step.key == task_key(2) and step.status is StepStatus.unverified
    assert "did not return this task's id" in step.reason
    assert f"tierform key: {task_key(2)}" in step.steps[0]
    assert "due to '2025-04-01'" in step.steps[1]
    assert syncer().apply(plan).ok
    assert [s.key for s in syncer().plan(desired).build_steps if s.kind is Kind.work_item] == [
        task_key(2)
    ]  # still there: only a person can do it (and mark it done)
    assert len(server.tasks) == 2  # never a second task
    assert not server.log.select(method="PUT")


def test_task_created_without_id_asked_to_be_closed_by_hand(success_text, syncer):
    server = success_text
    syncer().apply(syncer().plan(states.desired(4)))
    without = states.desired(4)
    del without.objects[Kind.work_item][task_key(4)]
    plan = syncer().plan(without)
    assert plan.is_empty
    [step] = [s for s in plan.build_steps if s.kind is Kind.work_item]
    assert step.key == task_key(4) and step.steps[1] == "Close it."
    assert step.title == f"work_item: {task_key(4)}"  # the journal kept no account to name
    assert len(server.live_tasks()) == 2  # tierform could not close it: a person does


def test_a_task_closed_by_hand_and_due_again_is_created_anew(success_text, syncer, journal):
    """Its "Close it" step marked done, as ``tierform buildsheet --done`` journals it: the task
    is gone for the plans after it, and falling due again with the same payload it is created
    anew, never taken for the one a person closed."""
    server = success_text
    syncer().apply(syncer().plan(states.desired(4)))
    without = states.desired(4)
    del without.objects[Kind.work_item][task_key(4)]
    plan = syncer().plan(without)
    [step] = [s for s in plan.build_steps if s.kind is Kind.work_item]
    assert step.deletes
    target = syncer().target
    (closed,) = [t for t in server.live_tasks() if t["account_id"] == ext(4)]
    closed["status"] = "closed"  # what the person did in Totango
    journal.mark_done(target, step.id, "Jo", step.digest)
    journal.record_by_hand(
        target, plan.platform, Change(Op.delete, step.kind, step.key, None), step.id
    )
    again = syncer().plan(without)
    assert again.is_empty and not [s for s in again.build_steps if s.kind is Kind.work_item]
    due = syncer().plan(states.desired(4))
    assert [(c.op, c.key) for c in due.changes] == [(Op.create, task_key(4))]
    assert syncer().apply(due).ok
    assert sorted(t["account_id"] for t in server.live_tasks()) == [ext(2), ext(4)]
    assert syncer().plan(states.desired(4)).is_empty


def test_a_task_created_again_without_id_never_gets_the_closed_ones_id(fake, syncer):
    """Closed, then due again and created while Totango answers only "Success": the key's id
    is now unknown, so a later change is a step for a person, never an update of the closed
    task."""
    states.seed(fake, 4)
    syncer().apply(syncer().plan(states.desired(4)))
    old = next(t for t in fake.tasks.values() if t["account_id"] == ext(2))
    without = states.desired(4)
    del without.objects[Kind.work_item][task_key(2)]
    syncer().apply(syncer().plan(without))
    fake.task_reply = "text"
    assert syncer().apply(syncer().plan(states.desired(4))).ok
    desired = states.desired(4)
    desired.put(Kind.work_item, task_key(2), states.task_data(2, due="2025-04-01"))
    plan = syncer().plan(desired)
    assert plan.is_empty
    assert [s.key for s in plan.build_steps if s.kind is Kind.work_item] == [task_key(2)]
    assert (old["status"], old["due_date"]) == ("closed", "2025-02-01")


def test_a_task_deleted_in_totango_is_created_once_however_often_it_changes(fake, syncer):
    """Deleted in Totango, then re-created while Totango answers only "Success": the next
    changes are steps for a person, not updates of the deleted id (a 404, then another task)."""
    states.seed(fake, 4)
    syncer().apply(syncer().plan(states.desired(4)))
    fake.delete_task(next(t for t in fake.tasks.values() if t["account_id"] == ext(2))["id"])
    fake.task_reply = "text"
    for due in ("2025-04-01", "2025-05-01", "2025-06-01"):
        desired = states.desired(4)
        desired.put(Kind.work_item, task_key(2), states.task_data(2, due=due))
        assert syncer().apply(syncer().plan(desired)).ok
    assert len([t for t in fake.live_tasks() if t["account_id"] == ext(2)]) == 1


def test_a_change_to_a_task_without_id_applied_from_elsewhere_fails(success_text, syncer):
    """A plan made by another tool or version may still carry such a change: it fails, saying
    what to do, rather than being recorded as made."""
    change = Change(Op.update, Kind.work_item, task_key(2), data=states.task_data(2))
    writer = TaskWriter(None, lambda who: None, lambda: None)  # type: ignore[arg-type]
    result = writer.write(change)
    assert not result.ok and "did not return an id" in (result.error or "")


def test_task_deleted_in_totango_counts_as_closed(fake, syncer):
    states.seed(fake, 4)
    syncer().apply(syncer().plan(states.desired(4)))
    task4 = next(t for t in fake.tasks.values() if t["account_id"] == ext(4))
    fake.delete_task(task4["id"])
    without = states.desired(4)
    del without.objects[Kind.work_item][task_key(4)]
    report = syncer().apply(syncer().plan(without))
    assert report.ok and report.counts["delete"] == 1
    assert syncer().plan(without).is_empty
    assert [t["account_id"] for t in fake.live_tasks()] == [ext(2)]


def test_task_deleted_in_totango_is_created_again_on_update(fake, syncer):
    states.seed(fake, 4)
    syncer().apply(syncer().plan(states.desired(4)))
    task4 = next(t for t in fake.tasks.values() if t["account_id"] == ext(4))
    fake.delete_task(task4["id"])
    desired = states.desired(4)
    desired.put(Kind.work_item, task_key(4), states.task_data(4, due="2025-05-01"))
    report = syncer().apply(syncer().plan(desired))
    assert report.ok, [f.error for f in report.failures]
    again = next(t for t in fake.tasks.values() if t["account_id"] == ext(4))
    assert again["id"] != task4["id"] and again["due_date"] == "2025-05-01"
    assert f"tierform key: {task_key(4)}" in again["description"]
    assert syncer().plan(desired).is_empty
    # the next change goes to the new task
    desired.put(Kind.work_item, task_key(4), states.task_data(4, due="2025-06-01"))
    assert syncer().apply(syncer().plan(desired)).ok
    assert again["due_date"] == "2025-06-01" and len(fake.tasks) == 2


@pytest.fixture
def onboarding(fake):
    states.seed(fake)
    fake.add_play(PLAY, "Onboarding kickoff")
    return fake


def test_successplay_runs_once_per_account(onboarding, syncer):
    fake = onboarding
    desired = states.desired(onboarding=True)
    spec = {"successplays": {"Enterprise onboarding": PLAY}}
    plan = syncer(**spec).plan(desired)
    runs = [c for c in plan.changes if c.key.startswith("tfsp-")]
    assert sorted(c.data["account_id"] for c in runs) == [ext(3), ext(6), ext(9)]
    # the play does the onboarding steps: no step tasks of that playbook
    assert not any(c.key.startswith("tf-pb") for c in plan.changes)
    assert syncer(**spec).apply(plan).ok
    assert sorted(fake.runs) == [(PLAY, ext(3)), (PLAY, ext(6)), (PLAY, ext(9))]
    assert syncer(**spec).plan(desired).is_empty
    syncer(**spec).apply(syncer(**spec).plan(desired))
    assert Counter(fake.runs) == {(PLAY, ext(3)): 1, (PLAY, ext(6)): 1, (PLAY, ext(9)): 1}


@pytest.mark.parametrize(
    ("manual", "active", "said"),
    [(True, False, "is not active"), (False, True, "is not a manual SuccessPlay")],
)
def test_inactive_or_automatic_play_is_refused_clearly(onboarding, syncer, manual, active, said):
    fake = onboarding
    fake.add_play(PLAY, "Onboarding kickoff", manual=manual, active=active)
    spec = {"successplays": {"Enterprise onboarding": PLAY}}
    report = syncer(**spec).apply(syncer(**spec).plan(states.desired(onboarding=True)))
    failed = [f for f in report.failures if f.change.key.startswith("tfsp-")]
    assert len(failed) == 3 and fake.runs == []
    assert said in failed[0].error
    assert "trigger is Manual and that it is active" in failed[0].error


def test_successplay_for_unknown_or_wrong_stage_playbook_is_a_warning(onboarding, syncer):
    spec = {"successplays": {"Nope": PLAY}}
    plan = syncer(**spec).plan(states.desired(onboarding=True))
    assert any("no playbook named 'Nope'" in w for w in plan.warnings)
    assert not any(c.key.startswith("tfsp-") for c in plan.changes)
