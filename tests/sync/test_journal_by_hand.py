"""What a person did in the platform, journaled: a task closed by hand is gone for the plans
after it, the step's mark is used up, and an interrupted apply still resumes past it."""

from __future__ import annotations

from pathlib import Path

from tierform.sync.change import Change, ChangeResult, Op
from tierform.sync.journal import BY_HAND, Journal
from tierform.sync.state import Kind

STEP = "work_item:task-1"


def _create(journal: Journal, run_id: str, key: str, status: str = "completed") -> None:
    """A run that created ``key`` without an id, ended with ``status``."""
    journal.start("t", "fake", "c", run_id=run_id)
    change = Change(Op.create, Kind.work_item, key, {"title": key})
    journal.record(run_id, "t", [ChangeResult(change, remote_id=None)])
    journal.finish(run_id, status, {"create": 1})


def test_a_close_done_by_hand_is_journaled_as_the_delete(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    _create(journal, "r1", "task-1")
    _create(journal, "r2", "task-2")
    journal.mark_done("t", STEP, "Jo", "digest")
    assert set(journal.latest_writes("t", Kind.work_item)[0]) == {"task-1", "task-2"}

    close = Change(Op.delete, Kind.work_item, "task-1", None)
    run_id = journal.record_by_hand("t", "fake", close, STEP)

    assert set(journal.latest_writes("t", Kind.work_item)[0]) == {"task-2"}
    assert "task-1" not in journal.latest_writes("t", Kind.work_item)[1]
    assert journal.steps_done("t") == {}  # the mark is used up: a later close is new
    run = journal.run(run_id)
    assert run is not None and run.status == BY_HAND and run.deleted == 1
    assert [(e["op"], e["key"], e["result"]) for e in journal.entries(run_id)] == [
        ("delete", "task-1", "ok")
    ]
    assert journal.unfinished("t") is None  # nothing to resume
    journal.close()


def test_an_interrupted_apply_still_resumes_past_a_step_done_by_hand(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    _create(journal, "r1", "task-1")
    _create(journal, "r2", "task-2", status="interrupted")
    journal.record_by_hand("t", "fake", Change(Op.delete, Kind.work_item, "task-1", None), STEP)
    unfinished = journal.unfinished("t")
    assert unfinished is not None and unfinished.run_id == "r2"
    journal.close()
