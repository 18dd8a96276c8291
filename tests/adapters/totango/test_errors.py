"""Errors: bad token, refusals in both forms, rate limits, faults; secrets nowhere."""

from __future__ import annotations

import logging

import pytest

from tests.fakes.support import DROP
from tierform.errors import AuthError
from tierform.sync.render import render_json, render_markdown, render_text
from tierform.sync.settings import EnvSecret

from . import states
from .conftest import TOKEN
from .fake import TotangoFake
from .states import UNMANAGED, ext


def test_bad_token_clear_error_and_no_write(fake, syncer, monkeypatch):
    states.seed(fake)
    monkeypatch.setenv("TOTANGO_APP_TOKEN", "tt_wrong_token_123")
    with pytest.raises(AuthError) as err:
        syncer().plan(states.desired())
    message = str(err.value)
    assert "answered 401" in message and "check TOTANGO_APP_TOKEN" in message
    assert "Create Token" in message and "tt_wrong_token_123" not in message
    assert fake.gateway_requests() == [] and fake.tasks == {}


def test_token_revoked_between_plan_and_apply_sends_nothing(fake, syncer):
    states.seed(fake)
    plan = syncer().plan(states.desired())
    fake.app_token = "rotated"
    with pytest.raises(AuthError, match="check TOTANGO_APP_TOKEN"):
        syncer().apply(plan)
    # the gateway takes no token: the check before it is what kept these writes back
    assert fake.gateway_requests() == [] and fake.tasks == {}
    assert all(fake.attrs(ext(i)) == UNMANAGED for i in range(1, 10))


def test_missing_env_var_names_it(fake, syncer, monkeypatch):
    monkeypatch.delenv("TOTANGO_APP_TOKEN")
    with pytest.raises(Exception, match="TOTANGO_APP_TOKEN is not set"):
        syncer().plan(states.desired())


def test_inline_token_is_refused():
    with pytest.raises(ValueError, match="never inline"):
        EnvSecret.model_validate("tt_abc")


@pytest.mark.parametrize("status", [200, 400, 404, 409])
def test_search_refusal_at_any_status(clock, monkeypatch, make_adapter, journal, status):
    """The failure envelope's HTTP status is not in the sources [C-code]: at 200 or any 4xx
    it is a refusal, answered at once (a 404 carrying it is not a wrong host)."""
    from tierform.errors import PermanentApiError
    from tierform.sync.engine import Syncer

    server = TotangoFake(app_token=TOKEN, clock=clock, refusal_status=status, past_reach="error")
    monkeypatch.setenv("TOTANGO_APP_TOKEN", TOKEN)
    with server.mock():
        states.seed(server, 3, define=False)
        server.define("tf_tier", "tf_csm", "tf_health_score")
        plan = Syncer(make_adapter(), journal).plan(states.desired(3, tasks=False))
        missing = [s.key for s in plan.build_steps if s.status.value == "missing"]
        assert missing == ["tf_health_band", "tier-enterprise"]  # segment: nothing written yet
        adapter = make_adapter()
        before = server.log.total
        with pytest.raises(PermanentApiError, match="refused the query: count must be") as err:
            adapter.api.search('{"terms":[],"fields":[],"count":5000}', [])
        assert server.log.total - before == 1  # not retried
        assert "base_url" not in str(err.value)


def test_a_server_error_carrying_the_envelope_is_retried(fake, syncer):
    """A 5xx is a server failure whatever its body: retried, not read as the query refused
    (which would take defined attributes for undefined ones)."""
    states.seed(fake)
    envelope = {"status": "failed", "_error": "Service temporarily unavailable"}
    fake.inject(503, times=2, methods={"POST"}, path_contains="/search/", body=envelope)
    desired = states.desired()
    report = syncer().apply(syncer().plan(desired))
    assert report.ok, [f.error for f in report.failures]
    assert len(fake.log.select(status=503)) == 2
    assert syncer().plan(desired).is_empty


def test_429_with_headers_is_waited_out(fake, syncer, clock):
    states.seed(fake)
    fake.inject(429, times=3, methods={"POST"}, path_contains="/search/", reset=30)
    report = syncer().apply(syncer().plan(states.desired()))
    assert report.ok
    limited = fake.log.select(status=429)
    assert len(limited) == 3
    after = fake.log.entries[fake.log.entries.index(limited[0]) + 1]
    assert after.at - limited[0].at >= 30  # RateLimit-Reset honoured
    assert syncer().plan(states.desired()).is_empty


def test_paced_under_100_a_minute(clock, monkeypatch, make_adapter, journal):
    from tierform.sync.engine import Syncer

    server = TotangoFake(app_token=TOKEN, clock=clock)
    monkeypatch.setenv("TOTANGO_APP_TOKEN", TOKEN)
    with server.mock():
        states.seed(server, 120)
        desired = states.desired(120)  # 60 tasks: REST writes at the documented pace
        sync = Syncer(make_adapter(), journal)
        assert sync.apply(sync.plan(desired)).ok
        assert server.rate_limited == 0 and server.limiter.peak <= 100
        assert len(server.gateway_requests()) == 120  # not paced, not counted


def test_transient_faults_survived(fake, syncer):
    states.seed(fake)
    fake.inject(503, times=2, path_contains="/search/")
    fake.inject(DROP, times=2, path_contains="pixel")
    fake.inject(500, times=1, path_contains="pixel")
    report = syncer().apply(syncer().plan(states.desired()))
    assert report.ok, [f.error for f in report.failures]
    assert syncer().plan(states.desired()).is_empty


def test_task_create_is_not_replayed_after_an_uncertain_failure(fake, syncer):
    states.seed(fake, 2)
    fake.inject(500, methods={"POST"}, path_contains="/api/v3/tasks", process=True)
    with pytest.raises(Exception, match="answered 500"):
        syncer().apply(syncer().plan(states.desired(2)))
    assert len(fake.tasks) == 1  # created once, never twice


def test_secrets_never_in_logs_plans_or_journal(fake, syncer, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    states.seed(fake)
    sync = syncer()
    plan = sync.plan(states.desired())
    sync.apply(plan)
    fake.inject(401, methods={"POST"}, body={"message": f"bad token {TOKEN}"})
    with pytest.raises(AuthError) as err:
        syncer().plan(states.desired())
    outputs = [
        caplog.text,
        render_text(plan),
        render_markdown(plan),
        render_json(plan),
        str(err.value),
        repr(sync.adapter.settings),
        str(plan.meta),
    ]
    outputs += [p.read_bytes().decode("latin-1") for p in tmp_path.rglob("*") if p.is_file()]
    assert all(TOKEN not in text for text in outputs)
    assert "***" in str(err.value)
