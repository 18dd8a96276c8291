"""Sync 20,000 accounts into the Vitally fake with its documented limit enforced.

The fake (tests/adapters/vitally/fake.py) enforces Vitally's 1000 requests/minute sliding
window with RateLimit-* headers and answers 429 past it. Time is a *virtual clock* shared by the
fake and the adapter's pacer and retries: sleeping advances it instantly, so a run that would
take ~21 minutes against Vitally finishes in seconds here while the limiter sees the exact same
request timestamps. Prints, per mode (REST trait writes, and the analytics batch):

* the achieved request rate as a share of the limit (target >= 90 % when limit-bound),
* 429s met (target 0), requests per account, virtual and wall time,
* whether the re-plan is empty (the sync is complete).

Then two runs of the REST mode that the virtual clock alone cannot show:

* **faulted**: 15 % of requests fail (500 / 502 / 503 / dropped connection) while every response
  carries the real ``RateLimit-*`` headers; prints the slowdown against the fault-free run
  (target < 1.5x: a transient fault costs a short backoff, never a rate-limit window);
* **latency**: each request takes 200 ms of real round trip, on the real clock, with the
  adapter's bounded concurrency; prints the achieved rate as a share of the limit (target >= 90 %).

    python benchmarks/bench_vitally.py [--accounts 20000] [--tasks-every 10] [--mode both]
        [--fault-accounts 600] [--latency-accounts 400] [--latency 0.2]
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
from tests.fakes.support import DROP, RealClock, VirtualClock  # noqa: E402
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


FAULTS = (500, 502, 503, DROP)


def run(
    mode: str,
    n: int,
    tasks_every: int,
    *,
    fault_share: float = 0.0,
    latency: float = 0.0,
) -> dict[str, float]:
    clock: VirtualClock | RealClock = RealClock() if latency else VirtualClock()
    fake = VitallyFake(api_key=KEY, analytics_key=ANALYTICS, clock=clock, latency=latency)
    for i in range(n):
        fake.add_account(f"ACC-{i:06d}", f"Customer {i}", {"plan": "pro"})
    for c in range(40):
        fake.add_admin(f"CSM {c}", f"csm{c}@example.com")
    for seed, status in enumerate(FAULTS, 1):
        if fault_share:
            fake.inject(status, times=10**9, chance=fault_share / len(FAULTS), seed=seed)
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
        plan = syncer.plan(want)
        t0, n0 = clock(), fake.log.total
        report = syncer.apply(plan)
        apply_s, apply_n = clock() - t0, fake.log.total - n0
        wall = time.perf_counter() - wall
        requests, elapsed, peak = fake.log.total, clock.elapsed, fake.limiter.peak
        r429 = fake.log.count(status=429)
        faults = sum(fake.log.count(status=s) for s in FAULTS)
        fake.faults.clear()
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
        "faults": faults,
        "apply_share": (apply_n / (apply_s / 60)) / DOCUMENTED_LIMIT if apply_s else 0.0,
        "apply_s": apply_s,
        "apply_n": apply_n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument(
        "--tasks-every", type=int, default=0, help="also a task for every Nth account (0: none)"
    )
    parser.add_argument("--mode", choices=("rest", "batch", "both"), default="both")
    parser.add_argument(
        "--fault-accounts", type=int, default=600, help="accounts in the faulted run (0: skip)"
    )
    parser.add_argument(
        "--latency-accounts", type=int, default=400, help="accounts in the latency run (0: skip)"
    )
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per round trip")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("tierform.adapters.http.retry").setLevel(logging.ERROR)  # faulted run
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
    if args.fault_accounts:
        faulted(args.fault_accounts, args.tasks_every or 10)
    if args.latency_accounts:
        latent(args.latency_accounts, args.latency)


def faulted(n: int, tasks_every: int) -> None:
    clean = run("rest", n, tasks_every)
    bad = run("rest", n, tasks_every, fault_share=0.15)
    ratio = bad["virtual_s"] / clean["virtual_s"]
    print(f"\n[faulted] {n:,} accounts, 15 % of requests fail (500/502/503/dropped), real headers")
    print(
        f"  faults met:          {bad['faults']:.0f} of {bad['requests']:,.0f} requests "
        f"({100 * bad['faults'] / bad['requests']:.1f} %)"
    )
    print(
        f"  virtual time:        {clean['virtual_s']:.1f} s fault-free, "
        f"{bad['virtual_s']:.1f} s faulted"
    )
    verdict = "meets" if ratio < 1.5 else "MISSES"
    print(f"  slowdown:            {ratio:.2f}x ({verdict} the target < 1.5x)")
    print(f"  failed changes:      {bad['failed']:.0f}; re-plan empty: {bad['replan_empty']}")


def latent(n: int, latency: float) -> None:
    r = run("rest", n, 0, latency=latency)
    verdict = "meets" if r["apply_share"] >= 0.9 else "MISSES"
    whole = "meets" if r["share"] >= 0.9 else "MISSES"
    print(
        f"\n[latency] {n:,} accounts, {1000 * latency:.0f} ms per request, real clock, "
        "bounded concurrency"
    )
    print(f"  requests:            {r['requests']:,.0f} in {r['virtual_s']:.1f} s")
    print(
        f"  whole run:           {r['rate']:.0f}/min = {100 * r['share']:.1f} % of the limit "
        f"({whole} the target; the read's listings run side by side, but each one's pages "
        "follow one another: each needs the previous cursor)"
    )
    print(
        f"  apply:               {r['apply_n']:,.0f} requests in {r['apply_s']:.1f} s = "
        f"{100 * r['apply_share']:.1f} % of the limit ({verdict} the target >= 90 %)"
    )
    print(f"  429s met:            {r['r429']:.0f}; re-plan empty: {r['replan_empty']}")


if __name__ == "__main__":
    main()
