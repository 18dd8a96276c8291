"""Hand-built desired states and matching fake services, with values written out literally so
the tests' expectations never come from the code under test."""

from __future__ import annotations

from typing import Any

from tierform.sync.state import Kind, State

from .fake import TotangoFake

FIELDS: dict[str, dict[str, Any]] = {
    "tf_tier": {
        "label": "Tier",
        "type": "text",
        "description": "Coverage tier",
        "options": ["Enterprise", "SMB"],
    },
    "tf_csm": {"label": "CSM / pool", "type": "text", "description": "Assigned CSM or pool"},
    "tf_health_score": {"label": "Health score", "type": "number", "description": "0-100"},
    "tf_health_band": {
        "label": "Health band",
        "type": "text",
        "description": "Band",
        "options": ["green", "yellow"],
    },
}
UNMANAGED = {"Contract Value": "12000", "Sales Manager": "Jo Park"}


def ext(i: int) -> str:
    return f"ACC-{i:03d}"


def account_data(i: int) -> dict[str, Any]:
    """Every third account is Enterprise with Ana Ruiz, the rest SMB in the Growth pod."""
    enterprise = i % 3 == 0
    return {
        "tf_tier": "Enterprise" if enterprise else "SMB",
        "tf_csm": "Ana Ruiz" if enterprise else "Growth pod",
        "tf_health_score": 50 + i + (0.5 if i % 4 == 0 else 0),
        "tf_health_band": "green" if i % 2 else "yellow",
    }


def task_key(i: int) -> str:
    return f"tf-test{i:015d}"


def task_data(i: int, due: str = "2025-02-01") -> dict[str, Any]:
    return {
        "account_id": ext(i),
        "title": f"Check in on {ext(i)}",
        "due": due,
        "source": "rule:health-drop-alert",
        "reason": f"health {50 + i} below 60",
        "assignee": "Ana Ruiz" if i % 3 == 0 else "Growth pod",
    }


def desired(n: int = 9, *, tasks: bool = True, onboarding: bool = False) -> State:
    s = State()
    for name, data in FIELDS.items():
        s.put(Kind.field, name, data, label=data["label"])
    s.put(
        Kind.segment,
        "tier-enterprise",
        {
            "name": "Tier: Enterprise",
            "description": "Accounts in the Enterprise tier",
            "filter": [{"field": "tf_tier", "op": "eq", "value": "Enterprise"}],
        },
    )
    s.put(
        Kind.playbook,
        "enterprise_onboarding",
        {
            "name": "Enterprise onboarding",
            "definition": {
                "name": "Enterprise onboarding",
                "stage": "onboarding",
                "tiers": ["Enterprise"],
                "trigger": "contract signed",
                "owner": "named_csm",
                "steps": [
                    {"day": 0, "action": "Kickoff call", "channel": "call"},
                    {"day": 7, "action": "Send the welcome pack", "channel": "email"},
                ],
                "success_criteria": ["first value in 30 days"],
            },
        },
    )
    s.put(
        Kind.rule,
        "renewal_prep",
        {
            "name": "renewal-prep",
            "definition": {
                "name": "renewal-prep",
                "trigger": {
                    "type": "days_before_date",
                    "date_field": "renewal_date",
                    "days_by_tier": {"Enterprise": 120, "SMB": 60},
                },
                "actions": [{"type": "create_task", "text": "Renewal call", "due_days": 3}],
            },
        },
    )
    s.put(
        Kind.health,
        "health-score",
        {
            "name": "Health score",
            "definition": {
                "weights": {"usage": 60, "support": 40},
                "tier_weights": {"Enterprise": {"usage": 50, "support": 50}},
                "bands": [{"name": "green", "min": 70}, {"name": "yellow", "min": 0}],
            },
        },
    )
    for i in range(1, n + 1):
        s.put(Kind.account, ext(i), account_data(i), label=f"Customer {i}")
        if tasks and i % 2 == 0:
            s.put(Kind.work_item, task_key(i), task_data(i), label=f"task {i}")
        if onboarding and i % 3 == 0:
            s.put(
                Kind.work_item,
                f"tf-pb{i:017d}",
                {
                    "account_id": ext(i),
                    "title": "Enterprise onboarding: Kickoff call",
                    "due": "2025-02-03",
                    "source": "playbook:Enterprise onboarding",
                    "reason": "new account",
                    "assignee": "Ana Ruiz",
                },
            )
    return s


def seed(fake: TotangoFake, n: int = 9, *, define: bool = True) -> None:
    """``n`` accounts as a CRM feed leaves them, the Data Modeler attributes, and users."""
    for i in range(1, n + 1):
        fake.add_account(ext(i), f"Customer {i}", dict(UNMANAGED))
    if define:
        fake.define(*FIELDS)
    fake.add_user("Ana Ruiz", "ana@example.com")
    fake.add_user("Sam Lee", "sam@example.com")
