"""Transient faults under real rate-limit headers: a 5xx or a dropped connection costs a short
jittered backoff, never a rate-limit window (Vitally sends ``RateLimit-Reset`` on every
response, 5xx included)."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.support import DROP, VirtualClock
from tierform.adapters.http.retry import RetryPolicy
from tierform.adapters.vitally.adapter import VitallyAdapter
from tierform.adapters.vitally.settings import VitallySettings
from tierform.sync.adapter import AdapterContext
from tierform.sync.engine import Syncer
from tierform.sync.journal import Journal

from . import states
from .conftest import API_KEY
from .fake import VitallyFake

FAULT_STATUSES = (500, 502, 503, DROP)


def _faulted(fake: VitallyFake, share: float) -> None:
    """``share`` of all requests fail, spread over 500 / 502 / 503 / dropped connection."""
    for seed, status in enumerate(FAULT_STATUSES, 1):
        fake.inject(status, times=10**9, chance=share / len(FAULT_STATUSES), seed=seed)


def _apply(tmp: Path, n: int, share: float, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Apply ``n`` accounts (and a task for every other one) on a fresh fake and clock, with
    the adapter's own retry policy (only its sleep is virtual)."""
    monkeypatch.setenv("VITALLY_API_KEY", API_KEY)
    clock = VirtualClock()
    fake = VitallyFake(api_key=API_KEY, clock=clock)
    states.seed(fake, n)
    if share:
        _faulted(fake, share)
    spec = {"platform": "vitally", "subdomain": "acme", "api_key": {"env": "VITALLY_API_KEY"}}
    retry = RetryPolicy(sleep=clock.sleep, rng=random.Random(3))
    ctx = AdapterContext("cs", tmp, tmp, {"clock": clock, "sleep": clock.sleep, "retry": retry})
    with fake.mock():
        adapter = VitallyAdapter(VitallySettings.model_validate(spec), ctx)
        journal = Journal(tmp / f"journal-{share}.sqlite")
        try:
            syncer = Syncer(adapter, journal)
            report = syncer.apply(syncer.plan(states.desired(n)))
            fake.faults.clear()
            replan_empty = syncer.plan(states.desired(n)).is_empty
        finally:
            journal.close()
            adapter.close()
    return {"elapsed": clock.elapsed, "report": report, "fake": fake, "empty": replan_empty}


def test_fifteen_percent_faults_cost_under_half_again(tmp_path, monkeypatch):
    n = 300
    clean = _apply(tmp_path, n, 0.0, monkeypatch)
    faulted = _apply(tmp_path, n, 0.15, monkeypatch)
    fake = faulted["fake"]
    failures = sum(fake.log.count(status=s) for s in FAULT_STATUSES)
    # The storm really happened: about 15 % of the requests failed.
    assert 0.10 < failures / fake.log.total < 0.20
    assert faulted["report"].ok and faulted["empty"]
    # Nothing written twice: one task per even account, each account's traits exact.
    tasks = Counter(t["externalId"] for t in fake.tasks.values())
    assert tasks == {states.task_key(i): 1 for i in range(2, n + 1, 2)}
    assert fake.account(states.ext(7))["traits"] == {
        **states.UNMANAGED,
        **states.account_data(7),
    }
    # Each fault costs a short backoff, never RateLimit-Reset (up to 60 s here).
    assert faulted["elapsed"] < 1.5 * clean["elapsed"]


def test_every_response_carries_rate_limit_headers_5xx_too(fake, syncer, clock):
    states.seed(fake, 3)
    fake.limiter.fill(clock(), 10)  # the window is in use: RateLimit-Reset is about 60 s
    fake.inject(503, times=1, methods={"PUT"})
    start = clock.now
    report = syncer().apply(syncer().plan(states.desired(3, tasks=False)))
    assert report.ok
    puts = fake.log.select(method="PUT")
    assert [p.status for p in puts] == [503, 200, 200, 200]
    # The retry came well before the window's reset: a 5xx is not a quota signal.
    assert puts[1].at - puts[0].at < 5
    assert clock.now - start < 30


def test_dropped_connection_on_upsert_is_retried_without_duplicates(fake, syncer):
    states.seed(fake, 4)
    fake.inject(DROP, times=1, methods={"POST"}, path_contains="/tasks", process=True)
    fake.inject(DROP, times=1, methods={"PUT"})
    report = syncer().apply(syncer().plan(states.desired(4)))
    assert report.ok
    assert Counter(t["externalId"] for t in fake.tasks.values()) == {
        states.task_key(2): 1,
        states.task_key(4): 1,
    }


def test_concurrent_writes_keep_order_and_limit(fake, syncer, clock):
    states.seed(fake, 40)
    desired = states.desired(40)
    sync = syncer(max_in_flight=4)
    report = sync.apply(sync.plan(desired))
    assert report.ok and report.counts["create"] == 40 + 20
    assert fake.log.count(status=429) == 0
    # Accounts all written before the first task (tasks need their account's id).
    writes = fake.log.writes()
    last_put = max(i for i, w in enumerate(writes) if w.method == "PUT")
    first_post = min(i for i, w in enumerate(writes) if w.method == "POST")
    assert last_put < first_post
    assert syncer(max_in_flight=4).plan(desired).is_empty
