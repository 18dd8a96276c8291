"""Credentials, errors at HTTP 200, redirects, per-record failures and secrets."""

from __future__ import annotations

import logging

import httpx
import pytest

from tierform.adapters.gainsight.cta import per_record_failures
from tierform.errors import AuthError, PermanentApiError
from tierform.sync.render import render_json, render_text
from tierform.sync.state import Kind

from . import states
from .conftest import ACCESS_KEY, CLIENT_ID, CLIENT_SECRET
from .states import ext


@pytest.mark.parametrize("at200", [False, True])
@pytest.mark.parametrize(
    ("code", "said"),
    [("GS_APIG_2401", "GS_APIG_2401: Unauthorized"), ("GSOBJ_1024", "GSOBJ_1024: Invalid auth")],
)
def test_bad_key_clear_error_no_write(fake, syncer, monkeypatch, code, said, at200):
    """Either documented refusal of a wrong key (401 GS_APIG_2401; 400 GSOBJ_1024 on the
    Error Codes page), at its own status or at 200, is a credentials error with the hint."""
    states.seed(fake)
    fake.bad_key, fake.errors_at_200 = code, at200
    monkeypatch.setenv("GAINSIGHT_ACCESS_KEY", "gs-wrong-key-123")
    with pytest.raises(AuthError) as err:
        syncer().plan(states.desired())
    text = str(err.value)
    assert said in text and "check GAINSIGHT_ACCESS_KEY" in text
    assert "Super Admin" in text and "gs-wrong-key-123" not in text
    assert fake.log.writes() == [] or all(
        "query" in e.path or "describe" in e.path for e in fake.log.writes()
    )


@pytest.mark.parametrize("at200", [False, True])
def test_key_reset_between_plan_and_apply_writes_nothing(fake, syncer, at200):
    states.seed(fake)
    fake.errors_at_200 = at200
    plan = syncer().plan(states.desired())
    fake.access_key = "rotated"
    with pytest.raises(AuthError, match="check GAINSIGHT_ACCESS_KEY"):
        syncer().apply(plan)
    assert all("Tf_Tier__gc" not in c for c in fake.companies.values()) and not fake.ctas


def test_missing_env_var_names_it(fake, syncer, monkeypatch):
    monkeypatch.delenv("GAINSIGHT_ACCESS_KEY")
    with pytest.raises(Exception, match="environment variable GAINSIGHT_ACCESS_KEY is not set"):
        syncer().plan(states.desired())


def test_settings_errors_say_what_to_set():
    from pydantic import ValidationError

    from tierform.adapters.gainsight.settings import GainsightSettings

    with pytest.raises(ValidationError, match="exactly one of `access_key"):
        GainsightSettings.model_validate(
            {
                "platform": "gainsight",
                "match_field": "X__gc",
                "base_url": "https://a.gainsightcloud.com",
            }
        )
    with pytest.raises(ValidationError, match="set `base_url`"):
        GainsightSettings.model_validate(
            {"platform": "gainsight", "match_field": "X__gc", "access_key": {"env": "K"}}
        )


def test_oauth_round_trip_and_refresh(fake, syncer, clock):
    states.seed(fake, 3)
    oauth = {"oauth": {"client_id": CLIENT_ID, "client_secret": {"env": "GAINSIGHT_OAUTH_SECRET"}}}
    desired = states.desired(3)
    sync = syncer(**oauth)
    assert sync.apply(sync.plan(desired)).ok
    tokens = fake.log.count(method="POST", path="/v1/users/m2m/oauth/token")
    assert tokens == 1
    assert all(e.host == "acme.gainsightcloud.com" for e in fake.log.entries)
    clock.sleep(86400 + 10)  # the token expired: a new one is fetched, once
    assert syncer(**oauth).plan(desired).is_empty
    assert fake.log.count(method="POST", path="/v1/users/m2m/oauth/token") == tokens + 1


def test_oauth_bad_secret_and_ip_allowlist(fake, syncer, monkeypatch):
    oauth = {"oauth": {"client_id": CLIENT_ID, "client_secret": {"env": "GAINSIGHT_OAUTH_SECRET"}}}
    monkeypatch.setenv("GAINSIGHT_OAUTH_SECRET", "nope-secret")
    with pytest.raises(AuthError, match="check GAINSIGHT_OAUTH_SECRET"):
        syncer(**oauth).plan(states.desired())
    monkeypatch.setenv("GAINSIGHT_OAUTH_SECRET", CLIENT_SECRET)
    fake.ip_blocked = True
    fake.errors_at_200 = True
    with pytest.raises(AuthError, match="GS_APIG_2402"):
        syncer(**oauth).plan(states.desired())


def test_redirect_is_not_followed(fake, syncer):
    states.seed(fake)
    fake.inject(302, body={"location": "elsewhere"}, path_contains="/describe")
    with pytest.raises(PermanentApiError, match="does not follow redirects"):
        syncer().plan(states.desired())


