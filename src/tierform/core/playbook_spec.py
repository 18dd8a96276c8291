"""Playbook section of the model: trigger -> owner -> day 0-90 actions -> success -> escalation.

Absent (``playbooks:`` not set), the library is generated from the tiers (recipe step 4 and the
segment playbook tables; see ``tierform.core.playbook_defaults``). :func:`issues` checks names,
tiers, owners and the recipe's minimum (onboarding + renewal for every tier with CSMs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from tierform.core.model import CoverageModel

Loc = tuple[str | int, ...]
# The lifecycle stages of ``tierform.core.model.LifecycleStage`` (a test keeps the two equal).
Stage = Literal["onboarding", "adoption", "value_delivery", "renewal", "expansion", "escalation"]
STAGES: tuple[str, ...] = get_args(Stage)
Owner = Literal["named_csm", "pool", "automation"]
Channel = Literal["call", "email", "in-app", "webinar", "task"]
MINIMUM_STAGES = ("onboarding", "renewal")  # recipe step 4 verify, for every tier with CSMs


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


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


def issues(model: CoverageModel) -> list[tuple[Loc, str]]:
    """Cross-field problems of the playbook section, as (key path, message)."""
    if model.playbooks is None:
        return []
    out: list[tuple[Loc, str]] = []
    tiers = {t.name: t for t in model.tiers}
    seen: set[str] = set()
    for i, pb in enumerate(model.playbooks):
        where: Loc = ("playbooks", i)
        if pb.name in seen:
            out.append(((*where, "name"), f"playbook name {pb.name!r} is used twice"))
        seen.add(pb.name)
        for j, name in enumerate(pb.tiers):
            tier = tiers.get(name)
            if tier is None:
                out.append(
                    ((*where, "tiers", j), f"unknown tier {name!r} (tiers: {', '.join(tiers)})")
                )
            elif pb.owner == "named_csm" and str(tier.layer) != "named":
                out.append(
                    (
                        (*where, "owner"),
                        f"owner named_csm, but tier {name!r} has no named "
                        f"CSMs (layer {tier.layer}): use pool or automation",
                    )
                )
            elif pb.owner == "pool" and str(tier.layer) != "pooled":
                out.append(
                    (
                        (*where, "owner"),
                        f"owner pool, but tier {name!r} has no pool "
                        f"(layer {tier.layer}): use named_csm or automation",
                    )
                )
    for tier in model.tiers:
        if not tier.has_csm:
            continue
        for stage in MINIMUM_STAGES:
            if not any(pb.stage == stage and tier.name in pb.tiers for pb in model.playbooks):
                out.append(
                    (
                        ("playbooks",),
                        f"tier {tier.name!r} has CSMs but no {stage} playbook "
                        "(recipe step 4 minimum: onboarding + renewal for every tier with CSMs)",
                    )
                )
    return out
