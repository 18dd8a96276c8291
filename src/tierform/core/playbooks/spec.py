"""Playbook section of the model: trigger -> owner -> day 0-90 actions -> success -> escalation.

Absent (``playbooks:`` not set), the library is generated from the tiers (recipe step 4 and the
segment playbook tables; see ``tierform.core.playbooks.defaults``). :func:`issues` checks names,
tiers, owners and the recipe's minimum (onboarding + renewal for every tier with CSMs).
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

# The lifecycle stages of ``tierform.core.model.LifecycleStage`` (a test keeps the two equal).
Stage = Literal["onboarding", "adoption", "value_delivery", "renewal", "expansion", "escalation"]
STAGES: tuple[str, ...] = get_args(Stage)
Owner = Literal["named_csm", "pool", "automation"]
Channel = Literal["call", "email", "in-app", "webinar", "task"]
MINIMUM_STAGES = ("onboarding", "renewal")  # recipe step 4 verify, for every tier with CSMs


class _Spec(BaseModel):
    # defer_build: validators built when first used (see tierform.core.model.Model)
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Step(_Spec):
    """One action of the sequence, ``day`` days after the trigger."""

    day: int = Field(ge=0, le=90, description="Day offset from the trigger (0-90).")
    action: str = Field(min_length=1)
    channel: Channel


class Playbook(_Spec):
    """A lifecycle playbook for one stage and one or more tiers."""

    name: str = Field(min_length=1)
    stage: Stage
    tiers: list[str] = Field(min_length=1, description="Tier names the playbook runs for.")
    trigger: str = Field(min_length=1, description="What starts it (a rule can start it too).")
    owner: Owner = Field(description="named_csm, pool or automation.")
    steps: list[Step] = Field(min_length=1)
    success_criteria: list[str] = Field(min_length=1)
    escalation: str | None = Field(None, description="Escalation path, e.g. 'CSM -> CS manager'.")