def test_one_bad_record_fails_only_itself(fake, syncer):
    states.seed(fake, 9)
    desired = states.desired(9, tasks=False)
    bad = states.account_data(5) | {"tf_health_score": "n/a"}  # not a number: GSOBJ_1008
    desired.put(Kind.account, ext(5), bad)
    report = syncer().apply(syncer().plan(desired))
    assert [f.change.key for f in report.failures] == [ext(5)]
    assert "GSOBJ_1008" in report.failures[0].error
    assert report.counts["create"] == 8
    assert fake.company(ext(4))["Tf_Tier__gc"] == "SMB"
    assert "Tf_Tier__gc" not in fake.company(ext(5))


@pytest.mark.parametrize("at200", [False, True])
def test_errors_at_200_are_failures(fake, syncer, at200):
    states.seed(fake, 3)
    fake.errors_at_200 = at200
    desired = states.desired(3, tasks=False)
    desired.put(Kind.account, ext(2), states.account_data(2) | {"tf_health_score": "bad"})
    report = syncer().apply(syncer().plan(desired))
    assert [f.change.key for f in report.failures] == [ext(2)]


def test_silently_dropped_write_is_not_reported_done(fake, syncer):
    states.seed(fake, 2)
    fake.drop_company_writes = True
    report = syncer().apply(syncer().plan(states.desired(2, tasks=False)))
    assert report.counts["create"] == 0 and len(report.failures) == 2
    assert "reads back different" in report.failures[0].error


def test_error_desc_echoing_record_values_is_kept_short(fake, syncer):
    """errorDesc echoes the record's values ("%s(columnValue)"): only its start is shown."""
    states.seed(fake)
    value = "customer note " * 200
    fake.inject(
        400,
        body={"result": False, "errorCode": "GSOBJ_1008", "errorDesc": f"Invalid ({value})"},
    )
    with pytest.raises(PermanentApiError) as err:
        syncer().plan(states.desired())
    text = str(err.value)
    assert "GSOBJ_1008: Invalid (customer note" in text and value not in text
    assert len(text) < 600


def test_secrets_never_in_logs_plans_or_journal(fake, syncer, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    states.seed(fake)
    sync = syncer()
    plan = sync.plan(states.desired())
    sync.apply(plan)
    fake.inject(
        401,
        body={"result": False, "errorCode": "GS_APIG_2401", "errorDesc": f"bad key {ACCESS_KEY}"},
    )
    with pytest.raises(AuthError) as err:
        syncer().plan(states.desired())
    outputs = [
        caplog.text,
        render_text(plan),
        render_json(plan),
        str(err.value),
        repr(sync.adapter.settings),
        str(plan.meta),
    ]
    outputs += [p.read_bytes().decode("latin-1") for p in tmp_path.rglob("*") if p.is_file()]
    for text in outputs:
        assert ACCESS_KEY not in text and CLIENT_SECRET not in text
    assert "***" in str(err.value)


def test_fake_answers_documented_shapes(fake):
    r = httpx.post(fake.host + "/v1/data/objects/query/Company", json={"select": ["Gsid"]})
    assert r.status_code == 401
    body = r.json()
    assert set(body) == {"result", "errorCode", "errorDesc", "requestId", "data", "message"}
    assert body["errorCode"] == "GS_APIG_2401" and body["result"] is False


def test_values_echoed_in_error_desc_reach_neither_result_nor_journal(fake, syncer, tmp_path):
    """GSOBJ_1006 echoes the refused value ("(columnName)= columnValue"): the failure keeps the
    code and the column, not the value, in the report and in the journal."""
    states.seed(fake, 3)
    fake.create_field("Tf_Renewal__gc", "DATE")
    desired = states.desired(3, tasks=False)
    desired.put(Kind.field, "tf_renewal", {"label": "Renewal", "type": "date"})
    value = "call Jane Roe on 555-0100"
    desired.put(Kind.account, ext(2), states.account_data(2) | {"tf_renewal": value})
    sync = syncer()
    report = sync.apply(sync.plan(desired))
    assert [f.change.key for f in report.failures] == [ext(2)]
    error = report.failures[0].error
    assert "GSOBJ_1006: Invalid date format (Tf_Renewal__gc" in error
    journal = (tmp_path / ".tierform" / "journal.sqlite").read_bytes().decode("latin-1")
    assert "GSOBJ_1006" in journal
    for secret in (value, "Jane Roe", "555-0100"):
        assert secret not in error and secret not in journal


def test_field_names_an_error_lists_are_kept():
    """Only the "= value" form echoes a value [confirmed template]; the fields a message lists
    after a colon, or names in quotes, say what to fix and stay."""
    from tierform.adapters.gainsight.client import without_values

    listed = "Missing mandatory fields: DueDate, OwnerId"
    assert without_values(listed) == listed
    assert without_values("Invalid field 'Tf_Tier__gc'") == "Invalid field 'Tf_Tier__gc'"
    assert without_values("Invalid date format (Tf_Renewal__gc= 31/02)") == (
        "Invalid date format (Tf_Renewal__gc …)"
    )


def test_per_record_cta_failure_drops_echoed_values():
    body = {"data": {"failure": [{"k1": "COCKPIT_9700: Invalid Name = 'Jane Roe 555-0100'"}]}}
    assert per_record_failures(body, {"k1"}) == {
        "k1": "gainsight: CTA refused: COCKPIT_9700: Invalid Name …"
    }
