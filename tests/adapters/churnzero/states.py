"""Hand-built desired states and matching fake tenants, with values written out literally so
the tests' expectations never come from the code under test."""

from __future__ import annotations

from typing import Any

from tierform.sync.state import Kind, State

from .fake import ChurnZeroFake

FIELDS: dict[str, dict[str, Any]] = {
    "tf_tier": {"label": "Tier", "type": "text", "description": "Coverage tier"},
    "tf_csm": {"label": "CSM / pool", "type": "text", "description": "CSM or pool"},
    "tf_health_score": {"label": "Health score", "type": "number", "description": "0-100"},
    "tf_health_band": {"label": "Health band", "type": "text", "description": "Band"},
}


def ext(i: int) -> str:
    return f"ACC-{i:03d}"


def account_data(i: int) -> dict[str, Any]:
    """Every third account is Enterprise with Ana Ruiz, the rest SMB in the Growth pod."""
    enterprise = i % 3 == 0
    return {
        "tf_tier": "Enterprise" if enterprise else "SMB",
        "tf_csm": "Ana Ruiz" if enterprise else "Growth pod",
        "tf_health_score": 50.5 + i,
        "tf_health_band": "green" if i % 2 else "yellow",
    }


def item_key(i: int) -> str:
    return f"tf-test{i:015d}"


def item_data(i: int, due: str = "2023-11-20") -> dict[str, Any]:
    return {
        "account_id": ext(i),
        "title": f"Call the sponsor of {ext(i)}",
        "due": due,
        "source": "rule:health-drop-alert",
        "reason": f"health {50 + i} below 60",
        "assignee": "Ana Ruiz",
    }


def desired(n: int = 6, *, items: bool = True) -> State:
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
                "bands": [{"name": "green", "min": 70}, {"name": "red", "min": 0}],
            },
        },
    )
    for i in range(1, n + 1):
        s.put(Kind.account, ext(i), account_data(i), label=f"Customer {i}")
        if items and i % 2 == 0:
            s.put(Kind.work_item, item_key(i), item_data(i), label=f"item {i}")
    return s


UNMANAGED = {"Plan": "pro", "tfs_version": "2.1"}


def seed(fake: ChurnZeroFake, n: int = 6) -> None:
    """``n`` accounts as a CRM sync would leave them (no tierform fields) and three users."""
    for i in range(1, n + 1):
        fake.add_account(ext(i), f"Customer {i}", dict(UNMANAGED), owner="sam.lee")
    fake.add_user("ana.ruiz", "ana@acme.com", "Ana", "Ruiz")
    fake.add_user("sam.lee", "sam@acme.com", "Sam", "Lee")
