"""Bad credentials and bad settings: a clear message naming what to fix, no write, no secret."""

from __future__ import annotations

import base64
import logging

import pytest
from pydantic import ValidationError

from tierform.adapters.churnzero.settings import ChurnZeroSettings
from tierform.errors import AuthError, ConfigError, PermanentApiError
from tierform.sync.render import render_json, render_markdown, render_text
from tierform.sync.state import Kind

from . import states
from .conftest import APP_KEY, BASE, REST_KEY, REST_USER, spec
from .states import ext


def test_wrong_rest_key_stops_before_any_write(fake, syncer, monkeypatch):
    states.seed(fake)
    monkeypatch.setenv("CHURNZERO_REST_KEY", "rest_wrong_key_0000")
    with pytest.raises(AuthError) as err:
        syncer().plan(states.desired())
    text = str(err.value)
    assert "answered 401: Authorization has been denied for this request." in text
    assert "CHURNZERO_REST_KEY" in text and "Admin > API Keys" in text
    assert "rest_wrong_key_0000" not in text
    assert fake.log.push() == []


def test_rest_key_rolled_between_plan_and_apply_writes_nothing(fake, syncer):
    states.seed(fake)
    plan = syncer().plan(states.desired())
    fake.rest_key = "rolled"
    with pytest.raises(AuthError, match="CHURNZERO_REST_KEY"):
        syncer().apply(plan)
    assert fake.log.push() == []


def test_wrong_app_key_is_caught_by_the_canary(fake, syncer, monkeypatch):
    """The push API answers 200 to a wrong key: the canary's read-back catches it, and nothing
    beyond the canary is sent (and the canary itself was dropped)."""
    states.seed(fake)
    plan = syncer().plan(states.desired())
    monkeypatch.setenv("CHURNZERO_APP_KEY", "1!WrongWrongWrong_key")
    with pytest.raises(AuthError) as err:
        syncer().apply(plan)
    text = str(err.value)
    assert "CHURNZERO_APP_KEY" in text and "Admin > Application Keys" in text
    assert "1!WrongWrongWrong_key" not in text
    sent = [a for e in fake.log.push() for a in e.body]
    # the first three accounts' fields: nothing else
    assert {a["accountExternalId"] for a in sent} == {"ACC-001", "ACC-002", "ACC-003"}
    assert not any(a["action"] == "trackEvent" for a in sent)
    assert all(m == "Invalid appKey." for m in fake.devlog)
    assert all(k not in fake.cf(f"ACC-00{i}") for i in range(1, 7) for k in states.FIELDS)


def test_missing_env_var_is_a_config_error(fake, syncer, monkeypatch):
    monkeypatch.delenv("CHURNZERO_APP_KEY")
    states.seed(fake)
    with pytest.raises(ConfigError, match="CHURNZERO_APP_KEY is not set"):
        syncer().plan(states.desired())


def test_forbidden_entity_names_the_permission(fake, syncer):
    states.seed(fake)
    fake.forbidden.add("Account")
    with pytest.raises(AuthError) as err:
        syncer().plan(states.desired())
    assert "answered 403" in str(err.value) and "Bulk Read Permissions" in str(err.value)


def test_segments_forbidden_alone_are_a_warning_not_a_stop(fake, syncer):
    """Bulk read permission is per entity: a key that reads the accounts but not the
    segments gets its plan, with the segment steps unchecked and said to be so."""
    states.seed(fake)
    fake.forbidden.add("Segment")
    desired = states.desired()
    plan = syncer().plan(desired)
    assert any("may not read the Segment entity (403" in w for w in plan.warnings)
    assert fake.log.count(status=403) >= 1
    step = next(s for s in plan.build_steps if s.kind is Kind.segment)
    assert step.status.value == "missing"
    assert syncer().apply(plan).ok
    assert syncer().plan(desired).is_empty


