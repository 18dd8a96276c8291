"""``tierform report`` as a user runs it: a whole process on generated 100k and 1M books.

Prints wall time and peak memory (the child's maximum resident set) against the targets:
1M accounts in at most 20 s and 2 GiB. ``python benchmarks/bench_report.py [--sizes 100000]``.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tierform.core.loader import starter_text
from tierform.testing.sample import generate_accounts, write_csv

TARGETS = {1_000_000: (20.0, 2.0)}  # accounts -> (seconds, GiB)
AS_OF = "2026-11-01"  # a fixed date: the same renewal windows and rollout dates on every run


def run(size: int, folder: Path) -> tuple[float, float]:
    """(seconds, peak GiB) of one ``tierform report`` process on a ``size``-account book."""
    book = folder / f"book{size}.csv"
    write_csv(generate_accounts(size, seed=7), str(book))
    model = folder / "tierform.yaml"
    model.write_text(starter_text(), encoding="utf-8")
    exe = Path(sys.executable).with_name("tierform")
    args = [str(exe), "report", "--accounts", str(book), "-c", str(model), "--as-of", AS_OF]
    args += ["--out", str(folder / f"out{size}")]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024**2  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    sizes = parser.parse_args().sizes
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            seconds, gib = run(size, Path(tmp))
            target = TARGETS.get(size)
            goal = (
                f"  target <= {target[0]:g} s ({seconds / target[0]:.2f}x), "
                f"<= {target[1]:g} GiB ({gib / target[1]:.2f}x)"
                if target
                else ""
            )
            print(f"report {size:>9,} accounts: {seconds:7.2f} s, peak {gib:5.2f} GiB{goal}")


if __name__ == "__main__":
    main()
