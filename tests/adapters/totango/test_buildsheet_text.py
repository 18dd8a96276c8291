"""Totango's build-sheet text: who an alert reaches, the duplicate-task warning, quoting.

Expected lines are written from the rule and playbook data below: tierform creates each work
item as a task assigned to the account's Success Manager (or runs a mapped manual SuccessPlay
for an onboarding or renewal playbook), so a SuccessPlay built from this sheet must not create
those tasks again.
"""

from __future__ import annotations

from tierform.adapters.totango import buildsheet as bs

MANAGER = (
    "assigned to the account's Success Manager (the account attribute `Success Manager`, which "
    "tierform sets from `tf_csm`)"
)
RULE_WARNING = (
    "Warning: tierform already creates these tasks (and a task for each alert) on the account "
    "through the Tasks API: give this SuccessPlay no Create task action, or each is created twice"
)
PLAYBOOK_WARNING = (
    "Warning: tierform already creates each task above on the account through the Tasks API, "
    f"dated and {MANAGER}: add no Create task action to this SuccessPlay, or every task is "
    "created twice"
)


def test_alerts_name_who_is_alerted_and_the_success_manager() -> None:
    rule = {
        "name": "health-drop-alert",
        "definition": {
            "trigger": {"type": "threshold_crossed", "field": "health_score", "below": 60},
            "actions": [
                {"type": "notify", "to": "responder", "due_days": 2},
                {"type": "notify", "to": "CS manager", "tiers": ["Enterprise"]},
                {"type": "create_task", "text": "Call the sponsor"},
            ],
        },
    }
    assert bs.rule_steps("health_drop_alert", rule) == [
        "SuccessBLOCs > SuccessPlays > + Create SuccessPlay 'health-drop-alert', object: Accounts",
        "Trigger: event-based, when account attribute `tf_health_score` falls below 60",
        "Action: none in Totango: tierform creates a task for the alert to whoever the health "
        "profile step's 'Who is alerted' line names for the account's tier and band, due in 2 "
        f"days, {MANAGER}",
        "Action: none in Totango: tierform creates a task for the alert to 'CS manager', "
        f"{MANAGER} (only for tiers `Enterprise`)",
        f"Action: none in Totango: tierform creates the task 'Call the sponsor', {MANAGER}",
        RULE_WARNING,
    ]


ONBOARDING = {
    "name": "Customer's onboarding",
    "definition": {
        "stage": "onboarding",
        "owner": "named_csm",
        "tiers": ["Enterprise"],
        "steps": [
            {"day": 0, "channel": "call", "action": "Kickoff call"},
            {"day": 7, "channel": "email", "action": "Welcome pack"},
        ],
    },
}
CAMPAIGN = (
    "Campaigns > + New Campaign (email) 'Welcome pack', day 7, audience: account attribute "
    "`tf_tier` is one of `Enterprise`"
)


def test_playbook_tasks_tierform_creates_carry_the_warning() -> None:
    assert bs.playbook_steps("onboarding", ONBOARDING) == [
        "SuccessBLOCs > Onboarding SuccessBLOC (create it if missing) > SuccessPlays > "
        "+ Create SuccessPlay 'Customer's onboarding', object: Accounts",
        "Trigger: event-based, when account attribute `tf_tier` is one of `Enterprise`",
        "Task (day 0): 'Kickoff call', assigned to the account's Success Manager",
        PLAYBOOK_WARNING,
        CAMPAIGN,
    ]


def test_a_manual_successplay_tierform_runs_creates_the_tasks_itself() -> None:
    steps = bs.playbook_steps("onboarding", ONBOARDING, "sp-1")
    assert steps[1:] == [
        "Trigger: Manual; status: Active. tierform runs it through the API (SuccessPlay id "
        "sp-1) once per account the playbook is due for",
        "Action (day 0): Create task 'Kickoff call', assigned to the account's Success Manager",
        CAMPAIGN + " (manual SuccessPlays cannot send emails)",
    ]


def test_a_mapped_play_of_another_stage_stays_tasks() -> None:
    """Only onboarding and renewal playbooks run a SuccessPlay; the rest stay tierform's tasks."""
    adoption = {
        "name": "Adoption risk",
        "definition": {"stage": "adoption", "owner": "pool", "steps": [{"action": "Call"}]},
    }
    assert bs.playbook_steps("adoption_risk", adoption, "sp-2")[1:] == [
        "Task (day 0): 'Call', assigned to the team named in account attribute `tf_csm` "
        "(round robin)",
        PLAYBOOK_WARNING,
    ]


def test_names_are_quoted_alike_and_never_none() -> None:
    field = bs.field_steps("tf_tier", {"label": None, "type": "text"})
    assert field[1].startswith("Display name: 'tf_tier'; API name: `tf_tier`")
    segment = bs.segment_steps("tier-x", {"name": "O'Brien's tier", "filter": []})
    assert segment[1] == "Name: 'O'Brien's tier'"
    assert bs.rule_steps("r", {"name": "", "definition": 7}) == [
        "SuccessBLOCs > SuccessPlays > + Create SuccessPlay 'r', object: Accounts"
    ]


def test_health_profile_lists_who_is_alerted() -> None:
    definition = {
        "weights": {"usage": 100},
        "bands": [{"name": "green", "min": 70}, {"name": "red", "min": 0}],
        "responses": {"Enterprise": {"red": "named CSM", "green": "nobody"}},
    }
    steps = bs.health_steps("health-score", {"definition": definition})
    assert steps[-1] == "Who is alerted, tier Enterprise: green: nobody; red: named CSM"
