"""Custom fields only the UI can create: values wait on their build-sheet step, the rest go."""

from __future__ import annotations

import json

import pytest

from tierform.sync.buildsheet import StepStatus
from tierform.sync.render import render_json, render_text
from tierform.sync.state import Kind

from . import states
from .states import ext


def _field_steps(plan):
    return {s.key: s for s in plan.build_steps if s.kind is Kind.field}


def test_missing_fields_values_wait_rest_written(fake, syncer):
    states.seed(fake, 4, fields=False)
    fake.create_field("Tf_Tier__gc", "STRING")  # the admin has done one step so far
    desired = states.desired(4, tasks=False)
    plan = syncer().plan(desired)
    steps = _field_steps(plan)
    assert {k: s.status for k, s in steps.items()} == {
        "tf_tier": StepStatus.done,
        "tf_csm": StepStatus.missing,
        "tf_health_score": StepStatus.missing,
        "tf_health_band": StepStatus.missing,
    }
    # account 3's CSM is a Gainsight user: the Csm lookup is written even without Tf_Csm__gc
    assert {c.key: c.data for c in plan.changes} == {
        ext(1): {"tf_tier": "SMB"},
        ext(2): {"tf_tier": "SMB"},
        ext(3): {"tf_tier": "Enterprise", "tf_csm": "Ana Ruiz"},
        ext(4): {"tf_tier": "SMB"},
    }
    assert any(
        w.startswith("waiting: 4 account value(s) of tf_health_score")
        and "Tf_Health_Score__gc" in w
        for w in plan.warnings
    )
    assert syncer().apply(plan).ok
    c3 = fake.company(ext(3))
    assert c3["Tf_Tier__gc"] == "Enterprise" and "Tf_Health_Score__gc" not in c3
    assert syncer().plan(desired).is_empty

    # The admin creates the remaining fields: the next apply writes the waiting values.
    for name, typ in states.API.values():
        fake.create_field(name, typ)
    plan = syncer().plan(desired)
    assert {s.status for s in _field_steps(plan).values()} == {StepStatus.done}
    assert syncer().apply(plan).ok
    for i in range(1, 5):
        c = fake.company(ext(i))
        assert c["Tf_Health_Score__gc"] == 50 + i
        assert c["Tf_Health_Band__gc"] == ("green" if i % 2 else "yellow")
    assert syncer().plan(desired).is_empty


def test_field_steps_carry_api_names_in_json(fake, syncer):
    states.seed(fake, 2, fields=False)
    plan = syncer().plan(states.desired(2, tasks=False))
    data = json.loads(render_json(plan))
    fields = {s["key"]: s for s in data["build_steps"] if s["kind"] == "field"}
    assert {
        k: (s["platform_name"], s["platform_type"], s["status"]) for k, s in fields.items()
    } == {
        "tf_tier": ("Tf_Tier__gc", "STRING", "missing"),
        "tf_csm": ("Tf_Csm__gc", "STRING", "missing"),
        "tf_health_score": ("Tf_Health_Score__gc", "NUMBER", "missing"),
        "tf_health_band": ("Tf_Health_Band__gc", "STRING", "missing"),
    }
    assert fields["tf_health_score"]["waiting_values"] == 2
    text = render_text(plan)
    assert "API Name: `Tf_Health_Score__gc`" in text and "Data Type: Number (NUMBER)" in text


def test_wrong_type_is_different_and_waits(fake, syncer):
    states.seed(fake, 2)
    fake.create_field("Tf_Health_Score__gc", "STRING")  # created as text by mistake
    plan = syncer().plan(states.desired(2, tasks=False))
    step = _field_steps(plan)["tf_health_score"]
    assert step.status is StepStatus.different and "data type STRING" in step.reason
    assert all("tf_health_score" not in (c.data or {}) for c in plan.changes)


def test_build_sheet_in_gainsight_vocabulary(fake, syncer):
    states.seed(fake, 2)
    plan = syncer().plan(states.desired(2, tasks=False))
    by_kind = {s.kind: s for s in plan.build_steps}
    segment = by_kind[Kind.segment].steps
    assert (
        segment[2]
        == "Filter (all must match): Company › Tf Tier (`Tf_Tier__gc`) equals `Enterprise`"
    )
    rule = by_kind[Kind.rule].steps
    assert (
        "Administration > Rules Engine > + RULE: name 'health-drop-alert', Rule For: Company"
        in rule
    )
    assert (
        "Criteria for Company › Tf Tier (`Tf_Tier__gc`) equals any of `Enterprise`: "
        "Company › Tf Health Score (`Tf_Health_Score__gc`) less than 90" in rule
    )
    assert (
        "Criteria for Company › Tf Tier (`Tf_Tier__gc`) equals any of `SMB`: "
        "Company › Tf Health Score (`Tf_Health_Score__gc`) less than 50" in rule
    )
    health = by_kind[Kind.health].steps
    assert (
        "Measure weights for Companies where Company › Tf Tier (`Tf_Tier__gc`) equals any of "
        "`Enterprise` (a scorecard per tier where weights differ): support 50%, usage 50%" in health
    )
    assert any("Set Score 2.0" in s for s in health)
    for step in plan.build_steps:
        for line in step.steps:
            assert "{'" not in line and "TODO" not in line


@pytest.mark.parametrize(
    "row",
    [
        {"PlaybookId": "1P0ABC"},
        {"playbookId": "1p0abc"},
        {"playbook_id": "1P0ABC"},
        {"PlaybookId": {"Gsid": "1P0ABC", "Name": "Enterprise onboarding"}},
        {"PlaybookId": "enterprise ONBOARDING"},
    ],
)
def test_a_playbook_reads_back_in_any_spelling_of_its_field_and_id(row):
    """The playbook field's name is inferred and ids may come back in another case: each form
    names the attached playbook (else every apply would report it not attached)."""
    from tierform.adapters.gainsight.mapping import read_playbook

    assert read_playbook(row, {"Enterprise onboarding": "1P0ABC"}) == "Enterprise onboarding"
    assert (
        read_playbook({"PlaybookId": None, "Name": "x"}, {"Enterprise onboarding": "1P0ABC"})
        is None
    )
