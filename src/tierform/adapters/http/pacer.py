"""Client-side pacing to a platform's documented limit, so normal runs never meet a 429.

:class:`Pacer` is a token bucket: ``requests`` per ``per`` seconds with ``burst`` tokens of slack
(1 = evenly spaced). It also reads ``RateLimit-Remaining`` / ``RateLimit-Reset`` when a platform
sends them and holds the next request until the window resets once the budget is spent. Clock and
sleep are injectable so tests assert the schedule without waiting.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import httpx

from tierform.adapters.http.classify import retry_after

log = logging.getLogger(__name__)


class Pacer:
    def __init__(
        self,
        requests: float,
        per: float = 60.0,
        *,
        burst: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if requests <= 0 or per <= 0:
            raise ValueError("a pace needs a positive number of requests per positive period")
        self.interval = per / requests
        self.burst = max(1.0, burst)
        self.clock = clock
        self.sleep = sleep
        self._tokens = self.burst
        self._last = clock()
        self._hold_until = 0.0
        self._lock = threading.Lock()
        self.acquired = 0
        self.waited = 0.0

    @classmethod
    def per_minute(cls, requests: float, **kwargs: object) -> Pacer:
        return cls(requests, 60.0, **kwargs)  # type: ignore[arg-type]

    def acquire(self) -> float:
        """Take one request slot, sleeping as needed; returns the seconds waited."""
        with self._lock:
            now = self.clock()
            elapsed = max(0.0, now - self._last)
            self._tokens = min(self.burst, self._tokens + elapsed / self.interval)
            self._last = max(now, self._last)
            wait = max(0.0, self._hold_until - now)
            if self._tokens < 1:
                wait = max(wait, (1 - self._tokens) * self.interval)
            if wait > 0:
                self.sleep(wait)
                self.waited += wait
                self._tokens = min(self.burst, self._tokens + wait / self.interval)
                self._last += wait
            self._tokens -= 1
            self.acquired += 1
            return wait

    def observe(self, response: httpx.Response) -> None:
        """Hold requests until the server's window resets when it says the budget is spent."""
        remaining = response.headers.get("RateLimit-Remaining") or response.headers.get(
            "X-RateLimit-Remaining"
        )
        if remaining is None:
            return
        try:
            left = float(remaining)
        except ValueError:
            return
        if left <= 0:
            reset = retry_after(response)
            if reset:
                with self._lock:
                    self._hold_until = max(self._hold_until, self.clock() + reset)
                log.info("pace: budget spent, holding %.1fs until the window resets", reset)
