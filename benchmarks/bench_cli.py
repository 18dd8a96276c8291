"""The CLI as a user runs it: whole ``tierform`` processes on generated books.

For each book size, generates a book (the project's deterministic generator) in a temporary
folder, times a pyarrow parse of the CSV (the floor any command pays), then runs each command as
its own process and prints its wall time, its peak memory (the child's own maximum resident set,
from ``wait4``), its ratio to the parse and its target, side by side. The parse is timed a few
times first and once more right before each run of a command with a ratio target; the unit of
every ratio is the fastest of them all. A machine's speed can drift within the hour (the same
code has been seen a third slower an hour later): a unit timed only at the start, in a slow
stretch, would flatter every ratio after it; the fastest parse seen never does. Beside it,
``x beside`` sets each run against the parse timed just before it and gives the best of
those: a drift between runs then cancels out, which tells a slow stretch from slow code. The
verdict stays with the stricter unit.

A plan that reads a sheet of 128 MiB or more (``sync-dry`` at 1M) also runs two tag-scan
workers (:mod:`tierform.workbook.scan_workers`): ``wait4`` gives the largest of the processes,
not their sum, so their own peak (about 56 MiB each, read from ``VmHWM`` while they run) comes
on top.

    python benchmarks/bench_cli.py                       # 1,000,000 and 100,000 accounts
    python benchmarks/bench_cli.py --sizes 100000 --only segment,assign
    python benchmarks/bench_cli.py --list                # the command names for --only

Every process runs as an installed package does: with its compiled bytecode cached (in the
temporary folder, so the checkout is left as it is, even where PYTHONDONTWRITEBYTECODE is set),
after one untimed warm-up run of the analysis commands on a 10-account book.

Each analysis command also runs on that 10-account book, as text (``segment-10`` to
``validate-10``): the floor a small command pays, whose target is for any of them. These
commands and ``help`` take turns, one run each per round, so that a slow stretch of the
machine falls on a run of each of them rather than on every run of one.

``assign`` runs with a roster sized by ``tierform capacity`` (its headcount per tier; the book's
current owners first, so some keep their accounts). ``sync-apply`` is the first apply to a new
xlsx target; ``sync-dry`` plans against that target once it is aligned.

The two sync rows run on a book of their own: the generated book gives a million accounts about
1.6 million due tasks, more than the 1,048,576 rows an .xlsx sheet holds, so its first apply
rightly fails (and a dry run would plan against a workbook never written). They take
``bench_sync_xlsx.write_book`` (the same size; renewals over five years and mostly healthy usage,
so a million accounts' tasks fit one Tasks sheet) with the starter model, as of its date, which
is also what ``bench_sync_xlsx.py`` measures.

Right before each timed process (each parse included), a short-lived child touches
``--prime`` MiB of memory (2 GiB by default, above every command's peak). On a virtual machine
that hands memory freed for a few seconds back to its host, a page touched again costs the
host's first-touch time: seen here at 6 s per GiB, against 0.1 s per GiB for a page freed a
moment before. Without the priming, a command's time would depend on how long the machine had
been idle before it (a 1M sync plan varied by 10 s); ``--prime 0`` measures without it.

The figures depend on the machine, and pure Python more than Arrow's parse: the first line
printed says how fast this one is, as the best of a few fresh interpreters: the time to start
one (``python -c pass``) and a ten-million-step Python loop. A machine twice as slow at those
runs every command's Python part twice as long, so its ratios to the parse are worse even where
the code is the same; compare figures across machines with them. The table's footer gives them
again, measured anew at the end: where the two differ, the machine changed pace during the run.

A command that exits non-zero is reported as failed, with the last line of its stderr, never as
a time (nor is one whose setup failed, such as the apply ``sync-dry`` plans against).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

AS_OF = "2026-11-01"
HERE = Path(__file__).resolve().parent
MIB_PER_GIB = 1024.0
BIN = Path(sys.executable).parent
TIERFORM = str(BIN / "tierform")
PARSE = r"""
import sys, time
import pyarrow.csv as pacsv
t0 = time.perf_counter()
pacsv.read_csv(sys.argv[1])
print(time.perf_counter() - t0)
"""


GENERATE = r"""
import sys
try:
    from tierform.testing.sample import generate_accounts, write_csv
