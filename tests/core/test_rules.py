"""Automation rules on hand-made books: every outcome below is worked out from the recipe."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tierform.core.book import book_from_records
from tierform.core.health.spec import HealthSpec
from tierform.core.loader import default_model, load_model_text, starter_text
from tierform.core.model import CoverageModel
from tierform.core.rules.engine import effective_rules, run_rules
from tierform.core.rules.testing import run_rule_tests
from tierform.errors import ConfigError

AS_OF = dt.date(2026, 3, 1)
ACV = {"Enterprise": 200_000.0, "Mid-Market": 50_000.0, "SMB": 10_000.0, "Self-Serve": 2_000.0}


def _day(offset: int) -> str:
    return (AS_OF + dt.timedelta(days=offset)).isoformat()


def _identity_health(model: CoverageModel) -> CoverageModel:
    """Health = column x (usage dimension only), so scores are set directly by the test."""
    spec = {
        "signals": {
            "x": {"dimension": "usage", "normalise": {"type": "linear", "worst": 0, "best": 100}}
        },
        "weights": {"usage": 100},
        "tier_weights": {},
    }
    return model.model_copy(update={"health": HealthSpec.model_validate(spec)})


def _rules(model: CoverageModel, *names: str) -> list[Any]:
    by_name = {r.name: r for r in effective_rules(model)}
    return [by_name[n] for n in names]


def _actions(run: Any) -> set[tuple[str, str, str]]:
    return {(a.account_id, a.action, a.due.isoformat()) for a in run.actions}


def test_default_rules_are_the_recipe_five_plus_transitions() -> None:
    names = [r.name for r in effective_rules(default_model())]
    assert names == [
        "route-by-acv-tier",
        "health-drop-alert",
        "expansion-signal",
        "renewal-prep",
        "tier-migration",
        "segment-upgrade",
        "segment-downgrade",
        "strategic-designation",
        "at-risk-temporary-upgrade",
    ]
    by_name = {r.name: r for r in effective_rules(default_model())}
    assert by_name["renewal-prep"].trigger.days_by_tier == {
        "Enterprise": 120,
        "Mid-Market": 90,
        "SMB / Growth": 60,
        "Self-Serve": 30,
    }
    assert by_name["tier-migration"].actions[0].overlap_days == 14
    assert by_name["at-risk-temporary-upgrade"].trigger.below == 40
    # alerted from yellow in Enterprise (below green's 90), from orange in Mid-Market (below
    # 70), at red in the pooled and digital tiers (below 50)
    assert by_name["health-drop-alert"].trigger.below_by_tier == {
        "Enterprise": 90,
        "Mid-Market": 70,
        "SMB / Growth": 50,
        "Self-Serve": 50,
    }


def test_renewal_prep_at_120_90_60_30_days() -> None:
    model = default_model()
    book = book_from_records(
        [
            {"account_id": "E1", "acv": ACV["Enterprise"], "renewal_date": _day(120)},
            {"account_id": "E2", "acv": ACV["Enterprise"], "renewal_date": _day(121)},
            {"account_id": "M1", "acv": ACV["Mid-Market"], "renewal_date": _day(30)},
            {"account_id": "S1", "acv": ACV["SMB"], "renewal_date": _day(60)},
            {"account_id": "S2", "acv": ACV["SMB"], "renewal_date": _day(61)},
            {"account_id": "D1", "acv": ACV["Self-Serve"], "renewal_date": _day(30)},
            {"account_id": "D2", "acv": ACV["Self-Serve"], "renewal_date": _day(-1)},
        ]
    )
    run = run_rules(model, book, AS_OF, rules=_rules(model, "renewal-prep"))
    assert _actions(run) == {
        ("E1", "start_playbook:Enterprise renewal prep", AS_OF.isoformat()),
        # 30 days out with a 90-day lead: due 60 days ago (overdue, still open)
        ("M1", "start_playbook:Mid-Market renewal prep", _day(-60)),
        ("S1", "start_playbook:SMB / Growth renewal prep", AS_OF.isoformat()),
        ("D1", "start_playbook:Self-Serve renewal prep", AS_OF.isoformat()),
    }
    e1 = next(a for a in run.actions if a.account_id == "E1")
    assert e1.rule == "renewal-prep" and "120 days away" in e1.reason


def test_new_accounts_are_routed_by_acv_tier() -> None:
    model = default_model()
    old = [
        {"account_id": "E1", "acv": ACV["Enterprise"], "contract_start": "2024-01-01"},
        {"account_id": "M1", "acv": ACV["Mid-Market"], "contract_start": "2024-01-01"},
    ]
    new = old + [
        {"account_id": "N1", "acv": ACV["SMB"], "contract_start": "2026-02-20"},
        {"account_id": "N2", "acv": ACV["Self-Serve"], "contract_start": "2026-02-27"},
    ]
    run = run_rules(
        model,
        book_from_records(new),
        AS_OF,
        book_from_records(old),
        rules=_rules(model, "route-by-acv-tier"),
    )
    assert _actions(run) == {
        ("N1", "assign_pool:SMB / Growth pool", "2026-02-20"),
        ("N1", "start_playbook:SMB / Growth onboarding", "2026-02-20"),
        ("N2", "assign_digital:Self-Serve", "2026-02-27"),
        ("N2", "start_playbook:Self-Serve onboarding", "2026-02-27"),
    }


def test_without_a_previous_book_new_means_a_contract_start_this_week() -> None:
    model = default_model()
    book = book_from_records(
        [
            {"account_id": "A", "acv": ACV["Enterprise"], "contract_start": _day(-6)},
            {"account_id": "B", "acv": ACV["Enterprise"], "contract_start": _day(-7)},
            {"account_id": "C", "acv": ACV["Enterprise"], "contract_start": _day(1)},
        ]
    )
    run = run_rules(model, book, AS_OF, rules=_rules(model, "route-by-acv-tier"))
    assert {a.account_id for a in run.actions} == {"A"}


def test_tier_migration_with_warm_handoff() -> None:
    model = default_model()
    before = book_from_records(
        [
            {"account_id": "UP", "acv": 50_000.0},
            {"account_id": "DOWN", "acv": 50_000.0},
            {"account_id": "SAME", "acv": 50_000.0},
        ]
    )
    after = book_from_records(
        [
            {"account_id": "UP", "acv": 150_000.0},
            {"account_id": "DOWN", "acv": 10_000.0},
            {"account_id": "SAME", "acv": 60_000.0},
        ]
    )
    names = ("tier-migration", "segment-upgrade", "segment-downgrade")
    run = run_rules(model, after, AS_OF, before, rules=_rules(model, *names))
    today = AS_OF.isoformat()
    assert _actions(run) == {
        ("UP", "move_tier:Enterprise", today),
        ("UP", "assign_csm:Enterprise", today),
        ("DOWN", "move_tier:SMB / Growth", today),
        ("DOWN", "assign_pool:SMB / Growth pool", today),
    }
    move = next(a for a in run.actions if a.action == "move_tier:Enterprise")
    assert move.rule == "tier-migration"
    assert "from Mid-Market to Enterprise" in move.reason
    assert "14 days' overlap" in move.reason and "until 2026-03-15" in move.reason


def test_previous_tier_column_stands_in_for_a_previous_book() -> None:
    model = default_model()
    book = book_from_records(
        [{"account_id": "A", "acv": 150_000.0, "previous_tier": "SMB / Growth"}]
    )
    run = run_rules(model, book, AS_OF, rules=_rules(model, "tier-migration"))
    assert [a.action for a in run.actions] == ["move_tier:Enterprise"]


def test_change_rules_without_history_are_noted_not_guessed() -> None:
    model = default_model()
    book = book_from_records([{"account_id": "A", "acv": 150_000.0}])
    run = run_rules(
        model, book, AS_OF, rules=_rules(model, "tier-migration", "strategic-designation")
    )
    assert run.actions == []
    assert any("tier-migration" in n and "previous book" in n for n in run.notes)
    assert any("strategic-designation" in n for n in run.notes)


def test_health_alerts_follow_the_tier_response_thresholds() -> None:
    model = _identity_health(default_model())
    rows = [
        ("E", "Enterprise", 85, 95),
        ("M", "Mid-Market", 65, 75),
        ("S", "SMB", 35, 60),
        ("S2", "SMB", 45, 48),
        ("D", "Self-Serve", 55, 80),
    ]
    before = book_from_records([{"account_id": a, "acv": ACV[t], "x": p} for a, t, _, p in rows])
    after = book_from_records([{"account_id": a, "acv": ACV[t], "x": s} for a, t, s, _ in rows])
    names = ("health-drop-alert", "at-risk-temporary-upgrade")
    run = run_rules(model, after, AS_OF, before, rules=_rules(model, *names))
    today = AS_OF.isoformat()
    assert _actions(run) == {
        # Enterprise 95 -> 85: below 90, yellow: the named CSM hears, no intervention yet
        ("E", "notify:named CSM", today),
        # Mid-Market 75 -> 65: below 70, orange: CSM alert and adoption-risk playbook
        ("M", "notify:named CSM", today),
        ("M", "start_playbook:Mid-Market adoption risk", today),
        # SMB 60 -> 35: red, the pool is alerted; below 40: temporary upgrade one tier up
        ("S", "notify:SMB / Growth pool", today),
        ("S", "start_playbook:SMB / Growth adoption risk", today),
        ("S", "move_tier:Mid-Market", today),
        # S2 was already below 50 (48 -> 45): no new crossing; D at 55 is above 50
    }
    upgrade = next(a for a in run.actions if a.action == "move_tier:Mid-Market")
    assert "temporary for 90 days" in upgrade.reason and "was 60.0" in upgrade.reason


def test_expansion_signal_goes_to_the_csm_or_an_in_app_prompt() -> None:
    model = _identity_health(default_model())
    book = book_from_records(
        [
            {"account_id": "E", "acv": ACV["Enterprise"], "x": 90.0},
            {"account_id": "D", "acv": ACV["Self-Serve"], "x": 86.0},
            {"account_id": "M", "acv": ACV["Mid-Market"], "x": 85.0},  # not above 85
        ]
    )
    run = run_rules(model, book, AS_OF, rules=_rules(model, "expansion-signal"))
    assert {(a.account_id, a.action) for a in run.actions} == {
        ("E", "start_playbook:Enterprise expansion"),
        ("D", "notify:in-app upgrade prompt"),
    }


def test_strategic_designation_dedupes_with_the_migration() -> None:
    model = default_model()
    before = book_from_records([{"account_id": "A", "acv": 50_000.0, "strategic": False}])
    after = book_from_records([{"account_id": "A", "acv": 50_000.0, "strategic": True}])
    run = run_rules(model, after, AS_OF, before)
    got = {a.action: a for a in run.actions}
    assert set(got) == {"move_tier:Enterprise", "assign_csm:Enterprise"}
    assert got["move_tier:Enterprise"].rule == "tier-migration"
    assert "also rule strategic-designation" in got["move_tier:Enterprise"].reason
    assert run.to_dict()["actions"][0].keys() == {"account_id", "rule", "action", "due", "reason"}
    assert run.to_dict()["as_of"] == "2026-03-01"


def test_rule_sections_name_unknown_playbooks_tiers_and_bands() -> None:
    text = (
        starter_text()
        + """
