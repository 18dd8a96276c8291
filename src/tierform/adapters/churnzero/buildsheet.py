"""Build-sheet text in ChurnZero's own vocabulary, for what only its UI can create.

ChurnZero's APIs cannot create segments, Plays, ChurnScores, Journeys or typed custom fields
[C]; each becomes numbered steps naming ChurnZero's screens and filtering on the exact custom
fields tierform writes. Thresholds that differ by tier become one step per tier, never a dict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tierform.sync.fields import field_name
from tierform.sync.state import Data

_OPS = {
    "eq": "is equal to",
    "==": "is equal to",
    "ne": "is not equal to",
    "!=": "is not equal to",
    "in": "is one of",
    "not_in": "is not one of",
    "gt": "is greater than",
    ">": "is greater than",
    "gte": "is greater than or equal to",
    ">=": "is greater than or equal to",
    "lt": "is less than",
    "<": "is less than",
    "lte": "is less than or equal to",
    "<=": "is less than or equal to",
    "exists": "is not empty",
}
_TYPES = {"text": "Text", "number": "Number", "date": "Date", "bool": "Boolean"}
_FIELD_ALIASES = {
    "tier": "tf_tier",
    "band": "tf_health_band",
    "health_score": "tf_health_score",
    "days_to_renewal": "tf_renewal_window",
}


def cf(name: str) -> str:
    return f"Account custom field `{name}`"


def shown(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(f"'{v}'" for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {shown(v)}" for k, v in value.items())
    return f"'{value}'"


def condition(cond: Mapping[str, Any]) -> str:
    raw, value = str(cond.get("op")), cond.get("value")
    if raw == "in" and isinstance(value, list | tuple) and len(value) == 1:
        raw, value = "eq", value[0]
    op = _OPS.get(raw, raw)
    return f"{cf(str(cond.get('field')))} {op} {shown(value)}"


def segment_steps(key: str, data: Data) -> list[str]:
    steps = [
        "Segments > + New Segment > Accounts",
        f"Segment name: '{data.get('name', key)}' (exactly: tierform finds the segment by this "
        "name)",
    ]
    for cond in data.get("filter") or []:
        steps.append("Add filter: " + condition(cond))
    if len(data.get("filter") or []) > 1:
        steps.append("Match: all filters (AND)")
    if data.get("description"):
        steps.append(f"Description: {data['description']}")
    steps.append("Save the segment (shared)")
    return steps


def field_steps(key: str, data: Data) -> list[str]:
    typ = _TYPES.get(str(data.get("type")), "Text")
    steps = [
        f"tierform's first sync creates the field `{key}` (ChurnZero creates a custom field "
        "for every new attribute name it receives)",
        f"Admin > Custom Fields > Account > `{key}` > Data Type: {typ}"
        + (" (values stay text until this is set)" if typ != "Text" else ""),
        f"Display name: keep `{key}`; description: {data.get('description') or data.get('label')}",
    ]
    if data.get("options"):
        steps.append("Values tierform writes: " + ", ".join(str(o) for o in data["options"]))
    return steps


def _owner(owner: str | None) -> str:
    return {
        "named_csm": "Account Owner",
        "pool": "the pool in `tf_csm` (Account Role, or round robin among its users)",
        "automation": "nobody (automated step)",
    }.get(owner or "", "Account Owner")


def playbook_steps(key: str, data: Data) -> list[str]:
    d = data.get("definition") or {}
    name = data.get("name", key)
    if not isinstance(d, Mapping):
        return [f"Admin > Plays > New Play: '{name}'", str(d)]
    steps = [f"Admin > Plays > New Play: '{name}'; Target: Account; Type: One-Time per account"]
    tiers = [str(t) for t in d.get("tiers") or []]
    if tiers:
        steps.append(
            "Entry criteria: " + condition({"field": "tf_tier", "op": "in", "value": tiers})
        )
    if d.get("trigger"):
        steps.append(f"When: {d['trigger']}")
    event = f"tf: playbook:{name}"
    for step in d.get("steps") or []:
        if not isinstance(step, Mapping):
            continue
        when = f"day {step.get('day', 0)}"
        if step.get("channel") == "email":
            steps.append(f"Step ({when}): Send Email '{step.get('action')}'")
        elif d.get("owner") == "automation":
            steps.append(f"Step ({when}): '{step.get('action')}' (automated)")
        else:
            steps.append(
                f"Task ({when}): '{step.get('action')}' for {_owner(d.get('owner'))}: no Create "
                f"Task step here; tierform sends it as event '{event}' when due, and the Play "
                f"'tierform: playbook:{name}' creates the task"
            )
    if d.get("stage") == "onboarding" and d.get("steps"):
        days = ", ".join(
            f"day {s.get('day', 0)} {s.get('action')}" for s in d["steps"] if isinstance(s, Mapping)
        )
        steps.append(f"Admin > Journeys > New Journey '{name}', milestones: {days}")
    if d.get("success_criteria"):
        steps.append(
            "Success criteria (Play description): " + "; ".join(map(str, d["success_criteria"]))
        )
    if d.get("escalation"):
        steps.append(f"Escalation: {d['escalation']}")
    return steps


def _subject(field: str) -> str:
    if field in _FIELD_ALIASES:
        return cf(_FIELD_ALIASES[field])
    if field.startswith("health."):
        return cf(f"tf_health_{field_name(field[7:])}")
    return f"the account's `{field}` (from your CRM sync; tierform does not write it)"


def _by_tier(values: Mapping[str, Any], render: str) -> list[str]:
    """One line per tier value (``render`` has ``{tier}`` and ``{value}``)."""
    return [render.format(tier=t, value=v) for t, v in values.items()]


def _trigger(t: Mapping[str, Any], name: str) -> list[str]:
    kind = t.get("type")
    field = str(t.get("field"))
    tier_cf = cf("tf_tier")
    if kind == "account_created":
        return ["Entry criteria: the account is created (enters the Play on first match)"]
    if kind == "days_before_date":
        if isinstance(t.get("days_by_tier"), Mapping):
            return _by_tier(
                t["days_by_tier"],
                f"Play '{name} ({{tier}})': entry criteria {tier_cf} is equal to '{{tier}}' AND "
                f"renewal date within {{value}} days ({cf('tf_renewal_window')})",
            )
        return [f"Entry criteria: renewal within {t.get('days')} days ({cf('tf_renewal_window')})"]
    if kind == "threshold_crossed":
        for word, single, per_tier in (
            ("falls below", "below", "below_by_tier"),
            ("rises above", "above", "above_by_tier"),
        ):
            if isinstance(t.get(per_tier), Mapping):
                return _by_tier(
                    t[per_tier],
                    f"Play '{name} ({{tier}})': entry criteria {tier_cf} is equal to '{{tier}}' "
                    f"AND {_subject(field)} {word} {{value}}",
                )
            if t.get(single) is not None:
                return [f"Entry criteria: {_subject(field)} {word} {t[single]}"]
    if kind == "field_change":
        to = f" to '{t['to']}'" if t.get("to") else ""
        return [f"Entry criteria: {_subject(field)} changes{to}"]
    return ["Entry criteria: " + shown(dict(t))]


def _action(a: Mapping[str, Any]) -> str:
    kind = a.get("type")
    due = f", Due Date: {a['due_days']} days after entry" if a.get("due_days") else ""
    only = f" (only for tiers {shown(a['tiers'])})" if a.get("tiers") else ""
    if kind in ("assign", "assign_csm", "assign_pool"):
        return "none: tierform sets the Account Owner (OwnerUserAccount) from the model"
    if kind == "start_playbook":
        what = a.get("playbook") or f"the tier's {a.get('stage')} Play"
        return f"Add To Play {what}{only}"
    if kind == "create_task":
        return f"Create Task, Subject '{a.get('text')}', Assign To: Account Owner{due}{only}"
    if kind == "notify":
        return f"Send Email to {a.get('to') or 'the Account Owner'}{due}{only}"
    if kind == "move_tier":
        return "none: tierform rewrites `tf_tier` on the next sync"
    return shown(dict(a))


def rule_steps(key: str, data: Data) -> list[str]:
    d = data.get("definition") or {}
    name = str(data.get("name", key))
    if not isinstance(d, Mapping):
        return [f"Admin > Plays > New Play: '{name}'", str(d)]
    steps = [f"Admin > Plays > New Play: '{name}' (ChurnZero runs rules as Plays); Target: Account"]
    if d.get("description"):
        steps.append(str(d["description"]))
    steps += _trigger(d.get("trigger") or {}, name)
    cond = d.get("condition") or {}
    if cond.get("tiers"):
        steps.append(
            "Entry criteria: " + condition({"field": "tf_tier", "op": "in", "value": cond["tiers"]})
        )
    if cond.get("bands"):
        steps.append(
            "Entry criteria: "
            + condition({"field": "tf_health_band", "op": "in", "value": cond["bands"]})
        )
    for action in d.get("actions") or []:
        if isinstance(action, Mapping):
            steps.append("Step: " + _action(action))
    return steps


def health_steps(key: str, data: Data, dimensions: Iterable[str] = ()) -> list[str]:
    d = data.get("definition") or {}
    steps = [f"Admin > ChurnScore > New ChurnScore: '{data.get('name', key)}'"]
    weights: dict[str, float] = {}
    if isinstance(d, Mapping):
        for sig in (d.get("signals") or {}).values():
            if isinstance(sig, Mapping) and sig.get("dimension"):
                dim = str(sig["dimension"])
                weights[dim] = weights.get(dim, 0.0) + float(sig.get("weight", 1) or 0)
        if isinstance(d.get("weights"), Mapping):
            weights = {str(k): float(v) for k, v in d["weights"].items()}
    dims = sorted(set(dimensions) | set(weights))
    total = sum(weights.get(x, 1.0) for x in dims) or 1.0
    for dim in dims:
        w = weights.get(dim, 1.0)
        if w:
            steps.append(
                f"Add factor: {cf('tf_health_' + field_name(dim))} (0-100, higher is "
                f"healthier), weight {100 * w / total:.0f}%"
            )
    if not dims:
        steps.append(f"Add factor: {cf('tf_health_score')} (0-100), weight 100%")
    bands = d.get("bands") if isinstance(d, Mapping) else None
    if isinstance(bands, list):
        for band in bands:
            if isinstance(band, Mapping):
                steps.append(f"Grade '{band.get('name')}': score at least {band.get('min', 0)}")
    steps.append(
        "Or use one factor, the ready-made score: " + cf("tf_health_score") + "; tierform "
        "writes the band to " + cf("tf_health_band")
    )
    return steps


def event_play_steps(event: str, source: str) -> list[str]:
    """The Play that turns tierform's events of one rule or playbook into tasks."""
    return [
        f"Admin > Plays > New Play: 'tierform: {source}'; Target: Account; Type: Continuous",
        f"Entry criteria: Event '{event}' occurs (the event type exists after tierform's first "
        "sync sends one)",
        "Step: Create Task, Subject: the work item (first part of the event description), "
        "Assign To: Account Owner, Due Date: on entry (the event description gives tierform's due "
        "date), "
        "Comment: the event description (it carries tierform's key)",
        "Activate the Play",
    ]
