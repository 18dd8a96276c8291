"""Reading past the Search API's 1,000-a-page and 10,000-a-query limits."""

from __future__ import annotations

import json
from collections import Counter
from urllib.parse import parse_qs

import pytest

from tierform.sync.change import Op
from tierform.sync.state import Kind, State

from .fake import TotangoFake

FIELDS = ("tf_tier", "tf_health_band")


@pytest.fixture
def small_reach(monkeypatch, fake):
    """The same algorithm at a tenth of the scale: 100 a page, 1,000 a query."""
    from tierform.adapters.totango import partition, people

    for module in (partition, people):
        monkeypatch.setattr(module, "PAGE", 100)
        monkeypatch.setattr(module, "REACH", 1000)
    fake.page_max, fake.reach = 100, 1000
    return fake


def big_book(fake: TotangoFake, n: int = 25_000, scale: int = 1) -> State:
    """``n`` book accounts: 12,000 managed Enterprise (more than one query reaches), 6,000
    managed SMB, the rest not yet managed (``scale`` 10: 1,200 and 600); plus 5 managed
    accounts no longer in the book."""
    fake.define(*FIELDS)
    desired = State()
    desired.put(Kind.field, "tf_tier", {"label": "Tier", "options": ["Enterprise", "SMB"]})
    desired.put(Kind.field, "tf_health_band", {"label": "Band", "options": ["green", "red"]})
    for i in range(n):
        aid = f"A{i:05d}"
        tier = "Enterprise" if i < 12_000 // scale else "SMB"
        band = "green" if i % 2 else "red"
        attrs = {"tf_tier": tier, "tf_health_band": band} if i < 18_000 // scale else {}
        fake.accounts[aid] = {"id": aid, "display_name": f"Co {i % 997}", "attributes": attrs}
        desired.put(Kind.account, aid, {"tf_tier": tier, "tf_health_band": band})
    for i in range(5):
        aid = f"OLD{i}"
        attrs = {"tf_tier": "SMB", "tf_health_band": "red"}
        fake.accounts[aid] = {"id": aid, "display_name": f"Old {i}", "attributes": attrs}
    return desired


def searches(fake: TotangoFake) -> list[dict]:
    out = []
    for e in fake.rest_requests():
        if e.path == "/api/v1/search/accounts":
            out.append(json.loads(e.body["query"]))
    return out


def test_25000_accounts_read_completely_despite_the_reach(fake, syncer):
    desired = big_book(fake)
    plan = syncer().plan(desired)
    counts = Counter((c.kind, c.op) for c in plan.changes)
    # every account was found: the 7,000 unmanaged book accounts are creates, the 18,000
    # managed ones are in sync (no change), the 5 managed accounts outside the book are deletes
    assert counts == {(Kind.account, Op.create): 7_000, (Kind.account, Op.delete): 5}
    assert {c.key for c in plan.changes if c.op is Op.delete} == {f"OLD{i}" for i in range(5)}
    assert not any(w.startswith("unmatched") for w in plan.warnings)
    note = next(w for w in plan.warnings if w.startswith("read:"))
    assert "25,005 accounts" in note and "partitioned" in note and "by account id" in note
    assert plan.meta["read"] in note
    for q in searches(fake):
        assert q["count"] <= 1000 and q["offset"] + q["count"] <= 10_000
    assert fake.log.count(status=429) == 0


def test_each_account_is_read_once(small_reach, syncer):
    fake = small_reach
    desired = big_book(fake, 2_500, scale=10)
    adapter = syncer().adapter
    from tierform.sync.state import Scope

    adapter.read(Scope.of(desired, [Kind.account]))
    returned: Counter[str] = Counter()
    for e in fake.rest_requests():
        if e.path != "/api/v1/search/accounts":
            continue
        q = json.loads(e.body["query"])
        if q["count"] <= 1:
            continue  # definition probes
        returned.update(fake_hits(fake, q))
    assert set(returned) == set(fake.accounts)
    duplicates = {k: n for k, n in returned.items() if n > 1}
    # only pages that sized a query before it was split overlap: the first unfiltered page
    # and tf_tier = Enterprise (more than a query reaches, so split by band)
    assert len(duplicates) <= 200
    assert sum(returned.values()) <= len(fake.accounts) + 200


