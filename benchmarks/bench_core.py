"""Ingest + segment + capacity on a generated book of 1,000,000 accounts.

Prints the pipeline's wall time and peak memory, and the ratio to merely parsing the same CSV
with pyarrow's multi-threaded reader (the fastest reader available here). Target: under 3x the
parse time and under 1 GiB peak.

    python benchmarks/bench_core.py [--accounts 1000000] [--keep]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"

CHILD = r"""
import resource, sys, time
stage = sys.argv[1]; path = sys.argv[2]
t0 = time.perf_counter()
if stage == "parse":
    import pyarrow.csv as pacsv
    table = pacsv.read_csv(path)
    rows = table.num_rows
else:
    from tierform.core.book import read_book
    from tierform.core.capacity import plan_capacity
    from tierform.core.loader import default_model
    from tierform.core.segment import segment
    model = default_model()
    book = read_book(path, model.accounts)
    seg = segment(model, book)
    cap = plan_capacity(model, seg)
    rows = len(book)
elapsed = time.perf_counter() - t0
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"{elapsed:.4f} {peak_kib} {rows}")
"""


def run(stage: str, path: Path) -> tuple[float, float, int]:
    """Each stage in a fresh interpreter: its peak memory is its own; imports are not timed."""
    prelude = (
        "import pyarrow, pyarrow.csv, numpy, pydantic, yaml; "
        "import tierform.core.book, tierform.core.segment, tierform.core.capacity\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", prelude + CHILD, stage, str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[0]), int(out[1]) / 1024, int(out[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per stage; the best is kept")
    parser.add_argument("--keep", action="store_true", help="keep the generated CSV")
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    path = DATA / f"accounts-{args.accounts}.csv"
    if not path.exists():
        from tierform.testing.sample import generate_accounts, write_csv

        t0 = time.perf_counter()
        write_csv(generate_accounts(args.accounts, seed=11), str(path))
        print(
            f"generated {path.name} ({path.stat().st_size / 1e6:.0f} MB) in "
            f"{time.perf_counter() - t0:.1f} s"
        )
    parse = min(run("parse", path)[:2] for _ in range(args.repeat))
    pipe = min(run("pipeline", path)[:2] for _ in range(args.repeat))
    rows = run("pipeline", path)[2]
    print(f"accounts:                  {rows:,}")
    print(f"pyarrow parse only:        {parse[0]:.3f} s, peak {parse[1]:.0f} MiB")
    print(f"ingest+segment+capacity:   {pipe[0]:.3f} s, peak {pipe[1]:.0f} MiB")
    print(f"ratio to parse:            {pipe[0] / parse[0]:.2f}x (target < 3x)")
    print(f"peak memory vs 1 GiB:      {pipe[1] / 1024:.2f} GiB (target < 1 GiB)")
    if not args.keep:
        path.unlink()


if __name__ == "__main__":
    main()
