"""Build-sheet text in Gainsight's own vocabulary, for what only its UI can create.

Gainsight's API cannot create custom fields, segments, playbooks, rules, scorecards or Journey
Orchestrator programs [confirmed/inferred, research §10]. Each becomes numbered steps naming
Gainsight's screens, filtering on the exact Company API names tierform writes (``Tf_Tier__gc``),
with one line per tier where thresholds or weights differ. Field steps also carry
``platform_name``/``platform_type`` in the plan's JSON so an admin can script or check them.
tierform creates every work item itself as a CTA owned by the Company's CSM, so no rule or
playbook step here adds a Call To Action of its own, and each says so where it would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tierform.adapters.gainsight.mapping import api_name, gs_type, gs_type_label, ui_label
from tierform.sync import buildsheet_text as text
from tierform.sync.buildsheet import BuildStep
from tierform.sync.fields import field_name
from tierform.sync.state import Data, Kind

_OPS = {
    "eq": "equals",
    "ne": "not equals",
    "in": "equals any of",
    "not_in": "equals none of",
    "gt": "greater than",
    "gte": "greater or equal",
    "lt": "less than",
    "lte": "less or equal",
    "exists": "is not null",
    "==": "equals",
    "!=": "not equals",
    ">": "greater than",
    ">=": "greater or equal",
    "<": "less than",
    "<=": "less or equal",
}
_ALIASES = {
    "tier": "tf_tier",
    "band": "tf_health_band",
    "health_score": "tf_health_score",
    "days_to_renewal": "tf_renewal_window",
}


@dataclass
class FieldStep(BuildStep):
    """A field step with the exact Company field it asks for, machine-readably."""

    platform_name: str = ""
    platform_type: str = ""
    label: str = ""
    waiting_values: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "platform_name": self.platform_name,
            "platform_type": self.platform_type,
            "label": self.label,
            "waiting_values": self.waiting_values,
        }


def col(name: str) -> str:
    return f"Company › {ui_label(name)} (`{api_name(name)}`)"


def _values(value: Any) -> str:
    items = value if isinstance(value, list) else [value]
    return ", ".join(f"`{v}`" for v in items)


def condition(cond: Mapping[str, Any]) -> str:
    op = _OPS.get(str(cond.get("op")), str(cond.get("op")))
    return f"{col(str(cond.get('field')))} {op} {_values(cond.get('value'))}"


def field_steps(name: str, data: Mapping[str, Any], waiting: int) -> list[str]:
    typ = str(data.get("type") or "text")
    steps = [
        "Administration > Data Management > Company > + Field",
        f"Field Name: `{ui_label(name)}`; API Name: `{api_name(name)}` (exactly: tierform finds "
        f"the field by this API name); Data Type: {gs_type_label(typ)} ({gs_type(typ)})",
    ]
    desc = str(data.get("description") or "")
    label = data.get("label")
    if desc or label:
        steps.append(f"Description: {desc} (tierform's label: {label})".strip())
    if data.get("options"):
        steps.append(
            f"Values tierform writes (keep the type {gs_type_label(typ)}, not a dropdown): "
            + _values(list(data["options"]))
        )
    if waiting:
        steps.append(
            f"Until it exists, {waiting} account value(s) of {name} wait: the first sync after "
            "it exists writes them"
        )
    return steps


def field_step(
    name: str, data: Mapping[str, Any], status: Any, waiting: int, found_type: str | None
) -> FieldStep:
    typ = str(data.get("type") or "text")
    reason = "Gainsight's API cannot create Company custom fields (Data Management only)"
    if found_type and status.value == "different":
        reason += f"; {api_name(name)} exists with data type {found_type}, expected {gs_type(typ)}"
    return FieldStep(
        kind=Kind.field,
        key=name,
        title=f"field: {api_name(name)}",
        reason=reason,
        steps=field_steps(name, data, waiting),
        status=status,
        platform_name=api_name(name),
        platform_type=gs_type(typ),
        label=ui_label(name),
        waiting_values=waiting,
    )


def segment_steps(key: str, data: Data) -> list[str]:
    filters = data.get("filter") or []
    steps = [
        "Journey Orchestrator > Segments > + SEGMENT (no public API creates segments)",
        f"Name: {text.quoted(text.title_of(data, key))}; object: Company",
        "Filter (all must match): " + " AND ".join(condition(c) for c in filters),
    ]
    if data.get("description"):
        steps.append(f"Description: {data['description']}")
    return steps


#: Who owns the CTAs tierform creates: the work item's CSM as a Gainsight user (cta.py).
CTA_OWNER = (
    "owned by the Company's CSM (the CTA owner: the Gainsight user tierform matches to the "
    "work item's CSM, else the target's cta.owner_email)"
)
HEALTH_STEP = "the scorecard step"


def _owner(owner: str | None) -> str:
    return {
        "named_csm": "the CTA owner (the Company's CSM)",
        "pool": "the pool named in Tf_Csm__gc",
        "automation": "an automated email (Journey Orchestrator)",
    }.get(owner or "", "the CTA owner")


def playbook_steps(key: str, data: Data, cta_type: str, mapped: str | None) -> list[str]:
    d = text.definition_of(data)
    name = text.title_of(data, key)
    q = text.quoted
    if mapped:
        steps = [
            f"tierform attaches the existing Gainsight playbook {q(mapped)} to each {q(name)} CTA "
            "(setting `playbooks`), and Gainsight creates its tasks: check in Administration > "
            f"Cockpit > Playbooks that {q(mapped)} has CTA type {q(cta_type)} and these tasks"
        ]
    else:
        steps = [
            f"Administration > Cockpit > Playbooks > + PLAYBOOK: name {q(name)}, type "
            f"{q(cta_type)} (then map it in the target's `playbooks` setting so tierform "
            "attaches it)"
        ]
    for step in d.get("steps") or []:
        if isinstance(step, Mapping):
            kind = "Email task" if step.get("channel") == "email" else "Task"
            steps.append(
                f"{kind}: {q(step.get('action'))}, due {step.get('day', 0)} day(s) after the CTA "
                f"opens, owner: {_owner(d.get('owner'))}"
            )
    if d.get("owner") != "automation" and d.get("steps"):
        steps.append(
            "Warning: tierform already creates the CTA for each Company this playbook is due "
            + (
                "for, with this playbook attached"
                if mapped
                else "for (one per task above until the playbook is mapped, then one with it "
                "attached)"
            )
            + f", {CTA_OWNER}: attach this playbook in no Rules Engine rule or Journey "
            "Orchestrator program, or every task is created twice"
        )
    tiers = [str(t) for t in d.get("tiers") or []]
    if tiers:
        steps.append(
            "Used for Companies where "
            + condition({"field": "tf_tier", "op": "in", "value": tiers})
        )
    if d.get("success_criteria"):
        steps.append(
            "Success criteria (playbook description): " + "; ".join(map(str, d["success_criteria"]))
        )
    if d.get("escalation"):
        steps.append(f"Escalation: {d['escalation']}")
    return steps


def subject(field: str) -> str:
    if field in _ALIASES:
        return col(_ALIASES[field])
    if field.startswith("health."):
        return col(f"tf_health_{field_name(field[7:])}")
    return f"Company › `{field}` (from your CRM; tierform does not write it)"


def by_tier(values: Mapping[str, Any]) -> list[tuple[Any, list[str]]]:
    """Tiers grouped by equal value: one criteria line per distinct threshold."""
    groups: dict[str, tuple[Any, list[str]]] = {}
    for tier, value in values.items():
        groups.setdefault(repr(value), (value, []))[1].append(str(tier))
    return sorted(groups.values(), key=lambda g: g[1])


def trigger_lines(t: Mapping[str, Any]) -> list[str]:
    kind, name = t.get("type"), str(t.get("field"))
    if kind == "account_created":
        return ["Criteria: Company › Created Date in the last 7 days (a new Company)"]
    if kind == "days_before_date":
        if t.get("days_by_tier"):
            return [
                f"Criteria for {condition({'field': 'tf_tier', 'op': 'in', 'value': tiers})}: "
                f"renewal within {days} days ({col('tf_renewal_window')})"
                for days, tiers in by_tier(t["days_by_tier"])
            ]
        return [f"Criteria: renewal within {t.get('days')} days ({col('tf_renewal_window')})"]
    if kind == "threshold_crossed":
        for side, op in (("below", "less than"), ("above", "greater than")):
            per_tier = t.get(f"{side}_by_tier")
            if per_tier:
                return [
                    f"Criteria for {condition({'field': 'tf_tier', 'op': 'in', 'value': tiers})}: "
                    f"{subject(name)} {op} {value}"
                    for value, tiers in by_tier(per_tier)
                ]
            if t.get(side) is not None:
                return [f"Criteria: {subject(name)} {op} {t.get(side)}"]
    if kind == "field_change":
        if name == "tier" and t.get("direction") in ("up", "down"):
            return [f"Criteria: {col('tf_migration')} equals `{t['direction']}`"]
        to = f" to `{t['to']}`" if t.get("to") is not None else ""
        return [f"Criteria: {subject(name)} changed{to} since the last run"]
    return ["Criteria: " + text.trigger_text(t, col)]


def _alert(a: Mapping[str, Any], due: str) -> str:
    """A notify action: tierform files the alert as a CTA for the Company's CSM."""
    what = text.alert_subject(a, HEALTH_STEP)
    return f"none in Rules Engine: tierform creates a CTA {what}{due}, {CTA_OWNER}"


