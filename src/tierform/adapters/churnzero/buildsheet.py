"""Build-sheet text in ChurnZero's own vocabulary, for what only its UI can create.

ChurnZero's APIs cannot create segments, Plays, ChurnScores, Journeys or typed custom fields
[C]; each becomes numbered steps naming ChurnZero's screens and filtering on the exact custom
fields tierform writes. Thresholds that differ by tier become one step per tier, never a dict.
ChurnZero has no task API, so tierform sends every due work item as an event that one Play per
rule or playbook turns into a task: the Plays built here must add no Create Task step of their
own, and each says so where it would.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tierform.adapters.churnzero.mapping import event_name
from tierform.sync import buildsheet_text as text
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
        f"Segment name: {text.quoted(text.title_of(data, key))} (exactly: tierform finds the "
        "segment by this name)",
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


#: Who gets the tasks tierform sends: the Account Owner it sets from ``tf_csm``.
ACCOUNT_OWNER = (
    "the Account Owner (OwnerUserAccount: tierform sets it to the ChurnZero user named in `tf_csm`)"
)
HEALTH_STEP = "the ChurnScore step"


def _owner(owner: str | None) -> str:
    return {
        "named_csm": "Account Owner",
        "pool": "the pool in `tf_csm` (Account Role, or round robin among its users)",
        "automation": "nobody (automated step)",
    }.get(owner or "", "Account Owner")


def events_of(source: str) -> tuple[str, str]:
    """The event tierform sends a source's work items as, and the Play that turns it into
    tasks (the build sheet's event Play for that source)."""
    return event_name({"source": source}), f"tierform: {source}"


def duplicate_warning(source: str, what: str) -> str:
    """Mirrors the neutral sheet's warning: tierform's events already become these tasks."""
    event, play = events_of(source)
    return (
        f"Warning: tierform already sends {what} as event {text.quoted(event)} when it is due, "
        f"and the Play {text.quoted(play)} creates each as a task for the Account Owner: leave "
        "Create Task steps for them out of this Play, or each task is created twice"
    )


def playbook_steps(key: str, data: Data) -> list[str]:
    d = text.definition_of(data)
    name = text.title_of(data, key)
    steps = [
        f"Admin > Plays > New Play: {text.quoted(name)}; Target: Account; Type: One-Time per "
        "account"
    ]
    tiers = [str(t) for t in d.get("tiers") or []]
    if tiers:
        steps.append(
            "Entry criteria: " + condition({"field": "tf_tier", "op": "in", "value": tiers})
        )
    if d.get("trigger"):
        steps.append(f"When: {d['trigger']}")
    tasks = False
    for step in d.get("steps") or []:
        if not isinstance(step, Mapping):
            continue
        when = f"day {step.get('day', 0)}"
        action = text.quoted(step.get("action"))
        if step.get("channel") == "email":
            steps.append(f"Step ({when}): Send Email {action}")
        elif d.get("owner") == "automation":
            steps.append(f"Step ({when}): {action} (automated)")
        else:
            tasks = True
            steps.append(f"Task ({when}): {action}, Assign To: {_owner(d.get('owner'))}")
    if tasks:
        steps.append(duplicate_warning(f"playbook:{name}", "each task above"))
    if d.get("stage") == "onboarding" and d.get("steps"):
        days = ", ".join(
            f"day {s.get('day', 0)} {s.get('action')}" for s in d["steps"] if isinstance(s, Mapping)
        )
        steps.append(f"Admin > Journeys > New Journey {text.quoted(name)}, milestones: {days}")
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
    play = text.quoted(f"{name} ({{tier}})")
    if kind == "account_created":
        return ["Entry criteria: the account is created (enters the Play on first match)"]
    if kind == "days_before_date":
        if isinstance(t.get("days_by_tier"), Mapping):
            return _by_tier(
                t["days_by_tier"],
                f"Play {play}: entry criteria {tier_cf} is equal to '{{tier}}' AND "
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
                    f"Play {play}: entry criteria {tier_cf} is equal to '{{tier}}' "
                    f"AND {_subject(field)} {word} {{value}}",
                )
            if t.get(single) is not None:
                return [f"Entry criteria: {_subject(field)} {word} {t[single]}"]
    if kind == "field_change":
        if field == "tier" and t.get("direction") in ("up", "down"):
            return [f"Entry criteria: {cf('tf_migration')} changes to '{t['direction']}'"]
        to = f" to {shown(t['to'])}" if t.get("to") is not None else ""
        return [f"Entry criteria: {_subject(field)} changes{to}"]
    return ["Entry criteria: " + text.trigger_text(t, cf)]


def _alert(a: Mapping[str, Any], due: str, only: str) -> str:
    """A notify action: who ChurnZero can address is a user or the Account Owner, and
    tierform's event Play already files the alert as the Account Owner's task."""
    to, channel = a.get("to"), a.get("channel")
    if to and to != text.RESPONDER_CODE and channel in ("email", "in-app"):
        step = "Send Email" if channel == "email" else "Send In-App Announcement"
        return f"{step} {text.quoted(to)}{only}"
    return (
        f"none for the alert to {text.alerted(to, HEALTH_STEP)}{due}{only}: tierform files it "
        f"as a task for {ACCOUNT_OWNER}"
    )


def _action(a: Mapping[str, Any]) -> str:
    kind = a.get("type")
    due = f", Due Date: {a['due_days']} days after entry" if a.get("due_days") else ""
    narrow = [f"{k} {shown(a[k])}" for k in ("tiers", "bands") if a.get(k)]
    only = f" (only for {' and '.join(narrow)})" if narrow else ""
    if kind in ("assign", "assign_csm", "assign_pool"):
        return "none: tierform sets the Account Owner (OwnerUserAccount) from the model"
    if kind == "start_playbook":
        what = (
            text.quoted(a["playbook"]) if a.get("playbook") else f"the tier's {a.get('stage')} Play"
        )
        return f"Add To Play {what}{only}"
    if kind == "create_task":
        subject = text.quoted(a.get("text"))
        return f"Create Task, Subject {subject}, Assign To: Account Owner{due}{only}"
    if kind == "notify":
        return _alert(a, due, only)
    if kind == "move_tier" and a.get("temporary_days"):
        return (
            f"none: a temporary upgrade ({a['temporary_days']} days) leaves `tf_tier` as it is; "
            "tierform files the task for the next tier's coverage"
        )
    if kind == "move_tier":
        return "none: tierform rewrites `tf_tier` on the next sync"
    return text.action_text(a, cf)


def rule_steps(key: str, data: Data) -> list[str]:
    d = text.definition_of(data)
    name = text.title_of(data, key)
    outside = text.off_platform(d.get("trigger") or {})
    if outside:
        return [f"Nothing to create in ChurnZero for the rule {text.quoted(name)}", outside]
    steps = [
        f"Admin > Plays > New Play: {text.quoted(name)} (ChurnZero runs rules as Plays); "
        "Target: Account"
    ]
    if d.get("description"):
        steps.append(str(d["description"]))
    if d.get("trigger"):
        steps += _trigger(d["trigger"], name)
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
    actions = [a for a in d.get("actions") or [] if isinstance(a, Mapping)]
    steps += ["Step: " + _action(a) for a in actions]
    if any(a.get("type") in ("create_task", "notify") for a in actions):
        steps.append(duplicate_warning(f"rule:{name}", "each task and alert of this rule"))
    return steps


def _factor_weights(d: Mapping[str, Any], dimensions: Iterable[str]) -> dict[str, float]:
    """Percent per dimension: the model's weights (else its signals' weights summed by
    dimension), a dimension named only in ``dimensions`` counting 1."""
    weights: dict[str, float] = {}
    for sig in (d.get("signals") or {}).values():
        if isinstance(sig, Mapping) and sig.get("dimension"):
            dim = str(sig["dimension"])
            weights[dim] = weights.get(dim, 0.0) + float(sig.get("weight", 1) or 0)
    if isinstance(d.get("weights"), Mapping):
        weights = {str(k): float(v) for k, v in d["weights"].items()}
    dims = sorted(set(dimensions) | set(weights))
    total = sum(weights.get(x, 1.0) for x in dims) or 1.0
    return {dim: 100 * weights.get(dim, 1.0) / total for dim in dims if weights.get(dim, 1.0)}


def health_steps(key: str, data: Data, dimensions: Iterable[str] = ()) -> list[str]:
    """The factors carry tierform's own weights: one ChurnScore, or one per tier where the
    model's tier weights differ."""
    d = text.definition_of(data)
    name = text.title_of(data, key)
    steps = [f"Admin > ChurnScore > New ChurnScore: {text.quoted(name)}"]
    groups = text.health_weight_groups(d)
    if len(groups) == 1:
        groups = [(None, _factor_weights(d, dimensions))]
    for tier, weights in groups:
        if tier == "other tiers":
            steps.append(f"ChurnScore {text.quoted(name)} serves the other tiers; its factors:")
        elif tier is not None:
            steps.append(
                f"Admin > ChurnScore > New ChurnScore: {text.quoted(f'{name} ({tier})')} for "
                f"accounts where {cf('tf_tier')} is equal to '{tier}'; its factors:"
            )
        for dim, w in weights.items():
            steps.append(
                f"Add factor: {cf('tf_health_' + field_name(dim))} (0-100, higher is "
                f"healthier), weight {w:.0f}%"
            )
        if not weights:
            steps.append(f"Add factor: {cf('tf_health_score')} (0-100), weight 100%")
    bands = d.get("bands")
    if isinstance(bands, list):
        for band in bands:
            if isinstance(band, Mapping):
                steps.append(
                    f"Grade {text.quoted(band.get('name'))}: score at least {band.get('min', 0)}"
                )
    steps.append(
        "Or use one factor, the ready-made score: " + cf("tf_health_score") + "; tierform "
        "writes the band to " + cf("tf_health_band")
    )
    steps += [line for line in text.health_lines(d) if line.startswith("Who is alerted")]
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
