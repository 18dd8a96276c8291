"""Sync 20,000 accounts into the Vitally fake with its documented limit enforced.

The fake (tests/adapters/vitally/fake.py) enforces Vitally's 1000 requests/minute sliding
window with RateLimit-* headers and answers 429 past it. Time is a *virtual clock* shared by the
fake and the adapter's pacer and retries: sleeping advances it instantly, so a run that would
take ~21 minutes against Vitally finishes in seconds here while the limiter sees the exact same
request timestamps. Prints, per mode (REST trait writes, and the analytics batch):

* the achieved request rate as a share of the limit (target >= 90 % when limit-bound),
* 429s met (target 0), requests per account, virtual and wall time,
* whether the re-plan is empty (the sync is complete).

    python benchmarks/bench_vitally.py [--accounts 20000] [--tasks-every 10] [--mode both]
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.adapters.vitally.fake import VitallyFake  # noqa: E402
from tests.adapters.vitally.fake_support import VirtualClock  # noqa: E402
from tierform.adapters.http.retry import RetryPolicy  # noqa: E402
from tierform.adapters.vitally.adapter import DOCUMENTED_LIMIT, VitallyAdapter  # noqa: E402
from tierform.adapters.vitally.settings import VitallySettings  # noqa: E402
from tierform.sync.adapter import AdapterContext  # noqa: E402
from tierform.sync.engine import Syncer  # noqa: E402
from tierform.sync.journal import Journal  # noqa: E402
from tierform.sync.state import Kind, State  # noqa: E402

KEY, ANALYTICS = "sk_live_bench_key", "bench_analytics_token"
TIERS = ("Enterprise", "Mid-Market", "SMB / Growth", "Self-Serve")
BANDS = ("green", "yellow", "orange", "red")


def desired(n: int, tasks_every: int) -> State:
    state = State()
    for name, typ in (
        ("tf_tier", "text"),
        ("tf_csm", "text"),
        ("tf_health_score", "number"),
        ("tf_health_band", "text"),
        ("tf_renewal_window", "text"),
    ):
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
                "tf_touch_model": "hybrid",
                "tf_layer": "named",
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


def run(mode: str, n: int, tasks_every: int) -> dict[str, float]:
    clock = VirtualClock()
    fake = VitallyFake(api_key=KEY, analytics_key=ANALYTICS, clock=clock)
    for i in range(n):
        fake.add_account(f"ACC-{i:06d}", f"Customer {i}", {"plan": "pro"})
    for c in range(40):
        fake.add_admin(f"CSM {c}", f"csm{c}@example.com")
    spec = {"platform": "vitally", "subdomain": "acme", "api_key": {"env": "VITALLY_API_KEY"}}
    if mode == "batch":
        spec["analytics_key"] = {"env": "VITALLY_ANALYTICS_KEY"}
    overrides = {
        "clock": clock,
        "sleep": clock.sleep,
        "retry": RetryPolicy(sleep=clock.sleep, rng=random.Random(1)),
    }
    want = desired(n, tasks_every)
    with tempfile.TemporaryDirectory() as tmp, fake.mock():
        ctx = AdapterContext("bench", Path(tmp), Path(tmp), overrides)
        adapter = VitallyAdapter(VitallySettings.model_validate(spec), ctx)
        journal = Journal(Path(tmp) / "journal.sqlite")
        wall = time.perf_counter()
        syncer = Syncer(adapter, journal)
        report = syncer.apply(syncer.plan(want))
        wall = time.perf_counter() - wall
        requests, elapsed, peak = fake.log.total, clock.elapsed, fake.limiter.peak
        r429 = fake.log.count(status=429)
        replan_empty = Syncer(adapter, journal).plan(want).is_empty
        journal.close()
        adapter.close()
    rate = (requests - 1) / (elapsed / 60) if elapsed else float("inf")
    return {
        "requests": requests,
        "virtual_s": elapsed,
        "wall_s": wall,
        "rate": rate,
        "share": rate / DOCUMENTED_LIMIT,
        "r429": r429,
        "peak": peak,
        "per_account": requests / n,
        "failed": report.counts["failed"],
        "replan_empty": replan_empty,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument(
        "--tasks-every", type=int, default=0, help="also a task for every Nth account (0: none)"
    )
    parser.add_argument("--mode", choices=("rest", "batch", "both"), default="both")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.environ["VITALLY_API_KEY"] = KEY
    os.environ["VITALLY_ANALYTICS_KEY"] = ANALYTICS
    modes = ("rest", "batch") if args.mode == "both" else (args.mode,)
    print(
        f"Vitally sync of {args.accounts:,} accounts against the fake "
        f"(limit {DOCUMENTED_LIMIT:.0f}/min sliding window, virtual clock)"
    )
    for mode in modes:
        r = run(mode, args.accounts, args.tasks_every)
        print(f"\n[{mode}] trait writes by {'REST PUT' if mode == 'rest' else 'analytics batch'}")
        print(f"  requests:            {r['requests']:,.0f} ({r['per_account']:.3f} per account)")
        print(f"  virtual time:        {r['virtual_s'] / 60:.1f} min (wall {r['wall_s']:.1f} s)")
        bound = r["requests"] > DOCUMENTED_LIMIT
        print(
            f"  achieved rate:       {r['rate']:.0f}/min = {100 * r['share']:.1f} % of the "
            "limit "
            + (
                "(limit-bound; target >= 90 %)"
                if bound
                else "(not limit-bound: fewer requests than one minute's budget)"
            )
        )
        print(f"  429s met:            {r['r429']:.0f}; busiest 60 s window: {r['peak']:.0f}")
        print(f"  failed changes:      {r['failed']:.0f}; re-plan empty: {r['replan_empty']}")


if __name__ == "__main__":
    main()