except ImportError:  # the generator's older home
    from tierform.sample import generate_accounts, write_csv
from tierform.core.loader import starter_text
size, csv_path, model_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
write_csv(generate_accounts(size, seed=11), csv_path)
open(model_path, "w", encoding="utf-8").write(starter_text())
"""
SYNC_BOOK = r"""
import sys
sys.path.insert(0, sys.argv[4])
from pathlib import Path
from bench_sync_xlsx import write_book
from tierform.core.loader import starter_text
size, csv_path, model_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
write_book(Path(csv_path), size)
open(model_path, "w", encoding="utf-8").write(starter_text())
"""
ROSTER = r"""
import csv, json, sys
try:
    from tierform.testing.sample import CSMS
except ImportError:  # the generator's older home
    from tierform.sample import CSMS
from tierform.core.loader import load_model
model_path, roster_path = sys.argv[1], sys.argv[2]
heads = {t["name"]: t["headcount"] for t in json.load(sys.stdin)["tiers"]}
with open(roster_path, "w", newline="", encoding="utf-8") as fh:
    rows = csv.writer(fh)
    rows.writerow(["name", "tier", "pool", "capacity"])
    for tier in load_model(model_path).tiers:
        known = list(CSMS.get(tier.name, []))  # the book's current owners come first
        for k in range(heads.get(tier.name, 0)):
            name = known[k] if k < len(known) else f"{tier.name} CSM {k + 1}"
            if tier.layer.value == "named":
                rows.writerow([name, tier.name, "", ""])
            elif tier.layer.value == "pooled":
                rows.writerow([name, "", tier.pool_name, ""])