rules:
  - name: onboard
    trigger: {type: account_created}
    condition: {bands: [purple]}
    actions:
      - {type: start_playbook, playbook: Onboard}
  - name: renew
    trigger: {type: days_before_date, days_by_tier: {Enterprize: 90}}
    actions: [{type: notify}]
  - name: alert
    trigger: {type: threshold_crossed, field: health.mood, below: 40}
    actions: [{type: move_tier, tier: sideways}]
"""
    )
    with pytest.raises(ConfigError) as exc:
        load_model_text(text, "tierform.yaml")
    keys = {i.key: i.message for i in exc.value.issues}
    assert "unknown playbook 'Onboard'" in keys["rules.0.actions.0.playbook"]
    assert "unknown band 'purple'" in keys["rules.0.condition.bands.0"]
    assert "unknown tier 'Enterprize'" in keys["rules.1.trigger.days_by_tier.Enterprize"]
    assert "notify needs 'to'" in keys["rules.1.actions.0"]
    assert "unknown health dimension 'mood'" in keys["rules.2.trigger.field"]
    assert "unknown tier 'sideways'" in keys["rules.2.actions.0.tier"]
    assert all(i.line for i in exc.value.issues)


MODEL_RULE = """
rules:
  - name: big-renewals
    trigger: {type: days_before_date, days: 45}
    condition: {tiers: [Enterprise, Mid-Market]}
    actions: [{type: create_task, text: Prepare renewal, due_days: 2}]
    tests:
      - case: enterprise 40 days out
        as_of: 2026-03-01
        account: {account_id: T1, acv: 200000, renewal_date: 2026-04-10}
        expect: ["create_task:Prepare renewal"]
      - case: smb is out of scope (expectation deliberately wrong)
        as_of: 2026-03-01
        account: {account_id: T2, acv: 10000, renewal_date: 2026-04-10}
        expect: ["create_task:Prepare renewal"]
