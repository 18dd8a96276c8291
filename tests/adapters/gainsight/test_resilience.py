"""Retries and fallbacks the research calls for: the token call's faults, describe's object
case, CTA create fields, paging guards and creates whose answer is lost."""

from __future__ import annotations

import pytest

from tierform.errors import AuthError, PaginationLoop

from . import states
from .conftest import CLIENT_ID
from .fake import DROP

OAUTH = {"oauth": {"client_id": CLIENT_ID, "client_secret": {"env": "GAINSIGHT_OAUTH_SECRET"}}}
TOKEN = "/v1/users/m2m/oauth/token"
RATE_LIMIT_AT_200 = {
    "result": False,
    "errorCode": "GS_APIG_2404",
    "errorDesc": "Rate limit reached",
    "requestId": "r-1",
    "data": None,
    "message": None,
}


@pytest.mark.parametrize(
    ("status", "body"),
    [(429, None), (503, None), (DROP, None), (200, RATE_LIMIT_AT_200)],
    ids=["429", "503", "dropped", "2404-at-200"],
)
def test_token_call_faults_are_retried(fake, syncer, status, body):
    """The token call counts against the 100/min limit [C] and connectors retry 429 and 5xx
    [S]: one fault on it is retried, and the plan goes on with the token got next time."""
    states.seed(fake, 3)
    fake.inject(status, path_contains=TOKEN, body=body)
    plan = syncer(**OAUTH).plan(states.desired(3))
    assert plan.changes  # the plan was made
    tokens = fake.log.select(method="POST", path=TOKEN)
    assert [e.status for e in tokens] == [status, 200]
    if status in (429, 200):  # a rate limit waits for the next fixed window [C]
        assert tokens[1].at - tokens[0].at >= 1


def test_token_call_refusal_of_credentials_is_not_retried(fake, syncer, monkeypatch):
    monkeypatch.setenv("GAINSIGHT_OAUTH_SECRET", "wrong-secret")
    with pytest.raises(AuthError, match="check GAINSIGHT_OAUTH_SECRET"):
        syncer(**OAUTH).plan(states.desired(3))
    assert fake.log.count(method="POST", path=TOKEN) == 1


@pytest.mark.parametrize("mode", ["post", "get"])
@pytest.mark.parametrize("case", ["lower", "lower-empty"])
def test_describe_falls_back_to_lower_case_company(fake, syncer, case, mode):
    """A tenant whose describe knows only ``company`` [S] still gives the Company schema: the
    fields already created are found, so no value waits and the build sheet marks them done."""
    states.seed(fake, 3)
    fake.describe_case, fake.describe_mode = case, mode
    plan = syncer().plan(states.desired(3, tasks=False))
    field_steps = [s for s in plan.build_steps if s.kind.value == "field"]
    assert len(field_steps) == 4 and all(s.status.value == "done" for s in field_steps)
    assert not any("waiting" in w for w in plan.warnings)
    asked = [e.body for e in fake.log.select(method="POST", path="/v1/meta/services/objects")]
    if mode == "post":
        assert asked == [{"objectNames": ["Company"]}, {"objectNames": ["company"]}]


def test_cta_create_carries_a_reason_and_warns_of_ownerless_ctas(fake, syncer):
    """The published create sample has reason and OwnerId [S]. Without ``cta.reason`` the
    reason picklist's first active item is used (and the plan says so); CTAs no Gainsight user
    can own are named at plan time, and ``owner_email`` gives them an owner."""
    states.seed(fake, 6)
    fake.strict_cta_create = True
    fake.inactive_picklist_items = {"Onboarding"}  # the first reason, deactivated
    plan = syncer().plan(states.desired(6))
    notes = [w for w in plan.warnings if "cta.reason is not set" in w]
    assert len(notes) == 1 and "'Health drop'" in notes[0]
    owners = [w for w in plan.warnings if w.startswith("CTA owner:")]
    # work items on ACC-002 and ACC-004 are the Growth pod's (no Gainsight user); ACC-006 is
    # Ana Ruiz's, who is one
    assert len(owners) == 1
    assert "Growth pod (ACC-002, ACC-004)" in owners[0] and "cta.owner_email" in owners[0]
    assert "ACC-006" not in owners[0]
    sync = syncer(cta={"owner_email": "sam@example.com"})
    plan = sync.plan(states.desired(6))
    assert not any(w.startswith("CTA owner:") for w in plan.warnings)
    assert sync.apply(plan).ok
    sam = next(g for g, u in fake.users.items() if u["Email"] == "sam@example.com")
    ana = next(g for g, u in fake.users.items() if u["Email"] == "ana@example.com")
    health_drop = fake.picklists["CTA_REASON"]["Health drop"]
    got = sorted((c["Name"], c["OwnerId"], c["ReasonId"]) for c in fake.ctas.values())
    assert got == [
        ("Check in on ACC-002", sam, health_drop),
        ("Check in on ACC-004", sam, health_drop),
        ("Check in on ACC-006", ana, health_drop),
    ]


