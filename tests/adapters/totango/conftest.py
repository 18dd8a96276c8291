"""Fixtures: the Totango fake on a virtual clock, and adapters/syncers wired to it."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.support import VirtualClock
from tierform.adapters.http import RetryPolicy
from tierform.adapters.totango.adapter import TotangoAdapter
from tierform.adapters.totango.settings import TotangoSettings
from tierform.sync.adapter import AdapterContext
from tierform.sync.engine import Syncer
from tierform.sync.journal import Journal

from .fake import TotangoFake

TOKEN = "tt_s3cr3t_TEST_token_9f8e7d"
ROSTER = {"Ana Ruiz": "ana@example.com", "Sam Lee": "sam@example.com", "Kim Novak": None}

MakeAdapter = Callable[..., TotangoAdapter]


@pytest.fixture(autouse=True)
def journal_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The journal stamps entries to the second and orders runs of one second by their random
    run id; tasks (which Totango cannot list) take their state from the journal, so runs a few
    milliseconds apart could see an older run's entry last. Each stamp here is a second later
    than the one before, as real runs are."""
    from tierform.sync import journal

    ticks = itertools.count()
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    monkeypatch.setattr(
        journal,
        "_now",
        lambda: (start + dt.timedelta(seconds=next(ticks))).isoformat(timespec="seconds"),
    )


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def fake(clock: VirtualClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[TotangoFake]:
    monkeypatch.setenv("TOTANGO_APP_TOKEN", TOKEN)
    server = TotangoFake(app_token=TOKEN, clock=clock)
    with server.mock():
        yield server


def overrides(clock: VirtualClock) -> dict[str, Any]:
    """Pacer, retries and read-back waits on the virtual clock: nothing sleeps for real."""
    return {
        "clock": clock,
        "sleep": clock.sleep,
        "retry": RetryPolicy(max_attempts=7, sleep=clock.sleep, rng=random.Random(7)),
    }


@pytest.fixture
def make_adapter(clock: VirtualClock, tmp_path: Path) -> Iterator[MakeAdapter]:
    made: list[TotangoAdapter] = []

    def _make(roster: dict[str, str | None] | None = None, **settings: Any) -> TotangoAdapter:
        spec: dict[str, Any] = {
            "platform": "totango",
            "service_id": "SP-1234-01",
            "app_token": {"env": "TOTANGO_APP_TOKEN"},
            "max_in_flight": 1,
            "gateway_in_flight": 1,
            **settings,
        }
        ctx = AdapterContext("tt", tmp_path, tmp_path / ".tierform", overrides(clock))
        ctx.roster = dict(ROSTER if roster is None else roster)
        adapter = TotangoAdapter(TotangoSettings.model_validate(spec), ctx)
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
