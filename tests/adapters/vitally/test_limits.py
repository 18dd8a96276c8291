"""Rate limits and faults: paced under the documented window, 429 storms and 5xx survived."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tierform.adapters.http.concurrency import ReadAhead
from tierform.errors import RateLimited
from tierform.sync.state import Kind, Scope

from . import states
from .fake import VitallyFake
from .states import UNMANAGED, ext


def _aligned(fake: VitallyFake, n: int) -> None:
    """Every account holds exactly its desired traits; every task exists once."""
    for i in range(1, n + 1):
        assert fake.account(ext(i))["traits"] == {**UNMANAGED, **states.account_data(i)}
    counts = Counter(t["externalId"] for t in fake.tasks.values())
    assert counts == {states.task_key(i): 1 for i in range(2, n + 1, 2)}


@pytest.fixture
def small_limit(clock, monkeypatch):
    """A 30/min window so a short run is limit-bound (same algorithm, smaller numbers)."""
    monkeypatch.setenv("VITALLY_API_KEY", "sk_small")
    server = VitallyFake(api_key="sk_small", clock=clock, limit=30)
    with server.mock():
        yield server


def test_paced_run_never_meets_429(small_limit, syncer, clock):
    fake = small_limit
    states.seed(fake, 60)
    desired = states.desired(60)
    # 95 % of the fake's 30/min, as the adapter does with Vitally's documented 1000/min.
    sync = syncer(rate_limit_per_minute=28.5)
    sync.apply(sync.plan(desired))
    assert fake.rate_limited == 0 and fake.log.count(status=429) == 0
    assert fake.limiter.peak <= 30
    # 1 customFields + 1 accounts page + 1 tasks page + 1 admins page (plan), then 1 auth
    # check + 60 account writes + 30 task upserts (apply).
    assert fake.log.total == 4 + 1 + 60 + 30
    # The run is limit-bound: its pace is the configured 28.5/min, within one interval.
    rate = (fake.log.total - 1) / (clock.elapsed / 60)
    assert 28.0 <= rate <= 28.5
    _aligned(fake, 60)
    assert syncer(rate_limit_per_minute=28.5).plan(desired).is_empty


def test_overdriven_client_is_held_by_ratelimit_headers(small_limit, syncer):
    fake = small_limit
    states.seed(fake, 40)
    desired = states.desired(40)
    # Paced at 10x the window: RateLimit-Remaining 0 + RateLimit-Reset hold the next request.
    sync = syncer(rate_limit_per_minute=300)
    assert sync.apply(sync.plan(desired)).ok
    assert fake.rate_limited == 0 and fake.limiter.peak <= 30
    _aligned(fake, 40)


def test_window_spent_by_someone_else_recovers_from_429(small_limit, syncer, clock):
    fake = small_limit
    states.seed(fake, 20)
    desired = states.desired(20)
    fake.limiter.fill(clock(), 30)  # another integration spent the whole window
    sync = syncer(rate_limit_per_minute=28.5)
    assert sync.apply(sync.plan(desired)).ok
    assert fake.rate_limited == 1  # the first request; RateLimit-Reset (60 s) was then waited
    assert fake.log.entries[1].at - fake.log.entries[0].at >= 60
    _aligned(fake, 20)
    assert syncer(rate_limit_per_minute=28.5).plan(desired).is_empty


def test_429_storm_survived_nothing_lost(fake, syncer, clock):
    states.seed(fake, 30)
    desired = states.desired(30)
    # Storm 1: every other write refused for 40 writes; storm 2: six 429s in a row.
    fake.inject(429, times=20, methods={"PUT", "POST"}, after=3, every=2, reset=2)
    fake.inject(429, times=6, methods={"POST"}, path_contains="/tasks", reset=5)
    report = syncer().apply(syncer().plan(desired))
    assert report.ok and report.counts["create"] == 30 + 15
    assert fake.log.count(status=429) == 26
    _aligned(fake, 30)
    assert syncer().plan(desired).is_empty


def test_429_retries_wait_the_reset_seconds(fake, syncer, clock):
    states.seed(fake, 2)
    fake.inject(429, times=1, methods={"PUT"}, reset=17)
    start = clock.now
    syncer().apply(syncer().plan(states.desired(2, tasks=False)))
    waits = [e.at for e in fake.log.entries if e.method == "PUT"]
    assert waits[1] - waits[0] >= 17  # the retry came after RateLimit-Reset, not before
    assert clock.now - start < 60


def test_endless_429_stops_the_run_resumably(fake, syncer):
    states.seed(fake, 3)
    fake.inject(429, times=100, methods={"PUT"})
    with pytest.raises(RateLimited):
        syncer().apply(syncer().plan(states.desired(3, tasks=False)))
    assert fake.log.count(method="PUT", status=200) == 0
    fake.faults.clear()
    report = syncer().apply(syncer().plan(states.desired(3, tasks=False)))
    assert report.ok
    for i in (1, 2, 3):
        assert fake.account(ext(i))["traits"] == {**UNMANAGED, **states.account_data(i)}
    assert syncer().plan(states.desired(3, tasks=False)).is_empty


def test_5xx_retried(fake, syncer):
    states.seed(fake, 4)
    fake.inject(503, times=3, methods={"PUT"})
    fake.inject(502, times=2, methods={"GET"}, path_contains="/accounts")
    desired = states.desired(4)
    report = syncer().apply(syncer().plan(desired))
    assert report.ok
    _aligned(fake, 4)


def test_lost_response_on_task_upsert_does_not_duplicate(fake, syncer):
    states.seed(fake, 4)
    # The task is stored, then the answer is lost (500): the upsert is replayed safely.
    fake.inject(500, times=1, methods={"POST"}, path_contains="/tasks", process=True)
    report = syncer().apply(syncer().plan(states.desired(4)))
    assert report.ok
    assert Counter(t["externalId"] for t in fake.tasks.values()) == {
        states.task_key(2): 1,
        states.task_key(4): 1,
    }


def test_interrupted_apply_resumes_without_duplicates(fake, syncer):
    states.seed(fake, 6)
    desired = states.desired(6)
    plan = syncer().plan(desired)
    fake.inject(401, times=1, methods={"POST"}, path_contains="/tasks", after=1)
    with pytest.raises(Exception, match="answered 401"):
        syncer().apply(plan)
    fake.faults.clear()
    posts_before = fake.log.count(method="POST", status=200)
    report = syncer().apply(syncer().plan(desired))
    assert report.ok
    # Only the two tasks not written before the failure are sent now.
    assert fake.log.count(method="POST", status=200) - posts_before == 2
    assert len(fake.tasks) == 3 and syncer().plan(desired).is_empty
    assert Kind.work_item in {c.kind for c in plan.changes}


def test_the_reads_listings_run_side_by_side_and_read_the_same(fake, syncer, monkeypatch):
    """With ``max_in_flight`` 1 the listings follow one another, as they always did; with
    more, each is fetched alongside the accounts: the same state from the same requests."""
    started: list[tuple[bool, str]] = []
    start = ReadAhead.start

    def spy(self: ReadAhead, name: str, listing: Any) -> None:
        started.append((self._pool is not None, name))
        start(self, name, listing)

    monkeypatch.setattr(ReadAhead, "start", spy)
    states.seed(fake, 250)  # three pages of accounts
    fake.add_template("Enterprise Onboarding")
    desired = states.desired(250, playbook_tasks=True)
    templates = {"project_templates": {"Enterprise onboarding": "Enterprise Onboarding"}}
    syncer(**templates).apply(syncer(**templates).plan(desired))
    reads = {}
    for in_flight in (1, 4):
        before = fake.log.total
        adapter = syncer(max_in_flight=in_flight, **templates).adapter
        state = adapter.read(Scope.of(adapter.normalize_desired(desired), list(Kind)))
        paths = [e.path.rsplit("/", 1)[-1] for e in fake.log.entries[before:]]
        reads[in_flight] = (state, paths)
    (one, sequence), (four, side_by_side) = reads[1], reads[4]
    task_pages = -(-len(fake.tasks) // 100)  # a page holds 100
    assert sequence == [
        "customFields",
        *["accounts"] * 3,
        *["tasks"] * task_pages,
        "projectTemplates",
        "projects",
        "admins",
    ]
    assert sorted(side_by_side) == sorted(sequence)
    names = ["accounts", "fields", "tasks", "projectTemplates", "projects", "admins"]
    assert [name for ahead, name in started if ahead] == names  # the read with 4
    assert four.objects == one.objects and four.labels == one.labels
    assert four.remote_ids == one.remote_ids and four.warnings == one.warnings
    assert one.of(Kind.account) and one.of(Kind.work_item)
