"""The ``tierform`` entry point leaves without the interpreter's teardown only when that loses
nothing: output flushed, exit handlers run, exit codes kept, other threads waited for."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import weakref
from pathlib import Path

import pytest
from click.testing import CliRunner

from tierform.cli import process
from tierform.cli.main import cli

from ..conftest import EXAMPLES

BOOK = ["-c", str(EXAMPLES / "tierform.yaml"), "--accounts", str(EXAMPLES / "accounts.csv")]


def run_main(*args: str, before: str = "") -> subprocess.CompletedProcess[str]:
    """``tierform ARGS`` in a fresh process (through the console script's entry point),
    after running ``before`` there."""
    probe = f"{before}\nfrom tierform.cli.entry import main\nmain()\n"
    return subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=120
    )


def test_the_whole_output_is_written() -> None:
    args = ["health", *BOOK, "--format", "json", "--as-of", "2026-11-01"]
    done = run_main(*args)
    assert done.returncode == 0, done.stderr
    expected = CliRunner().invoke(cli, args)
    assert json.loads(done.stdout) == json.loads(expected.stdout)
    assert done.stdout.endswith("\n")


def test_exit_codes_are_kept() -> None:
    assert run_main("--version").returncode == 0
    assert run_main("segment", "--no-such-option").returncode == 2
    missing = run_main("segment", "-c", str(EXAMPLES / "tierform.yaml"), "--accounts", "nope.csv")
    assert missing.returncode not in (0, 2)
    assert "nope.csv" in missing.stderr


def test_exit_handlers_run(tmp_path: Path) -> None:
    mark = tmp_path / "ran"
    before = f"import atexit, pathlib\natexit.register(pathlib.Path({str(mark)!r}).touch)"
    assert run_main("--version", before=before).returncode == 0
    assert mark.exists()


def test_a_running_thread_is_waited_for() -> None:
    before = (
        "import threading, time\n"
        "def late():\n"
        "    time.sleep(0.3)\n"
        "    print('thread done', flush=True)\n"
        "threading.Thread(target=late).start()"
    )
    done = run_main("--version", before=before)
    assert done.returncode == 0
    assert done.stdout.rstrip().endswith("thread done")


def test_a_message_as_the_exit_code_is_printed() -> None:
    before = (
        "import sys\nimport tierform.cli.main as m\nm.cli = lambda **k: sys.exit('stopped: why')"
    )
    done = run_main(before=before)
    assert done.returncode == 1
    assert "stopped: why" in done.stderr


def test_a_profiler_still_writes_its_report(tmp_path: Path) -> None:
    report = tmp_path / "run.prof"
    probe = "from tierform.cli.entry import main\nmain()\n"
    script = tmp_path / "run.py"
    script.write_text(probe)
    done = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(report), str(script), "--version"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert report.stat().st_size > 0


class Result:
    """Something a command would hold: weakly referable, so a test can see it freed."""


def test_results_are_kept_only_when_run_as_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(process, "_kept", None)
    result = Result()
    freed = weakref.ref(result)
    process.keep_until_exit(result)
    del result
    assert freed() is None  # in-process: freed as usual

    monkeypatch.setattr(process, "_kept", [])  # as run_as_command() leaves it
    result = Result()
    kept = weakref.ref(result)
    process.keep_until_exit(result)
    del result
    assert kept() is not None  # as the command: held until the process ends


def test_the_collector_is_slowed_only_until_the_inputs_are_read() -> None:
    """Run as the command, the collector does not run at all while the engine is imported and
    the inputs are read (everything made then lives to the end), and runs at its usual pace
    after, with what was made frozen out of its walks."""
    probe = (
        "import gc, sys\n"
        "from tierform.cli import process\n"
        "from tierform.cli.common import load\n"
        "usual = gc.get_threshold()\n"
        "runs = []\n"
        "process.run_as_command()\n"
        "gc.callbacks.append(lambda phase, info: runs.append(phase) if phase == 'stop' else None)\n"
        "starting = gc.get_threshold()\n"
        "import tierform.core.rules.engine, tierform.core.health.score, tierform.cli.jsonout\n"
        "load(sys.argv[1], sys.argv[2])\n"
        "print(starting == process.STARTING_PACE, gc.get_threshold() == usual,"
        " gc.get_freeze_count() > 0, len(runs))\n"
    )
    args = [str(EXAMPLES / "tierform.yaml"), str(EXAMPLES / "accounts.csv")]
    done = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "True", "0"]


_PLUGIN_PROBE = (
    "import os, sys\n"
    "from tierform.cli import process\n"
    "from tierform.cli.common import load\n"
    "process.run_as_command()\n"
    "load(sys.argv[1], sys.argv[2])\n"
    "from pydantic.plugin import _loader\n"
    "print(repr(os.environ['PYDANTIC_DISABLE_PLUGINS']), _loader._plugins is None)\n"
)


def test_the_command_has_pydantic_look_for_no_plugins() -> None:
    """Run as the command, the model loads without pydantic's search of every installed
    distribution for plugins; a value the user set (even an empty one) is kept."""
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    args = [str(EXAMPLES / "tierform.yaml"), str(EXAMPLES / "accounts.csv")]
    probe = [sys.executable, "-c", _PLUGIN_PROBE, *args]
    done = subprocess.run(probe, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["'__all__'", "True"]  # never searched

    env["PYDANTIC_DISABLE_PLUGINS"] = ""
    done = subprocess.run(probe, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["''", "False"]  # searched, as pydantic does by default


def test_in_process_the_collector_is_left_alone() -> None:
    before = (gc.get_threshold(), gc.get_freeze_count())
    process.settle()
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


_BLAS_PROBE = (
    "import os, sys\n"
    "from tierform.cli import process\n"
    "process.run_as_command()\n"
    "import numpy\n"
    "threads = next(line.split()[1] for line in open('/proc/self/status')"
    " if line.startswith('Threads:'))\n"
    "print(os.environ['OPENBLAS_NUM_THREADS'], threads)\n"
)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_the_command_keeps_numpy_to_one_thread() -> None:
    """Run as the command, numpy's BLAS starts no threads of its own (they would spin beside
    the book's parse); a count the user set is kept."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    done = subprocess.run(
        [sys.executable, "-c", _BLAS_PROBE], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "1"]  # the setting, and the process's only thread

    env["OPENBLAS_NUM_THREADS"] = "2"
    done = subprocess.run(
        [sys.executable, "-c", _BLAS_PROBE], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == "2"
