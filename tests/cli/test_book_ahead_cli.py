"""The commands read a CSV book ahead (``tierform.core.book_ahead``): the same output as a
plain read, one read of the book, and no read left running when a command ends."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from tierform.cli.main import cli
from tierform.core import book_ahead

from .test_leave import run_main

BROKEN = "tiers: not a list\naccounts:\n  path: accounts.csv\n"


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def without_read_ahead(monkeypatch: pytest.MonkeyPatch, *args: str):
    with monkeypatch.context() as m:
        m.setattr(book_ahead, "start", lambda config, accounts: None)
        return invoke(*args)


@pytest.mark.parametrize(
    "command",
    [
        ["segment", "--format", "json"],
        ["health", "--format", "json", "--as-of", "2026-11-01"],
        ["rules", "run", "--format", "json", "--as-of", "2026-11-01"],
    ],
)
def test_a_command_reads_its_book_once_ahead_with_the_same_output(
    example: Path, csv_reads: list[str], monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    args = [*command, "-c", str(example)]
    ahead = invoke(*args)
    assert ahead.exit_code == 0, ahead.output
    assert csv_reads == [book_ahead.THREAD_NAME]
    plain = without_read_ahead(monkeypatch, *args)
    assert csv_reads[1:] == ["MainThread"]
    assert ahead.stdout == plain.stdout
    assert ahead.stderr == plain.stderr


def test_a_model_that_fails_leaves_no_read_running(
    example: Path, csv_reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    example.write_text(BROKEN, encoding="utf-8")
    failed = invoke("segment", "-c", str(example))
    assert csv_reads == [book_ahead.THREAD_NAME]  # begun from the accounts section
    assert not any(t.name == book_ahead.THREAD_NAME for t in threading.enumerate())
    plain = without_read_ahead(monkeypatch, "segment", "-c", str(example))
    assert (failed.exit_code, failed.stderr) == (plain.exit_code, plain.stderr)
    assert failed.exit_code == 1 and "tiers: Input should be a valid list" in failed.stderr


def test_the_process_ends_only_after_an_unused_read(example: Path, tmp_path: Path) -> None:
    """A process must not end while Arrow still reads: the read that lost its model is waited
    for before the exit (here a read made slow, which marks its end in a file)."""
    example.write_text(BROKEN, encoding="utf-8")
    mark = tmp_path / "read-ended"
    before = (
        "import time, pathlib\n"
        "from tierform.core import book_ahead, book_csv\n"
        "book_ahead.MIN_BYTES = 0\n"
        "real = book_csv.read_csv\n"
        "def slow(*args):\n"
        "    time.sleep(0.5)\n"
        "    result = real(*args)\n"
        f"    pathlib.Path({str(mark)!r}).touch()\n"
        "    return result\n"
        "book_csv.read_csv = slow\n"
    )
    done = run_main("segment", "-c", str(example), before=before)
    assert done.returncode == 1, done.stderr
    assert "tiers: Input should be a valid list" in done.stderr
    assert mark.exists()


def test_the_entry_point_begins_the_read_and_the_command_takes_it_over(
    example: Path, tmp_path: Path
) -> None:
    """``tierform segment``: the book's one read is begun before click and the command's
    module are imported (by the entry point, from the command line), and the command uses
    it."""
    log = tmp_path / "reads.json"
    before = (
        "import atexit, json, sys, threading\n"
        "from tierform.core import book_ahead, book_csv\n"
        "book_ahead.MIN_BYTES = 0\n"
        "events = []\n"
        "real_start, real_read = book_ahead.start, book_csv.read_csv\n"
        "def start(*args):\n"
        "    loaded = [m in sys.modules for m in ('click', 'tierform.cli.coverage_cmds')]\n"
        "    events.append(['start', *loaded])\n"
        "    real_start(*args)\n"
        "def read(*args):\n"
        "    events.append(['read', threading.current_thread().name])\n"
        "    return real_read(*args)\n"
        "book_ahead.start, book_csv.read_csv = start, read\n"
        f"atexit.register(lambda: open({str(log)!r}, 'w').write(json.dumps(events)))\n"
    )
    args = ["segment", "-c", str(example), "--format", "json"]
    done = run_main(*args, before=before)
    assert done.returncode == 0, done.stderr
    events = json.loads(log.read_text())
    # Begun before click and the command's module, taken over by the command's own start;
    # read once, ahead.
    assert sorted(map(tuple, events)) == [
        ("read", book_ahead.THREAD_NAME),
        ("start", False, False),
        ("start", True, True),
    ]
    assert events[0] == ["start", False, False]
    assert json.loads(done.stdout) == json.loads(invoke(*args).stdout)


def test_an_interrupt_while_the_entry_point_begins_the_read_aborts_as_click_does(
    example: Path,
) -> None:
    """Ctrl-C before click runs (the read ahead being begun) ends as click ends an
    interrupted command: "Aborted!" and status 1, no traceback."""
    before = (
        "from tierform.core import book_ahead\n"
        "def start(*args):\n"
        "    raise KeyboardInterrupt\n"
        "book_ahead.start = start\n"
    )
    done = run_main("segment", "-c", str(example), before=before)
    assert done.returncode == 1
    assert done.stderr.strip() == "Aborted!"
    assert done.stdout == ""
