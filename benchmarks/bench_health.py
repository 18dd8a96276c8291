"""Health scoring (and validation against churn) on 1,000,000 generated accounts.

Builds the book in memory from the sample generator (not timed), then times segmentation,
``score_health`` with the built-in model (every default signal the book has, per-tier weights,
bands, churn validation with correlation and AUC) and, for scale, the rules run on the same book.
Prints the times and the scoring throughput; no assertions.

    python benchmarks/bench_health.py [--accounts 1000000] [--no-rules]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from tierform.core.book import clean_table
from tierform.core.health.score import score_health
from tierform.core.loader import default_model
from tierform.core.rules.engine import run_rules
from tierform.core.segment import segment
from tierform.testing.sample import AS_OF, generate_accounts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--no-rules", action="store_true", help="Only time the health score.")
    args = parser.parse_args()

    model = default_model()
    as_of = dt.date.fromisoformat(str(AS_OF))
    t0 = time.perf_counter()
    book = clean_table(generate_accounts(args.accounts), model.accounts, "<generated>", 2)
    built = time.perf_counter() - t0

    t0 = time.perf_counter()
    seg = segment(model, book)
    seg_time = time.perf_counter() - t0

    t0 = time.perf_counter()
    result = score_health(model, book, seg, as_of=as_of)
    score_time = time.perf_counter() - t0

    n = len(book)
    v = result.validation or {}
    print(f"accounts            {n:,} (book built in {built:.2f} s, not part of the figures)")
    print(f"segment             {seg_time:.3f} s")
    print(
        f"score_health        {score_time:.3f} s  ({n / score_time:,.0f} accounts/s, "
        "incl. churn validation)"
    )
    print(
        f"  correlation {v.get('correlation')}, AUC {v.get('auc')}, "
        f"churned below 60: {v.get('churned_below_60')}%"
    )
    if not args.no_rules:
        t0 = time.perf_counter()
        run = run_rules(model, book, as_of, seg=seg, health=result)
        rules_time = time.perf_counter() - t0
        print(f"run_rules           {rules_time:.3f} s  ({len(run.actions):,} actions due)")


if __name__ == "__main__":
    main()