def test_user_accounts_forbidden_leave_the_owner_unmanaged(fake, syncer):
    """Bulk read permission is per entity: a key that may not read UserAccount cannot match
    CSMs to users, so the owner is left alone (said once, plainly) and the rest goes ahead."""
    states.seed(fake)
    fake.forbidden.add("UserAccount")
    desired = states.desired()
    plan = syncer().plan(desired)
    warned = [w for w in plan.warnings if "may not read the UserAccount entity (403)" in w]
    assert len(warned) == 1 and "Account Owner is left as it is" in warned[0]
    assert not any(w.startswith("unknown CSM") for w in plan.warnings)
    assert not any("OwnerUserAccount" in (c.data or {}) for c in plan.changes)
    report = syncer().apply(plan)
    assert report.ok, [f.error for f in report.failures]
    assert fake.cf(ext(3))["tf_csm"] == "Ana Ruiz"
    assert fake.owner(ext(3)) == "sam.lee"
    assert syncer().plan(desired).is_empty


def test_events_forbidden_stop_the_plan(fake, syncer):
    """Without the Event read, sent items cannot be told from new ones: no degrading here."""
    states.seed(fake)
    fake.forbidden.add("Event")
    with pytest.raises(AuthError) as err:
        syncer().plan(states.desired())
    assert "/public/v1/Event answered 403" in str(err.value)
    assert fake.log.push() == []


def test_empty_sequence_500_reads_as_no_rows_without_retrying(fake, syncer):
    """ASP.NET's 500 "Sequence contains no elements" means an empty result to third-party
    clients [S]: read as no segments and no events, each asked once, never retried."""
    states.seed(fake)
    fake.add_segment("Tier: Enterprise")
    fake.inject_empty_sequence(methods={"GET"}, path_contains="/public/v1/Segment")
    fake.inject_empty_sequence(methods={"GET"}, path_contains="/public/v1/Event")
    plan = syncer().plan(states.desired())
    assert fake.log.count(path="/public/v1/Segment") == 1
    assert fake.log.count(path="/public/v1/Event") == 1
    step = next(s for s in plan.build_steps if s.kind is Kind.segment)
    assert step.status.value == "missing"
    assert len([c for c in plan.changes if c.kind is Kind.work_item]) == 3


def test_wrong_base_url_names_the_rest_url(fake, syncer):
    with pytest.raises(PermanentApiError) as err:
        syncer(base_url=BASE + "/app").plan(states.desired())
    assert "check base_url" in str(err.value) and BASE + "/app/public/v1" in str(err.value)


def test_aspnet_error_body_is_shown(fake, syncer, monkeypatch):
    fake.error_form = "aspnet"
    monkeypatch.setenv("CHURNZERO_REST_KEY", "nope")
    with pytest.raises(AuthError, match="answered 401: Authorization has been denied"):
        syncer().plan(states.desired())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"base_url": None}, "set `base_url`"),
        ({"app_key": "1!inline"}, "write secrets as {env: VARIABLE_NAME}"),
        ({"rest_user": ""}, "rest_user"),
        ({"push_batch": 0}, "push_batch"),
        ({"typo": 1}, "typo"),
    ],
)
def test_bad_settings_name_the_setting(change, message):
    with pytest.raises(ValidationError) as err:
        ChurnZeroSettings.model_validate({**spec(), **change})
    # As the target loader reports them: location and message, never the input value.
    shown = " ".join(f"{e['loc']} {e['msg']}" for e in err.value.errors(include_input=False))
    assert message in shown
    assert "1!inline" not in shown


def test_urls_from_settings():
    s = ChurnZeroSettings.model_validate(spec(base_url=BASE + "/public/v1/"))
    assert s.rest_url() == BASE + "/public/v1"
    assert s.push_endpoint() == BASE + "/i"
    eu = ChurnZeroSettings.model_validate(spec(push_url="https://eu1analytics.churnzero.net"))
    assert eu.push_endpoint() == "https://eu1analytics.churnzero.net/i"


def test_secrets_never_in_logs_plans_journal_or_errors(fake, syncer, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    states.seed(fake)
    sync = syncer()
    plan = sync.plan(states.desired())
    report = sync.apply(plan)
    assert report.ok
    fake.echo_auth = True  # an echoing server: the 401 body repeats the header it got
    fake.rest_user = "someone-else@acme.com"
    with pytest.raises(AuthError) as err:
        syncer().plan(states.desired())
    assert "(Basic ***)" in str(err.value)
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
    basic = base64.b64encode(f"{REST_USER}:{REST_KEY}".encode()).decode()
    for text in outputs:
        for secret in (APP_KEY, REST_KEY, basic):
            assert secret not in text
