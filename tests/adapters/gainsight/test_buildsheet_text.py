"""Gainsight's build-sheet text: who an alert reaches, the duplicate-CTA warning, quoting.

Expected lines are written from the rule and playbook data below: tierform creates every work
item as a CTA whose owner is the Company's CSM, so a Rules Engine rule or playbook built from
this sheet must create no CTA of its own.
"""

from __future__ import annotations

from tierform.adapters.gainsight import buildsheet as bs

OWNER = (
    "owned by the Company's CSM (the CTA owner: the Gainsight user tierform matches to the "
    "work item's CSM, else the target's cta.owner_email)"
)
WARNING = (
    "Warning: tierform already creates these CTAs (and a CTA for each alert) on the Company "
    "through the API: give this rule no Call To Action action, or each is created twice"
)
RULE = {
    "name": "health-drop-alert",
    "definition": {
        "trigger": {"type": "threshold_crossed", "field": "health_score", "below": 60},
        "actions": [
            {"type": "notify", "to": "responder", "due_days": 2},
            {"type": "notify", "to": "CS manager"},
            {"type": "create_task", "text": "Call the sponsor", "due_days": 3},
            {"type": "start_playbook", "playbook": "Risk review", "tiers": ["Enterprise"]},
        ],
    },
}


def test_alerts_name_who_is_alerted_and_the_cta_owner() -> None:
    assert bs.rule_steps("health_drop_alert", RULE, "Risk") == [
        "Administration > Rules Engine > + RULE: name 'health-drop-alert', Rule For: Company",
        "Criteria: Company › Tf Health Score (`Tf_Health_Score__gc`) less than 60",
        "Action: none in Rules Engine: tierform creates a CTA for the alert to whoever the "
        "scorecard step's 'Who is alerted' line names for the account's tier and band, due in 2 "
        f"days, {OWNER}",
        "Action: none in Rules Engine: tierform creates a CTA for the alert to 'CS manager', "
        + OWNER,
        "Action: none in Rules Engine: tierform creates the CTA 'Call the sponsor', due in 3 days "
        f"(type 'Risk'), {OWNER}",
        "Action: none in Rules Engine: tierform creates the CTAs of the playbook 'Risk review' "
        f"(type 'Risk'), {OWNER} (only where Company › Tf Tier (`Tf_Tier__gc`) equals any of "
        "`Enterprise`)",
        WARNING,
    ]


def test_a_rule_that_only_assigns_has_no_warning() -> None:
    rule = {"name": "route", "definition": {"actions": [{"type": "assign"}]}}
    assert bs.rule_steps("route", rule, "Lifecycle") == [
        "Administration > Rules Engine > + RULE: name 'route', Rule For: Company",
        "Action: none in Rules Engine: tierform writes the Company's Csm lookup and Tf_Csm__gc",
    ]


PLAYBOOK = {
    "name": "Customer's onboarding",
    "definition": {
        "owner": "named_csm",
        "steps": [
            {"day": 0, "channel": "call", "action": "Kickoff call"},
            {"day": 7, "channel": "email", "action": "Welcome pack"},
        ],
    },
}


def test_playbook_warns_that_tierform_creates_its_ctas() -> None:
    tasks = [
        "Task: 'Kickoff call', due 0 day(s) after the CTA opens, owner: the CTA owner (the "
        "Company's CSM)",
        "Email task: 'Welcome pack', due 7 day(s) after the CTA opens, owner: the CTA owner "
        "(the Company's CSM)",
    ]
    tail = (
        f", {OWNER}: attach this playbook in no Rules Engine rule or Journey Orchestrator "
        "program, or every task is created twice"
    )
    assert bs.playbook_steps("onboarding", PLAYBOOK, "Lifecycle", None) == [
        "Administration > Cockpit > Playbooks > + PLAYBOOK: name 'Customer's onboarding', type "
        "'Lifecycle' (then map it in the target's `playbooks` setting so tierform attaches it)",
        *tasks,
        "Warning: tierform already creates the CTA for each Company this playbook is due for "
        "(one per task above until the playbook is mapped, then one with it attached)" + tail,
    ]
    mapped = bs.playbook_steps("onboarding", PLAYBOOK, "Lifecycle", "Onboarding")
    assert mapped[1:] == [
        *tasks,
        "Warning: tierform already creates the CTA for each Company this playbook is due for, "
        "with this playbook attached" + tail,
    ]


def test_an_automated_playbook_has_no_warning_and_nothing_prints_none() -> None:
    steps = bs.playbook_steps(
        "digital",
        {"name": None, "definition": {"owner": "automation", "steps": [{"action": "Tips"}]}},
        "Lifecycle",
        None,
    )
    assert steps[0].startswith("Administration > Cockpit > Playbooks > + PLAYBOOK: name 'digital'")
    assert steps[1:] == [
        "Task: 'Tips', due 0 day(s) after the CTA opens, owner: an automated email (Journey "
        "Orchestrator)"
    ]
    assert bs.rule_steps("r", {"name": "r", "definition": ["not", "a", "mapping"]}, "Risk") == [
        "Administration > Rules Engine > + RULE: name 'r', Rule For: Company"
    ]


def test_scorecard_lists_who_is_alerted_and_no_zero_weight_measure() -> None:
    definition = {
        "weights": {"usage": 60, "support": 40, "growth": 0},
        "bands": [{"name": "green", "min": 70}, {"name": "red", "min": 0}],
        "responses": {"SMB": {"red": "SMB pool"}},
    }
    steps = bs.health_steps("health-score", {"name": "Health score", "definition": definition})
    assert [s for s in steps if s.startswith("Measure")] == [
        "Measure: 'support' (0-100), scored from Company › Tf Health Support "
        "(`Tf_Health_Support__gc`)",
        "Measure: 'usage' (0-100), scored from Company › Tf Health Usage (`Tf_Health_Usage__gc`)",
        "Measure weights: support 40%, usage 60%",
    ]
    assert steps[-1] == "Who is alerted, tier SMB: red: SMB pool"
