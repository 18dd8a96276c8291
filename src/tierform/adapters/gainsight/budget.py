"""The tenant's daily request budget: estimate an apply, and refuse one that would not fit.

Gainsight allows 50,000 synchronous calls a day per tenant, shared by every integration
[confirmed], and reports no remaining count. tierform therefore counts its own calls per UTC day
in the state folder (``gainsight-usage.json``) and compares the apply's estimate with
``daily_budget - daily_reserve - used today``: an apply that would run out part-way is refused
before any write (with the figures), unless forced.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from tierform.adapters.gainsight.client import BATCH, CTA_BATCH, CTA_PAGE, PAGE
from tierform.errors import UnsafePlanError
from tierform.sync.change import Change, Op
from tierform.sync.state import Kind

USAGE_FILE = "gainsight-usage.json"


class DailyBudgetExceeded(UnsafePlanError):
    """The apply needs more requests than the tenant's daily budget has left (exit 2)."""


def estimate(changes: Sequence[Change], open_ctas: int) -> int:
    """Requests an apply of ``changes`` needs: an auth check, writes in batches of 50, one
    read-back query per 5,000 Companies, picklists and one CTA listing per 1,000 CTAs."""
    accounts = sum(1 for c in changes if c.kind is Kind.account)
    creates = sum(1 for c in changes if c.kind is Kind.work_item and c.op is Op.create)
    others = sum(1 for c in changes if c.kind is Kind.work_item and c.op is not Op.create)
    total = 1
    if accounts:
        total += math.ceil(accounts / BATCH) + math.ceil(accounts / PAGE)
    if creates or others:
        total += 1 + math.ceil(creates / CTA_BATCH) + math.ceil(others / CTA_BATCH)
        total += max(1, math.ceil((open_ctas + creates) / CTA_PAGE))
    return total


class UsageLedger:
    """tierform's own requests per tenant host and UTC day (None path: this process only)."""

    def __init__(self, path: Path | None, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock
        self._memory: dict[str, int] = {}

    def _today(self) -> str:
        return dt.datetime.fromtimestamp(self.clock(), tz=dt.UTC).date().isoformat()

    def _load(self) -> dict[str, dict[str, int]]:
        if self.path is None or not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def used(self, host: str) -> int:
        day = self._load().get(self._today(), {})
        return int(day.get(host, 0)) + self._memory.get(host, 0)

    def add(self, host: str, count: int) -> None:
        if count <= 0:
            return
        if self.path is None:
            self._memory[host] = self._memory.get(host, 0) + count
            return
        today = self._today()
        data = {today: self._load().get(today, {})}  # older days are dropped
        data[today][host] = int(data[today].get(host, 0)) + count
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(data, indent=1, sort_keys=True))


def check(needed: int, used: int, budget: int, reserve: int, *, force: bool, target: str) -> None:
    remaining = budget - reserve - used
    if needed <= remaining or force:
        return
    raise DailyBudgetExceeded(
        f"{target}: this apply needs about {needed:,} Gainsight API requests but only "
        f"{max(remaining, 0):,} of the tenant's daily budget remain today ({budget:,}/day, "
        f"{reserve:,} reserved for other integrations, {used:,} already used by tierform). "
        "Nothing was written. Apply tomorrow, or re-run with --force to start anyway "
        "(requests past the budget fail until the day resets), or set daily_budget if your "
        "Gainsight package allows more"
    )
