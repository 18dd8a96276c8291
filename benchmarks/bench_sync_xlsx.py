"""The xlsx target as a user runs it: the first apply, then a plan against the aligned workbook.

For each book size, in a temp folder: ``sync --apply`` on a workbook that does not exist yet
(the first apply), then a dry-run plan of the same book against it, each as a whole
``tierform sync`` process, the command a user runs (interpreter start, imports, model and book
read, design, workbook read, history from it, desired state, diff, plan printed), run twice with
the better time kept. Prints time and peak memory (the process's maximum resident set) against the
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
import re
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


def write_model(folder: Path, n: int) -> Path:
    """The built-in starter model, its xlsx target pointed at this size's workbook."""
    from tierform.core.loader import starter_text

    text = starter_text()
    assert "path: tierform-coverage.xlsx" in text
    path = folder / f"tierform-{n}.yaml"
    path.write_text(text.replace("tierform-coverage.xlsx", f"tracking-{n}.xlsx"), "utf-8")
    return path


def measure(mode: str, folder: Path, n: int) -> tuple[float, int, int]:
    """(seconds, peak resident bytes, changes planned) of one whole ``tierform sync`` process:
    ``--apply --force`` (apply) or the dry-run plan (plan)."""
    cmd = [
        sys.executable,
        "-c",
        "from tierform.cli.entry import main; main()",
        "sync",
        "-c",
        str(folder / f"tierform-{n}.yaml"),
        "--accounts",
        str(folder / f"book-{n}.csv"),
        "--as-of",
        AS_OF.isoformat(),
        *(["--apply", "--force"] if mode == "apply" else ["--format", "json"]),
    ]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{mode} at {n:,} accounts failed (exit {proc.returncode})")
    if mode == "apply":
        found = re.search(r"applied: (\d+) created, (\d+) updated, (\d+) deleted", out)
        changes = sum(int(g) for g in found.groups()) if found else 0
    else:
        changes = len(json.loads(out[out.index("{") :])["changes"])
    return seconds, usage.ru_maxrss * 1024, changes


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
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    ok = True
    folder = Path(tempfile.mkdtemp(prefix="tierform-bench-xlsx-"))
    try:
        for n in args.accounts:
            write_book(folder / f"book-{n}.csv", n)
            write_model(folder, n)
            target = folder / f"tracking-{n}.xlsx"
            applies = []
            for _ in range(args.runs):
                target.unlink(missing_ok=True)
                applies.append(measure("apply", folder, n))
            seconds, peak, written = min(applies, key=lambda r: r[0])
            limit = APPLY_TARGETS.get(n)
            ok &= limit is None or seconds <= limit
            print(
                f"{n:>9,} accounts  first apply: {seconds:7.2f} s{verdict(seconds, limit)}; "
                f"peak {peak / GIB:.2f} GiB; {written:,} objects written"
            )
            stamp = (target.stat().st_mtime_ns, target.stat().st_size)
            plans = [measure("plan", folder, n) for _ in range(args.runs)]
            seconds, peak, changes = min(plans, key=lambda r: r[0])
            peak = max(p[1] for p in plans)
            untouched = (target.stat().st_mtime_ns, target.stat().st_size) == stamp
            limit, memory = PLAN_TARGETS.get(n), PLAN_MEMORY.get(n)
            aligned = changes == 0 and untouched
            ok &= aligned and (limit is None or seconds <= limit)
            ok &= memory is None or peak <= memory
            print(
                f"{n:>9,} accounts  plan:        {seconds:7.2f} s{verdict(seconds, limit)}; "
                f"peak {peak / GIB:.2f} GiB"
                + (verdict(peak / GIB, memory / GIB) if memory else "")
                + f"; changes {changes}, workbook untouched: {untouched}"
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
