"""Cross-field checks of the model's ``rules`` section (key path, message), for validation."""

from __future__ import annotations

from tierform.core.health.defaults import effective_health
from tierform.core.model import CoverageModel
from tierform.core.playbooks.library import effective_playbooks
from tierform.core.rules.spec import RESPONDER, TIER_WORDS, Action, Trigger

Loc = tuple[str | int, ...]


def issues(model: CoverageModel) -> list[tuple[Loc, str]]:
    """Cross-field problems of the rules section, as (key path, message)."""
    if model.rules is None:
        return []

    tiers = [t.name for t in model.tiers]
    health = effective_health(model)
    bands = [b.name for b in health.bands or []]
    dims = sorted(
        set(health.weights or {}) | {s.dimension for s in (health.signals or {}).values()}
    )
    playbooks = [pb.name for pb in effective_playbooks(model)]
    out: list[tuple[Loc, str]] = []
    seen: set[str] = set()

    def tier_ok(where: Loc, name: str, words: bool = False) -> None:
        if name not in tiers and not (words and name in TIER_WORDS):
            extra = f"; or {', '.join(TIER_WORDS)}" if words else ""
            out.append((where, f"unknown tier {name!r} (tiers: {', '.join(tiers)}{extra})"))

    def band_ok(where: Loc, name: str) -> None:
        if name not in bands:
            out.append((where, f"unknown band {name!r} (bands: {', '.join(bands)})"))

    def field_ok(where: Loc, name: str | None) -> None:
        if name and name.startswith("health.") and name[7:] not in dims:
            out.append(
                (where, f"unknown health dimension {name[7:]!r} (dimensions: {', '.join(dims)})")
            )

    for i, rule in enumerate(model.rules):
        at: Loc = ("rules", i)
        if rule.name in seen:
            out.append(((*at, "name"), f"rule name {rule.name!r} is used twice"))
        seen.add(rule.name)
        out.extend(_trigger_issues((*at, "trigger"), rule.trigger))
        field_ok((*at, "trigger", "field"), rule.trigger.field)
        for key in ("below_by_tier", "above_by_tier", "days_by_tier"):
            for name in getattr(rule.trigger, key) or {}:
                tier_ok((*at, "trigger", key, name), name)
        for j, name in enumerate(rule.condition.tiers or []):
            tier_ok((*at, "condition", "tiers", j), name)
        for j, name in enumerate(rule.condition.bands or []):
            band_ok((*at, "condition", "bands", j), name)
        for j, cmp in enumerate(rule.condition.signals):
            field_ok((*at, "condition", "signals", j, "field"), cmp.field)
        for j, action in enumerate(rule.actions):
            where: Loc = (*at, "actions", j)
            for k, name in enumerate(action.tiers or []):
                tier_ok((*where, "tiers", k), name)
            for k, name in enumerate(action.bands or []):
                band_ok((*where, "bands", k), name)
            if action.tier is not None:
                tier_ok((*where, "tier"), action.tier, words=True)
            out.extend(_action_issues(where, action, playbooks))
    return out


def _trigger_issues(where: Loc, trigger: Trigger) -> list[tuple[Loc, str]]:
    kind = trigger.type
    if kind in ("field_change", "threshold_crossed") and not trigger.field:
        return [(where, f"a {kind} trigger needs a field")]
    if kind == "threshold_crossed":
        given = [
            k
            for k in ("below", "above", "below_by_tier", "above_by_tier")
            if getattr(trigger, k) is not None
        ]
        if len(given) != 1:
            return [
                (
                    where,
                    "a threshold_crossed trigger needs exactly one of below, above, "
                    "below_by_tier, above_by_tier",
                )
            ]
    if kind == "days_before_date" and (trigger.days is None) == (trigger.days_by_tier is None):
        return [(where, "a days_before_date trigger needs exactly one of days, days_by_tier")]
    return []


def _action_issues(where: Loc, action: Action, playbooks: list[str]) -> list[tuple[Loc, str]]:
    out: list[tuple[Loc, str]] = []
    if action.type == "start_playbook":
        if (action.playbook is None) == (action.stage is None):
            out.append((where, "start_playbook needs exactly one of playbook, stage"))
        elif action.playbook is not None and action.playbook not in playbooks:
            out.append(
                (
                    (*where, "playbook"),
                    f"unknown playbook {action.playbook!r} (playbooks: {', '.join(playbooks)})",
                )
            )
    if action.type == "notify" and not action.to:
        out.append((where, f"notify needs 'to' (a person, a team, or {RESPONDER!r})"))
    if action.type == "create_task" and not action.text:
        out.append((where, "create_task needs 'text'"))
    return out