def action_line(a: Mapping[str, Any], cta_type: str) -> str:
    kind = a.get("type")
    due = f", due in {a['due_days']} days" if a.get("due_days") else ""
    if kind in ("assign", "assign_csm", "assign_pool"):
        return "none in Rules Engine: tierform writes the Company's Csm lookup and Tf_Csm__gc"
    if kind == "start_playbook":
        what = (
            f"the playbook {text.quoted(a['playbook'])}"
            if a.get("playbook")
            else f"the tier's {a.get('stage')} playbook"
        )
        return (
            f"none in Rules Engine: tierform creates the CTAs of {what}{due} (type "
            f"{text.quoted(cta_type)}), {CTA_OWNER}"
        )
    if kind == "create_task":
        return (
            f"none in Rules Engine: tierform creates the CTA {text.quoted(a.get('text'))}{due} "
            f"(type {text.quoted(cta_type)}), {CTA_OWNER}"
        )
    if kind == "notify":
        return _alert(a, due)
    if kind == "move_tier" and a.get("temporary_days"):
        return (
            f"none in Gainsight: a temporary upgrade ({a['temporary_days']} days) leaves "
            "Tf_Tier__gc as it is; tierform creates the CTA for the next tier's coverage"
        )
    if kind == "move_tier":
        return "none in Gainsight: tierform rewrites Tf_Tier__gc on the next sync"
    return text.action_text(a, col)


