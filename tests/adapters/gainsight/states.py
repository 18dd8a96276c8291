"""Hand-built desired states and matching tenants; expected values are written out literally."""

from __future__ import annotations

from typing import Any

from tierform.sync.state import Kind, State

from .fake import GainsightFake

FIELDS: dict[str, dict[str, Any]] = {
    "tf_tier": {
        "label": "Tier",
        "type": "text",
        "description": "Coverage tier",
        "options": ["Enterprise", "SMB"],
    },
    "tf_csm": {"label": "CSM / pool", "type": "text", "description": "Assigned CSM or pool"},
    "tf_health_score": {"label": "Health score", "type": "number", "description": "0-100"},
    "tf_health_band": {"label": "Health band", "type": "text", "description": "Band"},
}
# The Company API names an admin creates from the build sheet, spelled out.
API = {
    "tf_tier": ("Tf_Tier__gc", "STRING"),
    "tf_csm": ("Tf_Csm__gc", "STRING"),
    "tf_health_score": ("Tf_Health_Score__gc", "NUMBER"),
    "tf_health_band": ("Tf_Health_Band__gc", "STRING"),
}


def ext(i: int) -> str:
    return f"ACC-{i:03d}"


def account_data(i: int) -> dict[str, Any]:
    """Every third account is Enterprise with Ana Ruiz, the rest SMB in the Growth pod."""
    enterprise = i % 3 == 0
    return {
        "tf_tier": "Enterprise" if enterprise else "SMB",
        "tf_csm": "Ana Ruiz" if enterprise else "Growth pod",
        "tf_health_score": 50 + i,
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
        "reason": f"health <b>{50 + i}</b> below 60",
        "assignee": "Ana Ruiz" if i % 3 == 0 else "Growth pod",
    }


def desired(n: int = 9, *, tasks: bool = True, playbook_steps: bool = False) -> State:
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
        Kind.rule,
        "health_drop_alert",
        {
            "name": "health-drop-alert",
            "definition": {
                "name": "health-drop-alert",
                "trigger": {
                    "type": "threshold_crossed",
                    "field": "health_score",
                    "below_by_tier": {"Enterprise": 90, "SMB": 50},
                },
                "actions": [{"type": "create_task", "text": "Call the sponsor", "due_days": 3}],
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
                "tier_weights": {
                    "Enterprise": {"usage": 50, "support": 50},
                    "SMB": {"usage": 70, "support": 30},
                },
                "bands": [
                    {"name": "green", "min": 70},
                    {"name": "yellow", "min": 40},
                    {"name": "red", "min": 0},
                ],
            },
        },
    )
    s.put(
        Kind.playbook,
        "enterprise_onboarding",
        {
            "name": "Enterprise onboarding",
            "definition": {
                "name": "Enterprise onboarding",
                "tiers": ["Enterprise"],
                "owner": "named_csm",
                "steps": [
                    {"day": 0, "action": "Kickoff call", "channel": "call"},
                    {"day": 7, "action": "Send the welcome pack", "channel": "email"},
                ],
            },
        },
    )
    for i in range(1, n + 1):
        s.put(Kind.account, ext(i), account_data(i), label=f"Customer {i}")
        if tasks and i % 2 == 0:
            s.put(Kind.work_item, task_key(i), task_data(i), label=f"task {i}")
        if playbook_steps and i % 3 == 0:
            for day, step in ((0, "Kickoff call"), (7, "Send the welcome pack")):
                s.put(
                    Kind.work_item,
                    f"tf-pb{i:03d}{day:014d}",
                    {
                        "account_id": ext(i),
                        "title": f"Enterprise onboarding: {step}",
                        "due": f"2025-02-{1 + day:02d}",
                        "source": "playbook:Enterprise onboarding",
                        "reason": "new account",
                        "assignee": "Ana Ruiz",
                    },
                )
    return s


UNMANAGED = {"Arr": 120000.0, "Stage": "1I00STAGE"}


def seed(fake: GainsightFake, n: int = 9, *, fields: bool = True) -> None:
    """``n`` Companies as the CRM connector leaves them, two users, and (by default) every
    tierform field already created in Data Management."""
    for i in range(1, n + 1):
        fake.add_company(f"Customer {i}", External_Id__gc=ext(i), **UNMANAGED)
    fake.add_user("Ana Ruiz", "ana@example.com")
    fake.add_user("Sam Lee", "sam@example.com")
    if fields:
        for name, typ in API.values():
            fake.create_field(name, typ)
