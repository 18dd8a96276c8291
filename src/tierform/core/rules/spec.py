"""Automation-rule section of the model: trigger -> condition -> actions, with test cases.

Absent (``rules:`` not set), the recipe's five core rules and the segment transition triggers are
generated from the tiers (``tierform.core.rules.defaults``). :func:`issues` checks that every tier,
band, dimension and playbook a rule names exists.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tierform.core.empty import empty_list
from tierform.core.playbooks.spec import Channel, Stage

#: The longest offset a rule may name, in days (a hundred years): dates stay far inside the
#: calendar Python can count.
MAX_DAYS = 36_500

TriggerType = Literal["account_created", "field_change", "threshold_crossed", "days_before_date"]
ActionType = Literal[
    "assign", "assign_csm", "assign_pool", "start_playbook", "create_task", "notify", "move_tier"
]
TIER_WORDS = ("segment", "up", "down", "top")  # relative tiers an action may name
RESPONDER = "responder"  # notify: whoever the health responses name for the tier and band


class _Spec(BaseModel):
    # defer_build: validators built when first used (see tierform.core.model.Model)
    model_config = ConfigDict(extra="forbid", defer_build=True)


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
    days: int | None = Field(None, ge=0, le=MAX_DAYS)
    days_by_tier: dict[str, Annotated[int, Field(ge=0, le=MAX_DAYS)]] | None = None
    within_days: int = Field(
        7, ge=1, le=MAX_DAYS, description="account_created without a previous book."
    )


class Comparison(_Spec):
    field: str
    op: Literal["<", "<=", ">", ">=", "==", "!="]
    value: float | bool | str


class Condition(_Spec):
    """Every part must hold for the rule to act on an account."""

    tiers: list[str] | None = None
    bands: list[str] | None = None
    strategic: bool | None = None
    signals: list[Comparison] = Field(default_factory=empty_list)


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
    due_days: int = Field(0, ge=0, le=MAX_DAYS, description="Days after the trigger date.")
    overlap_days: int | None = Field(
        None, ge=0, le=MAX_DAYS, description="Warm handoff with the old owner."
    )
    temporary_days: int | None = Field(
        None, gt=0, le=MAX_DAYS, description="A temporary move, reviewed after."
    )
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
    expect: list[str] = Field(default_factory=empty_list)


class Rule(_Spec):
    name: str = Field(min_length=1)
    description: str | None = None
    enabled: bool = True
    trigger: Trigger
    condition: Condition = Field(default_factory=Condition)
    actions: list[Action] = Field(min_length=1)
    tests: list[RuleCase] = Field(default_factory=empty_list)
