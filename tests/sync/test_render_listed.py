"""The text plan lists the first few changes of each op, in plan order, and counts the rest,
without looking at every change of a million-object first sync."""

from __future__ import annotations

import pytest

import tierform.sync.render as render
from tierform.sync.change import DERIVED, Change, FieldDiff, Op
from tierform.sync.plan import Plan
from tierform.sync.state import Kind


def change(op: Op, key: str) -> Change:
    if op is Op.create:
        return Change(op, Kind.account, key, {"tf_tier": "SMB"}, None, DERIVED)
    if op is Op.update:
        diff = [FieldDiff("tf_tier", "SMB", "Enterprise")]
        return Change(op, Kind.account, key, {"tf_tier": "Enterprise"}, {"tf_tier": "SMB"}, diff)
    return Change(op, Kind.work_item, key, None, {"title": "old"}, [])


def test_first_of_each_op_in_plan_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "MAX_LISTED", 2)
    # c1 u1 c2 c3 d1 u2 u3 c4 d2 d3: by hand, shown c1 u1 c2 d1 u2 d2; 4 left out
    order = "c1 u1 c2 c3 d1 u2 u3 c4 d2 d3".split()
    ops = {"c": Op.create, "u": Op.update, "d": Op.delete}
    plan = Plan("wb", "xlsx", changes=[change(ops[k[0]], k) for k in order])
    shown, hidden = render._listed(plan)
    assert [c.key for c in shown] == ["c1", "u1", "c2", "d1", "u2", "d2"]
    assert hidden == 4
    text = render.render_text(plan)
    assert "... and 4 more change(s)" in text
    assert "+ account c2" in text and "+ account c3" not in text
    assert "~ account u2" in text and "~ account u3" not in text


def test_a_large_first_sync() -> None:
    plan = Plan("wb", "xlsx", changes=[change(Op.create, f"A{i:05d}") for i in range(5_000)])
    shown, hidden = render._listed(plan)
    assert [c.key for c in shown] == [f"A{i:05d}" for i in range(render.MAX_LISTED)]
    assert hidden == 5_000 - render.MAX_LISTED
    text = render.render_text(plan)
    assert text.count("\n+ account ") == render.MAX_LISTED
    assert f"... and {5_000 - render.MAX_LISTED} more change(s)" in text
