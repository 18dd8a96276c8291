"""Neutral build-sheet text: exact instructions for a platform with no vocabulary of its own.

The objects come from the model as plain dicts (:mod:`tierform.sync.desired`). Every value is
spelled out -- one line per tier where a threshold differs by tier, filters on the ``tf_``
fields tierform writes, who is alerted by name -- never a Python repr. The health step carries
the weights tierform's own score uses (:func:`health_weight_groups`), and playbook and rule
steps say which work items tierform already creates, so a platform automation does not
create them twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tierform.core.rules.spec import RESPONDER as RESPONDER_CODE
from tierform.sync.fields import field_name
from tierform.sync.state import Data

Name = Callable[[str], str]
Groups = list[tuple[str | None, dict[str, float]]]

OPS = {
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
#: A rule's field -> the tf_ field tierform writes for it (others are not on the platform).
TF_FIELDS = {
    "tier": "tf_tier",
    "band": "tf_health_band",
    "health_score": "tf_health_score",
    "days_to_renewal": "tf_renewal_window",
}
BY_TIER = {"days_by_tier": "days", "below_by_tier": "below", "above_by_tier": "above"}
DUPLICATE_WARNING = (
    "Warning: add no task (or e-mail task) actions for these steps: tierform already creates "
    "each one as a work item on the account, assigned and dated; a platform action would "
    "create it a second time"
)


def quoted(value: Any) -> str:
    """A name as the admin types it: in single quotes, whatever it holds (an apostrophe
    included), where a repr would switch to double quotes."""
    return f"'{value}'"


def title_of(data: Mapping[str, Any], key: str) -> str:
    """An object's name, else its key: an absent or empty name never prints as None."""
    name = data.get("name")
    return key if name is None or name == "" else str(name)