"""


@dataclass(frozen=True)
class Target:
    """What the issue asks of a command: a ratio to the parse, seconds, and/or peak MiB."""

    ratio: float | None = None
    seconds: float | None = None
    peak_mib: float | None = None

    def text(self) -> str:
        parts = []
        if self.ratio is not None:
            parts.append(f"<= {self.ratio:g}x")
        if self.seconds is not None:
            parts.append(f"<= {self.seconds:g} s")
        if self.peak_mib is not None:
            parts.append(f"<= {self.peak_mib / MIB_PER_GIB:g} GiB")
        return ", ".join(parts) or "-"

    def met(self, seconds: float, ratio: float | None, peak_mib: float) -> bool:
        return (
            (self.ratio is None or (ratio is not None and ratio <= self.ratio))
            and (self.seconds is None or seconds <= self.seconds)
            and (self.peak_mib is None or peak_mib <= self.peak_mib)
        )


@dataclass
class Book:
    """One generated book and what commands need beside it (model, roster, xlsx target)."""

    size: int
    folder: Path
    parses: list[float] = field(default_factory=list)  # every timed parse of the book
    extras: dict[str, Path] = field(default_factory=dict)

    @property
    def parse_seconds(self) -> float | None:
        """The unit of the ratios: the fastest parse of the book timed during the run."""
        return min(self.parses) if self.parses else None

    @property
    def csv(self) -> Path:
        return self.folder / "accounts.csv"

    @property
    def model(self) -> Path:
        return self.folder / "tierform.yaml"


@dataclass(frozen=True)
class Command:
    name: str
    argv: Callable[[Book], list[str]]
    targets: dict[int | None, Target]  # by book size; None: any size
    per_size: bool = True  # False: run once, on its own book (see ``book``)
    book: int | None = None  # the size of that own book
    setup: Callable[[Book], str | None] | None = None  # returns why it failed, else None
    sync_book: bool = False  # runs on the size's sync book (see the module docstring)

    def target(self, size: int | None) -> Target | None:
        """The target for a book of ``size`` accounts, else the one for any size (None)."""
        return self.targets.get(size, self.targets.get(None))


@dataclass(frozen=True)
class Run:
    command: str
    size: int | None
    seconds: float  # the best run's wall time (and its peak, ratio and system time below)
    peak_mib: float
    exit_code: int
    ratio: float | None
    target: Target | None
    error: str | None = None  # a failed run: the last line of its stderr
    median: float | None = None  # the median wall time of the runs, when there were several
    median_ratio: float | None = None
    system: float = 0.0  # seconds the kernel spent for it (first touches of memory, mostly)
    beside: float | None = None  # the best of each run over the parse timed just before it


@dataclass(frozen=True)
class Timed:
    """One process: wall seconds, its peak MiB, exit code and system seconds."""

    seconds: float
    peak_mib: float
    exit_code: int
    system: float
    parse: float | None = None  # the parse timed just before it (commands with a ratio target)


def analysis(name: str, *args: str) -> Callable[[Book], list[str]]:
    return lambda b: [name, *args, "-c", str(b.model), "--accounts", str(b.csv)]


def roster(book: Book) -> str | None:
    """A roster of the headcount ``tierform capacity`` asks for, per tier or pool."""
    if "roster" in book.extras:
        return None
    capacity = subprocess.run(
        [TIERFORM, *analysis("capacity")(book), "--format", "json"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = book.folder / "roster.csv"
    subprocess.run(
        [sys.executable, "-c", ROSTER, str(book.model), str(path)],
        input=capacity,
        check=True,
        text=True,
    )
    book.extras["roster"] = path
    return None


def aligned_target(book: Book) -> str | None:
    """An xlsx target the model has been applied to once (untimed unless run as sync-apply)."""
    if (book.folder / "tierform-coverage.xlsx").exists():
        return None
    code = run_process([TIERFORM, *sync_argv(book), "--apply"], book.folder / "setup.out").exit_code
    if code:
        return f"setup apply exit {code}: {last_line(book.folder / 'setup.out.err')}"
    return None


def fresh_target(book: Book) -> str | None:
    for name in ("tierform-coverage.xlsx", ".tierform"):
        path = book.folder / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    for journal in book.folder.glob("*.jsonl"):
        journal.unlink()
    return None


def sync_argv(book: Book) -> list[str]:
    return ["sync", "-c", str(book.model), "--accounts", str(book.csv), "--as-of", SYNC_AS_OF]


def sync_as_of() -> str:
    sys.path.insert(0, str(HERE))
    from bench_sync_xlsx import AS_OF as day

    return day.isoformat()


SYNC_AS_OF = sync_as_of()


def analysis_targets() -> dict[int | None, Target]:
    return {1_000_000: Target(ratio=3, peak_mib=1.5 * MIB_PER_GIB)}


def small_book_commands() -> list[Command]:
    """Each analysis command on a 10-account book (as a user runs it, text output): the
    issue's "any analysis command" target, so every one is timed, not only ``segment``."""
    argvs: dict[str, Callable[[Book], list[str]]] = {
        "segment-10": analysis("segment"),
        "capacity-10": analysis("capacity"),
        "health-10": analysis("health", "--as-of", AS_OF),
        "rules-run-10": analysis("rules", "run", "--as-of", AS_OF),
        "assign-10": lambda b: [*analysis("assign")(b), "--roster", str(b.extras["roster"])],
        "validate-10": analysis("validate"),
    }
    return [
        Command(
            name,
            argv,
            {None: Target(seconds=0.4)},
            per_size=False,
            book=10,
            setup=roster if name == "assign-10" else None,
        )
        for name, argv in argvs.items()
    ]


