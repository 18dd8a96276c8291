"""Build-sheet text in Vitally's own vocabulary, for what only its UI can create.

Vitally's API cannot create segments, playbooks, health scores, custom traits or key-role
(CSM) assignments [DOC]. Each becomes numbered steps that name
Vitally's screens and filter on the exact trait keys tierform writes. Definitions come from the
model as plain dicts; anything unrecognised is shown as text, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tierform.sync.fields import field_name
from tierform.sync.state import Data

KeyOf = Callable[[str], str]

_OPS = {
    "eq": "is",
    "ne": "is not",
    "in": "is any of",
    "not_in": "is none of",
    "gt": "is greater than",
    "gte": "is at least",
    "lt": "is less than",
    "lte": "is at most",
    "exists": "has any value",
    "==": "is",
    "!=": "is not",
    ">": "is greater than",
    ">=": "is at least",
    "<": "is less than",
    "<=": "is at most",
}
_TYPES = {"text": "Text", "number": "Number", "date": "Date", "bool": "Boolean"}
_FIELD_ALIASES = {
    "tier": "tf_tier",
    "band": "tf_health_band",
    "health_score": "tf_health_score",
    "days_to_renewal": "tf_renewal_window",
}


def trait(name: str, key_of: KeyOf) -> str:
    key = key_of(name)
    return f"account trait `{key}`" if key == name else f"custom trait `{name}` (`{key}`)"


def condition(cond: Mapping[str, Any], key_of: KeyOf) -> str:
    op = _OPS.get(str(cond.get("op")), str(cond.get("op")))
    value = cond.get("value")
    shown = ", ".join(f"`{v}`" for v in value) if isinstance(value, list) else f"`{value}`"
    return f"{trait(str(cond.get('field')), key_of)} {op} {shown}"


def segment_steps(key: str, data: Data, key_of: KeyOf) -> list[str]:
    filters = data.get("filter") or []
    steps = [
        "Settings > Data Management > Segments > Create segment",
        f"Name: {data.get('name', key)!r}; object: Accounts",
        "Filter (all must match): " + " AND ".join(condition(c, key_of) for c in filters),
    ]
    if data.get("description"):
        steps.append(f"Description: {data['description']}")
    return steps


def field_steps(key: str, data: Data, key_of: KeyOf) -> list[str]:
    typ = _TYPES.get(str(data.get("type")), "Text")
    steps = [
        "Settings > Traits management > Accounts > create a custom trait",
        f"Name: `{key}` (exactly: tierform finds the trait by this name); type: {typ}",
    ]
    if data.get("options"):
        steps.append("Values: " + ", ".join(str(o) for o in data["options"]))
    if data.get("description"):
        steps.append(f"Description: {data['description']} (label {data.get('label', key)!r})")
    steps.append(
        f"Until it exists, tierform writes the data trait `{key}`; afterwards it writes "
        "the custom trait and removes the data trait on the next sync"
    )
    return steps


def _owner(owner: str | None) -> str:
    return {
        "named_csm": "the account's CSM (key role)",
        "pool": "the pool named in account trait `tf_csm` (round robin)",
        "automation": "nobody: an automated action",
    }.get(owner or "", owner or "the CSM")


def playbook_steps(key: str, data: Data, key_of: KeyOf, template: str | None = None) -> list[str]:
    d = data.get("definition") or {}
    if not isinstance(d, Mapping):
        return [f"Settings > Playbooks > Create New: {data.get('name', key)!r}", str(d)]
    tiers = [str(t) for t in d.get("tiers") or []]
    steps = [f"Settings > Playbooks > Create New: {data.get('name', key)!r}, object: Accounts"]
    if tiers:
        steps.append(
            "Trigger filter: "
            + condition({"field": "tf_tier", "op": "in", "value": tiers}, key_of)
            + (f" AND {d['trigger']}" if d.get("trigger") else "")
        )
    if template:
        steps.append(
            f"Action: create a project from the template {template!r} (tierform also "
            "starts it through the API for accounts it is due for)"
        )
    for step in d.get("steps") or []:
        if isinstance(step, Mapping):
            verb = "Send an email" if step.get("channel") == "email" else "Create a task"
            steps.append(
                f"Action (day {step.get('day', 0)}): {verb} {step.get('action')!r}, "
                f"assigned to {_owner(d.get('owner'))}"
            )
    if d.get("success_criteria"):
        steps.append(
            "Success criteria (playbook description): " + "; ".join(map(str, d["success_criteria"]))
        )
    if d.get("escalation"):
        steps.append(f"Escalation: {d['escalation']}")
    return steps


def rule_steps(key: str, data: Data, key_of: KeyOf) -> list[str]:
    d = data.get("definition") or {}
    if not isinstance(d, Mapping):
        return [f"Settings > Playbooks > Create New: {data.get('name', key)!r}", str(d)]
    steps = [
        f"Settings > Playbooks > Create New: {data.get('name', key)!r} (Vitally runs "
        "automation rules as playbooks), object: Accounts"
    ]
    if d.get("description"):
        steps.append(str(d["description"]))
    trigger = d.get("trigger") or {}
    per_tier = _per_tier(trigger)
    if per_tier:
        # Thresholds differ by tier: one trigger per tier, each with its own filter.
        for tier, value in per_tier.items():
            one = {k: v for k, v in trigger.items() if not k.endswith("_by_tier")}
            one[_BY_TIER_KEY[_by_tier_key(trigger)]] = value
            steps.append(
                f"Trigger for tier {tier} (filter {trait('tf_tier', key_of)} is `{tier}`): "
                + _trigger(one, key_of)
            )
    else:
        steps.append("Trigger: " + _trigger(trigger, key_of))
    cond = d.get("condition") or {}
    if cond.get("tiers"):
        steps.append(
            "Filter: " + condition({"field": "tf_tier", "op": "in", "value": cond["tiers"]}, key_of)
        )
    if cond.get("bands"):
        steps.append(
            "Filter: "
            + condition({"field": "tf_health_band", "op": "in", "value": cond["bands"]}, key_of)
        )
    for action in d.get("actions") or []:
        if isinstance(action, Mapping):
            steps.append("Action: " + _action(action))
    return steps


_BY_TIER_KEY = {"days_by_tier": "days", "below_by_tier": "below", "above_by_tier": "above"}


def _by_tier_key(t: Mapping[str, Any]) -> str:
    return next(k for k in _BY_TIER_KEY if t.get(k))


def _per_tier(t: Mapping[str, Any]) -> dict[str, Any]:
    """A trigger's per-tier thresholds (``days_by_tier``, ``below_by_tier``...), if any."""
    for key in _BY_TIER_KEY:
        value = t.get(key)
        if isinstance(value, Mapping) and value:
            return {str(k): v for k, v in value.items()}
    return {}


