"""Bounded, jittered retries (tenacity) that honour ``Retry-After`` / ``RateLimit-Reset``.

The wait before retry *n* is the server's ``retry_after`` when it sent one (capped at
``max_retry_after``; see :func:`~.classify.retry_after` for when a header counts). A 429 with
no word on when the quota refills (ChurnZero's REST API, Google Sheets: per-minute quotas,
no documented ``Retry-After``) waits ``min(maximum, quota_initial * 2^(n-1))`` plus up to a
second, Google's documented backoff: six retries span more than a minute, so a quota window
another client spent has refilled before the last one. Anything else waits a full-jitter
exponential backoff ``U(0, min(maximum, initial * 2^(n-1)))``. The budget is bounded
twice: ``max_attempts`` tries in all, and no retry once ``max_wait_total`` seconds have been
spent waiting for this one request (counted from the waits themselves, so a virtual clock in
tests sees the same schedule). ``sleep`` is injectable: tests pass a recorder.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception

from tierform.adapters.http.classify import is_retriable
from tierform.errors import RateLimited, RetriableError

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class RetryPolicy:
    max_attempts: int = 7
    initial: float = 0.1
    quota_initial: float = 1.0
    maximum: float = 64.0
    max_retry_after: float = 300.0
    max_wait_total: float = 600.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def wait_for(self, attempt: int, exc: BaseException | None) -> float:
        server = getattr(exc, "retry_after", None) if exc is not None else None
        if isinstance(exc, RetriableError) and server is not None:
            return min(float(server), self.max_retry_after)
        if isinstance(exc, RateLimited):  # a spent quota, and no word on when it refills
            base = min(self.maximum, self.quota_initial * (2 ** max(attempt - 1, 0)))
            return base + self.rng.uniform(0, min(1.0, base)) if base > 0 else 0.0
        ceiling = min(self.maximum, self.initial * (2 ** max(attempt - 1, 0)))
        return self.rng.uniform(0, ceiling) if ceiling > 0 else 0.0

    def call(self, fn: Callable[[], T], *, idempotent: bool = True, what: str = "") -> T:
        """Run ``fn``, retrying retriable errors (see classify) up to ``max_attempts`` in all."""

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            return self.wait_for(state.attempt_number, exc)

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.warning(
                "retry: %s attempt=%d wait=%.1fs reason=%s",
                what or "request",
                state.attempt_number,
                state.upcoming_sleep,
                exc,
            )

        def stop(state: RetryCallState) -> bool:
            if state.attempt_number >= max(1, self.max_attempts):
                return True
            return state.idle_for >= self.max_wait_total

        retrying = Retrying(
            stop=stop,
            wait=wait,
            retry=retry_if_exception(lambda e: is_retriable(e, idempotent)),
            sleep=self.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        return retrying(fn)


NO_WAIT = RetryPolicy(initial=0.0, maximum=0.0, max_retry_after=0.0, sleep=lambda _s: None)
