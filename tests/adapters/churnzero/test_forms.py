"""Facts the research marks as inferred or conflicting: the adapter accepts every form, and the
fake switches between them."""

from __future__ import annotations

import pytest

from tierform.errors import PaginationLoop
from tierform.sync.state import Kind

from . import states
from .states import ext

FORMS = [
    {"cf_keys": "stripped", "owner_form": "expand"},
    {"cf_keys": "name", "owner_form": "expand"},
    {"cf_keys": "stripped", "owner_form": "id"},
    {"cf_keys": "name", "owner_form": "name"},
    {"cf_keys": "stripped", "owner_form": "expand-useraccount"},
    {"cf_keys": "name", "owner_form": "useraccountid"},
    {"require_contact": False},
    {"duplicates": "account"},
    {"next_link": False},
    {"next_link": "root"},
    {"next_link": "relative"},
    {"error_form": "aspnet", "limit_headers": "none"},
]


@pytest.mark.parametrize(
    "fake_options", FORMS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items())
)
def test_round_trip_in_every_form(fake, syncer, fake_options):
    states.seed(fake)
    desired = states.desired()
    report = syncer().apply(syncer().plan(desired))
    assert report.ok, [f.error for f in report.failures]
    assert fake.cf(ext(3))["tf_tier"] == "Enterprise"
    assert fake.owner(ext(3)) == "ana.ruiz"
    assert syncer().plan(desired).is_empty


def test_every_write_names_the_contact(fake, syncer):
    """ "All calls must include the appKey, account identifier and contact identifier" [C]:
    account attributes carry the event contact from the first push on, so nothing is dropped
    for the want of one (the fake's default follows that rule)."""
    states.seed(fake)
    assert syncer().apply(syncer().plan(states.desired(4))).ok
    sent = [a for e in fake.log.push() for a in e.body]
    assert {a["action"] for a in sent} == {"setAttribute", "trackEvent"}
    assert all(a["contactExternalId"] == "tierform" for a in sent)
    assert "ContactExternalId parameter must be defined." not in fake.devlog


@pytest.mark.parametrize("fake_options", [{"require_contact": True}])
def test_a_run_that_only_moves_owners_lands_on_a_tenant_that_needs_the_contact(
    fake, syncer, fake_options
):
    """Owner-only writes cannot prove the key (the owner may already hold the value), so they
    once went out without a contact and were dropped unnoticed; they carry it now."""
    states.seed(fake, 6)
    desired = states.desired(6, items=False)
    assert syncer().apply(syncer().plan(desired)).ok
    for i in (3, 6):  # Ana Ruiz's accounts, moved to Sam Lee in ChurnZero's UI
        fake.account(ext(i))["_owner"] = "sam.lee"
    plan = syncer().plan(desired)
    assert [c.key for c in plan.changes] == [ext(3), ext(6)]
    assert syncer().apply(plan, force=True).ok
    assert [fake.owner(ext(i)) for i in (3, 6)] == ["ana.ruiz", "ana.ruiz"]


@pytest.mark.parametrize(
    ("fake_options", "skips"),
    [
        # no nextLink: on by $skip after each full page of 100 [C]; the short one is the last
        ({"next_link": False}, [0, 100, 200]),
        ({"next_link": True}, [0, 100, 200]),
        ({"next_link": False}, [0, 100, 200, 300]),  # 300 rows: a last, empty page
    ],
    ids=["no-link", "link", "no-link-exact"],
)
def test_full_scan_reads_every_page(fake, syncer, fake_options, skips):
    n = 300 if skips[-1] == 300 else 250
    states.seed(fake, n)
    plan = syncer().plan(states.desired(n, items=False))
    assert len([c for c in plan.changes if c.kind is Kind.account]) == n
    pages = fake.log.select(method="GET", path="/public/v1/Account")
    pages = [p for p in pages if "$top" not in p.query]  # the credentials check
    assert [int(p.query.get("$skip", 0)) for p in pages] == skips


@pytest.mark.parametrize("fake_options", [{"next_link": False, "skip_ignored": True}])
def test_a_short_first_page_is_the_whole_read(fake, syncer, fake_options):
    """Five accounts fit one page: no $skip is asked for, so a server that ignores $skip (and
    would answer the same five again) reads them all."""
    states.seed(fake, 5)
    plan = syncer().plan(states.desired(5, items=False))
    assert len([c for c in plan.changes if c.kind is Kind.account]) == 5
    pages = fake.log.select(method="GET", path="/public/v1/Account")
    assert [p.query.get("$skip") for p in pages if "$top" not in p.query] == [None]


