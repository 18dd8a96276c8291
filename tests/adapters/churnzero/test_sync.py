"""Plan -> apply -> re-plan against the stateful fake: attributes, owner, events, ownership."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest

from tests.fakes.half_character import plans_and_rewrites_a_half_character
from tierform.errors import AuthError
from tierform.sync.change import Op
from tierform.sync.state import Kind

from . import states
from .states import UNMANAGED, ext, item_key


def test_plan_apply_replan_is_empty(fake, syncer):
    states.seed(fake)
    desired = states.desired()
    plan = syncer().plan(desired)
    # 6 accounts get tierform's fields, 3 events (accounts 2, 4, 6) are sent.
    assert Counter((c.kind, c.op) for c in plan.changes) == {
        (Kind.account, Op.create): 6,
        (Kind.work_item, Op.create): 3,
    }
    report = syncer().apply(plan)
    assert report.ok, [f.error for f in report.failures]
    assert report.counts["create"] == 9
    assert fake.cf("ACC-003") == {
        **UNMANAGED,
        "tf_tier": "Enterprise",
        "tf_csm": "Ana Ruiz",
        "tf_health_score": "53.5",  # a new field is text until typed in Admin > Custom Fields
        "tf_health_band": "green",
    }
    assert fake.owner("ACC-003") == "ana.ruiz"  # Ana Ruiz's UserName, matched by e-mail
    assert fake.owner("ACC-004") == "sam.lee"  # a pool: the owner is left as it was
    assert syncer().plan(desired).is_empty


def test_second_apply_sends_nothing(fake, syncer):
    states.seed(fake)
    desired = states.desired()
    syncer().apply(syncer().plan(desired))
    pushes = len(fake.log.push())
    again = syncer().plan(desired)
    assert again.is_empty
    report = syncer().apply(again)
    assert sum(report.counts[o.value] for o in Op) == 0
    assert len(fake.log.push()) == pushes


def test_events_carry_the_key_and_are_never_duplicated(fake, syncer):
    states.seed(fake)
    desired = states.desired()
    syncer().apply(syncer().plan(desired))
    events = fake.events_of(ext(4))
    assert len(events) == 1
    assert events[0]["EventTypeName"] == "tf: rule:health-drop-alert"
    assert events[0]["ContactExternalId"] == "tierform"
    assert events[0]["Description"] == (
        f"tierform {item_key(4)} | due 2023-11-20 | Call the sponsor of ACC-004 | for Ana Ruiz "
        "| health 54 below 60"
    )
    # Later runs, even with the item's due date moved, never send it again.
    moved = states.desired()
    moved.put(Kind.work_item, item_key(4), states.item_data(4, due="2023-12-01"))
    plan = syncer().plan(moved)
    assert plan.is_empty
    assert any("another due date" in w for w in plan.warnings)
    syncer().apply(plan)
    syncer().apply(syncer().plan(desired))
    assert len(fake.events) == 3


def test_event_resend_reuses_its_date_so_a_late_arrival_is_skipped(fake, syncer, clock):
    """An event is not processed before the read-backs end (a slow queue): the run stops with
    the key message; the next run sends it again with the same eventDate, and ChurnZero skips
    the late original's twin, so the account gets one event."""
    states.seed(fake, 2)
    syncer().apply(syncer().plan(states.desired(2, items=False)))
    desired = states.desired(2)
    fake.lag = 1000.0  # the queue lags far behind the read-back window
    with pytest.raises(AuthError, match="raise verify_delay"):
        syncer().apply(syncer().plan(desired))
    assert fake.events == []
    plan = syncer().plan(desired)  # planned while the event is still queued
    assert [(c.op, c.key) for c in plan.changes] == [(Op.create, item_key(2))]
    clock.sleep(2000)  # the queued original lands before the re-send
    fake.lag = 0.0
    report = syncer().apply(plan)
    assert report.ok
    assert len(fake.events) == 1
    assert fake.devlog[-1] == (
        f"Skipping - Duplicate event detected at {fake.events[0]['EventDate']} for contact id "
        "tierform"
    )
    assert syncer().plan(desired).is_empty