def _subject(field: str, key_of: KeyOf) -> str:
    """A rule's field as Vitally sees it: a tierform trait, or a CRM field tierform only reads."""
    if field in _FIELD_ALIASES:
        return trait(_FIELD_ALIASES[field], key_of)
    if field.startswith("health."):
        return trait(f"tf_health_{field_name(field[7:])}", key_of)
    return f"the account's `{field}` (from your CRM sync; tierform does not write it)"


def _trigger(t: Mapping[str, Any], key_of: KeyOf) -> str:
    kind = t.get("type")
    name = str(t.get("field"))
    if kind == "account_created":
        return "an account is created (enters the playbook when it first matches)"
    if kind == "days_before_date":
        return (
            f"{trait('tf_renewal_window', key_of)} changes (renewal within "
            f"{t.get('days') or t.get('days_by_tier')} days)"
        )
    if kind == "threshold_crossed":
        below = t.get("below") if t.get("below") is not None else t.get("below_by_tier")
        if below:
            return f"{_subject(name, key_of)} falls below {below}"
        above = t.get("above") if t.get("above") is not None else t.get("above_by_tier")
        return f"{_subject(name, key_of)} rises above {above}"
    if kind == "field_change":
        return f"{_subject(name, key_of)} changes" + (f" to `{t['to']}`" if t.get("to") else "")
    return "; ".join(f"{k}: {v}" for k, v in t.items() if not isinstance(v, Mapping))


def _action(a: Mapping[str, Any]) -> str:
    kind = a.get("type")
    due = f", due in {a['due_days']} days" if a.get("due_days") else ""
    if kind in ("assign", "assign_csm", "assign_pool"):
        return "Assign a Key Role (CSM) from account trait `tf_csm` (see the CSM step)"
    if kind == "start_playbook":
        what = a.get("playbook") or f"the tier's {a.get('stage')} playbook"
        return f"Add the account to the playbook {what!r}"
    if kind == "create_task":
        return f"Create a task {a.get('text')!r}{due}"
    if kind == "notify":
        to = a.get("to")
        if not to or to == "responder":
            to = (
                "the account's CSM (named tiers) or the pool in account trait `tf_csm` "
                "(pooled tiers)"
            )
        return f"Send a notification to {to}{due}"
    if kind == "move_tier" and a.get("temporary_days"):
        return (
            f"none in Vitally: a temporary upgrade ({a['temporary_days']} days) leaves "
            "`tf_tier` as it is; tierform creates a task for the next tier's coverage, "
            "reviewed when the period ends"
        )
    if kind == "move_tier":
        return "none in Vitally: tierform rewrites `tf_tier` on the next sync"
    return str(dict(a))


def health_steps(key: str, data: Data, key_of: KeyOf) -> list[str]:
    d = data.get("definition") or {}
    steps = ["Settings > Health Scores > Create health score, object: Accounts"]
    weights = d.get("weights") if isinstance(d, Mapping) else None
    if isinstance(weights, Mapping) and weights:
        total = sum(float(w) for w in weights.values()) or 1.0
        for dim, w in sorted(weights.items()):
            if not float(w):
                continue  # weight 0: not part of the score
            steps.append(
                f"Measure: {trait(f'tf_health_{field_name(str(dim))}', key_of)} (0-100), "
                f"weight {100 * float(w) / total:.0f}%"
            )
    else:
        steps.append(f"Measure: {trait('tf_health_score', key_of)} (0-100), weight 100%")
    bands = d.get("bands") if isinstance(d, Mapping) else None
    if isinstance(bands, list) and bands:
        steps.append(
            "Thresholds on Vitally's 0-10 scale: "
            + ", ".join(
                f"{b.get('name')} from {float(b.get('min', 0)) / 10:g}"
                for b in bands
                if isinstance(b, Mapping)
            )
        )
    return steps


def csm_steps(owners: Mapping[str, str | None]) -> list[str]:
    """One playbook per CSM or pool named in ``tf_csm`` (``owners``: value -> admin email)."""
    steps = []
    for value, email in sorted(owners.items()):
        who = f"the admin {email}" if email else f"{value!r} (round robin among its members)"
        steps.append(
            f"Settings > Playbooks > Create New 'tierform CSM: {value}', object: "
            f"Accounts; trigger: account trait `tf_csm` is `{value}`; action: Assign a "
            f"Key Role: CSM -> {who}"
        )
    return steps
