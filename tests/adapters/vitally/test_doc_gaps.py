"""Behaviour the research leaves open: the adapter copes with either reading of the docs."""

from __future__ import annotations

import base64

import httpx
import pytest
from pydantic import SecretStr

from tests.fakes.support import DROP
from tierform.adapters.vitally.auth import VitallyAuth
from tierform.errors import UncertainOutcome
from tierform.sync.change import Op
from tierform.sync.state import Kind, State

from . import states
from .conftest import ANALYTICS_KEY
from .states import UNMANAGED, ext, task_key

ANALYTICS = {"analytics_key": {"env": "VITALLY_ANALYTICS_KEY"}}
TEMPLATES = {"project_templates": {"Enterprise onboarding": "Enterprise Onboarding"}}
ENCODED = "Basic " + base64.b64encode(f"{ANALYTICS_KEY}:".encode()).decode()
AS_WRITTEN = f"Basic {ANALYTICS_KEY}"

# -- analytics token form ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "preflight"),
    [("encoded", [200]), ("as_written", [401, 200])],
)
def test_analytics_token_in_the_form_the_workspace_takes(fake, syncer, form, preflight):
    """ "Authorization: Basic [your token]" [DOC] may mean the token as written or encoded:
    a 401 on the encoded form is retried once as written, and that form is kept."""
    fake.analytics_auth = form
    states.seed(fake, 120)
    desired = states.desired(120, tasks=False)
    report = syncer(**ANALYTICS).apply(syncer(**ANALYTICS).plan(desired))
    assert report.ok and report.counts["create"] == 120
    batches = fake.log.select(path="/analytics/v1/batch")
    assert [b.status for b in batches if b.body == []] == preflight
    assert [len(b.body) for b in batches if b.status == 200] == [0, 100, 20]
    assert fake.log.count(method="PUT") == 0
    assert fake.account(ext(7))["traits"] == {**UNMANAGED, **states.account_data(7)}


def test_analytics_header_forms_sent():
    """The two header values the adapter may send, against the research's wording."""
    auth = VitallyAuth(SecretStr(ANALYTICS_KEY))
    request = httpx.Request("POST", "https://acme.api.vitally.io/analytics/v1/batch")
    assert next(auth.auth_flow(request)).headers["Authorization"] == ENCODED
    assert auth.use_token_as_written() and not auth.use_token_as_written()
    assert next(auth.auth_flow(request)).headers["Authorization"] == AS_WRITTEN


# -- project account field --------------------------------------------------------------------


def test_stray_400_does_not_narrow_the_project_account_field(fake, syncer):
    """Sources disagree on ``accountId`` vs ``customerId`` [DOC*]: on a workspace taking only
    ``customerId``, one unrelated 400 fails that project, not every later one."""
    states.seed(fake, 6)
    fake.add_template("Enterprise Onboarding")
    fake.project_account_field = "customerId"
    # Twice: the first project is also sent once without its data traits (a 400 may be them).
    fake.inject(
        400, times=2, methods={"POST"}, path_contains="/projects", body={"message": "Try later"}
    )
    desired = states.desired(6, tasks=False, playbook_tasks=True)
    report = syncer(**TEMPLATES).apply(syncer(**TEMPLATES).plan(desired))
    assert report.counts["failed"] == 1 and len(fake.projects) == 1
    error = report.failures[0].error
    assert "with customerId" in error and "Try later" in error and "with accountId" in error
    syncer(**TEMPLATES).apply(syncer(**TEMPLATES).plan(desired))
    assert sorted(p["accountId"] for p in fake.projects.values()) == sorted(
        [fake.account(ext(3))["id"], fake.account(ext(6))["id"]]
    )
    assert syncer(**TEMPLATES).plan(desired).is_empty


# -- custom trait keys ------------------------------------------------------------------------