COMMANDS = [
    Command("segment", analysis("segment", "--format", "json"), analysis_targets()),
    Command("capacity", analysis("capacity", "--format", "json"), analysis_targets()),
    Command("health", analysis("health", "--as-of", AS_OF, "--format", "json"), analysis_targets()),
    Command(
        "rules-run",
        analysis("rules", "run", "--as-of", AS_OF, "--format", "json"),
        analysis_targets(),
    ),
    Command(
        "assign",
        lambda b: [*analysis("assign")(b), "--roster", str(b.extras["roster"])],
        {1_000_000: Target(seconds=5)},
        setup=roster,
    ),
    Command(
        "assign-json",
        lambda b: [*analysis("assign")(b), "--roster", str(b.extras["roster"]), "--format", "json"],
        {1_000_000: Target(seconds=5)},
        setup=roster,
    ),
    Command(
        "report",
        lambda b: [*analysis("report", "--as-of", AS_OF)(b), "--out", str(b.folder / "report")],
        {1_000_000: Target(seconds=20, peak_mib=2 * MIB_PER_GIB)},
    ),
    Command(
        "sync-apply",
        lambda b: [*sync_argv(b), "--apply"],
        {1_000_000: Target(seconds=60)},
        setup=fresh_target,
        sync_book=True,
    ),
    Command(
        "sync-dry",
        sync_argv,
        {1_000_000: Target(seconds=20, peak_mib=2 * MIB_PER_GIB), 100_000: Target(seconds=3)},
        setup=aligned_target,
        sync_book=True,
    ),
    Command("help", lambda b: ["--help"], {None: Target(seconds=0.15)}, per_size=False),
    *small_book_commands(),
]


CHILD_ENV = dict(os.environ)


def cache_bytecode(root: Path) -> None:
    """Children keep their compiled modules under ``root`` (an installed package ships them)."""
    CHILD_ENV.pop("PYTHONDONTWRITEBYTECODE", None)
    CHILD_ENV["PYTHONPYCACHEPREFIX"] = str(root / "pycache")


def warm_up(book: Book) -> None:
    """One untimed run of each analysis command, so every module's bytecode is cached."""
    for argv in (
        ["--help"],
        analysis("segment", "--format", "json")(book),
        analysis("capacity", "--format", "json")(book),
        analysis("health", "--as-of", AS_OF, "--format", "json")(book),
        analysis("rules", "run", "--as-of", AS_OF, "--format", "json")(book),
        analysis("assign", "--format", "json")(book),
    ):
        run_process([TIERFORM, *argv], book.folder / "warm-up.out")


def run_process(argv: list[str], stdout: Path) -> Timed:
    """Wall seconds, peak MiB (this child's own), exit code and system seconds of one process;
    its stderr goes to ``stdout`` with ``.err`` added (see :func:`last_line`)."""
    with stdout.open("wb") as out, stdout.with_name(stdout.name + ".err").open("wb") as err:
        t0 = time.perf_counter()
        child = subprocess.Popen(argv, stdout=out, stderr=err, env=CHILD_ENV)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - t0
    child.returncode = os.waitstatus_to_exitcode(status)
    peak = usage.ru_maxrss / 1024 if sys.platform != "darwin" else usage.ru_maxrss / 2**20
    return Timed(seconds, peak, child.returncode, usage.ru_stime)


def last_line(err: Path) -> str:
    """The last line a process wrote to stderr that says something (its error message; a
    message spread over lines, such as a YAML error ending in a caret, by its ``error:`` line)."""
    try:
        text = err.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no stderr)"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    worded = [line for line in lines if any(ch.isalpha() for ch in line)]
    chosen = errors or worded or lines
    return chosen[-1] if chosen else "(no stderr)"


