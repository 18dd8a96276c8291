"""Cross-field checks of the model's ``playbooks`` section (key path, message), for validation."""

from __future__ import annotations

from tierform.core.model import CoverageModel
from tierform.core.playbooks.spec import MINIMUM_STAGES

Loc = tuple[str | int, ...]


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
