"""Limits and faults: REST paced under the soft limit, 429 / 5xx / dropped connections retried,
push concurrency bounded, everything on the virtual clock."""

from __future__ import annotations

import pytest

from tierform.adapters.churnzero.adapter import DOCUMENTED_LIMIT

from . import states
from .fake_support import DROP


def test_rest_paced_under_the_soft_limit(fake, syncer):
    states.seed(fake, 450)
    desired = states.desired(450, items=False)
    syncer().apply(syncer().plan(desired))
    assert syncer().plan(desired).is_empty
    assert fake.log.count(status=429) == 0
    assert fake.limiter.delayed == 0  # never past the soft threshold, so never slowed
    assert fake.limiter.peak <= DOCUMENTED_LIMIT


@pytest.mark.parametrize(
    "fake_options",
    [{"limit_headers": "ratelimit"}, {"limit_headers": "retry-after"}, {"limit_headers": "none"}],
)
def test_429_is_retried_in_every_header_form(fake, syncer, fake_options):
    states.seed(fake)
    fake.inject(429, times=2, methods={"GET"}, path_contains="/public/v1/Account")
    desired = states.desired()
    assert syncer().apply(syncer().plan(desired)).ok
    assert fake.log.count(status=429) == 2
    assert syncer().plan(desired).is_empty


@pytest.mark.parametrize(
    "fake_options",
    [{"limit_headers": "none"}, {"limit_headers": "ratelimit"}, {"limit_headers": "retry-after"}],
)
def test_hard_limit_429_when_another_client_shares_the_key(fake, syncer, clock, fake_options):
    """``none`` is the documented API (no Retry-After, no rate-limit headers): the retries
    back off 1, 2, 4 ... s and outlast the minute another client spent."""
    states.seed(fake)
    for _ in range(200):  # another integration used the whole minute's budget
        fake.limiter.admit(clock())
    start = clock()
    desired = states.desired()
    assert syncer().apply(syncer().plan(desired)).ok
    assert fake.log.count(status=429) >= 1
    assert clock() - start >= 50.0  # the budget came back only as the minute turned
    assert syncer().plan(desired).is_empty


@pytest.mark.parametrize("status", [500, 502, 503, 504, DROP])
def test_rest_faults_are_retried(fake, syncer, status):
    states.seed(fake)
    fake.inject(status, times=2, methods={"GET"})
    desired = states.desired()
    assert syncer().apply(syncer().plan(desired)).ok
    assert syncer().plan(desired).is_empty


@pytest.mark.parametrize("status", [502, 503, DROP])
def test_push_faults_are_retried_without_duplicate_events(fake, syncer, status):
    states.seed(fake)
    fake.inject(status, times=2, path_contains="/i", process=status == DROP)
    desired = states.desired()
    assert syncer().apply(syncer().plan(desired)).ok
    assert len(fake.events) == 3
    assert syncer().plan(desired).is_empty


def test_push_concurrency_is_bounded(fake, syncer):
    states.seed(fake, 30)
    sync = syncer(max_in_flight=3, push_batch=10)
    assert sync.apply(sync.plan(states.desired(30, items=False))).ok
    # 4 fields an account, plus the owner on every third (Ana Ruiz, a user):
    # canary ACC-001..003: 13 actions -> 2 requests; the other 27: 108 + 9 = 117 -> 12 requests
    assert len(fake.log.push()) == 14
    assert all(len(e.body) <= 10 for e in fake.log.push())