@pytest.mark.parametrize("fake_options", [{"next_link": False, "skip_ignored": True}])
def test_a_server_ignoring_skip_stops_the_read_with_an_error(fake, syncer, fake_options):
    states.seed(fake, 150)
    with pytest.raises(PaginationLoop, match=r"Account: .*seems to ignore \$skip"):
        syncer().plan(states.desired(150, items=False))
    assert fake.repeats == 1  # the first repeated page is the last one asked for


@pytest.mark.parametrize("fake_options", [{"require_contact": True}])
def test_canary_is_a_write_that_can_prove_itself(fake, syncer, fake_options):
    """The first accounts to write only move their owner back (changed in ChurnZero's UI),
    which a read-back cannot prove; the canary is taken from the writes of other fields, so
    a tenant that needs a contact identifier is still found out and every write lands."""
    states.seed(fake, 12)
    desired = states.desired(12, items=False)
    assert syncer().apply(syncer().plan(desired)).ok
    for i in (3, 6, 9):  # Ana Ruiz's accounts, moved to Sam Lee in the UI
        fake.account(ext(i))["_owner"] = "sam.lee"
    for i in (10, 11):
        desired.put(Kind.account, ext(i), {**states.account_data(i), "tf_tier": "Enterprise"})
    plan = syncer().plan(desired)
    assert [c.key for c in plan.changes] == [ext(i) for i in (3, 6, 9, 10, 11)]
    report = syncer().apply(plan, force=True)  # five of twelve: past the safety share
    assert report.ok, [f.error for f in report.failures]
    assert [fake.owner(ext(i)) for i in (3, 6, 9)] == ["ana.ruiz"] * 3
    assert syncer().plan(desired).is_empty


@pytest.mark.parametrize(
    "fake_options",
    [
        {"next_link": True},
        {"next_link": "root"},
        {"next_link": "relative"},
        {"next_link": "spelled"},
        {"next_link": False},
    ],
)
def test_every_page_is_read_whatever_the_next_link_form(fake, syncer, fake_options):
    """250 accounts: three pages, followed by an absolute link (also with the host in capitals
    and its default port written out), a link from the host's root, one relative to the REST
    base, or by $skip when there is none."""
    states.seed(fake, 250)
    desired = states.desired(250, items=False)
    assert syncer().apply(syncer().plan(desired)).ok
    assert syncer().plan(desired).is_empty
    pages = fake.log.select(path="/public/v1/Account")
    assert all(p.status == 200 for p in pages)
    assert {p.query.get("$skip") for p in pages} >= {"100", "200"}


@pytest.mark.parametrize("fake_options", [{"owner_form": "id"}])
def test_expand_refused_falls_back_once(fake, syncer, fake_options):
    states.seed(fake)
    syncer().plan(states.desired())
    refused = fake.log.select(path="/public/v1/Account", status=400)
    # each navigation name tried once, then the plain rows for the rest of the run
    assert [r.query["$expand"] for r in refused] == ["OwnerUserAccount", "UserAccount"]


@pytest.mark.parametrize(
    "fake_options",
    [{"refuse_expand": 403, "owner_form": "id"}, {"refuse_expand": 501, "owner_form": "id"}],
)
def test_expand_refused_with_403_or_501_falls_back_to_plain_rows(fake, syncer, fake_options):
    """403: the key may not read what $expand leads to (bulk read permission is per entity);
    501: not implemented. Either is tried once per name, then the owner is read by its id."""
    states.seed(fake)
    desired = states.desired()
    assert syncer().apply(syncer().plan(desired)).ok
    assert fake.owner(ext(3)) == "ana.ruiz"
    assert syncer().plan(desired).is_empty
    refused = fake.log.select(path="/public/v1/Account", status=fake_options["refuse_expand"])
    # once per name in each of the three runs (plan, apply, plan), never retried
    assert [r.query["$expand"] for r in refused] == ["OwnerUserAccount", "UserAccount"] * 3


@pytest.mark.parametrize("fake_options", [{"segment_entity": False}])
def test_no_segment_entity_is_said_plainly(fake, syncer, fake_options):
    states.seed(fake)
    plan = syncer().plan(states.desired())
    assert any("lists no Segment entity" in w for w in plan.warnings)
    step = next(s for s in plan.build_steps if s.kind is Kind.segment)
    assert step.status.value == "missing"


def test_value_forms_read_back_in_the_model_type(fake, syncer):
    """Untyped fields return text; typed ones numbers: both read as the model's number."""
    states.seed(fake)
    desired = states.desired()
    syncer().apply(syncer().plan(desired))
    assert fake.account(ext(1))["_cf"]["tf_health_score"] == "51.5"
    fake.type_field("tf_health_score", "number")
    assert fake.account(ext(1))["_cf"]["tf_health_score"] == 51.5
    assert syncer().plan(desired).is_empty
