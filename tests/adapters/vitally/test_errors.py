"""Errors: both body shapes, 401/403/404 messages that say what to check, no partial writes,
and secrets nowhere (messages, logs, plans, journal)."""

from __future__ import annotations

import base64
import logging

import httpx
import pytest

from tierform.errors import AuthError, PermanentApiError
from tierform.sync.render import render_json, render_markdown, render_text

from . import states
from .conftest import ANALYTICS_KEY, API_KEY


def test_bad_key_clear_error_and_no_write(fake, syncer, monkeypatch):
    states.seed(fake)
    monkeypatch.setenv("VITALLY_API_KEY", "tk_test_wrong_key_123")
    with pytest.raises(AuthError) as err:
        syncer().plan(states.desired())
    message = str(err.value)
    assert "answered 401: Invalid API key." in message
    assert "check VITALLY_API_KEY" in message and "Vitally REST API" in message
    assert "tk_test_wrong_key_123" not in message
    assert fake.log.writes() == []


def test_missing_header_shape(fake):
    # The 401 body reported for a request without an Authorization header.
    response = httpx.get(fake.rest_base + "/accounts")
    assert response.status_code == 401
    assert response.json() == {"error": "Authorization header not present."}


def test_key_rolled_between_plan_and_apply_writes_nothing(fake, syncer):
    states.seed(fake)
    plan = syncer().plan(states.desired())
    fake.api_key = "tk_test_rolled"
    with pytest.raises(AuthError, match="check VITALLY_API_KEY"):
        syncer().apply(plan)
    assert fake.log.writes() == []


def test_bad_analytics_key_falls_back_to_rest(fake, syncer, monkeypatch, caplog):
    """The batch only saves requests: a refused analytics token (in both the encoded form and
    as written) costs a warning, and the trait values go by REST."""
    states.seed(fake, 6)
    monkeypatch.setenv("VITALLY_ANALYTICS_KEY", "wrong-analytics")
    sync = syncer(analytics_key={"env": "VITALLY_ANALYTICS_KEY"}, batch_min=2)
    plan = sync.plan(states.desired(6, tasks=False))
    with caplog.at_level(logging.WARNING):
        report = sync.apply(plan)
    assert report.ok and report.counts["create"] == 6
    batches = fake.log.select(path="/analytics/v1/batch")
    assert [(b.body, b.status) for b in batches] == [([], 401), ([], 401)]  # both forms
    assert fake.log.count(method="PUT", status=200) == 6
    assert "check VITALLY_ANALYTICS_KEY" in caplog.text and "by REST" in caplog.text
    assert "wrong-analytics" not in caplog.text
    assert fake.account(states.ext(4))["traits"] == {
        **states.UNMANAGED,
        **states.account_data(4),
    }


def test_forbidden_says_what_to_check(fake, syncer):
    states.seed(fake)
    fake.inject(403, methods={"GET"}, body={"error": "Forbidden"})
    with pytest.raises(AuthError) as err:
        syncer().plan(states.desired())
    assert "answered 403: Forbidden" in str(err.value)
    assert "REST API integration is switched on" in str(err.value)


def test_wrong_base_url_404_names_the_url(fake, syncer):
    with pytest.raises(PermanentApiError) as err:
        syncer(base_url=fake.rest_base + "/v9").plan(states.desired())
    text = str(err.value)
    assert "answered 404: Not found" in text and "check subdomain, region and base_url" in text


def test_message_body_shape_reported_per_object(fake, syncer):
    states.seed(fake, 4)
    # Twice: a task refused with tierform's data traits is sent once more without them.
    fake.inject(
        400,
        times=2,
        methods={"POST"},
        path_contains="/tasks",
        body={"message": "externalId is required"},
    )
    report = syncer().apply(syncer().plan(states.desired(4)))
    assert report.counts["failed"] == 1 and report.counts["create"] == 5
    assert "answered 400: externalId is required" in report.failures[0].error


def test_object_gone_404_error_shape(fake, syncer):
    states.seed(fake, 3)
    sync = syncer()
    plan = sync.plan(states.desired(3, tasks=False))
    victim = fake.account("ACC-002")
    del fake.accounts[victim["id"]]
    report = sync.apply(plan)
    assert [f.change.key for f in report.failures] == ["ACC-002"]
    assert "answered 404: Account not found" in report.failures[0].error
    assert "gone from Vitally" in report.failures[0].error


def test_account_deleted_before_a_fresh_apply_is_not_recreated(fake, syncer):
    states.seed(fake, 3)
    plan = syncer().plan(states.desired(3, tasks=False))
    del fake.accounts[fake.account("ACC-002")["id"]]
    report = syncer().apply(plan)  # a new process: it re-reads before writing
    assert [f.change.key for f in report.failures] == ["ACC-002"]
    assert "create_accounts: true" in report.failures[0].error
    assert fake.log.count(method="POST") == 0 and fake.accounts_with("ACC-002") == []


def test_secrets_never_in_logs_plans_or_journal(fake, syncer, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    states.seed(fake)
    sync = syncer(analytics_key={"env": "VITALLY_ANALYTICS_KEY"}, batch_min=2)
    plan = sync.plan(states.desired())
    sync.apply(plan)
    fake.inject(401, methods={"GET"}, body={"error": f"bad key {API_KEY}"})  # echoing server
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
    secrets = [
        API_KEY,
        ANALYTICS_KEY,
        base64.b64encode(f"{API_KEY}:".encode()).decode(),
        base64.b64encode(f"{ANALYTICS_KEY}:".encode()).decode(),
    ]
    for text in outputs:
        for secret in secrets:
            assert secret not in text
    assert "***" in str(err.value)
