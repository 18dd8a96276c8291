"""Sync 20,000 accounts into the Gainsight fake with its documented limits enforced.

The fake (tests/adapters/gainsight/fake.py) enforces Gainsight's 100 requests per fixed minute
and 50,000 per day per tenant, answering 429 GS_APIG_2404 past them. Two runs:

* **volume** -- 20,000 Companies (a CTA for every 10th) on a *virtual clock* shared by the fake
  and the adapter's pacer and retries: a run of many real minutes finishes in seconds while the
  limiter sees the same request timestamps. Prints requests per account, the achieved rate as a
  share of 100/min, 429s met, the daily budget used, and whether the re-plan is empty.
* **latency** -- a smaller book in real time with 200 ms simulated per request: the achieved
  request rate as a share of the limit (target >= 90 %). The pace (0.63 s between requests at
  95/min) is longer than the round trip, so requests run one at a time and stay limit-bound;
  Company batches depend on nothing but the pacer, so no concurrency is needed to fill it.

    python benchmarks/bench_gainsight.py [--accounts 20000] [--latency-accounts 1000]
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.adapters.gainsight.fake import GainsightFake, VirtualClock  # noqa: E402
from tierform.adapters.gainsight.adapter import GainsightAdapter  # noqa: E402
from tierform.adapters.gainsight.settings import (  # noqa: E402
    DOCUMENTED_PER_DAY,
    DOCUMENTED_PER_MINUTE,
    GainsightSettings,
)
from tierform.adapters.http.retry import RetryPolicy  # noqa: E402
from tierform.sync.adapter import AdapterContext  # noqa: E402
from tierform.sync.engine import Syncer  # noqa: E402
from tierform.sync.journal import Journal  # noqa: E402
from tierform.sync.state import Kind, State  # noqa: E402

KEY = "gs-bench-access-key"
TIERS = ("Enterprise", "Mid-Market", "SMB / Growth", "Self-Serve")
BANDS = ("green", "yellow", "orange", "red")
FIELDS = {
    "tf_tier": "text",
    "tf_csm": "text",
    "tf_health_score": "number",
    "tf_health_band": "text",
    "tf_renewal_window": "text",
}


def desired(n: int, tasks_every: int) -> State:
    state = State()
    for name, typ in FIELDS.items():
        state.put(Kind.field, name, {"label": name, "type": typ})
    for i in range(n):
        key = f"ACC-{i:06d}"
        state.put(
            Kind.account,
            key,
            {
                "tf_tier": TIERS[i % 4],
                "tf_csm": f"CSM {i % 40}",
                "tf_health_score": i % 101,
                "tf_health_band": BANDS[i % 4],
                "tf_renewal_window": "91-180",
            },
            label=f"Customer {i}",
        )
        if tasks_every and i % tasks_every == 0:
            state.put(
                Kind.work_item,
                f"tf-bench{i:012d}",
                {
                    "account_id": key,
                    "title": "Renewal prep call",
                    "due": "2025-03-01",
                    "source": "rule:renewal-prep",
                    "reason": "renewal in 90 days",
                    "assignee": f"CSM {i % 40}",
                },
            )
    return state


def tenant(n: int, clock: Any) -> GainsightFake:
    fake = GainsightFake(access_key=KEY, clock=clock)
    for i in range(n):
        fake.add_company(f"Customer {i}", External_Id__gc=f"ACC-{i:06d}", Arr=1000.0)
    for c in range(40):
        fake.add_user(f"CSM {c}", f"csm{c}@example.com")
    for name, typ in FIELDS.items():
        fake.create_field(
            "_".join(p.capitalize() for p in name.split("_")) + "__gc",
            "NUMBER" if typ == "number" else "STRING",
        )
    return fake


def run(n: int, tasks_every: int, *, latency: float = 0.0) -> dict[str, float]:
    clock: Any = VirtualClock() if not latency else time.time
    fake = tenant(n, clock)
    if latency:
        serve = fake.handle

        def slow(request: httpx.Request) -> httpx.Response:
            time.sleep(latency)  # the simulated round trip
            return serve(request)

        fake.handle = slow  # type: ignore[method-assign]
    overrides: dict[str, Any] = {}
    if not latency:
        overrides = {
            "clock": clock,
            "sleep": clock.sleep,
            "retry": RetryPolicy(sleep=clock.sleep, rng=random.Random(1)),
        }
    spec = {
        "platform": "gainsight",
        "base_url": fake.host,
        "access_key": {"env": "GAINSIGHT_ACCESS_KEY"},
        "match_field": "External_Id__gc",
    }
    want = desired(n, tasks_every)
    roster = {f"CSM {c}": f"csm{c}@example.com" for c in range(40)}
    with tempfile.TemporaryDirectory() as tmp, fake.mock():
        ctx = AdapterContext("bench", Path(tmp), Path(tmp), overrides, roster=roster)
        adapter = GainsightAdapter(GainsightSettings.model_validate(spec), ctx)
        journal = Journal(Path(tmp) / "journal.sqlite")
        start_virtual, wall = clock(), time.perf_counter()
        syncer = Syncer(adapter, journal)
        report = syncer.apply(syncer.plan(want))
        wall = time.perf_counter() - wall
        elapsed = clock() - start_virtual
        requests = fake.log.total
        r429 = fake.log.count(status=429)
        replan_empty = Syncer(adapter, journal).plan(want).is_empty
        journal.close()
        adapter.close()
    rate = (requests - 1) / (elapsed / 60) if elapsed else float("inf")
    return {
        "requests": requests,
        "elapsed": elapsed,
        "wall": wall,
        "rate": rate,
        "share": rate / DOCUMENTED_PER_MINUTE,
        "r429": r429,
        "per_account": requests / n,
        "failed": report.counts["failed"],
        "ctas": len(fake.ctas),
        "replan_empty": replan_empty,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--tasks-every", type=int, default=10)
    parser.add_argument("--latency-accounts", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    os.environ["GAINSIGHT_ACCESS_KEY"] = KEY
    print(
        f"Gainsight sync against the fake (limit {DOCUMENTED_PER_MINUTE:.0f}/min fixed window, "
        f"{DOCUMENTED_PER_DAY:,}/day; default pace 95/min)"
    )
    r = run(args.accounts, args.tasks_every)
    print(
        f"\n[volume] {args.accounts:,} accounts, a CTA for every {args.tasks_every}th "
        "(virtual clock)"
    )
    print(f"  requests:            {r['requests']:,.0f} ({r['per_account']:.4f} per account)")
    print(f"  daily budget used:   {100 * r['requests'] / DOCUMENTED_PER_DAY:.2f} %")
    print(f"  virtual time:        {r['elapsed'] / 60:.1f} min (wall {r['wall']:.1f} s)")
    print(f"  achieved rate:       {r['rate']:.1f}/min = {100 * r['share']:.1f} % of 100/min")
    print(f"  429s met:            {r['r429']:.0f}; CTAs: {r['ctas']:.0f}")
    print(f"  failed changes:      {r['failed']:.0f}; re-plan empty: {r['replan_empty']}")
    lat = run(args.latency_accounts, args.tasks_every, latency=args.latency_ms / 1000)
    print(
        f"\n[latency] {args.latency_accounts:,} accounts, {args.latency_ms:.0f} ms per request, "
        "real time"
    )
    print(f"  requests:            {lat['requests']:,.0f} in {lat['elapsed']:.1f} s")
    print(f"  achieved rate:       {lat['rate']:.1f}/min = {100 * lat['share']:.1f} % of 100/min")
    print(f"  429s met:            {lat['r429']:.0f}; re-plan empty: {lat['replan_empty']}")


if __name__ == "__main__":
    main()
