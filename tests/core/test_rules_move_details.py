"""A temporary or overlapping tier move names its review and handoff dates: each is the action's
due date plus the rule's days, worked out here by hand for every row, and the origin tier is the
account's tier before the move."""

from __future__ import annotations

import datetime as dt
import re

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
