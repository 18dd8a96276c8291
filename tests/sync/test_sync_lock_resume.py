"""One apply at a time per target, results recorded as they come, killed runs resumed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tierform.errors import JournalError
from tierform.sync.adapter import AdapterContext
from tierform.sync.engine import Syncer
from tierform.sync.journal import Journal, TargetBusy
from tierform.testing import FakeAdapter, FakePlatform, sample_desired
from tierform.testing.fake import FakeSettings

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

import killable  # noqa: E402


def test_second_apply_on_a_target_is_refused_while_the_first_runs(tmp_path: Path) -> None:
    store = FakePlatform()
    first = Syncer(
        FakeAdapter(FakeSettings(), AdapterContext("fake", tmp_path), store=store),
        Journal(tmp_path / "journal.sqlite"),
    )
    second = Syncer(
        FakeAdapter(FakeSettings(), AdapterContext("fake", tmp_path), store=store),
        Journal(tmp_path / "journal.sqlite"),
    )
    desired = sample_desired(6)
    seen: list[str] = []

    def during_first(_result: object) -> None:
        if seen:
            return
        seen.append("x")
        # The first apply is live: the second is refused, naming the holder.
        with pytest.raises(TargetBusy) as info:
            second.apply(second.plan(desired))
        run = first.journal.runs("fake")[0]
        assert run.status == "running"
        # The message names the lock's holder: its run and when it took the lock (which may
        # be a second before the run's own start stamp).
        holder = first.journal.holder("fake")
        assert holder is not None and holder.run_id == run.run_id
        assert run.run_id in str(info.value) and f"started {holder.started}" in str(info.value)

    report = first.apply(first.plan(desired), on_result=during_first)
    assert report.ok and seen
    # The refused apply started no run and resumed nothing.
    runs = first.journal.runs("fake")
    assert [r.status for r in runs] == ["completed"]
    assert store.duplicates() == []
    # Once the first finished, the lock is free again.
    assert second.plan(desired).is_empty


def test_waiting_for_the_lock_times_out_with_the_holder(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    journal.lock("fake", "run-A")
    now = [0.0]

    def sleep(s: float) -> None:
        now[0] += s

    with pytest.raises(TargetBusy, match="run-A.*waited 3 s"):
        Journal(tmp_path / "journal.sqlite").lock(
            "fake", "run-B", wait=3, clock=lambda: now[0], sleep=sleep
        )
    assert now[0] >= 3
    journal.unlock("fake", "run-A")
    Journal(tmp_path / "journal.sqlite").lock("fake", "run-B")  # free now


def test_killed_apply_is_marked_interrupted_and_resumed(tmp_path: Path) -> None:
    n = 300
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path])}
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "killable.py"), str(tmp_path), str(n)], env=env
    )
    journal_file = tmp_path / "journal.sqlite"
    deadline = time.monotonic() + 60
    recorded = 0
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
        if journal_file.exists():
            j = Journal(journal_file)
            runs = j.runs("file")
            recorded = len(j.entries(runs[0].run_id)) if runs else 0
            j.close()
            if recorded >= 50:
                break
    assert proc.poll() is None, "the apply finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    writes_at_kill = len(killable.FileAdapter(AdapterContext("file", tmp_path)).writes())
    assert recorded >= 50 and writes_at_kill < n

    s = killable.syncer(tmp_path)
    # The dead run is shown as interrupted (not "running" forever).
    assert s.journal.reap("file")
    [dead] = s.journal.runs("file")
    assert dead.status == "interrupted"
    report = s.apply(s.plan(killable.desired(n)))
    assert report.ok and report.resumed_from == dead.run_id
    done_before = sum(report.counts[k] for k in ("create", "update", "delete"))
    # Everything the killed run wrote is in the platform, so only the rest is written now;
    # results recorded within the last second before the kill may be written again (upserts).
    assert done_before == n - writes_at_kill
    keys = Counter(
        w["key"] for w in killable.FileAdapter(AdapterContext("file", tmp_path)).writes()
    )
    assert set(keys) == {f"ACC-{i:04d}" for i in range(n)}
    assert max(keys.values()) == 1
    assert s.plan(killable.desired(n)).is_empty


@pytest.mark.parametrize("what", ["file", "folder"])
def test_read_only_journal_is_a_clear_error_before_any_write(tmp_path: Path, what: str) -> None:
    journal = Journal(tmp_path / ".tierform" / "journal.sqlite")
    place = journal.path if what == "file" else journal.path.parent
    place.chmod(0o444 if what == "file" else 0o555)
    try:
        with pytest.raises(JournalError, match="read-only"):
            journal.lock("workbook", journal.new_run_id())
        assert journal.holder("workbook") is None  # nothing was taken
    finally:
        place.chmod(0o644 if what == "file" else 0o755)
