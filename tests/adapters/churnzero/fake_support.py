"""Pieces of the ChurnZero fake that are not routes: the REST limiter (two tiers: slowed, then
refused), injectable faults and the request log; the clocks are the shared ones."""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.support import DROP, RealClock, VirtualClock

__all__ = ["DROP", "Fault", "Logged", "RealClock", "RequestLog", "TwoTierLimiter", "VirtualClock"]


class TwoTierLimiter:
    """ChurnZero's REST limit: "two thresholds are tracked per minute" [C]. Under ``soft``
    requests run at normal speed; from ``soft`` to ``hard`` each is delayed; past ``hard`` the
    answer is 429 (100 / 200 per minute by a secondary source [I]). A rolling 60 s window, the
    strictest reading. A refused request is not counted."""

    def __init__(self, soft: int, hard: int, window: float = 60.0) -> None:
        self.soft = soft
        self.hard = hard
        self.window = window
        self._times: deque[float] = deque()
        self.peak = 0
        self.delayed = 0

    def _expire(self, now: float) -> None:
        while self._times and self._times[0] <= now - self.window:
            self._times.popleft()

    def admit(self, now: float) -> str:
        """``ok``, ``slow`` (counted, to be delayed) or ``refuse``."""
        self._expire(now)
        if len(self._times) >= self.hard:
            return "refuse"
        slow = len(self._times) >= self.soft
        self._times.append(now)
        self.peak = max(self.peak, len(self._times))
        if slow:
            self.delayed += 1
        return "slow" if slow else "ok"

    def headers(self, now: float) -> dict[str, str]:
        self._expire(now)
        remaining = max(0, self.hard - len(self._times))
        reset = max(0, math.ceil(self._times[0] + self.window - now)) if self._times else 0
        return {
            "RateLimit-Limit": str(self.hard),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(reset),
        }


@dataclass
class Fault:
    """``times`` failures with ``status`` for matching requests (:data:`DROP`: no response).
    ``after`` lets that many through first; ``chance`` < 1 fails each with that probability;
    ``process`` handles the request first (the work is done, the answer is lost); ``body`` is
    the error body to answer with instead of the fake's usual one."""

    status: int
    times: int = 1
    methods: frozenset[str] | None = None
    path_contains: str | None = None
    after: int = 0
    process: bool = False
    chance: float = 1.0
    seed: int = 0
    body: Any = None
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        self.rng.seed(self.seed)

    def fires(self, method: str, path: str) -> bool:
        if self.times <= 0:
            return False
        if self.methods is not None and method not in self.methods:
            return False
        if self.path_contains is not None and self.path_contains not in path:
            return False
        if self.after > 0:
            self.after -= 1
            return False
        if self.chance < 1.0 and self.rng.random() >= self.chance:
            return False
        self.times -= 1
        return True


@dataclass(frozen=True)
class Logged:
    method: str
    path: str
    status: int
    at: float
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None


@dataclass
class RequestLog:
    entries: list[Logged] = field(default_factory=list)

    def add(self, entry: Logged) -> None:
        self.entries.append(entry)

    def select(
        self,
        method: str | None = None,
        path: str | None = None,
        status: int | Iterable[int] | None = None,
    ) -> list[Logged]:
        statuses = {status} if isinstance(status, int) else (set(status) if status else None)
        return [
            e
            for e in self.entries
            if (method is None or e.method == method)
            and (path is None or e.path.startswith(path))
            and (statuses is None or e.status in statuses)
        ]

    def count(self, *args: Any, **kwargs: Any) -> int:
        return len(self.select(*args, **kwargs))

    @property
    def total(self) -> int:
        return len(self.entries)

    def push(self) -> list[Logged]:
        return self.select(path="/i")

    def rest(self) -> list[Logged]:
        return self.select(path="/public/v1/")
