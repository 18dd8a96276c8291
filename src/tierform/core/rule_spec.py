"""Automation-rule section of the model: trigger -> condition -> actions, with test cases.

Absent (``rules:`` not set), the recipe's five core rules and the segment transition triggers are
generated from the tiers (``tierform.core.rule_defaults``). :func:`issues` checks that every tier,
band, dimension and playbook a rule names exists.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tierform.core.playbook_spec import Channel, Stage

if TYPE_CHECKING:
    from tierform.core.model import CoverageModel

Loc = tuple[str | int, ...]
TriggerType = Literal["account_created", "field_change", "threshold_crossed", "days_before_date"]
ActionType = Literal[
    "assign", "assign_csm", "assign_pool", "start_playbook", "create_task", "notify", "move_tier"
]
TIER_WORDS = ("segment", "up", "down", "top")  # relative tiers an action may name
RESPONDER = "responder"  # notify: whoever the health responses name for the tier and band


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Trigger(_Spec):
    """What makes the rule look at an account.

    * ``account_created``: not in the previous book, or (without one) a ``contract_start``
      within the last ``within_days`` days.
    * ``field_change``: ``field`` differs from the previous book (``tier`` can also use the
      book's ``previous_tier`` column); ``direction`` up/down, ``to`` a value.
    * ``threshold_crossed``: ``field`` goes below/above the threshold since the previous book
      (without one, or for an account new to it: is below/above).
    * ``days_before_date``: ``date_field`` is at most ``days`` (per tier: ``days_by_tier``)
      days away; the action is due that many days before the date.
    """

    type: TriggerType
    field: str | None = Field(
        None,
        description="Book column, acv, tier, band, health_score, "
        "health.<dimension>, strategic or days_to_renewal.",
    )
    direction: Literal["any", "up", "down"] = "any"
    to: str | float | bool | None = None
    below: float | None = None
    above: float | None = None
    below_by_tier: dict[str, float] | None = None
    above_by_tier: dict[str, float] | None = None
    date_field: str = "renewal_date"
    days: int | None = Field(None, ge=0)
    days_by_tier: dict[str, int] | None = None
    within_days: int = Field(7, ge=1, description="account_created without a previous book.")


class Comparison(_Spec):
    field: str
    op: Literal["<", "<=", ">", ">=", "==", "!="]
    value: float | bool | str


class Condition(_Spec):
    """Every part must hold for the rule to act on an account."""

    tiers: list[str] | None = None
    bands: list[str] | None = None
    strategic: bool | None = None
    signals: list[Comparison] = Field(default_factory=list)


class Action(_Spec):
    """What the rule does; ``tiers`` / ``bands`` narrow it to some of the accounts it fires on.

    ``assign`` gives the account its tier's coverage (named CSM, pool or digital programs);
    ``tier`` names the tier for ``assign*`` and ``move_tier``: a tier name or segment (the
    account's computed tier), up, down, top. ``move_tier`` carries a warm handoff overlap.
    """

    type: ActionType
    to: str | None = Field(None, description="Who: a CSM, a pool, or 'responder' for notify.")
    tier: str | None = None
    playbook: str | None = None
    stage: Stage | None = Field(None, description="start_playbook: the tier's playbook of a stage.")
    text: str | None = None
    channel: Channel | None = None
    due_days: int = Field(0, ge=0, description="Days after the trigger date.")
    overlap_days: int | None = Field(None, ge=0, description="Warm handoff with the old owner.")
    temporary_days: int | None = Field(None, gt=0, description="A temporary move, reviewed after.")
    tiers: list[str] | None = None
    bands: list[str] | None = None


class RuleCase(_Spec):
    """A rule test: an account (and optionally its previous state) and the actions expected.

    ``account`` uses book column names; ``health_score`` and ``health.<dimension>`` set the
    health figures directly. ``expect`` lists action labels such as ``start_playbook:Enterprise
    onboarding`` (an empty list: the rule must not act).
    """

    case: str = Field(min_length=1)
    as_of: dt.date
    account: dict[str, Any]
    previous: dict[str, Any] | None = Field(None, description="The account in the previous book.")
    new_account: bool = Field(False, description="A previous book without this account.")
    expect: list[str] = Field(default_factory=list)


class Rule(_Spec):
    name: str = Field(min_length=1)
    description: str | None = None
    enabled: bool = True
    trigger: Trigger
    condition: Condition = Field(default_factory=Condition)
    actions: list[Action] = Field(min_length=1)
    tests: list[RuleCase] = Field(default_factory=list)


def issues(model: CoverageModel) -> list[tuple[Loc, str]]:
    """Cross-field problems of the rules section, as (key path, message)."""
    if model.rules is None:
        return []
    from tierform.core.health_defaults import effective_health
    from tierform.core.playbooks import effective_playbooks

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
