"""Sync 20,000 accounts into the Totango fake with its documented limits enforced.

The fake (tests/adapters/totango/fake.py) enforces 100 REST requests/minute per token with
RateLimit-* headers (429 past it), the Search API's 1,000-a-page and 10,000-a-query caps, and
an HTTP gateway that always answers 200 and applies writes a few seconds later. Time is a
*virtual clock* shared by the fake, the adapter's pacer, its retries and its read-back waits, so
a run that would take ~25 minutes against Totango finishes in seconds while the limiter sees the
same request timestamps. Prints requests per account (REST and gateway), the REST rate as a share
of the limit, 429s met, and whether the re-plan is empty.

Then a **latency** run on the real clock: every request takes 200 ms of round trip, tasks are
written a few at a time (bounded concurrency) while the gateway applies the account writes, and
the REST rate of the task phase and of the whole run are printed as shares of the limit (target
>= 90 %).

    python benchmarks/bench_totango.py [--accounts 20000] [--tasks-every 10]
        [--latency-accounts 40] [--latency 0.2]
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

from tests.adapters.totango.fake import TotangoFake  # noqa: E402
from tests.fakes.support import RealClock, VirtualClock  # noqa: E402
from tierform.adapters.http import RetryPolicy  # noqa: E402
from tierform.adapters.totango.adapter import DOCUMENTED_LIMIT, TotangoAdapter  # noqa: E402
from tierform.adapters.totango.settings import TotangoSettings  # noqa: E402
from tierform.sync.adapter import AdapterContext  # noqa: E402
from tierform.sync.engine import Syncer  # noqa: E402
from tierform.sync.journal import Journal  # noqa: E402
from tierform.sync.state import Kind, State  # noqa: E402

TOKEN = "bench_app_token_value"
TIERS = ("Enterprise", "Mid-Market", "SMB / Growth", "Self-Serve")
BANDS = ("green", "yellow", "orange", "red")
FIELDS = ("tf_tier", "tf_csm", "tf_health_score", "tf_health_band", "tf_renewal_window")


def desired(n: int, tasks_every: int) -> State:
    state = State()
    for name in FIELDS:
        typ = "number" if name == "tf_health_score" else "text"
        options = {"tf_tier": list(TIERS), "tf_health_band": list(BANDS)}.get(name)
        state.put(Kind.field, name, {"label": name, "type": typ, "options": options})
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


def run(n: int, tasks_every: int, *, latency: float = 0.0) -> dict[str, float]:
    clock: VirtualClock | RealClock = RealClock() if latency else VirtualClock()
    fake = TotangoFake(
        app_token=TOKEN, clock=clock, latency=latency, apply_delay=0.5 if latency else 5.0
    )
    fake.define(*FIELDS)
    for i in range(n):
        fake.add_account(f"ACC-{i:06d}", f"Customer {i}", {"Contract Value": "10000"})
    for c in range(40):
        fake.add_user(f"CSM {c}", f"csm{c}@example.com")
    spec = {
        "platform": "totango",
        "service_id": "SP-1234-01",
        "app_token": {"env": "TOTANGO_APP_TOKEN"},
    }
    overrides = {
        "clock": clock,
        "sleep": clock.sleep,
        "retry": RetryPolicy(sleep=clock.sleep, rng=random.Random(1)),
    }
    want = desired(n, tasks_every)
    with tempfile.TemporaryDirectory() as tmp, fake.mock():
        ctx = AdapterContext("bench", Path(tmp), Path(tmp), overrides)
        ctx.roster = {f"CSM {c}": f"csm{c}@example.com" for c in range(40)}
        adapter = TotangoAdapter(TotangoSettings.model_validate(spec), ctx)
        journal = Journal(Path(tmp) / "journal.sqlite")
        wall = time.perf_counter()
        syncer = Syncer(adapter, journal)
        plan = syncer.plan(want)
        report = syncer.apply(plan)
        wall = time.perf_counter() - wall
        elapsed = clock.elapsed
        rest = fake.rest_requests()
        gateway = len(fake.gateway_requests())
        r429 = fake.log.count(status=429)
        peak = fake.limiter.peak
        tasks = [e for e in rest if e.path == "/api/v3/tasks" and e.method == "POST"]
        replan_empty = Syncer(adapter, journal).plan(want).is_empty
        journal.close()
        adapter.close()
    rest_rate = (len(rest) - 1) / (elapsed / 60) if elapsed else float("inf")
    span = tasks[-1].at - tasks[0].at if len(tasks) > 1 else 0.0
    task_rate = (len(tasks) - 1) / (span / 60) if span else 0.0
    return {
        "rest": len(rest),
        "gateway": gateway,
        "elapsed": elapsed,
        "wall": wall,
        "rest_share": rest_rate / DOCUMENTED_LIMIT,
        "task_share": task_rate / DOCUMENTED_LIMIT,
        "tasks": len(tasks),
        "r429": r429,
        "peak": peak,
        "failed": report.counts["failed"],
        "replan_empty": replan_empty,
        "n": n,
        "read": plan.meta.get("read", ""),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--tasks-every", type=int, default=10, help="a task every Nth account")
    parser.add_argument("--latency-accounts", type=int, default=40, help="0: skip")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per round trip")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.environ["TOTANGO_APP_TOKEN"] = TOKEN
    r = run(args.accounts, args.tasks_every)
    n = r["n"]
    print(
        f"Totango sync of {n:,} accounts against the fake "
        f"(REST limit {DOCUMENTED_LIMIT:.0f}/min per token; gateway unthrottled; virtual clock)"
    )
    print(f"  read:                {r['read']}")
    print(
        f"  requests:            {r['rest']:,.0f} REST + {r['gateway']:,.0f} gateway = "
        f"{(r['rest'] + r['gateway']) / n:.3f} per account "
        f"({r['rest'] / n:.3f} REST, {r['gateway'] / n:.3f} gateway)"
    )
    print(f"  tasks created:       {r['tasks']:,.0f}")
    print(f"  virtual time:        {r['elapsed'] / 60:.1f} min (wall {r['wall']:.1f} s)")
    print(
        f"  REST rate:           {100 * r['rest_share']:.1f} % of the limit over the whole run; "
        f"{100 * r['task_share']:.1f} % during the task phase"
    )
    print(f"  429s met:            {r['r429']:.0f}; busiest 60 s window: {r['peak']:.0f} REST")
    print(f"  failed changes:      {r['failed']:.0f}; re-plan empty: {r['replan_empty']}")
    if args.latency_accounts:
        lat = run(args.latency_accounts, 1, latency=args.latency)
        verdict = "meets" if lat["task_share"] >= 0.9 else "MISSES"
        whole = "meets" if lat["rest_share"] >= 0.9 else "MISSES"
        print(
            f"\n[latency] {lat['n']:,} accounts with a task each, {1000 * args.latency:.0f} ms "
            "per request, real clock, bounded concurrency"
        )
        print(
            f"  requests:            {lat['rest']:,.0f} REST + {lat['gateway']:,.0f} gateway in "
            f"{lat['elapsed']:.1f} s"
        )
        print(
            f"  REST rate:           {100 * lat['task_share']:.1f} % of the limit during the task "
            f"phase ({verdict} the target >= 90 %); {100 * lat['rest_share']:.1f} % over the "
            f"whole run, reads and read-back included ({whole} it)"
        )
        print(f"  429s met:            {lat['r429']:.0f}; re-plan empty: {lat['replan_empty']}")


if __name__ == "__main__":
    main()