def test_cta_reason_set_is_used_as_is(fake, syncer):
    states.seed(fake, 2)
    sync = syncer(cta={"reason": "Onboarding", "owner_email": "sam@example.com"})
    plan = sync.plan(states.desired(2))
    assert not any("cta.reason is not set" in w for w in plan.warnings)
    assert sync.apply(plan).ok
    [cta] = fake.ctas.values()
    assert cta["ReasonId"] == fake.picklists["CTA_REASON"]["Onboarding"]


def _seed_marked_ctas(fake, count):
    company = fake.add_company("Customer 1", External_Id__gc=states.ext(1))
    for i in range(count):
        gsid = fake._gsid("1S01")
        marker = f'[tierform:{{"key": "tf-k{i:05d}"}}]'
        fake.ctas[gsid] = {"Gsid": gsid, "Name": f"CTA {i}", "CompanyId": company["Gsid"]}
        fake.ctas[gsid] |= {"Comments": f"<p>{marker}</p>", "IsClosed": False}


def test_company_query_stops_when_offset_is_ignored(fake, make_adapter):
    """A tenant answering the first page whatever the offset is caught on the second page,
    instead of being asked again until the day's quota is gone."""
    states.seed(fake, 5001)
    fake.ignore_paging = True
    fake.spend(50_000 - 40)  # without a guard, the loop ends only when the quota does
    adapter = make_adapter()
    with pytest.raises(PaginationLoop, match="ignore `offset`"):
        list(adapter.api.query("Company", ["Gsid", "Name"]))
    assert fake.log.count(method="POST", path="/v1/data/objects/query/Company") == 2


def test_cta_list_stops_when_page_number_is_ignored(fake, make_adapter):
    _seed_marked_ctas(fake, 1001)
    fake.ignore_paging = True
    fake.spend(50_000 - 40)
    adapter = make_adapter()
    with pytest.raises(PaginationLoop, match="ignore `pageNumber`"):
        list(adapter.api.cta_list(None, ["Gsid", "Comments"]))
    assert fake.log.count(method="POST", path="/v2/cockpit/cta/list") == 2


def test_cta_list_pages_when_page_number_is_honoured(fake, make_adapter):
    _seed_marked_ctas(fake, 1001)
    rows = list(make_adapter().api.cta_list(None, ["Gsid"]))
    assert len({r["Gsid"] for r in rows}) == 1001


LOST = [(500, True), (504, True), (DROP, True), (DROP, False), (504, False)]
LOST_IDS = ["500-landed", "504-landed", "dropped-landed", "dropped-before", "504-before"]


@pytest.mark.parametrize(("status", "landed"), LOST, ids=LOST_IDS)
def test_cta_create_with_lost_answer_is_settled_by_the_list(fake, syncer, status, landed):
    """A create whose answer is lost may or may not have created its CTAs: the CTA list
    decides, only those not there are sent again, and each work item has one CTA."""
    states.seed(fake, 6)
    sync = syncer()
    plan = sync.plan(states.desired(6))
    fake.inject(status, methods={"POST"}, path_contains="/v2/cockpit/cta", process=landed)
    report = sync.apply(plan)
    assert report.ok
    for i in (2, 4, 6):  # the work items of states.desired(6)
        assert len(fake.ctas_with_key(states.task_key(i))) == 1
    creates = fake.log.select(method="POST", path="/v2/cockpit/cta", prefix=False)
    # a processed request is logged as done, then with the status its lost answer had
    assert [e.status for e in creates] == ([200, status] if landed else [status, 200])


@pytest.mark.parametrize(("status", "landed"), LOST, ids=LOST_IDS)
def test_company_insert_with_lost_answer_is_settled_by_a_query(fake, syncer, status, landed):
    states.seed(fake, 3)
    sync = syncer(create_accounts=True)
    plan = sync.plan(states.desired(5, tasks=False))
    fake.inject(status, methods={"POST"}, path_contains="/v1/data/objects/Company", process=landed)
    report = sync.apply(plan)
    assert report.ok
    for i in (4, 5):  # not in the tenant: inserted, once each
        assert fake.company(states.ext(i))["Tf_Tier__gc"] == states.account_data(i)["tf_tier"]
    inserts = fake.log.select(method="POST", path="/v1/data/objects/Company", prefix=False)
    assert [e.status for e in inserts] == ([200, status] if landed else [status, 200])


def test_gsuser_fields_read_in_any_case(fake, syncer):
    """GsUser rows whose keys come lower case (``email``, ``name``) still resolve the CSM."""
    states.seed(fake, 3)
    fake.user_keys_lower = True
    ana = next(g for g, u in fake.users.items() if u["Email"] == "ana@example.com")
    sync = syncer()
    plan = sync.plan(states.desired(3, tasks=False))
    assert not any("Ana Ruiz" in w for w in plan.warnings)
    assert sync.apply(plan).ok
    assert fake.company(states.ext(3))["Csm"] == ana  # ACC-003 is Ana Ruiz's