def test_events_of_one_account_from_different_sources_all_land(fake, syncer):
    """ChurnZero's duplicate check names the contact and the date, not the event: two items
    of one account from different rules or playbooks get dates a second apart, and both
    land."""
    states.seed(fake, 2)
    desired = states.desired(2)
    second = {**states.item_data(2), "source": "playbook:onboarding", "title": "Kick-off call"}
    desired.put(Kind.work_item, "tf-other-source-2", second, label="item 2b")
    assert syncer().apply(syncer().plan(desired)).ok
    mine = [e for e in fake.events if e["AccountExternalId"] == states.ext(2)]
    assert len(mine) == 2 and len({e["EventDate"] for e in mine}) == 2
    assert not any("Duplicate event" in line for line in fake.devlog)
    assert syncer().plan(desired).is_empty


def _epoch(stamp: str) -> float:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def test_events_of_different_accounts_each_get_their_own_second(fake, syncer):
    """The duplicate check names the contact and the date only [S], and all events share the
    one contact: three items on three accounts must carry three dates, or two are skipped."""
    states.seed(fake)
    desired = states.desired()
    assert syncer().apply(syncer().plan(desired)).ok
    assert sorted(e["AccountExternalId"] for e in fake.events) == [ext(2), ext(4), ext(6)]
    assert len({e["EventDate"] for e in fake.events}) == 3
    assert not any("Duplicate event" in line for line in fake.devlog)
    assert syncer().plan(desired).is_empty


def test_a_new_event_never_takes_a_date_an_earlier_event_holds(fake, syncer, clock):
    """A run in the same second as the last one (or after the clock was set back) picks dates
    the ledger already gave other items: the new item moves to a free second and lands."""
    states.seed(fake)
    assert syncer().apply(syncer().plan(states.desired(4))).ok  # items of ACC-002, ACC-004
    clock.now = max(_epoch(e["EventDate"]) for e in fake.events)
    desired = states.desired(6)
    report = syncer().apply(syncer().plan(desired))
    assert report.ok, [f.error for f in report.failures]
    assert len(fake.events_of(ext(6))) == 1
    assert len({e["EventDate"] for e in fake.events}) == 3
    assert syncer().plan(desired).is_empty


def test_dates_a_ledger_gave_several_items_are_told_apart(fake, syncer, tmp_path):
    """A ledger that gave items of several accounts one date (one event per account and
    second): ChurnZero kept only the first of them. The others get a second of their own on
    the next run instead of being re-sent as duplicates and read as a wrong app key."""
    states.seed(fake)
    first = states.desired(6, items=False)
    first.put(Kind.work_item, item_key(2), states.item_data(2))
    assert syncer().apply(syncer().plan(first)).ok
    (landed,) = fake.events
    path = tmp_path / ".tierform" / "churnzero-cz-events.json"
    shared = landed["EventDate"]
    path.write_text(json.dumps({item_key(i): shared for i in (2, 4, 6)}), encoding="utf-8")
    desired = states.desired(6)
    plan = syncer().plan(desired)
    assert sorted(c.key for c in plan.changes) == [item_key(4), item_key(6)]
    report = syncer().apply(plan)
    assert report.ok, [f.error for f in report.failures]
    assert len({e["EventDate"] for e in fake.events}) == 3
    assert [e["EventDate"] for e in fake.events_of(ext(2))] == [shared]
    assert syncer().plan(desired).is_empty


def test_unmanaged_fields_untouched(fake, syncer):
    states.seed(fake)
    syncer().apply(syncer().plan(states.desired()))
    for entry in fake.log.push():
        for action in entry.body:
            if action["action"] == "setAttribute":
                assert action["name"].startswith("tf_") or action["name"] == "OwnerUserAccount"
    for i in range(1, 7):
        assert {k: v for k, v in fake.cf(ext(i)).items() if not k.startswith("tf_")} == UNMANAGED