"""


def test_model_cases_and_pass_rate() -> None:
    model = load_model_text(starter_text() + MODEL_RULE, "tierform.yaml")
    result = run_rule_tests(model, generated=False)
    assert result.pass_rate == 50.0
    assert result.grade == "below minimum"
    failed = next(c for c in result.cases if not c.passed)
    assert failed.got == [] and failed.expected == ["create_task:Prepare renewal"]
    data = result.to_dict()
    assert set(data) == {"cases", "pass_rate"}
    assert set(data["cases"][0]) == {"rule", "case", "passed", "expected", "got"}
    # with the generated sample accounts: five more, all passing -> 6 of 7
    with_generated = run_rule_tests(model)
    assert len(with_generated.cases) == 7
    assert with_generated.pass_rate == pytest.approx(100 * 6 / 7, abs=0.01)


def test_default_rules_pass_five_generated_cases_each() -> None:
    result = run_rule_tests(default_model())
    assert len(result.cases) == 9 * 5
    assert result.pass_rate == 100.0 and result.grade == "excellent"
    for name in {c.rule for c in result.cases}:
        mine = [c for c in result.cases if c.rule == name]
        assert any(c.expected for c in mine), name  # some case must act
        assert any(not c.expected for c in mine), name  # and some must not


def test_a_broken_engine_expectation_is_caught() -> None:
    # A rule whose model test expects the wrong due-day label fails: the harness compares.
    model = load_model_text(
        starter_text()
        + MODEL_RULE.replace(
            'expect: ["create_task:Prepare renewal"]\n      - case: smb',
            'expect: ["create_task:Prepare renewals"]\n      - case: smb',
        ),
        "tierform.yaml",
    )
    result = run_rule_tests(model, generated=False)
    assert result.pass_rate == 0.0
