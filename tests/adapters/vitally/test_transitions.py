"""Custom traits created after a first sync: moving the values into them is an expected
transition, not drift that trips the 30 % safety threshold."""

from __future__ import annotations

from tierform.sync.change import Op
from tierform.sync.state import Kind

from . import states
from .states import UNMANAGED, ext


def test_values_moving_into_new_custom_traits_pass_the_safety_threshold(fake, syncer):
    states.seed(fake, 20)
    desired = states.desired(20, tasks=False)
    first = syncer()
    first.apply(first.plan(desired))
    # The admin now creates the custom traits the build sheet asks for.
    fake.add_custom_field("accounts", "vitally.custom.tfTier", "tf_tier", "string")
    fake.add_custom_field("accounts", "vitally.custom.tfCsm", "tf_csm", "string")
    plan = syncer().plan(desired)
    updates = [c for c in plan.changes if c.kind is Kind.account and c.op is Op.update]
    assert len(updates) == 20  # every account: 100 % of them, far past 30 %
    assert all(c.transition for c in updates)
    report = syncer().apply(plan)  # no --force needed
    assert report.ok
    acc = fake.account(ext(3))
    assert acc["traits"]["vitally.custom.tfTier"] == "Enterprise"
    assert acc["traits"]["vitally.custom.tfCsm"] == "Ana Ruiz"
    assert "tf_tier" not in acc["traits"] and acc["traits"]["plan"] == UNMANAGED["plan"]
    assert syncer().plan(desired).is_empty


def test_a_real_mass_change_is_still_refused(fake, syncer):
    import pytest

    from tierform.errors import TooManyChanges

    states.seed(fake, 20)
    desired = states.desired(20, tasks=False)
    first = syncer()
    first.apply(first.plan(desired))
    for data in desired.of(Kind.account).values():
        data["tf_tier"] = "SMB" if data["tf_tier"] == "Enterprise" else "Enterprise"
    plan = syncer().plan(desired)
    assert not any(c.transition for c in plan.changes)
    with pytest.raises(TooManyChanges):
        syncer().apply(plan)
