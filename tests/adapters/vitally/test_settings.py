"""Settings, the two forms of the key, and discovery through the entry point."""

from __future__ import annotations

import base64
import tomllib
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from tierform.adapters.vitally.adapter import VitallyAdapter
from tierform.adapters.vitally.auth import VitallyAuth
from tierform.adapters.vitally.settings import VitallySettings
from tierform.sync.registry import Registry

KEY = {"env": "VITALLY_API_KEY"}
TOKEN = "tk_test_abc123_DEF"
HEADER = "Basic " + base64.b64encode(b"tk_test_abc123_DEF:").decode()


def _sent(auth: VitallyAuth) -> str:
    request = httpx.Request("GET", "https://acme.rest.vitally.io/resources/accounts")
    return next(auth.auth_flow(request)).headers["Authorization"]


@pytest.mark.parametrize(
    "value",
    [
        TOKEN,
        f"  {TOKEN}\n",
        HEADER,
        f"Authorization: {HEADER}",
        HEADER.removeprefix("Basic "),
        "basic " + HEADER[6:],
    ],
)
def test_every_form_of_the_key_sends_the_same_header(value):
    auth = VitallyAuth(SecretStr(value))
    assert _sent(auth) == HEADER
    assert TOKEN in auth.secrets() and HEADER[6:] in auth.secrets()
    assert TOKEN not in repr(auth)


def test_urls_per_region():
    us = VitallySettings(platform="vitally", subdomain="acme", api_key=KEY)
    assert us.rest_url() == "https://acme.rest.vitally.io/resources"
    eu = VitallySettings(platform="vitally", region="eu", api_key=KEY)
    assert eu.rest_url() == "https://rest.vitally-eu.io/resources"
    proxy = VitallySettings(platform="vitally", base_url="https://proxy.local/v/", api_key=KEY)
    assert proxy.rest_url() == "https://proxy.local/v"
    with_batch = VitallySettings(
        platform="vitally",
        subdomain="acme",
        api_key=KEY,
        analytics_key={"env": "VITALLY_ANALYTICS_KEY"},
    )
    assert with_batch.analytics_url() == "https://acme.api.vitally.io/analytics/v1"


def test_invalid_settings_say_what_to_set():
    with pytest.raises(ValidationError, match="set `subdomain`"):
        VitallySettings(platform="vitally", api_key=KEY)
    with pytest.raises(ValidationError, match="no EU host"):
        VitallySettings(platform="vitally", region="eu", api_key=KEY, analytics_key={"env": "X"})
    with pytest.raises(ValidationError, match="never inline"):
        VitallySettings(platform="vitally", subdomain="acme", api_key=TOKEN)
    with pytest.raises(ValidationError, match="Extra inputs"):
        VitallySettings(platform="vitally", subdomain="acme", api_key=KEY, apikey=KEY)


def test_settings_repr_has_no_secret(monkeypatch):
    monkeypatch.setenv("VITALLY_API_KEY", TOKEN)
    settings = VitallySettings(platform="vitally", subdomain="acme", api_key=KEY)
    assert TOKEN not in repr(settings) and TOKEN not in settings.model_dump_json()


def test_registered_in_the_entry_point_table():
    pyproject = tomllib.loads((Path(__file__).parents[3] / "pyproject.toml").read_text())
    target = pyproject["project"]["entry-points"]["tierform.adapters"]["vitally"]
    assert Registry({"vitally": target}).get("vitally") is VitallyAdapter
    matrix = VitallyAdapter.capabilities.matrix()
    assert matrix["field"] == {"read": True, "create": False, "update": False, "delete": False}
    assert not any(matrix[k]["create"] for k in ("segment", "playbook", "rule", "health"))
