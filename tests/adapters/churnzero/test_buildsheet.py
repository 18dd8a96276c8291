"""The build sheet: ChurnZero's vocabulary, exact filters on tf_ fields, one step per tier where
thresholds differ, checked where REST can read (fields by their values, segments by name)."""

from __future__ import annotations

from tierform.sync.render import render_text
from tierform.sync.state import Kind
from tierform.testing import sample_desired

from . import states


def _steps(plan, kind, key=None):
    return [s for s in plan.build_steps if s.kind is kind and (key is None or s.key == key)]


def test_fields_are_missing_then_typed_by_hand(fake, syncer):
    states.seed(fake)
    desired = states.desired()
    plan = syncer().plan(desired)
    assert {s.key: s.status.value for s in _steps(plan, Kind.field)} == {
        "tf_tier": "missing",
        "tf_csm": "missing",
        "tf_health_score": "missing",
        "tf_health_band": "missing",
    }
    number = _steps(plan, Kind.field, "tf_health_score")[0]
    assert "Admin > Custom Fields > Account > `tf_health_score` > Data Type: Number" in " ".join(
        number.steps
    )
    syncer().apply(plan)
    after = syncer().plan(desired)
    # the sync created the fields as text: the number field still needs its type
    assert {s.key: s.status.value for s in _steps(after, Kind.field)} == {
        "tf_tier": "done",
        "tf_csm": "done",
        "tf_health_score": "different",
        "tf_health_band": "done",
    }
    fake.type_field("tf_health_score", "number")
    typed = syncer().plan(desired)
    assert _steps(typed, Kind.field, "tf_health_score")[0].status.value == "done"


def test_segments_checked_by_name(fake, syncer):
    states.seed(fake)
    plan = syncer().plan(states.desired())
    step = _steps(plan, Kind.segment, "tier-enterprise")[0]
    assert step.status.value == "missing"
    assert step.steps[:3] == [
        "Segments > + New Segment > Accounts",
        "Segment name: 'Tier: Enterprise' (exactly: tierform finds the segment by this name)",
        "Add filter: Account custom field `tf_tier` is equal to 'Enterprise'",
    ]
    fake.add_segment("Tier: Enterprise")
    again = syncer().plan(states.desired())
    assert _steps(again, Kind.segment, "tier-enterprise")[0].status.value == "done"


def test_rule_thresholds_one_play_per_tier_never_a_dict(fake, syncer):
    states.seed(fake)
    plan = syncer().plan(states.desired())
    rule = _steps(plan, Kind.rule)[0]
    assert rule.status.value == "unverified"
    assert rule.steps[0].startswith("Admin > Plays > New Play: 'health-drop-alert'")
    assert (
        "Play 'health-drop-alert (Enterprise)': entry criteria Account custom field `tf_tier` "
        "is equal to 'Enterprise' AND Account custom field `tf_health_score` falls below 90"
    ) in rule.steps
    assert any(s.endswith("falls below 50") and "(SMB)" in s for s in rule.steps)
    assert (
        "Step: Create Task, Subject 'Call the sponsor', Assign To: Account Owner, Due Date: 3 "
        "days after entry"
    ) in rule.steps
    text = render_text(plan)
    assert "{'" not in text and "None" not in text


def test_event_plays_one_per_source(fake, syncer):
    states.seed(fake)
    plan = syncer().plan(states.desired())
    plays = [s for s in plan.build_steps if s.key.startswith("tierform-event-")]
    assert [p.title for p in plays] == ["Play: tierform events 'tf: rule:health-drop-alert'"]
    assert plays[0].steps[1].startswith("Entry criteria: Event 'tf: rule:health-drop-alert' occurs")
    assert any("has no public task API" in w for w in plan.warnings)


def test_health_is_a_churnscore_step(fake, syncer):
    states.seed(fake)
    plan = syncer().plan(states.desired())
    health = _steps(plan, Kind.health)[0]
    assert health.steps[:3] == [
        "Admin > ChurnScore > New ChurnScore: 'Health score'",
        "Add factor: Account custom field `tf_health_support` (0-100, higher is healthier), "
        "weight 40%",
        "Add factor: Account custom field `tf_health_usage` (0-100, higher is healthier), "
        "weight 60%",
    ]
    assert "Grade 'green': score at least 70" in health.steps


def test_full_model_build_sheet_has_no_reprs(fake, syncer):
    for i in range(12):
        fake.add_account(f"ACC-{i:04d}", f"Account {i}")
    plan = syncer().plan(sample_desired(12))
    text = render_text(plan)
    assert "{'" not in text and "['" not in text
    assert any(s.kind is Kind.health for s in plan.build_steps)
