"""Fixtures: the Gainsight fake on a virtual clock, and adapters/syncers wired to it."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tierform.adapters.gainsight.adapter import GainsightAdapter
from tierform.adapters.gainsight.settings import GainsightSettings
from tierform.adapters.http.retry import RetryPolicy
from tierform.sync.adapter import AdapterContext
from tierform.sync.engine import Syncer
from tierform.sync.journal import Journal

from .fake import GainsightFake, VirtualClock

ACCESS_KEY = "gs-AK-s3cr3t-0f9e8d7c6b5a"
CLIENT_ID = "oauth-client-7"
CLIENT_SECRET = "oauth-S3CRET-aa11bb22"
ROSTER = {"Ana Ruiz": "ana@example.com", "Sam Lee": "sam@example.com", "Growth pod": None}

MakeAdapter = Callable[..., GainsightAdapter]


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def fake(clock: VirtualClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[GainsightFake]:
    monkeypatch.setenv("GAINSIGHT_ACCESS_KEY", ACCESS_KEY)
    monkeypatch.setenv("GAINSIGHT_OAUTH_SECRET", CLIENT_SECRET)
    server = GainsightFake(
        access_key=ACCESS_KEY, oauth_clients={CLIENT_ID: CLIENT_SECRET}, clock=clock
    )
    with server.mock():
        yield server


def overrides(clock: VirtualClock) -> dict[str, Any]:
    return {
        "clock": clock,
        "sleep": clock.sleep,
        "retry": RetryPolicy(max_attempts=7, sleep=clock.sleep, rng=random.Random(7)),
    }


@pytest.fixture
def make_adapter(clock: VirtualClock, tmp_path: Path) -> Iterator[MakeAdapter]:
    made: list[GainsightAdapter] = []

    def _make(roster: dict[str, str | None] | None = None, **settings: Any) -> GainsightAdapter:
        spec: dict[str, Any] = {
            "platform": "gainsight",
            "base_url": "https://acme.gainsightcloud.com",
            "match_field": "External_Id__gc",
            **settings,
        }
        if "oauth" not in spec:
            spec.setdefault("access_key", {"env": "GAINSIGHT_ACCESS_KEY"})
        adapter = GainsightAdapter(
            GainsightSettings.model_validate(spec),
            AdapterContext(
                "gs",
                tmp_path,
                tmp_path / ".tierform",
                overrides(clock),
                roster=dict(ROSTER if roster is None else roster),
            ),
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
