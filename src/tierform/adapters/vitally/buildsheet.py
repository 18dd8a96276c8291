"""Build-sheet text in Vitally's own vocabulary, for what only its UI can create.

Vitally's API cannot create segments, playbooks, health scores, custom traits or key-role
(CSM) assignments [DOC]. Each becomes numbered steps that name
Vitally's screens and filter on the exact trait keys tierform writes. Definitions come from the
model as plain dicts; anything unrecognised is shown as text, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tierform.sync import buildsheet_text as text
from tierform.sync.fields import field_name
from tierform.sync.state import Data

KeyOf = Callable[[str], str]

_TYPES = {"text": "Text", "number": "Number", "date": "Date", "bool": "Boolean"}


def trait(name: str, key_of: KeyOf) -> str:
    key = key_of(name)
    return f"account trait `{key}`" if key == name else f"custom trait `{name}` (`{key}`)"


def condition(cond: Mapping[str, Any], key_of: KeyOf) -> str:
    op = text.OPS.get(str(cond.get("op")), str(cond.get("op")))
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
    if d.get("owner") != "automation" and d.get("steps"):
        steps.append(
            "Warning: tierform already creates each step above as a task on the account "
            f"(dated and assigned{', or as the template project' if template else ''}): leave "
            "the task actions out of this playbook, or every task is created twice"
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

    def name(field: str) -> str:
        return trait(field, key_of)

    steps = [
        f"Settings > Playbooks > Create New: {data.get('name', key)!r} (Vitally runs "
        "automation rules as playbooks), object: Accounts"
    ]
    if d.get("description"):
        steps.append(str(d["description"]))
    trigger = d.get("trigger") or {}
    outside = text.off_platform(trigger)
    if outside:
        return [f"Nothing to create in Vitally for the rule {data.get('name', key)!r}", outside]
    for tier, one in text.split_by_tier(trigger):
        if tier is None:
            steps.append("Trigger: " + text.trigger_text(one, name))
        else:
            # Thresholds differ by tier: one trigger per tier, each with its own filter.
            steps.append(
                f"Trigger for tier {tier} (filter {name('tf_tier')} is `{tier}`): "
                + text.trigger_text(one, name)
            )
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
    actions = [a for a in d.get("actions") or [] if isinstance(a, Mapping)]
    steps += ["Action: " + _action(a, name) for a in actions]
    if any(a.get("type") in ("create_task", "notify") for a in actions):
        steps.append(
            "Warning: tierform already creates these tasks (and a task for each notification) "
            "on the account through the API: leave task actions out, or each is created twice"
        )
    return steps


def _action(a: Mapping[str, Any], name: KeyOf) -> str:
    kind = a.get("type")
    due = f", due in {a['due_days']} days" if a.get("due_days") else ""
    if kind in ("assign", "assign_csm", "assign_pool"):
        return "Assign a Key Role (CSM) from account trait `tf_csm` (see the CSM step)"
    if kind == "start_playbook":
        only = "".join(
            f"; only {name(field)} {text.OPS['in']} {text.value_text(a[key])}"
            for key, field in (("tiers", "tf_tier"), ("bands", "tf_health_band"))
            if a.get(key)
        )
        if a.get("playbook"):
            return f"Add the account to the playbook '{a['playbook']}'{only}"
        return f"Add the account to its tier's {a.get('stage')} playbook{only}"
    if kind == "create_task":
        return f"Create a task {a.get('text')!r}{due}"
    if kind == "notify":
        to = a.get("to")
        only = (
            f"; only {name('tf_tier')} is any of {text.value_text(a['tiers'])}"
            if a.get("tiers")
            else ""
        )
        if to and to != "responder" and a.get("channel"):
            return f"Send the {to} ({a['channel']}){due}{only}"
        who = text.RESPONDER if not to or to == "responder" else str(to)
        return f"Send a notification to {who}{due}{only}"
    if kind == "move_tier" and a.get("temporary_days"):
        return (
            f"none in Vitally: a temporary upgrade ({a['temporary_days']} days) leaves "
            "`tf_tier` as it is; tierform creates a task for the next tier's coverage, "
            "reviewed when the period ends"
        )
    return text.action_text(a, name)


def health_steps(key: str, data: Data, key_of: KeyOf) -> list[str]:
    """The weights of tierform's own score (per tier where they differ), on its dimensions."""
    d = data.get("definition") or {}
    d = d if isinstance(d, Mapping) else {}
    steps = ["Settings > Health Scores > Create health score, object: Accounts"]
    for tier, weights in text.health_weight_groups(d):
        if not weights:
            steps.append(f"Measure: {trait('tf_health_score', key_of)} (0-100), weight 100%")
            continue
        if tier is not None:
            where = (
                f"segment 'Tier: {tier}'"
                if tier != "other tiers"
                else "the remaining tiers' segments"
            )
            steps.append(f"Health score for {where}:")
        for dim, w in weights.items():
            steps.append(
                f"Measure: {trait(f'tf_health_{field_name(dim)}', key_of)} (0-100), weight {w:.0f}%"
            )
    if (d.get("missing") or {}).get("dimension") == "reweight":
        steps.append(
            "A measure with no value is skipped and the others re-weighted (tierform's score "
            "does the same), never counted as zero"
        )
    bands = d.get("bands")
    if isinstance(bands, list) and bands:
        steps.append(
            "Thresholds on Vitally's 0-10 scale: "
            + ", ".join(
                f"{b.get('name')} from {float(b.get('min', 0)) / 10:g}"
                for b in bands
                if isinstance(b, Mapping)
            )
        )
    steps += [line for line in text.health_lines(d) if line.startswith("Who is alerted")]
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