def definition_of(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """An object's definition. :mod:`tierform.sync.desired` always writes a mapping (the
    model's dump); anything else reads as empty, so its steps say only what to create."""
    d = data.get("definition")
    return d if isinstance(d, Mapping) else {}


def alerted(to: str | None, health_step: str = "the health score step") -> str:
    """Who a notify action alerts: the person or role it names, or for ``responder`` whoever
    the health score's responses name for the account's tier and band (``health_step``: how
    the platform's sheet calls the step that lists them)."""
    if to and to != RESPONDER_CODE:
        return quoted(to)
    return f"whoever {health_step}'s 'Who is alerted' line names for the account's tier and band"


def alert_subject(a: Mapping[str, Any], health_step: str) -> str:
    """What a notify action's work item is for: a message to send (a named recipient on a
    channel), else the alert to whoever it names (see :func:`alerted`)."""
    to, channel = a.get("to"), a.get("channel")
    if to and to != RESPONDER_CODE and channel:
        return f"to send the {quoted(to)} ({channel})"
    return f"for the alert to {alerted(to, health_step)}"


def plain_field(name: str) -> str:
    return f"field `{name}`"


def value_text(value: Any) -> str:
    """A value as a person types it: lists as ``a``, ``b``; mappings as ``k: v``; no reprs."""
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {value_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(value_text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "(empty)"
    return f"`{value}`"


def condition(cond: Mapping[str, Any], name: Name = plain_field) -> str:
    op = OPS.get(str(cond.get("op")), str(cond.get("op")))
    return f"{name(str(cond.get('field')))} {op} {value_text(cond.get('value'))}"


def tf_field(field: str) -> str | None:
    """The tf_ field a rule's ``field`` is written to, or None (tierform reads it only)."""
    if field in TF_FIELDS:
        return TF_FIELDS[field]
    if field.startswith("health."):
        return f"tf_health_{field_name(field[7:])}"
    return field if field.startswith("tf_") else None


def per_tier(trigger: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """``(single key, {tier: value})`` when a trigger's threshold differs by tier."""
    for key, single in BY_TIER.items():
        value = trigger.get(key)
        if isinstance(value, Mapping) and value:
            return single, {str(k): v for k, v in value.items()}
    return None


def split_by_tier(trigger: Mapping[str, Any]) -> list[tuple[str | None, dict[str, Any]]]:
    """One trigger per tier where thresholds differ (tier, trigger), else ``[(None, it)]``."""
    found = per_tier(trigger)
    if found is None:
        return [(None, dict(trigger))]
    single, values = found
    base = {k: v for k, v in trigger.items() if k not in BY_TIER}
    return [(tier, {**base, single: value}) for tier, value in values.items()]


def trigger_text(t: Mapping[str, Any], name: Name = plain_field) -> str:
    """When a rule fires, on tf_ fields only; a field the platform does not hold says so."""
    kind = t.get("type")
    field = str(t.get("field") or "")
    tf = tf_field(field)
    if kind == "account_created":
        return "an account is created"
    if kind == "days_before_date":
        return f"{name('tf_renewal_window')} changes (the renewal is within {t.get('days')} days)"
    if kind in ("threshold_crossed", "field_change") and tf is None:
        return (
            f"none on the platform: the account's `{field}` is not a tierform field; tierform "
            "evaluates it on each sync and creates the resulting work items itself"
        )
    if kind == "threshold_crossed":
        if t.get("below") is not None:
            return f"{name(str(tf))} falls below {t['below']}"
        return f"{name(str(tf))} rises above {t.get('above')}"
    if kind == "field_change":
        if tf == "tf_tier" and t.get("direction") in ("up", "down"):
            return f"{name('tf_migration')} changes to `{t['direction']}`"
        to = t.get("to")
        return f"{name(str(tf))} changes" + (f" to {value_text(to)}" if to is not None else "")
    return value_text({k: v for k, v in t.items() if k not in ("date_field", "within_days")})


def off_platform(trigger: Mapping[str, Any]) -> str | None:
    """Why a rule cannot run on the platform (its trigger field is not a tf_ field), or None."""
    field = str(trigger.get("field") or "")
    if trigger.get("type") in ("threshold_crossed", "field_change") and tf_field(field) is None:
        return (
            f"Its trigger, the account's `{field}`, is not a field tierform writes: tierform "
            "applies the rule itself on each sync (the tier, the CSM and the handoff work items "
            "follow); mark this step done once read"
        )
    return None


def owner_text(owner: str | None, name: Name = plain_field) -> str:
    return {
        "named_csm": f"the account's CSM ({name('tf_csm')})",
        "pool": f"the pool named in {name('tf_csm')}",
        "automation": "nobody: automated",
    }.get(owner or "", f"the account's CSM or pool ({name('tf_csm')})")


RESPONDER = (
    "whoever the health score step's 'Who is alerted' line names for the account's tier and band"
)


def action_text(a: Mapping[str, Any], name: Name = plain_field) -> str:
    """A rule action; the ones tierform performs itself say so (no duplicate work items)."""
    kind = a.get("type")
    due = f", due in {a['due_days']} days" if a.get("due_days") else ""
    only = f" (tiers {value_text(a['tiers'])})" if a.get("tiers") else ""
    if a.get("bands"):
        only += f" (bands {value_text(a['bands'])})"
    if kind in ("assign", "assign_csm", "assign_pool"):
        return f"assign the CSM or pool in {name('tf_csm')} as the account's owner{only}"
    if kind == "start_playbook":
        what = a.get("playbook") or f"the tier's {a.get('stage')} playbook"
        return (
            f"add the account to {what}{only}; tierform creates that playbook's tasks itself "
            "(see the playbook's step)"
        )
    if kind == "create_task":
        return (
            f"none: tierform creates the task {value_text(a.get('text'))}{due}{only} itself; "
            "a task action here would duplicate it"
        )
    if kind == "notify":
        to = a.get("to")
        if to and to != "responder" and a.get("channel"):
            what = f"send the {to} ({a['channel']})"
        else:
            what = f"notify {RESPONDER if not to or to == 'responder' else to}"
        return f"{what}{due}{only} (tierform also files it as a work item; add no task action)"
    if kind == "move_tier":
        days = a.get("temporary_days")
        if days:
            return (
                f"none: a temporary upgrade ({days} days) leaves {name('tf_tier')} as it is; "
                "tierform creates the task for the next tier's coverage itself"
            )
        overlap = f" with a {a['overlap_days']}-day overlap" if a.get("overlap_days") else ""
        return (
            f"none: tierform rewrites {name('tf_tier')} on the next sync and creates the "
            f"handoff tasks{overlap} itself"
        )
    return value_text(dict(a))


def health_weight_groups(definition: Mapping[str, Any]) -> Groups:
    """The dimension weights tierform's own score uses (percent, weight-0 dimensions left out),
    as ``(None, weights)`` for every tier, or per tier where ``tier_weights`` differ (then
    ``("other tiers", default)`` last when some tier takes the default)."""

    def pct(weights: Mapping[str, Any]) -> dict[str, float]:
        total = sum(float(w) for w in weights.values()) or 1.0
        return {str(d): 100 * float(w) / total for d, w in sorted(weights.items()) if float(w)}

    default = pct(definition.get("weights") or {})
    tiers = {str(t): pct(w) for t, w in (definition.get("tier_weights") or {}).items()}
    if not tiers or all(w == default for w in tiers.values()):
        return [(None, default)]
    groups: Groups = list(tiers.items())
    if default:
        groups.append(("other tiers", default))
    return groups


def health_lines(definition: Mapping[str, Any], name: Name = plain_field) -> list[str]:
    """Measures and weights (per tier where they differ), bands and who is alerted."""
    lines = []
    for tier, weights in health_weight_groups(definition):
        where = f"for tier {tier} ({name('tf_tier')} is `{tier}`)" if tier else "for every tier"
        measures = ", ".join(
            f"{name(f'tf_health_{field_name(d)}')} {w:.0f}%" for d, w in weights.items()
        )
        lines.append(f"Measures {where}: {measures or name('tf_health_score') + ' 100%'}")
    missing = definition.get("missing") or {}
    if missing.get("dimension", "reweight") == "reweight":
        lines.append(
            "A dimension with no value is left out and the others re-weighted (as tierform "
            "scores it), never counted as zero"
        )
    bands = [b for b in definition.get("bands") or [] if isinstance(b, Mapping)]
    if bands:
        lines.append(
            "Bands (0-100): " + ", ".join(f"{b.get('name')} from {b.get('min')}" for b in bands)
        )
    order = {str(b.get("name")): i for i, b in enumerate(bands)}
    for tier, by_band in (definition.get("responses") or {}).items():
        if isinstance(by_band, Mapping) and by_band:
            ranked = sorted(by_band.items(), key=lambda kv: order.get(str(kv[0]), len(order)))
            alerts = "; ".join(f"{band}: {who}" for band, who in ranked)
            lines.append(f"Who is alerted, tier {tier}: {alerts}")
    return lines


def segment_steps(key: str, data: Data, name: Name = plain_field) -> list[str]:
    steps = [f"Create a segment named {quoted(title_of(data, key))}"]
    filters = [c for c in data.get("filter") or [] if isinstance(c, Mapping)]
    if filters:
        match = " AND ".join(condition(c, name) for c in filters)
        steps.append(f"Filter (all must match): {match}")
    if data.get("description"):
        steps.append(f"Description: {data['description']}")
    return steps


def playbook_steps(key: str, data: Data, name: Name = plain_field) -> list[str]:
    d, title = definition_of(data), quoted(title_of(data, key))
    steps = [f"Create the playbook {title}"]
    if not d:
        return steps
    if d.get("tiers"):
        steps.append(
            "Accounts: " + condition({"field": "tf_tier", "op": "in", "value": d["tiers"]}, name)
        )
    if d.get("trigger"):
        steps.append(f"Starts when: {d['trigger']}")
    owner = d.get("owner")
    for step in d.get("steps") or []:
        if isinstance(step, Mapping):
            steps.append(
                f"Day {step.get('day', 0)} ({step.get('channel', 'task')}): {step.get('action')}"
                f" -- {owner_text(owner, name)}"
            )
    if owner != "automation" and d.get("steps"):
        steps.append(DUPLICATE_WARNING)
    if d.get("success_criteria"):
        steps.append("Success criteria: " + "; ".join(map(str, d["success_criteria"])))
    if d.get("escalation"):
        steps.append(f"Escalation: {d['escalation']}")
    return steps


def rule_steps(key: str, data: Data, name: Name = plain_field) -> list[str]:
    d, title = definition_of(data), quoted(title_of(data, key))
    steps = [f"Create the automation rule {title}"]
    if not d:
        return steps
    if d.get("description"):
        steps.append(str(d["description"]))
    outside = off_platform(d.get("trigger") or {})
    if outside:
        return [f"No automation to create for the rule {title}", *steps[1:], outside]
    for tier, trigger in split_by_tier(d.get("trigger") or {}):
        if tier is None:
            steps.append("Trigger: " + trigger_text(trigger, name))
        else:
            steps.append(
                f"Trigger for tier {tier} ({name('tf_tier')} is `{tier}`): "
                + trigger_text(trigger, name)
            )
    cond = d.get("condition") or {}
    for field, values in (("tf_tier", cond.get("tiers")), ("tf_health_band", cond.get("bands"))):
        if values:
            cond_in = {"field": field, "op": "in", "value": values}
            steps.append("Filter: " + condition(cond_in, name))
    for action in d.get("actions") or []:
        if isinstance(action, Mapping):
            steps.append("Action: " + action_text(action, name))
    return steps


def health_steps(key: str, data: Data, name: Name = plain_field) -> list[str]:
    steps = [f"Create the health score {quoted(title_of(data, key))} (0-100)"]
    return steps + health_lines(definition_of(data), name)
