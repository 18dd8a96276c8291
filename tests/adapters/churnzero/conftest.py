"""Fixtures: the ChurnZero fake on a virtual clock, and adapters/syncers wired to it."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tierform.adapters.churnzero.adapter import ChurnZeroAdapter
from tierform.adapters.churnzero.settings import ChurnZeroSettings
from tierform.adapters.http.retry import RetryPolicy
from tierform.sync.adapter import AdapterContext
from tierform.sync.engine import Syncer
from tierform.sync.journal import Journal

from .fake import ChurnZeroFake
from .fake_support import VirtualClock

APP_KEY = "1!AbCdEfGhIjKlMnOpQrStUv_app_S3CR3T"
REST_KEY = "rest_S3CR3T_key_7f6e5d4c"
REST_USER = "api-user@acme.com"
BASE = "https://acme.us2app.churnzero.net"
ROSTER = {"Ana Ruiz": "ana@acme.com", "Sam Lee": "sam@acme.com", "Kim Ode": "kim@acme.com"}

MakeAdapter = Callable[..., ChurnZeroAdapter]


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def fake_options() -> dict[str, Any]:
    return {}


@pytest.fixture
def fake(
    clock: VirtualClock, monkeypatch: pytest.MonkeyPatch, fake_options: dict[str, Any]
) -> Iterator[ChurnZeroFake]:
    monkeypatch.setenv("CHURNZERO_APP_KEY", APP_KEY)
    monkeypatch.setenv("CHURNZERO_REST_KEY", REST_KEY)
    server = ChurnZeroFake(
        app_key=APP_KEY, rest_user=REST_USER, rest_key=REST_KEY, clock=clock, **fake_options
    )
    with server.mock():
        yield server


def overrides(clock: VirtualClock) -> dict[str, Any]:
    """Pacer, retries and read-back waits on the virtual clock: nothing sleeps for real."""
    return {
        "clock": clock,
        "sleep": clock.sleep,
        "retry": RetryPolicy(max_attempts=7, sleep=clock.sleep, rng=random.Random(7)),
    }


def spec(**settings: Any) -> dict[str, Any]:
    return {
        "platform": "churnzero",
        "base_url": BASE,
        "app_key": {"env": "CHURNZERO_APP_KEY"},
        "rest_user": REST_USER,
        "rest_key": {"env": "CHURNZERO_REST_KEY"},
        "max_in_flight": 1,
        **settings,
    }


@pytest.fixture
def make_adapter(clock: VirtualClock, tmp_path: Path) -> Iterator[MakeAdapter]:
    made: list[ChurnZeroAdapter] = []

    def _make(roster: dict[str, str | None] | None = None, **settings: Any) -> ChurnZeroAdapter:
        ctx = AdapterContext(
            "cz", tmp_path, tmp_path / ".tierform", overrides(clock), roster=dict(ROSTER)
        )
        if roster is not None:
            ctx.roster = roster
        adapter = ChurnZeroAdapter(ChurnZeroSettings.model_validate(spec(**settings)), ctx)
        made.append(adapter)
        return adapter

    yield _make
    for adapter in made:
        adapter.close()


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    j = Journal(tmp_path / ".tierform" / "journal.sqlite")
    yield j
    j.close()


@pytest.fixture
def syncer(make_adapter: MakeAdapter, journal: Journal) -> Callable[..., Syncer]:
    def _syncer(**settings: Any) -> Syncer:
        return Syncer(make_adapter(**settings), journal)

    return _syncer
