"""Pieces of the platform fakes that are not routes: a virtual clock, the sliding-window limiter,
injectable faults and the request log.

Kept apart from each fake's routes so the limiter can be unit-tested on its own and the route
modules stay readable. Platform specifics are parameters: the ``RateLimit-Limit`` header's form
and the default error bodies.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx


class VirtualClock:
    """Seconds that pass only when something sleeps: tests and the benchmark never wait.

    The adapter's pacer and retry policy get :meth:`sleep`; the fake reads :meth:`__call__`.
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.start = start
        self.now = start
        self.slept = 0.0
        self.sleeps = 0
        self._lock = threading.Lock()  # adapters sleep from several threads (bounded_map)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            if seconds > 0:
                self.now += seconds
                self.slept += seconds
            self.sleeps += 1

    @property
    def elapsed(self) -> float:
        return self.now - self.start


class RealClock:
    """The wall clock with :class:`VirtualClock`'s interface, for runs where real waiting is
    the point (simulated network latency with several requests in flight)."""

    def __init__(self) -> None:
        self.start = time.time()
        self.slept = 0.0
        self.sleeps = 0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)
        with self._lock:
            self.slept += max(0.0, seconds)
            self.sleeps += 1

    @property
    def elapsed(self) -> float:
        return time.time() - self.start


class SlidingWindow:
    """A documented limit of N requests in any rolling ``window`` seconds.

    Headers on every response: ``RateLimit-Limit`` (``limit_header``, formatted with ``limit``
    and ``window``: Vitally sends ``1000, 1000;window=60``, Totango ``100``),
    ``RateLimit-Remaining`` and ``RateLimit-Reset`` = seconds (a delta, not an epoch) until the
    earliest counted request leaves the window. A refused request is not counted (it did no
    work).
    """

    def __init__(self, limit: int, window: float, limit_header: str = "{limit}") -> None:
        self.limit = limit
        self.window = window
        self.limit_header = limit_header
        self._times: deque[float] = deque()
        self.peak = 0

    def _expire(self, now: float) -> None:
        while self._times and self._times[0] <= now - self.window:
            self._times.popleft()

    def admit(self, now: float) -> bool:
        self._expire(now)
        if len(self._times) >= self.limit:
            return False
        self._times.append(now)
        self.peak = max(self.peak, len(self._times))
        return True

    def fill(self, now: float, count: int) -> None:
        """Requests someone else made with the same key (another integration, a script)."""
        self._expire(now)
        self._times.extend([now] * count)

    def headers(self, now: float) -> dict[str, str]:
        self._expire(now)
        remaining = max(0, self.limit - len(self._times))
        if self._times:
            reset = max(0, math.ceil(self._times[0] + self.window - now))
        else:
            reset = 0
        return {
            "RateLimit-Limit": self.limit_header.format(limit=self.limit, window=int(self.window)),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(reset),
        }


DROP = 0  # Fault.status for a connection dropped before any response


@dataclass
class Fault:
    """An injected failure: ``times`` responses with ``status`` for matching requests.

    ``status`` :data:`DROP` is a dropped connection (no response at all). ``chance`` < 1 makes
    each matching request fail with that probability (seeded by ``seed``: a reproducible storm).

    ``after`` lets that many matching requests through first (a fault mid-run); ``every``
    spreads the faults over 1 in N matching requests (a storm rather than a wall). With ``process``
    the request is handled before the failure is returned, so the platform *did* the work (a
    lost response), which is what makes retrying a non-idempotent write dangerous.
    """

    status: int
    times: int = 1
    methods: frozenset[str] | None = None
    path_contains: str | None = None
    after: int = 0
    process: bool = False
    body: Any = None
    reset: int = 1
    every: int = 1
    chance: float = 1.0
    seed: int = 0
    seen: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)
    #: the platform's error body per status when ``body`` is not given (0: any other status)
    bodies: dict[int, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.rng.seed(self.seed)

    def matches(self, method: str, path: str) -> bool:
        if self.methods is not None and method not in self.methods:
            return False
        return self.path_contains is None or self.path_contains in path

    def fires(self, method: str, path: str) -> bool:
        """Whether this matching request gets the fault (``every``: 1 in N of them)."""
        if self.times <= 0 or not self.matches(method, path):
            return False
        if self.after > 0:
            self.after -= 1
            return False
        self.seen += 1
        if (self.seen - 1) % self.every:
            return False
        if self.chance < 1.0 and self.rng.random() >= self.chance:
            return False
        self.times -= 1
        return True

    def default_body(self) -> Any:
        if self.body is not None:
            return self.body
        if self.status in self.bodies:
            return self.bodies[self.status]
        return self.bodies.get(0, {"error": "Internal Server Error"})


@dataclass(frozen=True)
class Logged:
    """One request the fake answered."""

    method: str
    path: str
    status: int
    host: str
    at: float
    body: Any = None
    query: str = ""


@dataclass
class RequestLog:
    """Every request, for assertions on counts and on what was sent."""

    entries: list[Logged] = field(default_factory=list)

    def add(self, entry: Logged) -> None:
        self.entries.append(entry)

    def count(
        self,
        method: str | None = None,
        path: str | None = None,
        status: int | Iterable[int] | None = None,
        prefix: bool = True,
    ) -> int:
        return len(self.select(method, path, status, prefix))

    def select(
        self,
        method: str | None = None,
        path: str | None = None,
        status: int | Iterable[int] | None = None,
        prefix: bool = True,
    ) -> list[Logged]:
        statuses = {status} if isinstance(status, int) else (set(status) if status else None)
        out = []
        for e in self.entries:
            if method is not None and e.method != method:
                continue
            if path is not None and not (e.path.startswith(path) if prefix else e.path == path):
                continue
            if statuses is not None and e.status not in statuses:
                continue
            out.append(e)
        return out

    @property
    def total(self) -> int:
        return len(self.entries)

    def writes(self) -> list[Logged]:
        return [e for e in self.entries if e.method in ("POST", "PUT", "DELETE")]


def json_response(
    status: int, payload: Any, headers: dict[str, str] | None = None, *, ascii_only: bool = False
) -> httpx.Response:
    """A JSON reply. ``ascii_only``: every non-ASCII character escaped, as some servers write
    JSON, the only way a text holding half of a surrogate pair (a name cut in the middle of an
    emoji) can travel."""
    if not ascii_only:
        return httpx.Response(status, json=payload, headers=headers)
    text = json.dumps(payload, separators=(",", ":"))  # ensure_ascii
    return httpx.Response(
        status,
        content=text.encode("ascii"),
        headers={**(headers or {}), "Content-Type": "application/json"},
    )
