"""The adapter conformance suite (singer-sdk style): one class, every adapter.

Use it from an adapter's own tests::

    from tierform.testing import AdapterContract, Harness

    class TestMyAdapter(AdapterContract):
        @pytest.fixture
        def harness(self, tmp_path):
            fake = MyFakePlatform()          # a stateful fake (respx routes, a temp file, ...)
            return Harness(make=lambda: MyAdapter(settings, AdapterContext("t", tmp_path)),
                           journal_dir=tmp_path)

Each test plans through the real engine, so it checks what the engine relies on: reads return
only owned objects with canonical values, applying a plan makes the next plan empty, a second
apply writes nothing, updates and deletes round-trip, and capability gaps are never sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tierform.sync.adapter import Adapter
from tierform.sync.capabilities import Operation
from tierform.sync.change import Op
from tierform.sync.engine import Syncer
from tierform.sync.journal import Journal
from tierform.sync.state import Kind, Scope, State

AS_OF = dt.date(2025, 1, 15)


def sample_desired(n: int = 12, *, as_of: dt.date = AS_OF, variant: int = 0) -> State:
    """A realistic desired state: the built-in model on a small generated book."""
    from tierform.core.book import book_from_records
    from tierform.core.loader import default_model
    from tierform.sync.desired import compile_desired

    records: list[dict[str, Any]] = []
    for i in range(n):
        records.append(
            {
                "account_id": f"ACC-{i:04d}",
                "name": '=HYPERLINK("http://x")' if i == 1 else f"Account {i}",
                "acv": [2_000, 12_000, 40_000, 150_000][i % 4] * (10 if variant and i == 0 else 1),
                "renewal_date": (as_of + dt.timedelta(days=20 + 37 * i)).isoformat(),
                "logins_per_week": (i * 3) % 9,
            }
        )
    return compile_desired(default_model(), book_from_records(records), as_of)


@dataclass
class Harness:
    """How the suite reaches an adapter: ``make`` builds a fresh adapter on the same fake
    platform each call; the journal lives in ``journal_dir``."""

    make: Callable[[], Adapter]
    journal_dir: Path
    accounts: int = 12

    def syncer(self) -> Syncer:
        journal = Journal(self.journal_dir / ".tierform" / "journal.sqlite")
        return Syncer(self.make(), journal)


def _writable(adapter: Adapter, desired: State) -> State:
    """The part of ``desired`` the adapter can both write and read back (what must converge)."""
    caps = adapter.capabilities
    return desired.only([k for k in Kind if caps.can_read(k) and caps.allows(k, Operation.create)])


class AdapterContract:
    """Subclass and provide a ``harness`` fixture (see the module docstring)."""

    @pytest.fixture
    def harness(self) -> Harness:  # pragma: no cover - replaced by subclasses
        raise NotImplementedError("define a `harness` fixture returning a Harness")

    def test_first_plan_creates_and_round_trip_is_empty(self, harness: Harness) -> None:
        desired = sample_desired(harness.accounts)
        syncer = harness.syncer()
        plan = syncer.plan(desired)
        assert plan.changes, "a first sync must have something to create"
        assert {c.op for c in plan.changes} == {Op.create}
        report = syncer.apply(plan)
        assert report.ok
        again = harness.syncer().plan(desired)
        assert again.changes == [], [c.to_dict() for c in again.changes][:5]

    def test_second_apply_changes_nothing(self, harness: Harness) -> None:
        desired = sample_desired(harness.accounts)
        syncer = harness.syncer()
        syncer.apply(syncer.plan(desired))
        second = harness.syncer()
        plan = second.plan(desired)
        report = second.apply(plan)
        assert sum(report.counts[o.value] for o in Op) == 0
        assert harness.syncer().plan(desired).is_empty

    def test_update_round_trips_with_field_diffs(self, harness: Harness) -> None:
        syncer = harness.syncer()
        syncer.apply(syncer.plan(sample_desired(harness.accounts)))
        changed = sample_desired(harness.accounts, variant=1)
        plan = harness.syncer().plan(changed)
        updates = [c for c in plan.changes if c.kind is Kind.account and c.op is Op.update]
        assert [c.key for c in updates] == ["ACC-0000"]
        assert {d.field for d in updates[0].diffs} >= {"tf_tier"}
        harness.syncer().apply(plan)
        assert harness.syncer().plan(changed).is_empty

    def test_delete_round_trips(self, harness: Harness) -> None:
        syncer = harness.syncer()
        syncer.apply(syncer.plan(sample_desired(harness.accounts)))
        fewer = sample_desired(harness.accounts - 2)
        plan = harness.syncer().plan(fewer)
        adapter = harness.make()
        deletes = {c.key for c in plan.changes if c.op is Op.delete and c.kind is Kind.account}
        if adapter.capabilities.allows(Kind.account, Operation.delete):
            assert deletes == {f"ACC-{harness.accounts - 2:04d}", f"ACC-{harness.accounts - 1:04d}"}
            harness.syncer().apply(plan, force=True)
            assert harness.syncer().plan(fewer).is_empty
        else:
            assert not deletes

    def test_read_returns_only_readable_kinds_canonically(self, harness: Harness) -> None:
        desired = sample_desired(harness.accounts)
        syncer = harness.syncer()
        syncer.apply(syncer.plan(desired))
        adapter = harness.make()
        state = adapter.read(Scope.of(desired))
        for kind in state.kinds():
            assert adapter.capabilities.can_read(kind), kind
        expect = _writable(adapter, desired)
        for kind in expect.kinds():
            assert state.of(kind) == expect.of(kind), kind

    def test_no_unsupported_operation_reaches_apply(self, harness: Harness) -> None:
        desired = sample_desired(harness.accounts)
        adapter = harness.make()
        plan = Syncer(adapter, Journal(harness.journal_dir / "gate.sqlite")).plan(desired)
        for change in plan.changes:
            assert adapter.capabilities.allows(change.kind, Operation(change.op.value))

    def test_empty_apply_writes_nothing(self, harness: Harness) -> None:
        from tierform.sync.adapter import ApplyContext

        adapter = harness.make()
        assert list(adapter.apply([], ApplyContext("empty"))) == []
