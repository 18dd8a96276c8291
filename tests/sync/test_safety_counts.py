"""The safety check counts, per kind and over the plan, the updates and deletes that are not
expected transitions, and refuses the first group past a limit.

The reference is that rule written out change by change."""

from __future__ import annotations

import random

import pytest

from tierform.errors import TooManyChanges
from tierform.sync.change import Change, Op
from tierform.sync.plan import Plan
from tierform.sync.safety import SafetyPolicy
from tierform.sync.state import Kind


def reference_refusal(policy: SafetyPolicy, plan: Plan) -> str | None:
    """The first group past a limit, as the message names it (None: the plan passes)."""
    groups = []
    for kind, existing in plan.existing_by_kind.items():
        counts = {"update": 0, "delete": 0}
        for c in plan.changes:
            if c.kind.value == kind and c.op.value in counts and not c.transition:
                counts[c.op.value] += 1
        groups.append((f"{kind} objects", existing, counts))
    total = {"update": 0, "delete": 0}
    for c in plan.changes:
        if c.op.value in total and not c.transition:
            total[c.op.value] += 1
    groups.append(("managed objects", plan.existing_count, total))
    for what, existing, counts in groups:
        if existing < max(policy.min_existing, 1):
            continue
        for op, limit in (("update", policy.max_update_pct), ("delete", policy.max_delete_pct)):
            if 100 * counts[op] / existing > limit:
                return f"{op} {counts[op]} of {existing} existing {what} "
    return None


def random_plan(rng: random.Random) -> Plan:
    changes = []
    for i in range(rng.randrange(60)):
        op = rng.choice(list(Op))
        kind = rng.choice([Kind.account, Kind.work_item, Kind.field])
        transition = rng.choice([None, None, "", "moving in"])
        changes.append(Change(op, kind, f"k{i}", {}, {}, [], transition=transition))
    kinds = rng.sample(["account", "work_item", "field", "segment"], rng.randrange(5))
    existing = {kind: rng.randrange(40) for kind in kinds}
    return Plan(
        "t",
        "fake",
        changes=changes,
        existing_count=sum(existing.values()) + rng.randrange(5),
        existing_by_kind=existing,
    )


def test_the_check_refuses_what_the_rule_refuses() -> None:
    rng = random.Random(5)
    outcomes = set()
    for _ in range(800):
        plan = random_plan(rng)
        policy = SafetyPolicy(
            rng.choice([10.0, 30.0, 60.0]), rng.choice([10.0, 30.0]), rng.choice([1, 5, 10])
        )
        expected = reference_refusal(policy, plan)
        outcomes.add(expected is None)
        if expected is None:
            policy.check(plan)
        else:
            with pytest.raises(TooManyChanges) as raised:
                policy.check(plan)
            assert f"would {expected}(" in str(raised.value)
    assert outcomes == {True, False}  # both passing and refused plans were drawn
