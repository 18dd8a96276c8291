"""The xlsx target as a user runs it: the first apply, then a plan against the aligned workbook.

For each book size, in a temp folder: ``sync --apply`` on a workbook that does not exist yet
(the first apply), then a dry-run plan of the same book against it, each as a whole process
(interpreter start, imports, book read, desired state, workbook read, diff), run twice with the
better time kept. Prints time and peak memory (the process's maximum resident set) against the
targets, and proves that planning wrote nothing.

    python benchmarks/bench_sync_xlsx.py [--accounts 100000 1000000] [--runs 2]

Targets: plan of an aligned 1,000,000-account workbook <= 20 s and <= 2 GiB; 100,000 <= 3 s;
first apply of 1,000,000 <= 60 s.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AS_OF = dt.date(2025, 1, 15)
GIB = 1 << 30
PLAN_TARGETS = {1_000_000: 20.0, 100_000: 3.0}  # seconds
PLAN_MEMORY = {1_000_000: 2 * GIB}
APPLY_TARGETS = {1_000_000: 60.0}
# Renewals over five years and moderate usage (few expansion signals): a 1,000,000-account book
# then has fewer due tasks than an .xlsx sheet holds rows (the Tasks sheet must fit one sheet).
SPREAD_DAYS = 5 * 365


def write_book(path: Path, n: int) -> None:
    """A CRM-like export: ACV log-spread over the tiers, renewals over two years, healthy
    usage for most accounts (so a realistic few percent have due tasks)."""
    rng = random.Random(42)
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(
            [
                "account_id",
                "name",
                "acv",
                "renewal_date",
                "contract_start",
                "logins_per_week",
                "feature_adoption",
                "support_tickets",
                "csat",
            ]
        )
        for i in range(n):
            acv = round(10 ** rng.uniform(2.5, 5.6), 2)
            renewal = AS_OF + dt.timedelta(days=rng.randint(-20, SPREAD_DAYS))
            start = renewal - dt.timedelta(days=365 * rng.randint(1, 3))
            healthy = rng.random() > 0.04
            out.writerow(
                [
                    f"ACC-{i:06d}",
                    f"Customer {i}",
                    acv,
                    renewal.isoformat(),
                    start.isoformat(),
                    rng.randint(3, 6) if healthy else rng.randint(0, 2),
                    round(rng.uniform(0.5, 0.75), 2) if healthy else 0.1,
                    rng.randint(0, 2),
                    round(rng.uniform(4.2, 5.0), 1),
                ]
            )


def child(mode: str, folder: Path, n: int) -> None:
    """One measured run, in its own process; prints a JSON line with what it did."""
    from tierform.adapters.xlsx import XlsxAdapter, XlsxSettings
    from tierform.core.book import read_book
    from tierform.core.loader import default_model
    from tierform.sync.adapter import AdapterContext
    from tierform.sync.desired import compile_desired
    from tierform.sync.engine import Syncer
    from tierform.sync.journal import Journal

    model = default_model()
    target = folder / f"tracking-{n}.xlsx"
    adapter = XlsxAdapter(XlsxSettings(path=target.name), AdapterContext("bench", folder))
    syncer = Syncer(adapter, Journal(folder / f"journal-{n}-{mode}.sqlite"))
    desired = compile_desired(model, read_book(folder / f"book-{n}.csv", model.accounts), AS_OF)
    plan = syncer.plan(desired)
    if mode == "apply":
        syncer.apply(plan, force=True)
    print(json.dumps({"changes": len(plan.changes), "writes": adapter.writes}))


def measure(mode: str, folder: Path, n: int) -> tuple[float, int, dict[str, int]]:
    """(seconds, peak resident bytes, the child's report) of one whole-process run."""
    cmd = [sys.executable, __file__, "--child", mode, "--dir", str(folder), "--accounts", str(n)]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{mode} at {n:,} accounts failed (exit {proc.returncode})")
    return seconds, usage.ru_maxrss * 1024, json.loads(out.decode().strip().splitlines()[-1])


def verdict(value: float, target: float | None) -> str:
    if target is None:
        return ""
    return (
        f" (target <= {target:g}; ratio {value / target:.2f}{'' if value <= target else ' MISSED'})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--accounts", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=2, help="runs of each figure; best kept")
    parser.add_argument("--child", choices=["plan", "apply"], help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.dir, args.accounts[0])
        return 0
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    ok = True
    folder = Path(tempfile.mkdtemp(prefix="tierform-bench-xlsx-"))
    try:
        for n in args.accounts:
            write_book(folder / f"book-{n}.csv", n)
            target = folder / f"tracking-{n}.xlsx"
            applies = []
            for _ in range(args.runs):
                target.unlink(missing_ok=True)
                applies.append(measure("apply", folder, n))
            seconds, peak, report = min(applies, key=lambda r: r[0])
            limit = APPLY_TARGETS.get(n)
            ok &= limit is None or seconds <= limit
            print(
                f"{n:>9,} accounts  first apply: {seconds:7.2f} s{verdict(seconds, limit)}; "
                f"peak {peak / GIB:.2f} GiB; {report['changes']:,} objects written"
            )
            stamp = (target.stat().st_mtime_ns, target.stat().st_size)
            plans = [measure("plan", folder, n) for _ in range(args.runs)]
            seconds, peak, report = min(plans, key=lambda r: r[0])
            peak = max(p[1] for p in plans)
            untouched = (target.stat().st_mtime_ns, target.stat().st_size) == stamp
            limit, memory = PLAN_TARGETS.get(n), PLAN_MEMORY.get(n)
            aligned = report["changes"] == 0 and report["writes"] == 0 and untouched
            ok &= aligned and (limit is None or seconds <= limit)
            ok &= memory is None or peak <= memory
            print(
                f"{n:>9,} accounts  plan:        {seconds:7.2f} s{verdict(seconds, limit)}; "
                f"peak {peak / GIB:.2f} GiB"
                + (verdict(peak / GIB, memory / GIB) if memory else "")
                + f"; changes {report['changes']}, workbook untouched: {untouched}"
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
