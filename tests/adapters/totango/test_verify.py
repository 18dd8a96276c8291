"""The gateway answers 200 to everything: only a read-back makes a write done."""

from __future__ import annotations

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
