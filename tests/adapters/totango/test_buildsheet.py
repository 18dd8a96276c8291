"""The build sheet in Totango's vocabulary: per-tier steps, filters on tf_ attributes."""

from __future__ import annotations

from tierform.adapters.totango.buildsheet import windows_within
from tierform.sync.state import Kind

from . import states


def steps_of(plan, kind):
    return {s.key: s for s in plan.build_steps if s.kind is kind}


def test_build_sheet_steps(fake, syncer):
    states.seed(fake)
    plan = syncer(successplays={"Enterprise onboarding": "sp-1"}).plan(states.desired())
    segment = steps_of(plan, Kind.segment)["tier-enterprise"]
    assert segment.steps[:3] == [
        "Accounts > Segments > + New Segment",
        "Name: 'Tier: Enterprise'",
        "Filter (all must match): account attribute `tf_tier` is `Enterprise`",
    ]
    rule = steps_of(plan, Kind.rule)["renewal_prep"]
    assert (
        "For tier `Enterprise`: account attribute `tf_renewal_window` is one of `overdue`, "
        "`0-30`, `31-60`, `61-90`, `91-180` (renewal within 120 days)" in rule.steps
    )
    assert (
        "For tier `SMB`: account attribute `tf_renewal_window` is one of `overdue`, `0-30`, "
        "`31-60` (renewal within 60 days)" in rule.steps
    )
    health = steps_of(plan, Kind.health)["health-score"].steps
    assert "  Dimension usage: account attribute `tf_health_usage` (0-100), weight 60%" in health
    assert any("for tier `Enterprise`" in s for s in health)
    assert "  Dimension usage: account attribute `tf_health_usage` (0-100), weight 50%" in health
    playbook = steps_of(plan, Kind.playbook)["enterprise_onboarding"].steps
    assert any("Trigger: Manual; status: Active" in s and "sp-1" in s for s in playbook)
    assert any(s.startswith("Campaigns > + New Campaign (email)") for s in playbook)
    field = steps_of(plan, Kind.field)["tf_tier"]
    assert field.status.value == "done"
    assert "API name: `tf_tier`" in field.steps[1]
    for step in plan.build_steps:
        for line in step.steps:
            assert "{'" not in line and "None" not in line, line


def test_segment_verified_by_its_query(fake, syncer):
    states.seed(fake)
    before = syncer().plan(states.desired(tasks=False))
    assert steps_of(before, Kind.segment)["tier-enterprise"].status.value == "missing"
    syncer().apply(before)
    after = syncer().plan(states.desired(tasks=False))
    assert steps_of(after, Kind.segment)["tier-enterprise"].status.value == "done"
    fake.accounts["ACC-001"]["attributes"]["tf_tier"] = "Enterprise"  # someone edited it
    drift = syncer().plan(states.desired(tasks=False))
    step = steps_of(drift, Kind.segment)["tier-enterprise"]
    assert step.status.value == "different"


def test_renewal_windows():
    assert windows_within(30) == ["overdue", "0-30"]
    assert windows_within(90) == ["overdue", "0-30", "31-60", "61-90"]
    assert windows_within(400)[-1] == "181+"
