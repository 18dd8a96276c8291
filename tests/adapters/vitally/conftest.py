"""Fixtures: the Vitally fake on a virtual clock, and adapters/syncers wired to it."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.support import VirtualClock
from tierform.adapters.http.retry import RetryPolicy
from tierform.adapters.vitally.adapter import VitallyAdapter
from tierform.adapters.vitally.settings import VitallySettings
from tierform.sync.adapter import AdapterContext
from tierform.sync.engine import Syncer
from tierform.sync.journal import Journal

from .fake import VitallyFake

API_KEY = "tk_test_s3cr3t_TEST_KEY_9f8e7d"
ANALYTICS_KEY = "an_tok_S3CR3T_analytics_55aa"

MakeAdapter = Callable[..., VitallyAdapter]


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def fake(clock: VirtualClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[VitallyFake]:
    monkeypatch.setenv("VITALLY_API_KEY", API_KEY)
    monkeypatch.setenv("VITALLY_ANALYTICS_KEY", ANALYTICS_KEY)
    server = VitallyFake(api_key=API_KEY, analytics_key=ANALYTICS_KEY, clock=clock)
    with server.mock():
        yield server


def overrides(clock: VirtualClock) -> dict[str, Any]:
    """Pacer and retries on the virtual clock: nothing in these tests sleeps for real."""
    return {
        "clock": clock,
        "sleep": clock.sleep,
        "retry": RetryPolicy(max_attempts=7, sleep=clock.sleep, rng=random.Random(7)),
    }


@pytest.fixture
def make_adapter(clock: VirtualClock, tmp_path: Path) -> Iterator[MakeAdapter]:
    made: list[VitallyAdapter] = []

    def _make(**settings: Any) -> VitallyAdapter:
        # One request at a time unless a test asks for more: tests that inject a fault at the
        # Nth request count on the plan's order; concurrency has its own tests.
        spec: dict[str, Any] = {
            "platform": "vitally",
            "subdomain": "acme",
            "api_key": {"env": "VITALLY_API_KEY"},
            "max_in_flight": 1,
            **settings,
        }
        adapter = VitallyAdapter(
            VitallySettings.model_validate(spec),
            AdapterContext("cs", tmp_path, tmp_path / ".tierform", overrides(clock)),
        )
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