@pytest.mark.parametrize("prefixed", [True, False])
def test_custom_trait_found_is_the_one_written(fake, syncer, prefixed):
    """Custom traits are ``vitally.custom.<camelKey>`` [DOC]; a definition listing the bare
    ``tfTier`` is the same trait: shown built, and the values are written to it."""
    fake.field_keys_prefixed = prefixed
    fake.add_custom_field("accounts", "vitally.custom.tfTier", "tf_tier", "string")
    states.seed(fake, 3)
    desired = states.desired(3, tasks=False)
    plan = syncer().plan(desired)
    step = next(s for s in plan.build_steps if (s.kind, s.key) == (Kind.field, "tf_tier"))
    assert step.status.value == "done"
    syncer().apply(plan)
    assert fake.account(ext(3))["traits"] == {
        **UNMANAGED,
        "vitally.custom.tfTier": "Enterprise",
        "tf_csm": "Ana Ruiz",
        "tf_health_score": 53,
        "tf_health_band": "green",
    }
    assert syncer().plan(desired).is_empty


# -- archived tasks ---------------------------------------------------------------------------


def test_a_task_due_again_after_tierform_archived_it_gets_a_task_of_its_own(fake, syncer):
    """DELETE archives a task [DOC]; nothing says an upsert on its externalId restores it. In
    a workspace that keeps it archived, the work item due again is created under the next
    generation of its key, the plan settles, and later changes go to that task."""
    fake.upsert_restores_archived = False
    states.seed(fake, 4)
    syncer().apply(syncer().plan(states.desired(4)))
    without = states.desired(4)
    del without.objects[Kind.work_item][task_key(2)]
    syncer().apply(syncer().plan(without))
    for cycle in (2, 3):  # due again, archived again, due again
        plan = syncer().plan(states.desired(4))
        assert [(c.op, c.key) for c in plan.changes] == [(Op.create, task_key(2))]
        assert syncer().apply(plan).ok
        assert syncer().plan(states.desired(4)).is_empty
        live = sorted(t["externalId"] for t in fake.live_tasks())
        assert live == sorted([task_key(4), f"{task_key(2)}~{cycle}"])
        if cycle == 2:
            syncer().apply(syncer().plan(without))
    changed = states.desired(4)
    changed.put(Kind.work_item, task_key(2), states.task_data(2, due="2025-09-01"))
    assert syncer().apply(syncer().plan(changed)).ok
    [task] = [t for t in fake.live_tasks() if t["externalId"].startswith(task_key(2))]
    assert task["externalId"] == f"{task_key(2)}~3" and task["dueDate"].startswith("2025-09-01")
    assert syncer().plan(changed).is_empty


@pytest.mark.parametrize("restores", [False, True])
def test_a_task_due_again_is_written_from_its_highest_archived_generation(fake, syncer, restores):
    """Each return of a work item whose every generation is archived costs at most two
    upserts (its highest archived one, then the next), not one per generation before it. A
    workspace whose upsert restores an archived task gets that task back in one."""
    fake.upsert_restores_archived = False
    states.seed(fake, 4)
    syncer().apply(syncer().plan(states.desired(4)))
    without = states.desired(4)
    del without.objects[Kind.work_item][task_key(2)]
    for cycle in (2, 3, 4, 5):
        syncer().apply(syncer().plan(without))
        assert not [t for t in fake.live_tasks() if t["externalId"].startswith(task_key(2))]
        fake.upsert_restores_archived = restores and cycle == 5
        before = fake.log.count(method="POST", path="/resources/tasks")
        assert syncer().apply(syncer().plan(states.desired(4))).ok
        sent = fake.log.select(method="POST", path="/resources/tasks")[before:]
        restored = fake.upsert_restores_archived  # the highest archived one, ~(cycle - 1)
        assert len(sent) == (1 if restored else 2)
        live = [
            t["externalId"] for t in fake.live_tasks() if t["externalId"].startswith(task_key(2))
        ]
        assert live == [f"{task_key(2)}~{cycle - 1 if restored else cycle}"]
        assert syncer().plan(states.desired(4)).is_empty


# -- data traits on tasks and projects --------------------------------------------------------