def test_update_sends_only_the_changed_field(fake, syncer):
    states.seed(fake)
    syncer().apply(syncer().plan(states.desired()))
    desired = states.desired()
    desired.put(Kind.account, ext(5), {**states.account_data(5), "tf_tier": "Enterprise"})
    plan = syncer().plan(desired)
    assert [(c.op, c.key, [d.field for d in c.diffs]) for c in plan.changes] == [
        (Op.update, ext(5), ["tf_tier"])
    ]
    before = len(fake.log.push())
    assert syncer().apply(plan).ok
    sent = [a for e in fake.log.push()[before:] for a in e.body]
    assert [(a["name"], a["value"]) for a in sent] == [("tf_tier", "Enterprise")]
    assert syncer().plan(desired).is_empty


def test_field_no_longer_computed_is_cleared(fake, syncer):
    states.seed(fake)
    syncer().apply(syncer().plan(states.desired()))
    desired = states.desired()
    data = states.account_data(5)
    del data["tf_health_band"]
    desired.put(Kind.account, ext(5), data)
    assert syncer().apply(syncer().plan(desired)).ok
    assert "tf_health_band" not in fake.cf(ext(5))
    assert syncer().plan(desired).is_empty


def test_account_leaving_the_book_loses_only_tierform_fields(fake, syncer):
    states.seed(fake)
    syncer().apply(syncer().plan(states.desired(6)))
    plan = syncer().plan(states.desired(5))
    assert [(c.op, c.key) for c in plan.changes] == [(Op.delete, ext(6))]
    assert syncer().apply(plan, force=True).ok
    assert fake.cf(ext(6)) == UNMANAGED
    assert fake.owner(ext(6)) == "ana.ruiz"  # the owner is never unassigned
    assert syncer().plan(states.desired(5)).is_empty


def test_unmatched_accounts_reported_not_created(fake, syncer):
    states.seed(fake, 5)  # ACC-006 (with an event) is not in ChurnZero
    plan = syncer().plan(states.desired(6))
    assert any(
        w.startswith("unmatched: 1 account(s)") and "ACC-006" in w and "create_accounts" in w
        for w in plan.warnings
    )
    assert not any(ext(6) in (c.key, (c.data or {}).get("account_id")) for c in plan.changes)
    syncer().apply(plan)
    assert ext(6) not in fake.by_ext


def test_create_accounts_upserts_by_push(fake, syncer):
    states.seed(fake, 5)
    desired = states.desired(6)
    plan = syncer(create_accounts=True).plan(desired)
    assert (Op.create, ext(6)) in {(c.op, c.key) for c in plan.changes}
    assert syncer(create_accounts=True).apply(plan).ok
    assert fake.account(ext(6))["Name"] == "Customer 6"
    assert fake.cf(ext(6))["tf_tier"] == "Enterprise"
    assert len(fake.events_of(ext(6))) == 1
    assert syncer(create_accounts=True).plan(desired).is_empty


def test_unknown_csm_is_a_warning_not_a_rejected_write(fake, syncer):
    states.seed(fake)
    desired = states.desired()
    desired.put(Kind.account, ext(3), {**states.account_data(3), "tf_csm": "Kim Ode"})
    plan = syncer().plan(desired)
    assert any(
        w.startswith("unknown CSM: Kim Ode (1 account(s))") and "UserAccount" in w
        for w in plan.warnings
    )
    report = syncer().apply(plan)
    assert report.ok
    assert fake.cf(ext(3))["tf_csm"] == "Kim Ode"
    assert fake.owner(ext(3)) == "sam.lee"
    assert not any("is not a user" in m for m in fake.devlog)


def test_a_value_holding_half_a_character_is_read_as_u_fffd_and_rewritten(fake, syncer):
    states.seed(fake)
    fields = lambda: fake.account("ACC-003")["_cf"]  # noqa: E731
    plans_and_rewrites_a_half_character(
        fake, syncer, states.desired(), "ACC-003", fields, "tf_tier"
    )