def make_book(size: int, root: Path, sync: bool = False) -> Book:
    """Generated in a child process: this one stays small, and a child's peak memory starts
    from its parent's (fork), so a large parent would inflate every figure. ``sync``: the book
    the sync rows run on (see the module docstring)."""
    book = Book(size, root / f"book-{size}{'-sync' if sync else ''}")
    book.folder.mkdir(parents=True)
    t0 = time.perf_counter()
    script = [SYNC_BOOK] if sync else [GENERATE]
    extra = [str(HERE)] if sync else []
    subprocess.run(
        [sys.executable, "-c", *script, str(size), str(book.csv), str(book.model), *extra],
        check=True,
    )
    print(
        f"generated {size:,} {'sync ' if sync else ''}accounts "
        f"({book.csv.stat().st_size / 1e6:.0f} MB) "
        f"in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    return book


PRIME_MIB = 2048
PRIME = "import sys, numpy; numpy.ones(int(sys.argv[1]) << 20, dtype=numpy.uint8)"


LOOP = r"""
import time
t0 = time.perf_counter()
for _ in range(10_000_000):
    pass
print(time.perf_counter() - t0)
"""


@dataclass(frozen=True)
class Machine:
    """How fast this machine runs the interpreter (see the module docstring)."""

    start_seconds: float  # ``python -c pass``, the whole process
    loop_seconds: float  # a ten-million-step loop, timed inside its process

    def text(self, when: str = "") -> str:
        return (
            f"this machine{when}: python -c pass {self.start_seconds:.3f} s, "
            f"a 10M-step Python loop {self.loop_seconds:.2f} s (best of {MACHINE_RUNS})"
        )


MACHINE_RUNS = 5


def machine() -> Machine:
    """The best of :data:`MACHINE_RUNS` fresh interpreters for each figure."""
    starts, loops = [], []
    for _ in range(MACHINE_RUNS):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        starts.append(time.perf_counter() - t0)
        out = subprocess.run(
            [sys.executable, "-c", LOOP], check=True, capture_output=True, text=True
        )
        loops.append(float(out.stdout))
    return Machine(min(starts), min(loops))


def prime(mib: int) -> None:
    """Touch ``mib`` MiB in a child that then exits (see the module docstring)."""
    if mib > 0:
        subprocess.run([sys.executable, "-c", PRIME, str(mib)], check=True)


def time_parses(book: Book, repeat: int, prime_mib: int) -> None:
    """``repeat`` pyarrow parses of the book, each in a fresh interpreter, added to its
    parses."""
    for _ in range(repeat):
        prime(prime_mib)
        out = subprocess.run(
            [sys.executable, "-c", PARSE, str(book.csv)], check=True, capture_output=True, text=True
        )
        book.parses.append(float(out.stdout))


def measure(
    cmd: Command, book: Book, size: int | None, repeat: int, prime_mib: int, parsed: Book
) -> Run:
    """The best of ``repeat`` runs, with the median of their wall times beside it; for a ratio
    target, a parse of ``parsed`` is timed before each run (:func:`with_ratios` divides)."""
    runs: list[Timed] = []
    for _ in range(repeat):
        result = run_once(cmd, book, size, prime_mib, parsed)
        if isinstance(result, Run):
            return result
        runs.append(result)
    return summary(cmd, size, runs)


def measure_interleaved(
    commands: list[tuple[Command, Book]], repeat: int, prime_mib: int
) -> list[Run]:
    """:func:`measure` for commands of a second or less, taken in turns: round after round,
    each command runs once. A slow stretch of the machine (see the module docstring) then
    slows a run of each, not every run of one, and the commands' figures stay comparable."""
    runs: dict[str, list[Timed]] = {cmd.name: [] for cmd, _ in commands}
    failed: dict[str, Run] = {}
    for _ in range(repeat):
        for cmd, book in commands:
            if cmd.name in failed:
                continue
            result = run_once(cmd, book, None, prime_mib, parsed=book)
            if isinstance(result, Run):
                failed[cmd.name] = result
            else:
                runs[cmd.name].append(result)
    return [failed.get(cmd.name) or summary(cmd, None, runs[cmd.name]) for cmd, _ in commands]


def run_once(
    cmd: Command, book: Book, size: int | None, prime_mib: int, parsed: Book
) -> Timed | Run:
    """One run of ``cmd`` after its setup and the memory primer; a failure (of the setup or
    of the command) as its :class:`Run`, never as a time."""
    target = cmd.target(size)
    failed = cmd.setup(book) if cmd.setup else None
    if failed:
        return Run(cmd.name, size, 0.0, 0.0, 1, None, target, failed)
    beside = None
    if target is not None and target.ratio is not None:
        time_parses(parsed, 1, prime_mib)  # the unit is timed beside the command too
        beside = parsed.parses[-1]
    out = book.folder / f"{cmd.name}.out"
    prime(prime_mib)
    result = run_process([TIERFORM, *cmd.argv(book)], out)
    if result.exit_code:
        error = last_line(out.with_name(out.name + ".err"))
        return Run(
            cmd.name, size, result.seconds, result.peak_mib, result.exit_code, None, target, error
        )
    return replace(result, parse=beside)


def summary(cmd: Command, size: int | None, runs: list[Timed]) -> Run:
    """The best of ``runs`` (its wall time, peak and system time), with their median."""
    target = cmd.target(size)
    best = min(runs, key=lambda r: r.seconds)
    median = statistics.median(r.seconds for r in runs) if len(runs) > 1 else None
    paired = [r.seconds / r.parse for r in runs if r.parse]
    return Run(
        cmd.name,
        size,
        best.seconds,
        best.peak_mib,
        0,
        None,
        target,
        median=median,
        system=best.system,
        beside=min(paired) if paired else None,
    )


def with_ratios(run: Run, parse: float | None) -> Run:
    """``run`` with its times as ratios to ``parse`` (None: no ratios)."""
    if not parse or run.exit_code or run.error:
        return run
    median = run.median / parse if run.median is not None else None
    return replace(run, ratio=run.seconds / parse, median_ratio=median)


def describe(run: Run) -> str:
    if run.exit_code or run.error:
        return f"FAILED (exit {run.exit_code}): {run.error}"
    median = f" (median {run.median:.2f} s)" if run.median is not None else ""
    return f"{run.seconds:.2f} s{median}, {run.peak_mib:.0f} MiB, system {run.system:.2f} s"


def verdict(run: Run) -> str:
    """Whether the best run meets the target, and whether the median run does too."""
    if run.target is None:
        return "-"
    if not run.target.met(run.seconds, run.ratio, run.peak_mib):
        return "NO"
    if run.median is None or run.target.met(run.median, run.median_ratio, run.peak_mib):
        return "yes"
    return "best only"


def print_table(
    runs: list[Run],
    parses: dict[int, list[float]],
    prime_mib: int,
    start: Machine,
    end: Machine,
) -> None:
    print()
    print(start.text(" at the start"))
    print(end.text(" at the end"))
    primed = f"after a {prime_mib} MiB memory primer" if prime_mib > 0 else "with no primer"
    print(f"each timed process (parses included) ran {primed} (see --prime)")
    for size, times in sorted(parses.items(), reverse=True):
        print(
            f"pyarrow parse of {size:,} accounts: {min(times):.3f} s, the fastest of {len(times)}"
            f" timed through the run (slowest {max(times):.3f} s, median "
            f"{statistics.median(times):.3f} s): the unit of every ratio"
        )
    print("wall s, peak, x parse and system s: the best run; median: of all the runs (--repeat)")
    print("x beside: the best of each run over the parse timed just before it (not the verdict)")
    header = f"{'command':<12} {'accounts':>10} {'wall s':>8} {'median s':>9} {'peak MiB':>9} "
    header += f"{'x parse':>8} {'median x':>9} {'x beside':>9} {'system s':>9}  "
    header += f"{'target':<24} {'met':<9}"
    print(header)
    print("-" * len(header))
    for r in runs:
        accounts = f"{r.size:,}" if r.size is not None else "-"
        if r.exit_code or r.error:
            print(f"{r.command:<12} {accounts:>10} {'FAILED':>8} (exit {r.exit_code}): {r.error}")
            continue
        median = f"{r.median:.2f}" if r.median is not None else "-"
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else "-"
        median_ratio = f"{r.median_ratio:.2f}x" if r.median_ratio is not None else "-"
        beside = f"{r.beside:.2f}x" if r.beside is not None and r.ratio is not None else "-"
        target = r.target.text() if r.target else "-"
        print(
            f"{r.command:<12} {accounts:>10} {r.seconds:>8.2f} {median:>9} {r.peak_mib:>9.0f} "
            f"{ratio:>8} {median_ratio:>9} {beside:>9} {r.system:>9.2f}  {target:<24} "
            f"{verdict(r):<9}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="1000000,100000",
        help="comma-separated book sizes (default: 1000000,100000)",
    )
    parser.add_argument("--only", default=None, help="comma-separated commands (see --list)")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs per command: the best is the figure, the median is shown beside it",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--prime",
        type=int,
        default=PRIME_MIB,
        metavar="MIB",
        help=f"memory touched before each timed process (default {PRIME_MIB}; 0: none)",
    )
    parser.add_argument("--list", action="store_true", help="list the commands and exit")
    args = parser.parse_args()
    if args.list:
        for cmd in COMMANDS:
            targets = "; ".join(
                f"{'any' if s is None else f'{s:,}'}: {t.text()}" for s, t in cmd.targets.items()
            )
            print(f"{cmd.name:<12} {targets}")
        return
    chosen = [c for c in COMMANDS if not args.only or c.name in args.only.split(",")]
    unknown = set(args.only.split(",")) - {c.name for c in COMMANDS} if args.only else set()
    if unknown:
        parser.error(f"unknown command(s) {', '.join(sorted(unknown))}: see --list")
    sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s}, reverse=True)
    root = Path(tempfile.mkdtemp(prefix="tierform-bench-cli-"))
    cache_bytecode(root)
    runs: list[Run] = []
    parses: dict[int, list[float]] = {}
    speed = machine()
    print(speed.text(), flush=True)
    try:
        books: dict[tuple[int, bool], Book] = {}

        def book_of(size: int, sync: bool = False) -> Book:
            if (size, sync) not in books:
                books[size, sync] = make_book(size, root, sync)
            return books[size, sync]

        warm_up(book_of(10))
        for size in sizes:
            per_size = [c for c in chosen if c.per_size]
            if not per_size:
                continue
            book = book_of(size)
            time_parses(book, max(args.repeat, 3), args.prime)
            print(f"parse {size:,}: {book.parse_seconds:.3f} s", flush=True)
            done: list[tuple[Command, Run]] = []
            for cmd in per_size:
                print(f"running {cmd.name} on {size:,} accounts ...", flush=True)
                own = book_of(size, sync=True) if cmd.sync_book else book
                run = measure(cmd, own, size, args.repeat, args.prime, parsed=book)
                print(f"  {describe(run)}", flush=True)
                done.append((cmd, run))
            # A sync row runs on a book of its own, which is not the one parsed: no ratio.
            runs += [
                with_ratios(run, None if c.sync_book else book.parse_seconds) for c, run in done
            ]
            parses[size] = book.parses
        small = [c for c in chosen if not c.per_size]
        if small:
            print(f"running {', '.join(c.name for c in small)} in turns ...", flush=True)
            pairs = [(c, book_of(c.book) if c.book else Book(0, root)) for c in small]
            for run in measure_interleaved(pairs, max(args.repeat, 3), args.prime):
                print(f"  {run.command}: {describe(run)}", flush=True)
                runs.append(run)
        print_table(runs, parses, args.prime, speed, machine())
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
