"""The journal's "last write wins" follows the order writes happened, not their time stamps.

Entries are stamped to the second; two runs in the same second used to be ordered by their
random run ids, so an older payload (or remote id) could win over the newer one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tierform.sync import journal as journal_module
from tierform.sync.change import Change, ChangeResult, Op
from tierform.sync.journal import Journal
from tierform.sync.state import Kind

SAME_SECOND = "2026-03-01T09:00:00+00:00"


def _write(journal: Journal, run_id: str, value: str, remote_id: str) -> str:
    change = Change(Op.update, Kind.work_item, "task-1", {"title": value})
    journal.start("t", "fake", "c", run_id=run_id)
    journal.record(run_id, "t", [ChangeResult(change, remote_id=remote_id)])
    journal.finish(run_id, "completed", {"update": 1})
    return change.payload_hash


def test_the_later_of_two_runs_in_the_same_second_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal_module, "_now", lambda: SAME_SECOND)
    journal = Journal(tmp_path / "journal.sqlite")
    # The later run's random id sorts *before* the earlier one's.
    _write(journal, "20260301T090000-ffffff", "old title", "R-old")
    newest = _write(journal, "20260301T090000-000000", "new title", "R-new")

    assert journal.latest_writes("t", Kind.work_item)[0] == {"task-1": newest}
    assert journal.remote_ids("t") == {(Kind.work_item, "task-1"): "R-new"}
    journal.close()


def test_a_delete_after_a_write_in_the_same_second_removes_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal_module, "_now", lambda: SAME_SECOND)
    journal = Journal(tmp_path / "journal.sqlite")
    _write(journal, "20260301T090000-ffffff", "a title", "R-1")
    gone = Change(Op.delete, Kind.work_item, "task-1", None)
    journal.start("t", "fake", "c", run_id="20260301T090000-000000")
    journal.record("20260301T090000-000000", "t", [ChangeResult(gone)])

    assert journal.latest_writes("t", Kind.work_item)[0] == {}
    journal.close()
