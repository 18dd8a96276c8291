"""Go-live: no back-filled overdue work items, rollout tier by tier, a cap per assignee, and
titles written for people."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from tierform.core.book import read_book
from tierform.core.loader import load_model
from tierform.sync.change import Change, Op
from tierform.sync.desired import compile_desired
from tierform.sync.golive import WorkItemPolicy, cap_new_work_items
from tierform.sync.state import Kind

EXAMPLES = Path(__file__).parents[2] / "examples"
AS_OF = dt.date(2025, 1, 15)


@pytest.fixture(scope="module")
def model_book():
    model = load_model(str(EXAMPLES / "tierform.yaml"))
    return model, read_book(EXAMPLES / "accounts.csv", model.accounts)


def _due(data: dict) -> dt.date:
    return dt.date.fromisoformat(str(data["due"]))


def test_first_sync_creates_nothing_due_before_go_live_unless_backfill(model_book):
    model, book = model_book
    everything = compile_desired(model, book, AS_OF).of(Kind.work_item)
    overdue = {k for k, d in everything.items() if _due(d) < AS_OF}
    assert overdue, "the example book has overdue actions: the test needs some"
    go_live = compile_desired(model, book, AS_OF, WorkItemPolicy(not_before=AS_OF))
    items = go_live.of(Kind.work_item)
    assert items and all(_due(d) >= AS_OF for d in items.values())
    # Exactly the overdue ones are left out, nothing else.
    assert set(items) == set(everything) - overdue
    # tf_open_tasks counts only the items that exist.
    per_account: dict[str, int] = {}
    for d in items.values():
        per_account[d["account_id"]] = per_account.get(d["account_id"], 0) + 1
    for aid, data in go_live.of(Kind.account).items():
        assert data.get("tf_open_tasks", 0) == per_account.get(aid, 0)


def test_rollout_enterprise_only(model_book):
    model, book = model_book
    state = compile_desired(model, book, AS_OF, WorkItemPolicy(rollout=("Enterprise",)))
    tiers = {k: d.get("tf_tier") for k, d in state.of(Kind.account).items()}
    items = state.of(Kind.work_item)
    assert items
    assert {tiers[d["account_id"]] for d in items.values()} == {"Enterprise"}
    # Coverage data is still written for every tier.
    assert len(set(tiers.values())) > 1


def test_titles_are_for_people(model_book):
    model, book = model_book
    state = compile_desired(model, book, AS_OF)
    names = {k: v for k, v in state.labels[Kind.account].items()}
    raw = re.compile(r"^(notify|move_tier|assign_csm|assign_pool|start_playbook|create_task):")
    for data in state.of(Kind.work_item).values():
        title = data["title"]
        assert not raw.match(title), title
        assert names[data["account_id"]] in title, title


def test_cap_new_work_items_per_assignee():
    def item(key: str, who: str, due: str) -> Change:
        data = {"assignee": who, "due": due, "account_id": "A", "title": "t"}
        return Change(Op.create, Kind.work_item, key, data)

    changes = [
        item("a1", "Ana", "2025-03-01"),
        item("a2", "Ana", "2025-01-01"),
        item("a3", "Ana", "2025-02-01"),
        item("b1", "Bo", "2025-05-01"),
        Change(Op.update, Kind.work_item, "a0", {"assignee": "Ana", "due": "2024-01-01"}),
    ]
    kept, held = cap_new_work_items(changes, 2)
    # Ana keeps her two earliest new items (Jan, Feb); updates are never held back.
    assert [c.key for c in kept] == ["a2", "a3", "b1", "a0"]
    assert held == 1
