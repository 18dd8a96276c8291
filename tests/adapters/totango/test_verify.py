"""The gateway answers 200 to everything: only a read-back makes a write done."""

from __future__ import annotations

import logging

import pytest

from tierform.errors import TierformError
from tierform.sync.change import ChangeResult
from tierform.sync.state import Kind

from . import states
from .conftest import TOKEN
from .fake import TotangoFake
from .states import UNMANAGED, ext


def test_dropped_gateway_write_is_reported_not_claimed(fake, syncer, clock):
    states.seed(fake, 4)
    fake.drop_writes([ext(2)])
    report = syncer(verify_wait=60).apply(syncer().plan(states.desired(4, tasks=False)))
    assert [f.change.key for f in report.failures] == [ext(2)]
    error = report.failures[0].error
    assert "did not land" in error and "tf_tier is empty (sent 'SMB')" in error
    assert report.counts["create"] == 3
    assert fake.attrs(ext(2)) == UNMANAGED
    # the wait was bounded: about verify_wait seconds of virtual time, not more
    assert clock.elapsed < 200
    # the next sync plans it again and, with the gateway healthy, lands it
    fake.drop_for.clear()
    plan = syncer().plan(states.desired(4, tasks=False))
    assert [c.key for c in plan.changes] == [ext(2)]
    assert syncer().apply(plan).ok


def test_asynchronous_writes_are_waited_for(clock, monkeypatch, make_adapter, journal):
    from tierform.sync.engine import Syncer

    server = TotangoFake(app_token=TOKEN, clock=clock, apply_delay=40.0)
    monkeypatch.setenv("TOTANGO_APP_TOKEN", TOKEN)
    with server.mock():
        states.seed(server, 3)
        sync = Syncer(make_adapter(), journal)
        report = sync.apply(sync.plan(states.desired(3, tasks=False)))
        assert report.ok and report.counts["create"] == 3
        searches_after_writes = [
            e for e in server.rest_requests() if e.at > server.gateway_requests()[-1].at
        ]
        assert len(searches_after_writes) >= 3  # the check, then polls until they landed


def test_missing_attribute_is_a_failed_write_and_a_build_step(fake, syncer):
    states.seed(fake, 3, define=False)
    fake.define("tf_tier", "tf_csm", "tf_health_score")  # tf_health_band not created yet
    plan = syncer().plan(states.desired(3, tasks=False))
    steps = {s.key: s.status.value for s in plan.build_steps if s.kind is Kind.field}
    assert steps == {
        "tf_tier": "done",
        "tf_csm": "done",
        "tf_health_score": "done",
        "tf_health_band": "missing",
    }
    assert any("tf_health_band" in w and "Data Modeler" in w for w in plan.warnings)
    report = syncer().apply(plan)
    assert len(report.failures) == 3
    assert all("tf_health_band" in f.error for f in report.failures)
    fake.define("tf_health_band")
    report = syncer().apply(syncer().plan(states.desired(3, tasks=False)))
    assert report.ok
    assert syncer().plan(states.desired(3, tasks=False)).is_empty


def test_attribute_the_gateway_creates_is_verified_like_any_other(
    clock, monkeypatch, make_adapter, journal
):
    """Whether the gateway creates an attribute it does not know is unverified [I]: where it
    does, the strict Search API takes it after the write, and the write is then checked."""
    from tierform.sync.engine import Syncer

    server = TotangoFake(app_token=TOKEN, clock=clock, auto_define=True)
    monkeypatch.setenv("TOTANGO_APP_TOKEN", TOKEN)
    with server.mock():
        states.seed(server, 3, define=False)
        server.define("tf_tier", "tf_csm", "tf_health_score")  # not tf_health_band
        plan = Syncer(make_adapter(), journal).plan(states.desired(3, tasks=False))
        assert any("tf_health_band" in w and "Data Modeler" in w for w in plan.warnings)
        report = Syncer(make_adapter(), journal).apply(plan)
        assert report.ok, [f.error for f in report.failures]
        assert report.counts["create"] == 3
        assert server.attrs(ext(2))["tf_health_band"] == "yellow"
        again = Syncer(make_adapter(), journal).plan(states.desired(3, tasks=False))
        assert again.is_empty
        fields = {s.key: s.status.value for s in again.build_steps if s.kind is Kind.field}
        assert fields["tf_health_band"] == "done"


def test_attribute_the_gateway_does_not_create_fails_soon(fake, syncer, clock):
    states.seed(fake, 3, define=False)
    fake.define("tf_tier", "tf_csm", "tf_health_score")
    plan = syncer().plan(states.desired(3, tasks=False))
    start = clock()
    report = syncer().apply(plan)
    assert len(report.failures) == 3
    assert all("tf_health_band do not exist" in f.error for f in report.failures)
    assert clock() - start < 60  # the other values landed: no wait for verify_wait (180 s)


