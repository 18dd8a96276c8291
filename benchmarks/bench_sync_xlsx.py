"""Plan a 100,000-account book against an already-aligned xlsx target.

Prints the time to plan (book read + desired state + workbook read + diff; target: under 10 s)
and proves that planning wrote nothing. The aligned workbook is built once by a real apply and
kept in benchmarks/data/ for later runs.

    python benchmarks/bench_sync_xlsx.py [--accounts 100000]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import sys
import time
from pathlib import Path

from tierform.adapters.xlsx import XlsxAdapter, XlsxSettings
from tierform.core.book import read_book
from tierform.core.loader import default_model
from tierform.sync.adapter import AdapterContext
from tierform.sync.desired import compile_desired
from tierform.sync.engine import Syncer
from tierform.sync.journal import Journal

AS_OF = dt.date(2025, 1, 15)
TARGET_SECONDS = 10.0
DATA = Path(__file__).resolve().parent / "data"


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
            renewal = AS_OF + dt.timedelta(days=rng.randint(-20, 730))
            start = renewal - dt.timedelta(days=365 * rng.randint(1, 3))
            healthy = rng.random() > 0.04
            out.writerow(
                [
                    f"ACC-{i:06d}",
                    f"Customer {i}",
                    acv,
                    renewal.isoformat(),
                    start.isoformat(),
                    rng.randint(5, 9) if healthy else rng.randint(0, 2),
                    round(rng.uniform(0.5, 0.75), 2) if healthy else 0.1,
                    rng.randint(0, 2),
                    round(rng.uniform(4.2, 5.0), 1),
                ]
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    args = parser.parse_args()
    n = args.accounts
    DATA.mkdir(parents=True, exist_ok=True)
    book_path = DATA / f"book-{n}.csv"
    target = DATA / f"aligned-{n}.xlsx"
    model = default_model()
    if not book_path.exists():
        write_book(book_path, n)

    def syncer() -> Syncer:
        adapter = XlsxAdapter(XlsxSettings(path=target.name), AdapterContext("bench", DATA))
        return Syncer(adapter, Journal(DATA / f"journal-{n}.sqlite"))

    setup = syncer()
    desired = compile_desired(model, read_book(book_path, model.accounts), AS_OF)
    plan = setup.plan(desired)
    if not plan.is_empty:
        print(
            f"setup: aligning {target.name} ({len(plan.changes)} changes, once)...", file=sys.stderr
        )
        t = time.perf_counter()
        setup.apply(plan, force=True)
        print(f"setup: applied in {time.perf_counter() - t:.1f} s", file=sys.stderr)

    stamp = (target.stat().st_mtime_ns, target.stat().st_size)
    s = syncer()
    t0 = time.perf_counter()
    book = read_book(book_path, model.accounts)
    t1 = time.perf_counter()
    desired = compile_desired(model, book, AS_OF)
    t2 = time.perf_counter()
    plan = s.plan(desired)
    t3 = time.perf_counter()
    total = t3 - t0
    adapter = s.adapter
    assert isinstance(adapter, XlsxAdapter)
    unchanged = (target.stat().st_mtime_ns, target.stat().st_size) == stamp
    print(f"accounts: {n:,}; managed objects in the workbook: {plan.existing_count:,}")
    print(
        f"plan time: {total:.2f} s (target < {TARGET_SECONDS:g} s; ratio "
        f"{total / TARGET_SECONDS:.2f}) = book {t1 - t0:.2f} s + desired state {t2 - t1:.2f} s "
        f"+ read workbook and diff {t3 - t2:.2f} s"
    )
    print(
        f"changes planned: {len(plan.changes)}; writes made: {adapter.writes}; "
        f"workbook untouched: {unchanged}"
    )
    ok = plan.is_empty and adapter.writes == 0 and unchanged
    return 0 if ok and total < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