def fake_hits(fake: TotangoFake, q: dict) -> list[str]:
    tests = [fake._term(t) for t in q["terms"]]
    matching = [a for a in fake.accounts.values() if all(t(a) for t in tests)]
    matching.sort(key=lambda a: (a["display_name"], a["id"]))
    return [a["id"] for a in matching[q["offset"] : q["offset"] + q["count"]]]


def test_small_book_is_paged_without_filters(fake, syncer):
    fake.define(*FIELDS)
    desired = State()
    for i in range(2_500):
        fake.add_account(f"B{i:04d}", f"Co {i}")
        desired.put(Kind.account, f"B{i:04d}", {"tf_tier": "SMB"})
    plan = syncer().plan(desired)
    assert len(plan.changes) == 2_500
    pages = [q for q in searches(fake) if q["count"] == 1000]
    assert [q["offset"] for q in pages] == [0, 1000, 2000]
    assert all(q["terms"] == [] for q in pages)
    assert not any(w.startswith("read:") for w in plan.warnings)


def unmanaged_book(fake: TotangoFake, n: int) -> State:
    """``n`` accounts no one has synced yet (no ``tf_tier``), all in the book."""
    fake.define(*FIELDS)
    desired = State()
    desired.put(Kind.field, "tf_tier", {"label": "Tier", "options": ["SMB"]})
    for i in range(n):
        fake.add_account(f"N{i:05d}", f"Name {i:05d}")
        desired.put(Kind.account, f"N{i:05d}", {"tf_tier": "SMB"})
    return desired


def by_name(fake: TotangoFake) -> list[str]:
    """The fake's account ids in its sort order (display name, then id)."""
    ordered = sorted(fake.accounts.values(), key=lambda a: (a["display_name"], a["id"]))
    return [a["id"] for a in ordered]


def created(plan) -> set[str]:
    return {c.key for c in plan.changes if c.kind is Kind.account and c.op is Op.create}


@pytest.mark.parametrize("form", ["refuse", "ignore"])
def test_first_sync_past_reach_without_id_filter_reads_both_ends(fake, syncer, form):
    """10,500 accounts, none synced yet, a total_hits capped at 10,000 and no account-id
    filter: the unfiltered query read ascending and descending reaches all of them."""
    fake.id_filter, fake.cap_total = form, True
    desired = unmanaged_book(fake, 10_500)
    plan = syncer().plan(desired)
    assert created(plan) == set(fake.accounts)
    assert not any(w.startswith(("unmatched", "out of reach")) for w in plan.warnings)
    assert any("account-id term 'account_id'" in w and "id_term" in w for w in plan.warnings)
    orders = Counter(q["sort_order"] for q in searches(fake) if q["count"] == 1000)
    assert orders["DESC"] >= 1
    for q in searches(fake):
        assert q["offset"] + q["count"] <= 10_000


def test_capped_total_is_not_read_as_everything(small_reach, syncer):
    """total_hits equal to the reach may be a cap: the read goes on past it."""
    fake = small_reach
    fake.cap_total = True
    desired = unmanaged_book(fake, 1_050)
    plan = syncer().plan(desired)
    assert created(plan) == set(fake.accounts)
    assert not any(w.startswith("unmatched") for w in plan.warnings)


def test_an_empty_descending_answer_is_not_taken_for_the_end(small_reach, syncer):
    """1,050 accounts, reach 1,000, no id filter, and a service that answers nothing sorted
    descending: the last 50 are out of reach and said to be, not taken as read."""
    fake = small_reach
    fake.id_filter, fake.cap_total, fake.desc_empty = "refuse", True, True
    desired = unmanaged_book(fake, 1_050)
    plan = syncer().plan(desired)
    assert created(plan) == set(by_name(fake)[:1_000])
    warning = next(w for w in plan.warnings if w.startswith("out of reach"))
    assert "50 account(s)" in warning


