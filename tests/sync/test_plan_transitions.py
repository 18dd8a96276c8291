"""Which planned changes are expected transitions: the adapter's own (where it names them),
else an account update that only records ``tf_migration: none`` where the platform had none.
Changes an adapter's ``include_change`` drops are not planned."""

from __future__ import annotations

from pathlib import Path

from tierform.sync.adapter import AdapterContext
from tierform.sync.change import Change, Op
from tierform.sync.engine import Syncer
from tierform.sync.journal import Journal
from tierform.sync.state import Kind, State
from tierform.testing import FakeAdapter, FakePlatform
from tierform.testing.fake import FakeSettings

FIRST = "tier migrations are recorded from now on (none: the account kept its tier)"


def desired() -> State:
    state = State()
    state.put(Kind.account, "A", {"tf_tier": "Scale", "tf_migration": "none"})  # marked only
    state.put(Kind.account, "B", {"tf_tier": "Enterprise", "tf_migration": "none"})  # and moved
    state.put(Kind.account, "C", {"tf_tier": "Scale", "tf_migration": "none"})  # new
    state.put(Kind.account, "D", {"tf_tier": "Scale", "tf_migration": "up"})  # not "none"
    state.put(Kind.work_item, "W1", {"title": "Call", "account_id": "A"})
    state.put(Kind.work_item, "W2", {"title": "Review", "account_id": "B"})
    return state


def platform() -> FakePlatform:
    store = FakePlatform()
    store.objects[Kind.account] = {
        "A": {"tf_tier": "Scale"},
        "B": {"tf_tier": "Scale"},
        "D": {"tf_tier": "Scale"},
    }
    return store


def plan_with(cls: type[FakeAdapter], tmp_path: Path) -> dict[str, Change]:
    adapter = cls(FakeSettings(), AdapterContext("fake", tmp_path), store=platform())
    plan = Syncer(adapter, Journal(tmp_path / "journal.sqlite")).plan(desired())
    return {c.key: c for c in plan.changes if c.kind in (Kind.account, Kind.work_item)}


def test_the_default_adapter_marks_only_a_first_migration(tmp_path: Path) -> None:
    changes = plan_with(FakeAdapter, tmp_path)
    assert {k: (c.op, c.transition) for k, c in changes.items()} == {
        "A": (Op.update, FIRST),
        "B": (Op.update, None),
        "C": (Op.create, None),
        "D": (Op.update, None),
        "W1": (Op.create, None),
        "W2": (Op.create, None),
    }


class Naming(FakeAdapter):
    """Names a transition for work items and drops one change."""

    def expected_transition(self, change: Change) -> str | None:
        return "moving in" if change.kind is Kind.work_item else None

    def include_change(self, change: Change) -> bool:
        return change.key != "W2"


def test_an_adapter_names_its_own_and_a_first_migration_still_counts(tmp_path: Path) -> None:
    changes = plan_with(Naming, tmp_path)
    assert {k: c.transition for k, c in changes.items()} == {
        "A": FIRST,
        "B": None,
        "C": None,
        "D": None,
        "W1": "moving in",
    }