def test_lenient_service_unknown_attributes_come_back_empty(
    clock, monkeypatch, make_adapter, journal
):
    from tierform.sync.engine import Syncer

    server = TotangoFake(app_token=TOKEN, clock=clock, unknown_attribute="null")
    monkeypatch.setenv("TOTANGO_APP_TOKEN", TOKEN)
    with server.mock():
        states.seed(server, 3, define=False)
        server.define("tf_tier", "tf_csm", "tf_health_score")
        plan = Syncer(make_adapter(), journal).plan(states.desired(3, tasks=False))
        fields = {s.key: s.status.value for s in plan.build_steps if s.kind is Kind.field}
        assert set(fields.values()) == {"missing"}  # nothing proves them before values land
        report = Syncer(make_adapter(), journal).apply(plan)
        assert len(report.failures) == 3  # tf_health_band never lands
        assert all("tf_health_band is empty" in f.error for f in report.failures)
        plan = Syncer(make_adapter(), journal).plan(states.desired(3, tasks=False))
        fields = {s.key: s.status.value for s in plan.build_steps if s.kind is Kind.field}
        assert fields["tf_tier"] == "done" and fields["tf_health_band"] == "missing"


def test_wrong_service_id_drops_everything_and_says_so(fake, syncer):
    states.seed(fake, 2)
    report = syncer(service_id="SP-9999-01", verify_wait=30).apply(
        syncer().plan(states.desired(2, tasks=False))
    )
    assert len(report.failures) == 2
    assert "Check service_id and region" in report.failures[0].error
    assert fake.attrs(ext(1)) == UNMANAGED


def test_the_tasks_are_written_while_the_gateway_applies_the_accounts(fake, syncer):
    """The gateway applies its writes seconds later: the tasks go first, then the read-back,
    with no wait of its own where the tasks took longer than its first pause."""
    from tierform.adapters.totango.verify import FIRST_PAUSE

    states.seed(fake)
    fake.apply_delay = 1.0
    plan = syncer().plan(states.desired())
    tasks = [c for c in plan.changes if c.kind is Kind.work_item]
    before = fake.log.total
    results: list[ChangeResult] = []
    report = syncer().apply(plan, on_result=results.append)
    assert report.ok and len(tasks) == 4
    log = fake.log.entries[before:]
    gateway = set(map(id, fake.gateway_requests()))
    sent = [i for i, e in enumerate(log) if id(e) in gateway]
    posted = [i for i, e in enumerate(log) if e.method == "POST" and e.path == "/api/v3/tasks"]
    searches = [i for i, e in enumerate(log) if e.path == "/api/v1/search/accounts"]
    reads = [i for i in searches if i > sent[0]]  # not the apply's own first read
    assert len(sent) == 9 and len(posted) == 4 and reads
    assert max(sent) < min(posted) and max(posted) < min(reads)
    # The read-back comes its first pause after the last account was sent, or right after
    # the tasks where they took longer (one pacer step, 60/95 s, later).
    last_sent, last_task, first_read = log[max(sent)].at, log[max(posted)].at, log[min(reads)].at
    assert first_read - last_sent >= FIRST_PAUSE
    assert first_read <= max(last_sent + FIRST_PAUSE, last_task) + 1.0
    # Results: every account confirmed (after the tasks), and the plans settle.
    done = [r.change.kind for r in results]
    assert done == [Kind.work_item] * 4 + [Kind.account] * 9
    assert syncer().plan(states.desired()).is_empty


def test_a_run_stopped_by_a_task_keeps_its_own_error_when_the_read_back_fails(fake, syncer, caplog):
    """A task error stops the run after the accounts were sent: they are read back first,
    and where the Search API fails too, the run still reports the task's error, with a
    warning that the accounts sent were not read back."""
    states.seed(fake)
    sync = syncer()
    plan = sync.plan(states.desired())
    fake.inject(500, times=1000, methods={"POST"}, path_contains="/api/v3/tasks")
    # The apply's credentials check is a search; the read-back's searches come after it.
    fake.inject(500, times=1000, methods={"POST"}, path_contains="/api/v1/search/accounts", after=1)
    with pytest.raises(TierformError) as raised:
        sync.apply(plan)
    assert "/api/v3/tasks" in str(raised.value)
    assert fake.log.count(path="/api/v1/search/accounts", status=500) > 0  # it was tried
    warned = [r for r in caplog.records if "could not be read back" in r.getMessage()]
    assert [r.levelno for r in warned] == [logging.WARNING]
    accounts = sum(1 for change in plan.changes if change.kind is Kind.account)
    assert f"the {accounts} account write(s) sent" in warned[0].getMessage()
