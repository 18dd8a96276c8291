"""Two platforms at once: the Vitally and Sheets stateful fakes and xlsx files, with adapters
on virtual clocks, and a model whose roster names the CSMs by e-mail."""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import respx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tierform.adapters.http.retry import RetryPolicy
from tierform.adapters.sheets import SheetsAdapter, SheetsSettings
from tierform.adapters.vitally.adapter import VitallyAdapter
from tierform.adapters.vitally.settings import VitallySettings
from tierform.adapters.xlsx import XlsxAdapter, XlsxSettings
from tierform.core.loader import default_model
from tierform.core.model import CoverageModel, RosterEntry
from tierform.sync.adapter import AdapterContext
from tierform.sync.journal import Journal

from ..adapters.vitally.fake import VitallyFake
from ..fakes.support import VirtualClock

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "adapters" / "sheets"))
from fake_sheets_server import TOKEN_URL, FakeSheets  # noqa: E402
from sheets_support import ENV, SA_EMAIL, SHEET_ID  # noqa: E402

VITALLY_KEY = "tk_test_migrate_KEY_0a1b2c"


@pytest.fixture
def model() -> CoverageModel:
    return default_model().model_copy(
        update={
            "roster": [
                RosterEntry(name="Ana Ruiz", tier="Enterprise", email="ana@example.com"),
                RosterEntry(name="Sam Lee", tier="Enterprise", email="sam@example.com"),
            ]
        }
    )


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


def _context(name: str, folder: Path, clock: VirtualClock, model: CoverageModel) -> AdapterContext:
    return AdapterContext(
        name,
        folder,
        folder / ".tierform",
        {
            "clock": clock,
            "sleep": clock.sleep,
            "retry": RetryPolicy(max_attempts=4, sleep=clock.sleep, rng=random.Random(3)),
        },
        roster={r.name: r.email for r in model.roster},
    )


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def vitally(
    router: respx.MockRouter, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> VitallyFake:
    monkeypatch.setenv("VITALLY_API_KEY", VITALLY_KEY)
    fake = VitallyFake(api_key=VITALLY_KEY, analytics_key=None, clock=clock)
    router.route(url__startswith=fake.rest_base + "/").mock(side_effect=fake.handle_rest)
    return fake


@pytest.fixture
def sheets(router: respx.MockRouter, monkeypatch: pytest.MonkeyPatch) -> FakeSheets:
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
    monkeypatch.setenv(ENV, json.dumps(info))
    fake = FakeSheets({SA_EMAIL: public})
    fake.router(router)
    fake.create(SHEET_ID, shared_with=SA_EMAIL)
    return fake


Make = Callable[..., Any]


@pytest.fixture
def make(tmp_path: Path, clock: VirtualClock, model: CoverageModel) -> Iterator[Make]:
    """``make("vitally" | "sheets" | "xlsx", name=...)``: an adapter on the shared clock."""
    made: list[Any] = []

    def _make(platform: str, name: str | None = None, **settings: Any) -> Any:
        name = name or platform
        ctx = _context(name, tmp_path, clock, model)
        adapter: Any
        if platform == "vitally":
            spec = {
                "platform": "vitally",
                "subdomain": "acme",
                "api_key": {"env": "VITALLY_API_KEY"},
                "max_in_flight": 1,
                **settings,
            }
            adapter = VitallyAdapter(VitallySettings.model_validate(spec), ctx)
        elif platform == "sheets":
            spec = {
                "platform": "sheets",
                "spreadsheet_id": SHEET_ID,
                "credentials": {"env": ENV},
                **settings,
            }
            adapter = SheetsAdapter(SheetsSettings.model_validate(spec), ctx)
        else:
            spec = {"platform": "xlsx", "path": f"{name}.xlsx", **settings}
            adapter = XlsxAdapter(XlsxSettings.model_validate(spec), ctx)
        made.append(adapter)
        return adapter

    yield _make
    for adapter in made:
        adapter.close()


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    return Journal(tmp_path / ".tierform" / "journal.sqlite")
