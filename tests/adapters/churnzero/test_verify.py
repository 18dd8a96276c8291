"""The push API never says what it dropped: every write is read back, and only what reads back
is reported done."""

from __future__ import annotations

import pytest

from tierform.sync.change import Op
from tierform.sync.state import Kind

from . import states
from .states import ext, item_key


def test_dropped_write_is_a_failed_change_and_shows_again(fake, syncer):
    states.seed(fake)
    fake.add_field("tf_tier", "number")  # typed Number by mistake: "SMB" is dropped silently
    desired = states.desired()
    report = syncer().apply(syncer().plan(desired))
    assert not report.ok  # the CLI's exit 1
    failed = {f.change.key: f.error for f in report.failures}
    assert set(failed) == {ext(i) for i in range(1, 7)}
    assert "tf_tier reads None (sent 'SMB')" in failed[ext(1)]
    assert "accepted the write (200)" in failed[ext(1)]
    assert all(s == 200 for s in (e.status for e in fake.log.push()))
    assert any("is not valid for the Number field 'tf_tier'" in m for m in fake.devlog)
    # The other fields did land, and the next plan shows exactly what is still missing.
    assert fake.cf(ext(2))["tf_health_band"] == "yellow"
    again = syncer().plan(desired)
    assert sorted((c.op, c.key) for c in again.changes if c.kind is Kind.account) == [
        (Op.update, ext(i)) for i in range(1, 7)
    ]
    assert {d.field for c in again.changes for d in c.diffs if c.kind is Kind.account} == {
        "tf_tier"
    }


def test_one_silently_dropped_account_among_many(fake, syncer):
    states.seed(fake, 9)
    fake.drop = lambda action: action.get("accountExternalId") == ext(7)
    report = syncer().apply(syncer().plan(states.desired(9, items=False)))
    assert [f.change.key for f in report.failures] == [ext(7)]
    assert report.counts["create"] == 8
    # The time given to this write: 4 read-backs 5 s apart (the defaults), not counting the
    # canary's wait before them.
    assert "the read-back after 20s" in report.failures[0].error


def test_slow_queue_within_the_window_still_confirms(fake, syncer, clock):
    states.seed(fake)
    fake.lag = 12.0  # processed 12 s later: the third read-back (at 5 s steps) sees it
    report = syncer().apply(syncer().plan(states.desired()))
    assert report.ok
    assert syncer().plan(states.desired()).is_empty


def test_failed_event_is_reported_and_resent_next_time(fake, syncer):
    states.seed(fake)
    fake.drop = lambda action: (
        action.get("action") == "trackEvent" and action.get("accountExternalId") == ext(4)
    )
    report = syncer().apply(syncer().plan(states.desired()))
    assert [f.change.key for f in report.failures] == [item_key(4)]
    assert "not in ChurnZero's Event list after 20s" in report.failures[0].error
    fake.drop = None
    plan = syncer().plan(states.desired())
    assert [(c.op, c.key) for c in plan.changes] == [(Op.create, item_key(4))]
    assert syncer().apply(plan).ok
    assert len(fake.events_of(ext(4))) == 1


@pytest.mark.parametrize("fake_options", [{"clear_on_empty": False}])
def test_a_clear_that_does_not_take_is_named_not_read_as_a_wrong_key(fake, syncer, fake_options):
    """Nothing documents that an empty value clears a field [I]. An account leaving the book
    only has fields cleared: that proves nothing about the app key, and a clear ChurnZero
    ignores is a failed change naming the field."""
    states.seed(fake)
    assert syncer().apply(syncer().plan(states.desired(6, items=False))).ok
    plan = syncer().plan(states.desired(5, items=False))
    assert [(c.op, c.key) for c in plan.changes] == [(Op.delete, ext(6))]
    report = syncer().apply(plan, force=True)
    (failure,) = report.failures
    assert failure.change.key == ext(6)
    assert "ChurnZero did not clear tf_csm (still 'Ana Ruiz')" in failure.error
    assert "tf_tier (still 'Enterprise')" in failure.error
    assert "CHURNZERO_APP_KEY" not in failure.error


@pytest.mark.parametrize("fake_options", [{"clear_on_empty": False}])
def test_a_clear_is_never_the_canary(fake, syncer, fake_options):
    """The first change only clears a field; the canary is the later one that sets a value,
    and the ignored clear is reported as such."""
    states.seed(fake)
    desired = states.desired(6, items=False)
    assert syncer().apply(syncer().plan(desired)).ok
    first = states.account_data(1)
    del first["tf_health_band"]
    desired.put(Kind.account, ext(1), first)
    desired.put(Kind.account, ext(5), {**states.account_data(5), "tf_tier": "Enterprise"})
    report = syncer().apply(syncer().plan(desired))
    failed = {f.change.key: f.error for f in report.failures}
    assert list(failed) == [ext(1)]
    assert failed[ext(1)] == (
        "churnzero: ChurnZero did not clear tf_health_band (still 'green') when sent an empty "
        "value: clear it in ChurnZero's UI, or the next sync asks again"
    )
    assert fake.cf(ext(5))["tf_tier"] == "Enterprise"