@pytest.mark.parametrize("kind", ["tasks", "projects"])
def test_data_traits_refused_on_tasks_or_projects(fake, syncer, kind):
    """Data traits are documented for accounts, organizations and users only [DOC*]: a
    workspace answering 400 to them on tasks or projects costs one refused request, then
    that kind goes without them for the run, and the plans settle."""
    fake.data_traits_refused = {kind}
    states.seed(fake, 6)
    template = fake.add_template("Enterprise Onboarding")
    desired = states.desired(6, playbook_tasks=True)
    report = syncer(**TEMPLATES).apply(syncer(**TEMPLATES).plan(desired))
    assert report.ok and report.counts["failed"] == 0
    assert fake.log.count(path=f"/resources/{kind}", status=400) == 1
    assert sorted(t["externalId"] for t in fake.live_tasks()) == sorted(
        [task_key(2), task_key(4), task_key(6), f"tf-pb{3:017d}", f"tf-pb{6:017d}"]
    )
    assert sorted((p["accountId"], p["templateId"]) for p in fake.projects.values()) == sorted(
        (fake.account(ext(i))["id"], template["id"]) for i in (3, 6)
    )
    assert syncer(**TEMPLATES).plan(desired).is_empty
    syncer(**TEMPLATES).apply(syncer(**TEMPLATES).plan(desired))
    assert len(fake.projects) == 2 and len(fake.tasks) == 5


# -- minor gaps -------------------------------------------------------------------------------


def test_task_create_leaves_out_an_absent_due_date_and_description(fake, syncer):
    states.seed(fake, 2)
    desired = State()
    desired.put(Kind.account, ext(1), states.account_data(1))
    bare = {"account_id": ext(1), "title": "Say hello", "due": None, "reason": None}
    desired.put(Kind.work_item, task_key(1), {**bare, "source": "rule:x", "assignee": None})
    report = syncer().apply(syncer().plan(desired))
    assert report.ok
    (post,) = fake.log.select(method="POST", path="/resources/tasks")
    assert "dueDate" not in post.body and "description" not in post.body
    assert post.body["name"] == "Say hello"
    assert syncer().plan(desired).is_empty


@pytest.mark.parametrize("kept", ["any", "custom"])
def test_project_read_without_template_id_settles(fake, syncer, kept):
    """templateId is editable "only on create" [DOC]; a read without it is not a different
    template: no endless update and (with no data traits kept) no second project."""
    fake.project_reads_template = False
    fake.custom_traits_only = {"projects"} if kept == "custom" else set()
    states.seed(fake, 6)
    fake.add_template("Enterprise Onboarding")
    desired = states.desired(6, tasks=False, playbook_tasks=True)
    syncer(**TEMPLATES).apply(syncer(**TEMPLATES).plan(desired))
    assert len(fake.projects) == 2
    assert syncer(**TEMPLATES).plan(desired).is_empty
    syncer(**TEMPLATES).apply(syncer(**TEMPLATES).plan(desired))
    assert len(fake.projects) == 2
    assert fake.log.count(method="PUT", path="/resources/projects/") == 0


def test_assignee_email_found_by_the_documented_search(fake, syncer):
    """``GET /admins`` is known from clients only [CODE]; where it answers 404, an e-mail
    assignee is found through ``GET /admins/search?email=`` [DOC]."""
    fake.admins_listed = False
    states.seed(fake, 4)
    desired = states.desired(4)
    data = dict(desired.of(Kind.work_item)[task_key(2)], assignee="Sam@Example.com")
    desired.put(Kind.work_item, task_key(2), data)
    plan = syncer().plan(desired)
    assert any("Growth pod" in w and "left unassigned" in w for w in plan.warnings)
    assert syncer().apply(plan).ok
    sam = next(a for a in fake.admins.values() if a["email"] == "sam@example.com")
    tasks = {t["externalId"]: t for t in fake.tasks.values()}
    assert tasks[task_key(2)]["assignedToId"] == sam["id"]
    assert tasks[task_key(4)]["assignedToId"] is None
    # One search per read (the plan's, then the apply's own), for the one e-mail.
    searches = fake.log.select(path="/resources/admins/search")
    assert [s.query for s in searches] == ["email=Sam%40Example.com"] * 2


# -- uncertain creates ------------------------------------------------------------------------


