"""Build-sheet text in Totango's own vocabulary, for what only its UI can create.

Totango's API cannot create account attributes (Data Modeler), segments, health profiles,
SuccessBLOCs, SuccessPlays or campaigns [SPCREATE, MODEL]. Each becomes numbered steps naming
Totango's screens and filtering on the exact attributes tierform writes. A threshold that
differs per tier becomes one step per tier. tierform creates every work item itself as a
task assigned to the account's Success Manager (or runs a mapped manual SuccessPlay), so no
SuccessPlay built here adds a task of its own, and each says so where it would.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tierform.adapters.totango.plays import STAGES
from tierform.sync import buildsheet_text as text
from tierform.sync.fields import RENEWAL_WINDOWS, field_name
from tierform.sync.state import Data

_OPS = {
    "eq": "is",
    "==": "is",
    "ne": "is not",
    "!=": "is not",
    "in": "is one of",
    "not_in": "is none of",
    "gt": "is greater than",
    ">": "is greater than",
    "gte": "is at least",
    ">=": "is at least",
    "lt": "is less than",
    "<": "is less than",
    "lte": "is at most",
    "<=": "is at most",
}
_TYPES = {"text": "String", "number": "Number", "date": "Date", "bool": "Boolean"}
_ALIASES = {
    "tier": "tf_tier",
    "band": "tf_health_band",
    "health_score": "tf_health_score",
    "days_to_renewal": "tf_renewal_window",
}
_BLOC = {
    "onboarding": "Onboarding",
    "adoption": "Adoption",
    "renewal": "Renewal",
    "expansion": "Expansion",
}
_WINDOW_DAYS = (("0-30", 30), ("31-60", 60), ("61-90", 90), ("91-180", 180))


def attr(name: str) -> str:
    return f"account attribute `{name}`"


def _values(value: Any) -> str:
    items = value if isinstance(value, list) else [value]
    return ", ".join(f"`{v}`" for v in items)


def condition(cond: Mapping[str, Any]) -> str:
    op = _OPS.get(str(cond.get("op")), str(cond.get("op")))
    return f"{attr(str(cond.get('field')))} {op} {_values(cond.get('value'))}"


def field_steps(key: str, data: Data) -> list[str]:
    steps = [
        "Settings > Data Modeler > Accounts > Add Attribute",
        f"Display name: {text.quoted(data.get('label') or key)}; API name: `{key}` (exactly: "
        "tierform writes "
        f"and reads it by this name); type: {_TYPES.get(str(data.get('type')), 'String')}",
    ]
    if data.get("options"):
        steps.append("Values tierform writes: " + ", ".join(str(o) for o in data["options"]))
    if data.get("description"):
        steps.append(f"Description: {data['description']}")
    steps.append(
        "Until it exists the HTTP API drops its values; tierform reports those writes as "
        "failed and retries them on the next sync"
    )
    return steps


def segment_steps(key: str, data: Data) -> list[str]:
    filters = data.get("filter") or []
    steps = [
        "Accounts > Segments > + New Segment",
        f"Name: {text.quoted(text.title_of(data, key))}",
        "Filter (all must match): " + " AND ".join(condition(c) for c in filters),
        "Save the segment (and share it with the CS team)",
    ]
    if data.get("description"):
        steps.append(f"Description: {data['description']}")
    if data.get("query_returns") is not None:
        steps.append(
            f"Check: this filter returns {data['query_returns']} account(s) in Totango today; "
            "the model expects a different number (re-sync the account attributes first)"
        )
    return steps


#: Who tierform's tasks are assigned to: the Success Manager it writes from ``tf_csm``.
SUCCESS_MANAGER = (
    "assigned to the account's Success Manager (the account attribute `Success Manager`, "
    "which tierform sets from `tf_csm`)"
)
HEALTH_STEP = "the health profile step"


def _owner(owner: str | None) -> str:
    return {
        "named_csm": "the account's Success Manager",
        "pool": "the team named in account attribute `tf_csm` (round robin)",
        "automation": "nobody: automated",
    }.get(owner or "", "the account's Success Manager")


def playbook_steps(key: str, data: Data, play: str | None = None) -> list[str]:
    """``play``: the manual SuccessPlay tierform runs for this playbook (setting
    ``successplays``; onboarding and renewal playbooks only), which then creates the tasks."""
    d = text.definition_of(data)
    name = text.title_of(data, key)
    q = text.quoted
    bloc = _BLOC.get(str(d.get("stage")), str(d.get("stage") or "Lifecycle").title())
    steps = [
        f"SuccessBLOCs > {bloc} SuccessBLOC (create it if missing) > SuccessPlays > "
        f"+ Create SuccessPlay {q(name)}, object: Accounts"
    ]
    tiers = [str(t) for t in d.get("tiers") or []]
    runs = play is not None and d.get("stage") in STAGES
    if runs:
        steps.append(
            f"Trigger: Manual; status: Active. tierform runs it through the API (SuccessPlay id "
            f"{play}) once per account the playbook is due for"
        )
    elif tiers:
        steps.append(
            "Trigger: event-based, when "
            + condition({"field": "tf_tier", "op": "in", "value": tiers})
            + (f" and {d['trigger']}" if d.get("trigger") else "")
        )
    emails = []
    tasks = False
    for step in d.get("steps") or []:
        if not isinstance(step, Mapping):
            continue
        if step.get("channel") in ("email", "in-app"):
            emails.append(step)
            continue
        day, action = step.get("day", 0), q(step.get("action"))
        if d.get("owner") == "automation":
            steps.append(f"Step (day {day}): {action} (automated, no task)")
        elif runs:
            steps.append(
                f"Action (day {day}): Create task {action}, assigned to {_owner(d.get('owner'))}"
            )
        else:
            tasks = True
            steps.append(f"Task (day {day}): {action}, assigned to {_owner(d.get('owner'))}")
    if tasks:
        steps.append(
            "Warning: tierform already creates each task above on the account through the "
            f"Tasks API, dated and {SUCCESS_MANAGER}: add no Create task action to this "
            "SuccessPlay, or every task is created twice"
        )
    audience = (
        condition({"field": "tf_tier", "op": "in", "value": tiers}) if tiers else "all accounts"
    )
    for step in emails:
        where = "email" if step.get("channel") == "email" else "in-app message"
        steps.append(
            f"Campaigns > + New Campaign ({where}) {q(step.get('action'))}, day "
            f"{step.get('day', 0)}, audience: {audience}"
            + (" (manual SuccessPlays cannot send emails)" if runs else "")
        )
    if d.get("success_criteria"):
        steps.append(
            "Success criteria (SuccessPlay description): "
            + "; ".join(map(str, d["success_criteria"]))
        )
    if d.get("escalation"):
        steps.append(f"Escalation: {d['escalation']}")
    return steps


def _subject(field: str) -> str:
    if field in _ALIASES:
        return attr(_ALIASES[field])
    if field.startswith("health."):
        return attr(f"tf_health_{field_name(field[7:])}")
    return f"the account's `{field}` (from your CRM feed; tierform does not write it)"


def windows_within(days: float) -> list[str]:
    """The ``tf_renewal_window`` buckets covering "renewal within ``days`` days"."""
    out = ["overdue"]
    for window, upper in _WINDOW_DAYS:
        out.append(window)
        if days <= upper:
            return out
    return list(RENEWAL_WINDOWS)


def _per_tier(values: Mapping[str, Any], text: Any) -> list[str]:
    return [f"For tier `{tier}`: {text(value)}" for tier, value in sorted(values.items())]


def _trigger(t: Mapping[str, Any]) -> list[str]:
    kind, name = t.get("type"), str(t.get("field"))
    if kind == "account_created":
        return ["Trigger: event-based, when an account is created (first appears)"]
    if kind == "days_before_date":

        def within(days: Any) -> str:
            shown = ", ".join(f"`{w}`" for w in windows_within(float(days)))
            return f"{attr('tf_renewal_window')} is one of {shown} (renewal within {days} days)"

        if t.get("days_by_tier"):
            return ["Trigger: event-based, one criterion per tier:"] + _per_tier(
                t["days_by_tier"], within
            )
        return ["Trigger: event-based, when " + within(t.get("days") or 0)]
    if kind == "threshold_crossed":
        for word, single, many in (
            ("falls below", "below", "below_by_tier"),
            ("rises above", "above", "above_by_tier"),
        ):
            if t.get(many):
                return [f"Trigger: event-based, one criterion per tier ({_subject(name)}):"] + (
                    _per_tier(t[many], lambda v, w=word: f"{w} {v}")
                )
            if t.get(single) is not None:
                return [f"Trigger: event-based, when {_subject(name)} {word} {t[single]}"]
    if kind == "field_change":
        if name == "tier" and t.get("direction") in ("up", "down"):
            return [
                f"Trigger: event-based, when {attr('tf_migration')} changes to `{t['direction']}`"
            ]
        to = f" to `{t['to']}`" if t.get("to") is not None else ""
        return [f"Trigger: event-based, when {_subject(name)} changes{to}"]
    return ["Trigger: event-based, when " + text.trigger_text(t, attr)]


def _alert(a: Mapping[str, Any], due: str) -> str:
    """A notify action: tierform files the alert as a task for the Success Manager."""
    what = text.alert_subject(a, HEALTH_STEP)
    return f"none in Totango: tierform creates a task {what}{due}, {SUCCESS_MANAGER}"


def _action(a: Mapping[str, Any]) -> str:
    kind = a.get("type")
    due = f", due in {a['due_days']} days" if a.get("due_days") else ""
    narrow = [f"{k} {text.value_text(a[k])}" for k in ("tiers", "bands") if a.get(k)]
    only = f" (only for {' and '.join(narrow)})" if narrow else ""
    if kind in ("assign", "assign_csm", "assign_pool"):
        return "none in Totango: tierform writes the Success Manager attribute on each sync"
    if kind == "start_playbook":
        what = (
            f"the playbook {text.quoted(a['playbook'])}"
            if a.get("playbook")
            else f"the tier's {a.get('stage')} playbook"
        )
        return (
            f"none in Totango: tierform creates the tasks of {what}{due} itself (or runs its "
            f"manual SuccessPlay, setting `successplays`){only}"
        )
    if kind == "create_task":
        return (
            f"none in Totango: tierform creates the task {text.quoted(a.get('text'))}{due}, "
            f"{SUCCESS_MANAGER}{only}"
        )
    if kind == "notify":
        return _alert(a, due) + only
    if kind == "move_tier" and a.get("temporary_days"):
        return (
            f"none in Totango: a temporary upgrade ({a['temporary_days']} days) leaves "
            "`tf_tier` as it is; tierform creates the task for the next tier's coverage"
        )
    if kind == "move_tier":
        return "none in Totango: tierform rewrites `tf_tier` on the next sync"
    return text.action_text(a, attr)


def rule_steps(key: str, data: Data) -> list[str]:
    d = text.definition_of(data)
    name = text.title_of(data, key)
    outside = text.off_platform(d.get("trigger") or {})
    if outside:
        return [f"Nothing to create in Totango for the rule {text.quoted(name)}", outside]
    steps = [
        f"SuccessBLOCs > SuccessPlays > + Create SuccessPlay {text.quoted(name)}, object: Accounts"
    ]
    if d.get("description"):
        steps.append(f"Description: {d['description']}")
    if d.get("trigger"):
        steps += _trigger(d["trigger"])
    cond = d.get("condition") or {}
    for fld, values in (("tf_tier", cond.get("tiers")), ("tf_health_band", cond.get("bands"))):
        if values:
            steps.append("Criteria: " + condition({"field": fld, "op": "in", "value": values}))
    actions = [a for a in d.get("actions") or [] if isinstance(a, Mapping)]
    steps += ["Action: " + _action(a) for a in actions]
    if any(a.get("type") in ("create_task", "notify", "start_playbook") for a in actions):
        steps.append(
            "Warning: tierform already creates these tasks (and a task for each alert) on the "
            "account through the Tasks API: give this SuccessPlay no Create task action, or each "
            "is created twice"
        )
    return steps


def health_steps(key: str, data: Data) -> list[str]:
    d = text.definition_of(data)
    steps = []
    weights = d.get("weights") if isinstance(d.get("weights"), Mapping) else None
    raw = d.get("tier_weights")
    by_tier: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    profiles: list[tuple[str | None, Mapping[str, Any] | None]] = [(None, weights)]
    profiles += [(str(t), w) for t, w in sorted(by_tier.items()) if w != weights]
    for tier, w in profiles:
        if tier is None:
            steps.append("Settings > Health > + Add health profile (multidimensional), all")
        else:
            steps.append(
                f"Settings > Health > + Add health profile (multidimensional) for tier "
                f"`{tier}`, accounts where "
                + condition({"field": "tf_tier", "op": "eq", "value": tier})
            )
        if isinstance(w, Mapping) and w:
            total = sum(float(v) for v in w.values()) or 1.0
            for dim, v in sorted(w.items()):
                if float(v):
                    steps.append(
                        f"  Dimension {dim}: {attr(f'tf_health_{field_name(str(dim))}')} "
                        f"(0-100), weight {100 * float(v) / total:.0f}%"
                    )
        else:
            steps.append(f"  Measure: {attr('tf_health_score')} (0-100), weight 100%")
    bands = d.get("bands")
    if isinstance(bands, list) and bands:
        steps.append(
            f"Health rank thresholds on {attr('tf_health_score')}: "
            + ", ".join(
                f"{b.get('name')} from {float(b.get('min', 0)):g}"
                for b in bands
                if isinstance(b, Mapping)
            )
        )
    steps.append(
        "Totango recalculates health daily; tierform also writes the score and band as "
        f"{attr('tf_health_score')} and {attr('tf_health_band')}"
    )
    steps += [line for line in text.health_lines(d) if line.startswith("Who is alerted")]
    return steps