def test_book_accounts_out_of_reach_are_said_and_not_planned(small_reach, syncer):
    """2,500 accounts, reach 1,000, no id filter, no users: the middle 500 of the sort order
    are out of reach of both ends; they are named as such and nothing is planned for them."""
    fake = small_reach
    fake.id_filter, fake.cap_total = "refuse", True
    desired = unmanaged_book(fake, 2_500)
    order = by_name(fake)
    middle = set(order[1_000:1_500])
    plan = syncer().plan(desired)
    assert created(plan) == set(fake.accounts) - middle
    warning = next(w for w in plan.warnings if w.startswith("out of reach"))
    assert "500 account(s)" in warning and "NOT planned" in warning
    assert not any(w.startswith("unmatched") for w in plan.warnings)


def test_without_id_filter_success_manager_shards_reach_the_middle(small_reach, syncer):
    """Accounts past both ends are looked for by Success Manager, one query per user."""
    fake = small_reach
    fake.id_filter = "ignore"
    desired = unmanaged_book(fake, 2_500)
    fake.add_user("Ana Ruiz", "ana@example.com")
    fake.define("tf_csm")
    order = by_name(fake)
    assigned = order[1_000:1_400]
    for aid in assigned:
        fake.accounts[aid]["attributes"]["Success Manager"] = "Ana Ruiz"
    for aid in order:
        desired.put(Kind.account, aid, {"tf_tier": "SMB", "tf_csm": "Ana Ruiz"})
    plan = syncer().plan(desired)
    assert created(plan) == set(fake.accounts) - set(order[1_400:1_500])
    warning = next(w for w in plan.warnings if w.startswith("out of reach"))
    assert "100 account(s)" in warning
    terms = [t for q in searches(fake) for t in q["terms"]]
    assert {
        "type": "string_attribute",
        "attribute": "Success Manager",
        "in_list": ["Ana Ruiz"],
    } in terms


def test_apply_without_id_filter_verifies_by_documented_reads(small_reach, syncer):
    fake = small_reach
    fake.id_filter = "refuse"
    desired = unmanaged_book(fake, 1_200)
    plan = syncer().plan(desired)
    report = syncer().apply(plan)
    assert report.ok, [f.error for f in report.failures][:3]
    assert report.counts["create"] == 1_200
    assert syncer().plan(desired).is_empty


def test_without_id_filter_an_account_reached_by_its_tier_is_verified_the_same_way(
    small_reach, syncer
):
    """2,500 accounts at a reach of 1,000, no id filter: the middle 500 carry tf_tier (synced
    before), so the read reaches them by that value only. Ten of them change band; the
    verification must reach them again the same way, or landed writes read as failed."""
    fake = small_reach
    fake.id_filter = "refuse"
    fake.define(*FIELDS)
    desired = State()
    for i in range(2_500):
        fake.add_account(f"N{i:05d}", f"Name {i:05d}")
    middle = by_name(fake)[1_000:1_500]
    for n, aid in enumerate(middle):
        fake.accounts[aid]["attributes"].update({"tf_tier": "SMB", "tf_health_band": "red"})
        desired.put(
            Kind.account, aid, {"tf_tier": "SMB", "tf_health_band": "green" if n < 10 else "red"}
        )
    plan = syncer().plan(desired)
    assert [c.op for c in plan.changes] == [Op.update] * 10
    report = syncer().apply(plan)
    assert report.ok, [f.error for f in report.failures][:2]
    assert [fake.attrs(a)["tf_health_band"] for a in middle[:10]] == ["green"] * 10
    assert syncer().plan(desired).is_empty


def test_id_term_is_configurable(small_reach, syncer):
    fake = small_reach
    fake.id_term = "identifier"
    desired = big_book(fake, 2_000, scale=10)
    plan = syncer(id_term="identifier").plan(desired)
    assert Counter(c.op for c in plan.changes) == {Op.create: 200, Op.delete: 5}


def test_form_encoded_query(fake, syncer):
    fake.define(*FIELDS)
    fake.add_account("X1", "X")
    syncer().plan(State())
    raw = next(e for e in fake.rest_requests() if e.path == "/api/v1/search/accounts")
    assert set(raw.body) == {"query"}
    assert parse_qs(f"query={raw.body['query']}")