@pytest.mark.parametrize("fault", [500, DROP])
@pytest.mark.parametrize("processed", [True, False])
def test_uncertain_account_create_is_looked_up_not_duplicated(fake, syncer, fault, processed):
    """A 5xx or dropped connection on ``POST /accounts`` may or may not have created the
    account; a re-POST of an externalId may create a second one (the fake's default). The
    account is looked up by externalId (paths accept it [DOC]) and posted again only if
    missing."""
    states.seed(fake, 2)
    fake.inject(fault, methods={"POST"}, path_contains="/resources/accounts", process=processed)
    desired = states.desired(3, tasks=False)
    report = syncer(create_accounts=True).apply(syncer(create_accounts=True).plan(desired))
    assert report.ok and report.counts["create"] == 3
    assert fake.account(ext(3))["traits"] == states.account_data(3)
    lookups = fake.log.select(method="GET", path=f"/resources/accounts/{ext(3)}")
    assert [e.status for e in lookups] == [200 if processed else 404]
    posts = fake.log.select(method="POST", path="/resources/accounts")
    assert len(posts) == (1 if processed else 2)
    assert syncer(create_accounts=True).plan(desired).is_empty


@pytest.mark.parametrize("kept", ["any", "custom"])
@pytest.mark.parametrize("processed", [True, False])
def test_uncertain_project_create_is_looked_up_not_duplicated(fake, syncer, kept, processed):
    fake.custom_traits_only = {"projects"} if kept == "custom" else set()
    states.seed(fake, 3)
    template = fake.add_template("Enterprise Onboarding")
    fake.inject(500, methods={"POST"}, path_contains="/resources/projects", process=processed)
    desired = states.desired(3, tasks=False, playbook_tasks=True)
    report = syncer(**TEMPLATES).apply(syncer(**TEMPLATES).plan(desired))
    assert report.ok
    assert [(p["accountId"], p["templateId"]) for p in fake.projects.values()] == [
        (fake.account(ext(3))["id"], template["id"])
    ]
    listed = fake.log.select(
        method="GET", path=f"/resources/accounts/{fake.account(ext(3))['id']}/"
    )
    assert len(listed) == 1
    assert syncer(**TEMPLATES).plan(desired).is_empty


def test_a_failed_lookup_after_a_lost_project_answer_never_posts_again(fake, syncer):
    """The POST took but its answer was lost, and listing the account's projects [CODE] fails
    too: whether the project exists stays unknown, so the run stops as uncertain; it is not
    read as the account field refused (which would post it again in the other form)."""
    states.seed(fake, 3)
    fake.add_template("Enterprise Onboarding")
    desired = states.desired(3, tasks=False, playbook_tasks=True)
    plan = syncer(**TEMPLATES).plan(desired)
    fake.inject(500, methods={"POST"}, path_contains="/resources/projects", process=True)
    vid = fake.account(ext(3))["id"]
    fake.inject(404, methods={"GET"}, path_contains=f"/accounts/{vid}/projects")
    with pytest.raises(UncertainOutcome):
        syncer(**TEMPLATES).apply(plan)
    assert len(fake.projects) == 1
    assert fake.log.count(method="POST", path="/resources/projects") == 1
    assert syncer(**TEMPLATES).plan(desired).is_empty  # the next run finds it


def test_task_update_sends_a_null_only_to_clear_a_value(fake, syncer):
    """A task without a due date whose reason changes: the update names the description and
    leaves dueDate out (a null there is not documented); dropping the reason clears it."""
    states.seed(fake, 2)
    desired = State()
    desired.put(Kind.account, ext(1), states.account_data(1))
    task = {"account_id": ext(1), "title": "Say hello", "due": None, "reason": "first"}
    desired.put(Kind.work_item, task_key(1), {**task, "source": "rule:x", "assignee": None})
    assert syncer().apply(syncer().plan(desired)).ok
    desired.put(Kind.work_item, task_key(1), {**task, "reason": "second", "source": "rule:x"})
    assert syncer().apply(syncer().plan(desired)).ok
    desired.put(Kind.work_item, task_key(1), {**task, "reason": None, "source": "rule:x"})
    assert syncer().apply(syncer().plan(desired)).ok
    posts = fake.log.select(method="POST", path="/resources/tasks")
    assert [("dueDate" in p.body, p.body.get("description", "absent")) for p in posts] == [
        (False, "<p>first</p>"),
        (False, "<p>second</p>"),
        (False, None),
    ]
    assert syncer().plan(desired).is_empty
