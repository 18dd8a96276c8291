"""The playbook library, the lifecycle coverage matrix, its grade and the model checks."""

from __future__ import annotations

import pytest

from tierform.core.loader import default_model, load_model_text, starter_text
from tierform.core.model import LifecycleStage
from tierform.core.playbooks.library import coverage_matrix, effective_playbooks
from tierform.core.playbooks.spec import STAGES, Playbook
from tierform.errors import ConfigError


def test_stage_names_match_the_model() -> None:
    assert list(STAGES) == [s.value for s in LifecycleStage]


def test_default_library_follows_the_recipe_minimum() -> None:
    books = {pb.name: pb for pb in effective_playbooks(default_model())}
    tiers = ["Enterprise", "Mid-Market", "SMB / Growth", "Self-Serve"]
    # onboarding and renewal for every tier; adoption risk where there are CSMs (not the
    # digital Self-Serve tier); expansion for Enterprise and Mid-Market only.
    expected = (
        [f"{t} onboarding" for t in tiers]
        + [f"{t} renewal prep" for t in tiers]
        + [f"{t} adoption risk" for t in tiers[:3]]
        + [f"{t} expansion" for t in tiers[:2]]
    )
    assert sorted(books) == sorted(expected)
    assert books["Enterprise onboarding"].owner == "named_csm"
    assert books["SMB / Growth adoption risk"].owner == "pool"
    assert books["Self-Serve onboarding"].owner == "automation"
    # renewal prep at 120 / 90 / 60 days for the tiers with CSMs, 30 for digital
    leads = [books[f"{t} renewal prep"].trigger.split()[0] for t in tiers]
    assert leads == ["120", "90", "60", "30"]
    # segment guide elements: kickoff call at close; tech-touch welcome by email at sign-up
    first = books["Enterprise onboarding"].steps[0]
    assert (first.day, first.channel) == (0, "call") and "Kickoff" in first.action
    assert books["Self-Serve onboarding"].steps[0].channel == "email"
    for pb in books.values():
        assert all(0 <= s.day <= 90 for s in pb.steps)
        assert pb.escalation and pb.success_criteria


def test_default_matrix_is_excellent_and_cells_say_what_covers_them() -> None:
    model = default_model()
    matrix = coverage_matrix(model)
    assert matrix.grade == "excellent"
    assert matrix.cell("onboarding", "Self-Serve").playbooks == ["Self-Serve onboarding"]
    cell = matrix.cell("value_delivery", "Enterprise")
    assert (
        cell.covered_by == "touchpoint"
        and cell.touchpoint == model.tiers[0].touchpoints[LifecycleStage.value_delivery]
    )
    assert matrix.cell("expansion", "SMB / Growth").covered_by == "touchpoint"
    assert not matrix.gaps
    data = matrix.to_dict()
    assert set(data) == {"stages", "tiers", "matrix", "gaps", "grade", "checks"}
    assert data["matrix"]["renewal"]["Mid-Market"]["playbooks"] == ["Mid-Market renewal prep"]


def _only(model, stages: set[str], tiers: set[str] | None = None) -> list[Playbook]:
    return [
        pb
        for pb in effective_playbooks(model)
        if pb.stage in stages and (tiers is None or pb.tiers[0] in tiers)
    ]


def test_grades_follow_the_benchmark_levels() -> None:
    model = default_model()
    minimum = _only(model, {"onboarding", "renewal"})
    assert coverage_matrix(model, minimum).grade == "minimum"
    no_renewal = [pb for pb in minimum if pb.name != "Self-Serve renewal prep"]
    below = coverage_matrix(model, no_renewal)
    assert below.grade == "below minimum"
    assert (
        "renewal in Self-Serve"
        in next(c for c in below.checks if c.id == "playbook_coverage").message
    )
    full = effective_playbooks(model)
    quiet = [
        pb.model_copy(update={"escalation": None}) if pb.name == "Enterprise expansion" else pb
        for pb in full
    ]
    good = coverage_matrix(model, quiet)
    assert good.grade == "good"
    assert (
        "escalation path of 'Enterprise expansion'"
        in next(c for c in good.checks if c.id == "playbook_coverage").message
    )


def test_step4_minimum_check_fails_for_a_csm_tier_without_renewal() -> None:
    model = default_model()
    books = [pb for pb in effective_playbooks(model) if pb.name != "Mid-Market renewal prep"]
    check = next(c for c in coverage_matrix(model, books).checks if c.id == "playbook_minimum")
    assert check.status == "fail" and "renewal in Mid-Market" in check.message


def test_gap_borrows_the_adjacent_tiers_approach() -> None:
    model = default_model()
    tiers = list(model.tiers)
    mid = tiers[1]
    points = {k: v for k, v in mid.touchpoints.items() if k != LifecycleStage.escalation}
    tiers[1] = mid.model_copy(update={"touchpoints": points})
    matrix = coverage_matrix(model.model_copy(update={"tiers": tiers}))
    (gap,) = matrix.gaps
    assert (gap.stage, gap.tier) == ("escalation", "Mid-Market")
    # Enterprise is adjacent and also has named CSMs: its approach is borrowed
    assert gap.fix is not None and "borrow Enterprise's approach" in gap.fix
    assert "Named CSM escalates" in gap.fix
    assert matrix.grade == "good"
    assert any(c.id == "lifecycle_gap:escalation:Mid-Market" for c in matrix.checks)


PLAYBOOK = """
  - name: {name}
    stage: {stage}
    tiers: [{tiers}]
    trigger: new account
    owner: {owner}
    steps: [{{day: 0, action: Kickoff, channel: call}}]
    success_criteria: [live]
    escalation: CSM -> manager
"""


def _load(*books: dict[str, str]) -> ConfigError:
    text = starter_text() + "\nplaybooks:" + "".join(PLAYBOOK.format(**b) for b in books)
    with pytest.raises(ConfigError) as exc:
        load_model_text(text, "tierform.yaml")
    return exc.value


def test_validate_enforces_the_minimum_for_tiers_with_csms() -> None:
    err = _load(
        {"name": "ent on", "stage": "onboarding", "tiers": "Enterprise", "owner": "named_csm"}
    )
    text = str(err)
    assert "tier 'Enterprise' has CSMs but no renewal playbook" in text
    assert "tier 'Mid-Market' has CSMs but no onboarding playbook" in text
    assert "Self-Serve" not in text  # digital: no CSMs, no requirement


def test_validate_names_unknown_tiers_and_wrong_owners() -> None:
    err = _load(
        {"name": "x", "stage": "onboarding", "tiers": "Enterprize", "owner": "named_csm"},
        {"name": "x", "stage": "renewal", "tiers": "Self-Serve", "owner": "pool"},
    )
    text = str(err)
    keys = {i.key for i in err.issues}
    assert "playbooks.0.tiers.0" in keys and "unknown tier 'Enterprize'" in text
    assert "playbook name 'x' is used twice" in text
    assert "owner pool, but tier 'Self-Serve' has no pool" in text


def test_step_day_and_channel_are_checked() -> None:
    text = (
        starter_text()
        + "\nplaybooks:"
        + PLAYBOOK.format(
            name="x", stage="onboarding", tiers="Enterprise", owner="named_csm"
        ).replace(
            "{day: 0, action: Kickoff, channel: call}", "{day: 120, action: Kickoff, channel: fax}"
        )
    )
    with pytest.raises(ConfigError) as exc:
        load_model_text(text, "tierform.yaml")
    keys = {i.key for i in exc.value.issues}
    assert "playbooks.0.steps.0.day" in keys and "playbooks.0.steps.0.channel" in keys
