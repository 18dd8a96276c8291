"""Sync 20,000 accounts into the ChurnZero fake with its limits enforced.

The fake (tests/adapters/churnzero/fake.py) enforces the REST API's two per-minute thresholds
(100 at normal speed, then delayed, 429 past 200) and answers every push with 200 and a GIF,
processing it from a queue. Time is a *virtual clock* shared by the fake and the adapter's pacer,
retries and read-back waits, so a run that takes minutes against ChurnZero finishes in seconds
here with the same request timestamps. Prints, for the full run:

* requests per account, push API and REST separately (REST covers the read, the read-back of
  every write and the re-plan);
* the achieved REST rate as a share of the documented limit: during the plan, where REST alone
  sets the pace (target >= 90 %), and over the whole run (which also waits for pushes and for
  ChurnZero's queue); 429s and throttled requests met (target 0); whether the re-plan is empty.

Then a **latency** run: 200 ms of real round trip per request on the real clock, a smaller book,
printing the achieved REST rate as a share of the limit.

    python benchmarks/bench_churnzero.py [--accounts 20000] [--items-every 10]
        [--latency-accounts 1500] [--latency 0.2]
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

from tests.adapters.churnzero.fake import ChurnZeroFake  # noqa: E402
from tests.adapters.churnzero.fake_support import RealClock, VirtualClock  # noqa: E402
from tierform.adapters.churnzero.adapter import DOCUMENTED_LIMIT, ChurnZeroAdapter  # noqa: E402
from tierform.adapters.churnzero.settings import ChurnZeroSettings  # noqa: E402
from tierform.adapters.http.retry import RetryPolicy  # noqa: E402
from tierform.sync.adapter import AdapterContext  # noqa: E402
from tierform.sync.engine import Syncer  # noqa: E402
from tierform.sync.journal import Journal  # noqa: E402
from tierform.sync.state import Kind, State  # noqa: E402

APP_KEY, REST_USER, REST_KEY = "1!bench_app_key", "api-user@acme.com", "bench_rest_key"
HOST = "https://acme.us2app.churnzero.net"
TIERS = ("Enterprise", "Mid-Market", "SMB / Growth", "Self-Serve")
BANDS = ("green", "yellow", "orange", "red")
CSMS = 40


def desired(n: int, items_every: int) -> State:
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
                "tf_csm": f"CSM {i % CSMS}",
                "tf_health_score": i % 101,
                "tf_health_band": BANDS[i % 4],
                "tf_renewal_window": "91-180",
                "tf_touch_model": "hybrid",
                "tf_layer": "named",
            },
            label=f"Customer {i}",
        )
        if items_every and i % items_every == 0:
            state.put(
                Kind.work_item,
                f"tf-bench{i:012d}",
                {
                    "account_id": key,
                    "title": f"Renewal prep call with Customer {i}",
                    "due": "2023-11-20",
                    "source": "rule:renewal-prep",
                    "reason": "renewal in 90 days",
                    "assignee": f"CSM {i % CSMS}",
                },
            )
    return state


def run(n: int, items_every: int, latency: float = 0.0) -> dict[str, float]:
    clock: VirtualClock | RealClock = RealClock() if latency else VirtualClock()
    fake = ChurnZeroFake(
        app_key=APP_KEY, rest_user=REST_USER, rest_key=REST_KEY, clock=clock, latency=latency
    )
    for i in range(n):
        fake.add_account(f"ACC-{i:06d}", f"Customer {i}", {"Plan": "pro"})
    for c in range(CSMS):
        fake.add_user(f"csm{c}", f"csm{c}@acme.com", "CSM", str(c))
    spec = {
        "platform": "churnzero",
        "base_url": HOST,
        "app_key": {"env": "CHURNZERO_APP_KEY"},
        "rest_user": REST_USER,
        "rest_key": {"env": "CHURNZERO_REST_KEY"},
        # real time: a short wait for ChurnZero's queue (the fake processes at once)
        "verify_delay": 0.5 if latency else 5.0,
    }
    overrides = {
        "clock": clock,
        "sleep": clock.sleep,
        "retry": RetryPolicy(sleep=clock.sleep, rng=random.Random(1)),
    }
    want = desired(n, items_every)
    with tempfile.TemporaryDirectory() as tmp, fake.mock():
        ctx = AdapterContext("bench", Path(tmp), Path(tmp), overrides)
        adapter = ChurnZeroAdapter(ChurnZeroSettings.model_validate(spec), ctx)
        journal = Journal(Path(tmp) / "journal.sqlite")
        wall = time.perf_counter()
        t0 = clock()
        plan = Syncer(adapter, journal).plan(want)
        t1 = clock()
        report = Syncer(adapter, journal).apply(plan)
        replan_empty = Syncer(adapter, journal).plan(want).is_empty
        wall = time.perf_counter() - wall
        journal.close()
        adapter.close()
    rest = fake.log.rest()
    span = (rest[-1].at - rest[0].at) if len(rest) > 1 else 0.0
    rate = (len(rest) - 1) / (span / 60) if span else 0.0
    # The plan is the part where REST alone sets the pace (paged reads, one after another).
    reads = [e for e in rest if t0 <= e.at <= t1]
    read_span = reads[-1].at - reads[0].at if len(reads) > 1 else 0.0
    read_rate = (len(reads) - 1) / (read_span / 60) if read_span else 0.0
    return {
        "read_rate": read_rate,
        "reads": len(reads),
        "push": len(fake.log.push()),
        "actions": sum(len(e.body or []) for e in fake.log.push()),
        "rest": len(rest),
        "elapsed": clock.elapsed,
        "wall": wall,
        "rate": rate,
        "share": rate / DOCUMENTED_LIMIT,
        "r429": fake.log.count(status=429),
        "delayed": fake.limiter.delayed,
        "peak": fake.limiter.peak,
        "failed": report.counts["failed"],
        "created": report.counts["create"],
        "replan_empty": replan_empty,
        "n": n,
    }


def show(r: dict[str, float]) -> None:
    n = r["n"]
    print(
        f"  push API requests:   {r['push']:,.0f} ({r['push'] / n:.3f} per account; "
        f"{r['actions']:,.0f} actions)"
    )
    print(
        f"  REST requests:       {r['rest']:,.0f} ({r['rest'] / n:.3f} per account: read, "
        "read-back, re-plan)"
    )
    print(
        f"  time:                {r['elapsed'] / 60:.1f} min on the clock (wall {r['wall']:.1f} s)"
    )
    print(
        f"  REST rate, plan:     {r['read_rate']:.1f}/min = "
        f"{100 * r['read_rate'] / DOCUMENTED_LIMIT:.1f} % of the documented "
        f"{DOCUMENTED_LIMIT:.0f}/min over its {r['reads']:.0f} paged reads (target >= 90 %)"
    )
    print(
        f"  REST rate, whole:    {r['rate']:.1f}/min = {100 * r['share']:.1f} % (includes the "
        "push phase and the waits for ChurnZero's queue before each read-back)"
    )
    print(
        f"  429s / throttled:    {r['r429']:.0f} / {r['delayed']:.0f}; busiest 60 s: "
        f"{r['peak']:.0f} REST requests"
    )
    print(
        f"  changes:             {r['created']:,.0f} confirmed by read-back, "
        f"{r['failed']:.0f} failed; re-plan empty: {r['replan_empty']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--items-every", type=int, default=10, help="a work item every Nth")
    parser.add_argument("--latency-accounts", type=int, default=1500, help="0: skip")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per round trip")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.environ["CHURNZERO_APP_KEY"] = APP_KEY
    os.environ["CHURNZERO_REST_KEY"] = REST_KEY
    print(
        f"ChurnZero sync of {args.accounts:,} accounts against the fake (REST limit "
        f"{DOCUMENTED_LIMIT:.0f}/min normal, 429 past 200/min; virtual clock)"
    )
    show(run(args.accounts, args.items_every))
    if args.latency_accounts:
        print(
            f"\n[latency] {args.latency_accounts:,} accounts, {1000 * args.latency:.0f} ms per "
            "request, real clock, bounded concurrency"
        )
        show(run(args.latency_accounts, args.items_every, latency=args.latency))


if __name__ == "__main__":
    main()