def rule_steps(key: str, data: Data, cta_type: str) -> list[str]:
    d = text.definition_of(data)
    name = text.title_of(data, key)
    outside = text.off_platform(d.get("trigger") or {})
    if outside:
        return [f"Nothing to create in Gainsight for the rule {text.quoted(name)}", outside]
    steps = [f"Administration > Rules Engine > + RULE: name {text.quoted(name)}, Rule For: Company"]
    if d.get("description"):
        steps.append(str(d["description"]))
    if d.get("trigger"):
        steps += trigger_lines(d["trigger"])
    cond = d.get("condition") or {}
    if cond.get("tiers"):
        steps.append(
            "Criteria: " + condition({"field": "tf_tier", "op": "in", "value": cond["tiers"]})
        )
    if cond.get("bands"):
        steps.append(
            "Criteria: "
            + condition({"field": "tf_health_band", "op": "in", "value": cond["bands"]})
        )
    actions = [a for a in d.get("actions") or [] if isinstance(a, Mapping)]
    for action in actions:
        line = "Action: " + action_line(action, cta_type)
        extra = []
        if action.get("tiers"):
            extra.append(condition({"field": "tf_tier", "op": "in", "value": action["tiers"]}))
        if action.get("bands"):
            extra.append(
                condition({"field": "tf_health_band", "op": "in", "value": action["bands"]})
            )
        steps.append(line + (f" (only where {' AND '.join(extra)})" if extra else ""))
    if any(a.get("type") in ("create_task", "notify", "start_playbook") for a in actions):
        steps.append(
            "Warning: tierform already creates these CTAs (and a CTA for each alert) on the "
            "Company through the API: give this rule no Call To Action action, or each is "
            "created twice"
        )
    return steps


def _weights(weights: Mapping[str, Any]) -> str:
    total = sum(float(w) for w in weights.values()) or 1.0
    return ", ".join(
        f"{dim} {100 * float(w) / total:.0f}%" for dim, w in sorted(weights.items()) if float(w)
    )


def health_steps(key: str, data: Data) -> list[str]:
    d = data.get("definition") or {}
    d = d if isinstance(d, Mapping) else {}
    raw_w, raw_t = d.get("weights"), d.get("tier_weights")
    weights: Mapping[str, Any] = raw_w if isinstance(raw_w, Mapping) else {}
    tier_weights: Mapping[str, Any] = raw_t if isinstance(raw_t, Mapping) else {}
    # A dimension weighted 0 everywhere is not part of tierform's score: no measure for it.
    groups = [weights, *(w for w in tier_weights.values() if isinstance(w, Mapping))]
    dims = sorted({str(k) for w in groups for k, v in w.items() if float(v)})
    steps = [
        "Administration > Scorecards 2.0 > + SCORECARD: 'Health score', Company, numeric 0-100"
    ]
    for dim in dims:
        steps.append(
            f"Measure: {text.quoted(dim)} (0-100), scored from "
            + col(f"tf_health_{field_name(dim)}")
        )
    if weights:
        steps.append("Measure weights: " + _weights(weights))
    for value, tiers in by_tier({t: dict(w) for t, w in tier_weights.items()}):
        steps.append(
            "Measure weights for Companies where "
            + condition({"field": "tf_tier", "op": "in", "value": tiers})
            + " (a scorecard per tier where weights differ): "
            + _weights(value)
        )
    bands = d.get("bands")
    if isinstance(bands, list) and bands:
        steps.append(
            "Scoring scheme (numeric): "
            + ", ".join(
                f"{b.get('name')} from {b.get('min')}" for b in bands if isinstance(b, Mapping)
            )
        )
    steps.append(
        "Administration > Rules Engine > + RULE 'tierform health', Rule For: Company: action "
        "Set Score 2.0 for each measure from its Tf_Health_ field above, and the overall score "
        f"from {col('tf_health_score')}"
    )
    steps += [line for line in text.health_lines(d) if line.startswith("Who is alerted")]
    return steps
