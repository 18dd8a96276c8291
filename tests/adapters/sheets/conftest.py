"""Fixtures for the Sheets adapter: a real RSA service-account key, the fake server behind
respx (no network at all), and adapters whose waits are recorded instead of slept."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import respx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fake_sheets_server import TOKEN_URL, FakeSheets
from sheets_support import ENV, SA_EMAIL, SHEET_ID, FakeClock

from tierform.adapters.http.retry import RetryPolicy
from tierform.adapters.sheets import SheetsAdapter, SheetsSettings
from tierform.sync.adapter import AdapterContext


@pytest.fixture(scope="session")
def sa_key() -> tuple[dict[str, str], bytes]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    info = {
        "type": "service_account",
        "project_id": "client-project",
        "private_key_id": "0123abcd",
        "private_key": pem,
        "client_email": SA_EMAIL,
        "client_id": "1234567890",
        "token_uri": TOKEN_URL,
    }
    return info, public


@pytest.fixture
def server(
    sa_key: tuple[dict[str, str], bytes], monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeSheets]:
    info, public = sa_key
    monkeypatch.setenv(ENV, json.dumps(info))
    fake = FakeSheets({SA_EMAIL: public})
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        fake.router(mock)
        yield fake


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_adapter(tmp_path: Path, clock: FakeClock) -> Callable[..., SheetsAdapter]:
    def make(retry: RetryPolicy | None = None, **settings: object) -> SheetsAdapter:
        values = {
            "platform": "sheets",
            "spreadsheet_id": SHEET_ID,
            "credentials": {"env": ENV},
            **settings,
        }
        policy = retry or RetryPolicy(max_attempts=7, initial=0.0, maximum=0.0, sleep=clock.sleep)
        context = AdapterContext(
            "gsheet",
            tmp_path,
            tmp_path / ".tierform",
            {"retry": policy, "clock": clock.now, "sleep": clock.sleep},
        )
        return SheetsAdapter(SheetsSettings.model_validate(values), context)

    return make
