"""A temporary or overlapping tier move names its review and handoff dates: each is the action's
due date plus the rule's days, worked out here by hand for every row, and the origin tier is the
account's tier before the move."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from tierform.core.book import book_from_records
from tierform.core.loader import load_model
from tierform.core.rules.engine import effective_rules, run_rules
from tierform.testing.sample import generate_accounts

TEMPORARY = re.compile(r"temporary for (\d+) days \(review (\d{4}-\d\d-\d\d)\)")
OVERLAP = re.compile(r"warm handoff: (\d+) days' overlap with the previous owner, until (\S+)$")


def test_review_and_handoff_dates_follow_each_rows_due_date():
    model = load_model(None)
    book = book_from_records(generate_accounts(4000, seed=9).to_pylist())
    rules = {r.name: r for r in effective_rules(model)}
    moves = {
        name: a
        for name, r in rules.items()
        for a in r.actions
        if a.type == "move_tier" and (a.temporary_days or a.overlap_days)
    }
    assert moves  # the built-in rules have such a move
    run = run_rules(model, book, dt.date(2026, 11, 1))
    checked = 0
    for a in run.actions:
        if not a.action.startswith("move_tier:") or a.rule not in moves:
            continue
        action = moves[a.rule]
        if action.temporary_days:
            days, review = TEMPORARY.search(a.reason).groups()
            assert int(days) == action.temporary_days
            assert dt.date.fromisoformat(review) == a.due + dt.timedelta(days=int(days))
        if action.overlap_days:
            days, until = OVERLAP.search(a.reason).groups()
            assert int(days) == action.overlap_days
            assert dt.date.fromisoformat(until) == a.due + dt.timedelta(days=int(days))
        assert re.search(r"; from [^;]+;", a.reason)
        checked += 1
    assert checked > 10


def test_offsets_and_dates_stay_inside_the_calendar():
    """A rule's days are at most a hundred years and the evaluation date lies in 1900-2999,
    so the latest date a run names (the last day, plus the longest due, review and handoff
    offsets) is a date Python can count: the extremes run, one day more is refused."""
    import pytest
    from click.testing import CliRunner
    from pydantic import ValidationError

    from tierform.cli.main import cli
    from tierform.core.model import FIRST_DAY, LAST_DAY, AccountSource
    from tierform.core.rules.spec import MAX_DAYS, Action, Trigger

    longest = {"due_days": MAX_DAYS, "overlap_days": MAX_DAYS, "temporary_days": MAX_DAYS}
    Action.model_validate({"type": "move_tier", "tier": "up", **longest})
    Trigger.model_validate({"type": "days_before_date", "days": MAX_DAYS})
    assert LAST_DAY + dt.timedelta(days=3 * MAX_DAYS) < dt.date.max
    assert FIRST_DAY - dt.timedelta(days=3 * MAX_DAYS) > dt.date.min
    for field in longest:
        with pytest.raises(ValidationError):
            Action.model_validate({"type": "move_tier", "tier": "up", field: MAX_DAYS + 1})
    with pytest.raises(ValidationError):
        Trigger.model_validate({"type": "days_before_date", "days_by_tier": {"A": -1}})
    with pytest.raises(ValidationError):
        AccountSource.model_validate({"as_of": "3000-01-01"})
    for day, code in (("2999-12-31", 0), ("1900-01-01", 0), ("3000-01-01", 2), ("9999-12-31", 2)):
        examples = Path(__file__).resolve().parents[2] / "examples"
        args = ["-c", str(examples / "tierform.yaml"), "--accounts", str(examples / "accounts.csv")]
        result = CliRunner().invoke(cli, ["rules", "run", *args, "--as-of", day])
        assert result.exit_code == code, (day, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "give a date from 1900-01-01 to 2999-12-31" in result.output
