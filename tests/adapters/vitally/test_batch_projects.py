"""The analytics batch for bulk trait writes, and projects started from templates."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tierform.adapters.vitally.projects import ProjectWriter
from tierform.errors import PermanentApiError
from tierform.sync.change import Change, Op
from tierform.sync.state import Kind

from . import states
from .states import UNMANAGED, ext

ANALYTICS = {"analytics_key": {"env": "VITALLY_ANALYTICS_KEY"}}


def test_bulk_trait_writes_go_through_batch(fake, syncer):
    states.seed(fake, 150)
    desired = states.desired(150, tasks=False)
    sync = syncer(**ANALYTICS)
    report = sync.apply(sync.plan(desired))
    assert report.ok and report.counts["create"] == 150
    batches = fake.log.select(method="POST", path="/analytics/v1/batch")
    # The empty preflight, then 150 accounts in messages of at most 100.
    assert [len(b.body) for b in batches] == [0, 100, 50]
    assert fake.log.count(method="PUT") == 0
    assert batches[1].body[0] == {
        "type": "account",
        "accountId": ext(1),
        "messageId": batches[1].body[0]["messageId"],
        "traits": {
            "tf_tier": "SMB",
            "tf_csm": "Growth pod",
            "tf_health_score": 51,
            "tf_health_band": "green",
        },
    }
    for i in (1, 75, 150):
        assert fake.account(ext(i))["traits"] == {**UNMANAGED, **states.account_data(i)}
    assert syncer(**ANALYTICS).plan(desired).is_empty


def test_batch_taken_but_not_applied_is_written_by_rest(fake, syncer):
    """The analytics API's 200 says the batch was taken, not that the traits landed: the
    accounts are listed once after the batches, and those not holding their values are
    written by REST, so every change reported done is on the account."""
    fake.analytics_applies = False
    states.seed(fake, 150)
    desired = states.desired(150, tasks=False)
    sync = syncer(**ANALYTICS)
    report = sync.apply(sync.plan(desired))
    assert report.ok and report.counts["create"] == 150
    assert fake.log.count(method="PUT") == 150
    for i in (1, 75, 150):
        assert fake.account(ext(i))["traits"] == {**UNMANAGED, **states.account_data(i)}
    assert syncer(**ANALYTICS).plan(desired).is_empty


def test_removals_stay_on_rest(fake, syncer):
    states.seed(fake, 60)
    syncer(**ANALYTICS).apply(syncer(**ANALYTICS).plan(states.desired(60, tasks=False)))
    desired = states.desired(60, tasks=False)
    for i in range(1, 61):
        data = states.account_data(i)
        data["tf_health_score"] = 99
        if i <= 3:
            del data["tf_health_band"]  # a removal: null through REST, merge documented
        desired.put(Kind.account, ext(i), data)
    before = fake.log.total
    syncer(**ANALYTICS).apply(syncer(**ANALYTICS).plan(desired), force=True)
    new = fake.log.entries[before:]
    assert [e.body for e in new if e.method == "PUT"] == [
        {"traits": {"tf_health_band": None, "tf_health_score": 99}}
    ] * 3
    # 60 accounts less ACC-049 (its score is already 50 + 49 = 99) less the 3 on REST.
    assert [len(e.body) for e in new if e.path.endswith("/batch")] == [0, 56]
    assert "tf_health_band" not in fake.account(ext(2))["traits"]
    assert syncer(**ANALYTICS).plan(desired).is_empty


def test_batch_below_threshold_uses_rest(fake, syncer):
    states.seed(fake, 5)
    syncer(**ANALYTICS).apply(syncer(**ANALYTICS).plan(states.desired(5, tasks=False)))
    assert fake.log.count(path="/analytics") == 0 and fake.log.count(method="PUT") == 5


def test_blocked_message_type_falls_back_to_rest(fake, syncer):
    states.seed(fake, 120)
    fake.blocked_types = {"account"}
    desired = states.desired(120, tasks=False)
    report = syncer(**ANALYTICS).apply(syncer(**ANALYTICS).plan(desired))
    assert report.ok
    assert fake.log.count(path="/analytics/v1/batch", status=400) == 1
    assert fake.log.count(method="PUT", status=200) == 120
    assert syncer(**ANALYTICS).plan(desired).is_empty


def test_replayed_batch_is_deduplicated(fake, syncer):
    states.seed(fake, 60)
    # Processed, then the answer lost: the retry carries the same messageIds.
    fake.inject(500, methods={"POST"}, path_contains="/batch", after=1, process=True)
    report = syncer(**ANALYTICS).apply(syncer(**ANALYTICS).plan(states.desired(60, tasks=False)))
    assert report.ok
    sent = [b.body for b in fake.log.select(path="/analytics/v1/batch") if b.body]
    assert len(sent) == 2 and sent[0] == sent[1]


TEMPLATES = {"project_templates": {"Enterprise onboarding": "Enterprise Onboarding"}}


@pytest.mark.parametrize("kept", ["any", "custom"])
def test_onboarding_playbook_starts_a_project_once(fake, syncer, kept):
    """``custom``: the tenant keeps no data traits on projects (tierform's key among them);
    its projects are found by account, template and name, and never started twice."""
    fake.custom_traits_only = {"projects"} if kept == "custom" else set()
    states.seed(fake, 6)
    template = fake.add_template("Enterprise Onboarding", 45)
    desired = states.desired(6, tasks=False, playbook_tasks=True)
    syncer(**TEMPLATES).apply(syncer(**TEMPLATES).plan(desired))
    projects = sorted(fake.projects.values(), key=lambda p: p["_seq"])
    assert [(p["accountId"], p["templateId"], p["name"]) for p in projects] == [
        (fake.account(ext(3))["id"], template["id"], "Enterprise onboarding"),
        (fake.account(ext(6))["id"], template["id"], "Enterprise onboarding"),
    ]
    assert syncer(**TEMPLATES).plan(desired).is_empty
    syncer(**TEMPLATES).apply(syncer(**TEMPLATES).plan(desired))
    assert len(fake.projects) == 2
    # The playbook steps themselves are tasks, one each.
    assert Counter(t["externalId"][:5] for t in fake.tasks.values()) == {"tf-pb": 2}


def test_a_second_live_project_with_one_key_is_named_and_left_alone(fake, syncer):
    """A project create whose lost answer was settled by a look-up can land after all: two
    live projects then carry one key. The plan names the later one for a person to archive,
    keeps managing the first, and archives neither."""
    states.seed(fake, 6)
    fake.add_template("Enterprise Onboarding", 45)
    desired = states.desired(6, tasks=False, playbook_tasks=True)
    syncer(**TEMPLATES).apply(syncer(**TEMPLATES).plan(desired))
    first = next(p for p in fake.projects.values() if p["accountId"] == fake.account(ext(3))["id"])
    extra = dict(first, traits=dict(first["traits"]), id=fake._new_id(), name="Renamed by hand")
    fake.projects[extra["id"]] = extra
    plan = syncer(**TEMPLATES).plan(desired)
    assert plan.is_empty  # the first is as desired; the renamed copy is not taken for it
    [warning] = [w for w in plan.warnings if "more than one live Vitally project" in w]
    assert warning.startswith("1 project key(s)")
    assert extra["id"] in warning and first["id"] not in warning
    assert syncer(**TEMPLATES).apply(plan).ok
    assert first["archivedAt"] is None and extra["archivedAt"] is None


def test_project_account_field_either_form(fake, syncer):
    states.seed(fake, 3)
    fake.add_template("Enterprise Onboarding")
    fake.project_account_field = "accountId"  # this workspace refuses customerId
    desired = states.desired(3, tasks=False, playbook_tasks=True)
    report = syncer(**TEMPLATES).apply(syncer(**TEMPLATES).plan(desired))
    assert report.ok
    assert [p["accountId"] for p in fake.projects.values()] == [fake.account(ext(3))["id"]]
    # Refused: the customerId form, with and then without tierform's data traits (a 400 to a
    # project may be either cause); the accountId form is then kept.
    refused = fake.log.select(method="POST", path="/resources/projects", status=400)
    assert [sorted(e.body) for e in refused] == [
        ["customerId", "name", "templateId", "traits"],
        ["customerId", "name", "templateId"],
    ]


def test_unknown_template_is_reported_not_attempted(fake, syncer):
    states.seed(fake, 3)
    plan = syncer(**TEMPLATES).plan(states.desired(3, tasks=False, playbook_tasks=True))
    assert any(
        "project template(s) not found in Vitally: Enterprise Onboarding" in w
        for w in plan.warnings
    )
    assert not [c for c in plan.changes if c.key.startswith("tfp-")]


class _RacedApi:
    """Refuses the ``customerId`` form after another create (on another thread) has already
    dropped it, and accepts ``accountId``."""

    def __init__(self, writer_of: list[ProjectWriter]) -> None:
        self.writer_of = writer_of
        self.bodies: list[dict[str, Any]] = []

    def create_project(self, body: dict[str, Any]) -> dict[str, Any]:
        self.bodies.append(body)
        if "customerId" in body:
            self.writer_of[0].account_fields = ["accountId"]  # the other create got here first
            raise PermanentApiError("vitally: POST /projects answered 400", status=400)
        return {"id": "p-1"}


def test_project_form_dropped_by_another_create_at_once_is_no_error():
    """Creates run a few at once: two may be refused the same form together. The second to
    drop it tries the other form, where removing it from the list again used to fail."""
    holder: list[ProjectWriter] = []
    api = _RacedApi(holder)
    writer = ProjectWriter(api, {}, lambda c: None, lambda c: "vid-1", lambda c: None)  # type: ignore[arg-type]
    holder.append(writer)
    change = Change(Op.create, Kind.work_item, "proj-key", data={"title": "Onboarding"})
    assert writer._create(change, "tpl-1", "vid-1") == "p-1"
    assert [sorted(b) for b in api.bodies] == [
        ["customerId", "name", "templateId", "traits"],
        ["accountId", "name", "templateId", "traits"],
    ]
    assert writer.account_fields == ["accountId"]
