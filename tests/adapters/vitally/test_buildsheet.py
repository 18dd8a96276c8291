"""The build sheet: Vitally's vocabulary, exact filters, and verification where the API reads."""

from __future__ import annotations

from tierform.sync.buildsheet import StepStatus
from tierform.sync.change import Op
from tierform.sync.render import render_text
from tierform.sync.state import Kind

from . import states
from .states import UNMANAGED, ext


def _steps(plan):
    return {(s.kind, s.key): s for s in plan.build_steps}


def test_segments_playbooks_rules_health_in_vitally_terms(fake, syncer):
    states.seed(fake)
    steps = _steps(syncer().plan(states.desired()))
    seg = steps[(Kind.segment, "tier-enterprise")]
    assert seg.status is StepStatus.unverified
    assert seg.steps == [
        "Settings > Data Management > Segments > Create segment",
        "Name: 'Tier: Enterprise'; object: Accounts",
        "Filter (all must match): account trait `tf_tier` is `Enterprise`",
        "Description: Accounts in the Enterprise tier",
    ]
    playbook = steps[(Kind.playbook, "enterprise_onboarding")].steps
    assert playbook[1] == (
        "Trigger filter: account trait `tf_tier` is any of `Enterprise` AND contract signed"
    )
    assert playbook[2] == (
        "Action (day 0): Create a task 'Kickoff call', assigned to the account's CSM (key role)"
    )
    rule = steps[(Kind.rule, "health_drop_alert")].steps
    assert "Trigger: account trait `tf_health_score` falls below 60" in rule
    assert "Action: Create a task 'Call the sponsor', due in 3 days" in rule
    health = steps[(Kind.health, "health-score")].steps
    assert health[1:] == [
        "Measure: account trait `tf_health_support` (0-100), weight 40%",
        "Measure: account trait `tf_health_usage` (0-100), weight 60%",
        "Thresholds on Vitally's 0-10 scale: green from 7, yellow from 4, red from 0",
    ]


def test_csm_is_said_plainly_and_verified_from_csm_id(fake, syncer):
    states.seed(fake)
    plan = syncer().plan(states.desired())
    text = render_text(plan)
    assert "Vitally's API cannot assign an account's CSM" in text
    assert "account trait `tf_csm`" in text
    step = _steps(plan)[(Kind.playbook, "assign-csm-from-trait")]
    # ACC-003, -006, -009 name Ana Ruiz (an admin); none has her as CSM yet.
    assert step.status is StepStatus.missing and "0 of 3 accounts" in step.reason
    assert step.steps[0].endswith("Assign a Key Role: CSM -> the admin ana@example.com")
    ana = next(a["id"] for a in fake.admins.values() if a["name"] == "Ana Ruiz")
    for i in (3, 6, 9):
        fake.account(ext(i))["csmId"] = ana  # what the Vitally playbook does
    step = _steps(syncer().plan(states.desired()))[(Kind.playbook, "assign-csm-from-trait")]
    assert step.status is StepStatus.done and "3 of 3 accounts" in step.reason


def test_fields_verified_through_custom_fields(fake, syncer):
    states.seed(fake)
    steps = _steps(syncer().plan(states.desired()))
    assert {
        k for (kind, k), s in steps.items() if kind is Kind.field and s.status is StepStatus.missing
    } == {"tf_tier", "tf_csm", "tf_health_score", "tf_health_band"}
    fake.add_custom_field("accounts", "vitally.custom.tfTier", "tf_tier", "string")
    fake.add_custom_field("accounts", "vitally.custom.tfHealthScore", "tf_health_score", "text")
    fake.add_custom_field("users", "vitally.custom.tfCsm", "tf_csm", "string")  # wrong model
    steps = _steps(syncer().plan(states.desired()))
    assert steps[(Kind.field, "tf_tier")].status is StepStatus.done
    assert steps[(Kind.field, "tf_health_score")].status is StepStatus.different
    assert steps[(Kind.field, "tf_csm")].status is StepStatus.missing


def test_values_move_to_a_custom_trait_once_it_exists(fake, syncer):
    states.seed(fake, 3)
    desired = states.desired(3, tasks=False)
    syncer().apply(syncer().plan(desired))
    fake.add_custom_field("accounts", "vitally.custom.tfTier", "tf_tier", "string")
    plan = syncer().plan(desired)
    assert {(c.op, c.key) for c in plan.changes} == {(Op.update, ext(i)) for i in (1, 2, 3)}
    assert [d.field for d in plan.changes[0].diffs] == ["tf_tier"]
    before = fake.log.total
    syncer().apply(plan)
    assert {str(e.body) for e in fake.log.entries[before:] if e.method == "PUT"} == {
        str({"traits": {"vitally.custom.tfTier": "SMB", "tf_tier": None}}),
        str({"traits": {"vitally.custom.tfTier": "Enterprise", "tf_tier": None}}),
    }
    assert fake.account(ext(3))["traits"] == {
        **UNMANAGED,
        "vitally.custom.tfTier": "Enterprise",
        "tf_csm": "Ana Ruiz",
        "tf_health_score": 53,
        "tf_health_band": "green",
    }
    assert syncer().plan(desired).is_empty
    seg = _steps(syncer().plan(desired))[(Kind.segment, "tier-enterprise")]
    assert seg.steps[2] == (
        "Filter (all must match): custom trait `tf_tier` (`vitally.custom.tfTier`) is `Enterprise`"
    )
