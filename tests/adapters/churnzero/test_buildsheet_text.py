"""ChurnZero's build-sheet text: who an alert reaches, the duplicate-task warning, quoting.

Expected lines are written from the rule and playbook data below: ChurnZero can address the
Account Owner (the user tierform sets from `tf_csm`), and tierform's events already become tasks
through one Play per rule or playbook, so the Plays built here must add no Create Task step.
"""

from __future__ import annotations

from tierform.adapters.churnzero import buildsheet as bs

OWNER = (
    "the Account Owner (OwnerUserAccount: tierform sets it to the ChurnZero user named in `tf_csm`)"
)
RULE = {
    "name": "health-drop-alert",
    "definition": {
        "name": "health-drop-alert",
        "trigger": {"type": "threshold_crossed", "field": "health_score", "below": 60},
        "actions": [
            {"type": "notify", "to": "responder", "due_days": 2},
            {"type": "notify", "to": "CS manager", "tiers": ["Enterprise"]},
            {"type": "create_task", "text": "Call the sponsor", "due_days": 3},
        ],
    },
}


def _warning(source: str, what: str) -> str:
    return (
        f"Warning: tierform already sends {what} as event 'tf: {source}' when it is due, and the "
        f"Play 'tierform: {source}' creates each as a task for the Account Owner: leave Create "
        "Task steps for them out of this Play, or each task is created twice"
    )


def test_alerts_name_who_is_alerted_and_the_account_owner_gets_the_task() -> None:
    steps = bs.rule_steps("health_drop_alert", RULE)
    assert steps == [
        "Admin > Plays > New Play: 'health-drop-alert' (ChurnZero runs rules as Plays); "
        "Target: Account",
        "Entry criteria: Account custom field `tf_health_score` falls below 60",
        "Step: none for the alert to whoever the ChurnScore step's 'Who is alerted' line names "
        f"for the account's tier and band, Due Date: 2 days after entry: tierform files it as a "
        f"task for {OWNER}",
        "Step: none for the alert to 'CS manager' (only for tiers 'Enterprise'): tierform files "
        f"it as a task for {OWNER}",
        "Step: Create Task, Subject 'Call the sponsor', Assign To: Account Owner, Due Date: 3 "
        "days after entry",
        _warning("rule:health-drop-alert", "each task and alert of this rule"),
    ]


def test_the_warning_names_the_event_play_the_build_sheet_asks_for() -> None:
    play = bs.event_play_steps("tf: rule:health-drop-alert", "rule:health-drop-alert")
    assert play[0].startswith("Admin > Plays > New Play: 'tierform: rule:health-drop-alert';")
    assert "the Play 'tierform: rule:health-drop-alert'" in bs.rule_steps("r", RULE)[-1]


def test_an_in_app_prompt_is_an_announcement_not_a_task() -> None:
    rule = {
        "name": "expansion-signal",
        "definition": {
            "trigger": {"type": "threshold_crossed", "field": "health.usage", "above": 85},
            "actions": [{"type": "notify", "to": "upgrade prompt", "channel": "in-app"}],
        },
    }
    steps = bs.rule_steps("expansion_signal", rule)
    assert steps[1:] == [
        "Entry criteria: Account custom field `tf_health_usage` rises above 85",
        "Step: Send In-App Announcement 'upgrade prompt'",
        _warning("rule:expansion-signal", "each task and alert of this rule"),
    ]


def test_playbook_tasks_carry_the_duplicate_warning_automation_does_not() -> None:
    named = {
        "name": "Onboarding",
        "definition": {
            "owner": "named_csm",
            "steps": [
                {"day": 0, "channel": "call", "action": "Kickoff call"},
                {"day": 7, "channel": "email", "action": "Welcome pack"},
            ],
        },
    }
    assert bs.playbook_steps("onboarding", named) == [
        "Admin > Plays > New Play: 'Onboarding'; Target: Account; Type: One-Time per account",
        "Task (day 0): 'Kickoff call', Assign To: Account Owner",
        "Step (day 7): Send Email 'Welcome pack'",
        _warning("playbook:Onboarding", "each task above"),
    ]
    automated = {
        "name": "Digital",
        "definition": {"owner": "automation", "steps": [{"day": 1, "action": "Checklist"}]},
    }
    assert bs.playbook_steps("digital", automated) == [
        "Admin > Plays > New Play: 'Digital'; Target: Account; Type: One-Time per account",
        "Step (day 1): 'Checklist' (automated)",
    ]


def test_names_are_quoted_alike_and_never_none() -> None:
    steps = bs.playbook_steps("obrien", {"name": "O'Brien's plan", "definition": {}})
    assert steps == [
        "Admin > Plays > New Play: 'O'Brien's plan'; Target: Account; Type: One-Time per account"
    ]
    nameless = bs.rule_steps("renewal_prep", {"name": None, "definition": "not a mapping"})
    assert nameless == [
        "Admin > Plays > New Play: 'renewal_prep' (ChurnZero runs rules as Plays); Target: Account"
    ]


def test_churnscore_lists_who_is_alerted_and_per_tier_weights() -> None:
    definition = {
        "weights": {"usage": 50, "support": 50},
        "tier_weights": {"Enterprise": {"usage": 30, "engagement": 30, "support": 40}},
        "bands": [{"name": "green", "min": 80}, {"name": "red", "min": 0}],
        "responses": {"Enterprise": {"red": "named CSM and CS manager", "green": "named CSM"}},
    }
    steps = bs.health_steps("health-score", {"name": "Health", "definition": definition})

    def factor(dim: str, pct: int) -> str:
        return (
            f"Add factor: Account custom field `tf_health_{dim}` (0-100, higher is healthier), "
            f"weight {pct}%"
        )

    assert steps == [
        "Admin > ChurnScore > New ChurnScore: 'Health'",
        "Admin > ChurnScore > New ChurnScore: 'Health (Enterprise)' for accounts where Account "
        "custom field `tf_tier` is equal to 'Enterprise'; its factors:",
        factor("engagement", 30),
        factor("support", 40),
        factor("usage", 30),
        "ChurnScore 'Health' serves the other tiers; its factors:",
        factor("support", 50),
        factor("usage", 50),
        "Grade 'green': score at least 80",
        "Grade 'red': score at least 0",
        "Or use one factor, the ready-made score: Account custom field `tf_health_score`; "
        "tierform writes the band to Account custom field `tf_health_band`",
        "Who is alerted, tier Enterprise: green: named CSM; red: named CSM and CS manager",
    ]
