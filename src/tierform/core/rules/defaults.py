"""The built-in automation rules, generated from the tiers.

Recipe step 6's five core rules (routing by ACV tier, health-drop alert per tier, expansion
signal, renewal prep at 120/90/60 days by tier, tier migration with a warm handoff) and the
segment transition triggers (expansion past a boundary, contraction, strategic designation,
health below 40: temporary upgrade of coverage). The temporary upgrade changes no tier: it is a
task to give the account the next tier's coverage until a review date, so ``tf_tier``, capacity
and books stay on the account's real tier.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tierform.core.health.defaults import effective_health
from tierform.core.health.spec import HealthSpec
from tierform.core.playbooks.defaults import expansion_tiers, renewal_leads
from tierform.core.rules.spec import RESPONDER, Rule

if TYPE_CHECKING:
    from tierform.core.model import CoverageModel

HANDOFF_OVERLAP_DAYS = 14  # recipe error table: a 2-week overlap between old and new CSM
AT_RISK_BELOW = 40.0  # segment transition triggers: health score < 40 -> temporary upgrade
TEMPORARY_UPGRADE_DAYS = 90
EXPANSION_USAGE_ABOVE = 85.0  # usage dimension score that counts as an expansion signal


def alert_thresholds(model: CoverageModel, health: HealthSpec) -> dict[str, float]:
    """Per tier, the score below which someone is alerted: the bottom of the band just above
    the highest band with a responder (e.g. responders from yellow down: below green's 90)."""
    bands = health.bands or []
    out: dict[str, float] = {}
    for tier in model.tiers:
        alerted = (health.responses or {}).get(tier.name, {})
        for i, band in enumerate(bands):
            if band.name in alerted:
                if i > 0:
                    out[tier.name] = bands[i - 1].min
                break
    return out


def default_rules(model: CoverageModel) -> list[Rule]:
    health = effective_health(model)
    names = [t.name for t in model.tiers]
    top = max(model.tiers, key=lambda t: t.min_acv).name
    csm_tiers = [t.name for t in model.tiers if t.has_csm]
    expand = expansion_tiers(model)
    band_names = [b.name for b in health.bands or []]
    rules: list[dict[str, Any]] = [
        {
            "name": "route-by-acv-tier",
            "description": "New account routing by ACV tier: assign its coverage, start "
            "onboarding.",
            "trigger": {"type": "account_created"},
            "actions": [{"type": "assign"}, {"type": "start_playbook", "stage": "onboarding"}],
        },
        {
            "name": "health-drop-alert",
            "description": "Health score drop: notify whoever the tier's response thresholds name; "
            "tiers with CSMs start adoption-risk intervention in the two lowest bands.",
            "trigger": {
                "type": "threshold_crossed",
                "field": "health_score",
                "below_by_tier": alert_thresholds(model, health),
            },
            "actions": [
                {"type": "notify", "to": RESPONDER},
                {
                    "type": "start_playbook",
                    "stage": "adoption",
                    "tiers": csm_tiers,
                    "bands": band_names[-2:],
                },
            ],
        },
        {
            "name": "expansion-signal",
            "description": "Usage above the threshold: CSM expansion play, or an in-app prompt.",
            "trigger": {
                "type": "threshold_crossed",
                "field": "health.usage",
                "above": EXPANSION_USAGE_ABOVE,
            },
            "actions": [
                {"type": "start_playbook", "stage": "expansion", "tiers": expand},
                {
                    "type": "notify",
                    "to": "in-app upgrade prompt",
                    "channel": "in-app",
                    "tiers": [n for n in names if n not in expand],
                },
            ],
        },
        {
            "name": "renewal-prep",
            "description": "Renewal prep 120/90/60 days out by tier (30 for digital tiers).",
            "trigger": {
                "type": "days_before_date",
                "date_field": "renewal_date",
                "days_by_tier": renewal_leads(model),
            },
            "actions": [{"type": "start_playbook", "stage": "renewal"}],
        },
        {
            "name": "tier-migration",
            "description": "ACV change moves the account to another tier: reassign with a warm "
            "handoff (2-week overlap between old and new owner).",
            "trigger": {"type": "field_change", "field": "tier"},
            "actions": [
                {"type": "move_tier", "tier": "segment", "overlap_days": HANDOFF_OVERLAP_DAYS}
            ],
        },
        {
            "name": "segment-upgrade",
            "description": "Expansion past a tier boundary: assign the new tier's coverage "
            "(pooled CSM, or a dedicated CSM).",
            "trigger": {"type": "field_change", "field": "tier", "direction": "up"},
            "actions": [{"type": "assign"}],
        },
        {
            "name": "segment-downgrade",
            "description": "Contraction below a tier boundary: transition to the pooled model or "
            "to automation.",
            "trigger": {"type": "field_change", "field": "tier", "direction": "down"},
            "actions": [{"type": "assign"}],
        },
        {
            "name": "strategic-designation",
            "description": "Strategic designation overrides the tier: dedicated coverage.",
            "trigger": {"type": "field_change", "field": "strategic", "to": True},
            "actions": [
                {"type": "move_tier", "tier": "top", "overlap_days": HANDOFF_OVERLAP_DAYS},
                {"type": "assign", "tier": "top"},
            ],
        },
        {
            "name": "at-risk-temporary-upgrade",
            "description": "Health below 40 in any tier: a task to give the account the next "
            f"tier's coverage for {TEMPORARY_UPGRADE_DAYS} days, reviewed when the period ends; "
            "its tier stays as it is.",
            "trigger": {
                "type": "threshold_crossed",
                "field": "health_score",
                "below": AT_RISK_BELOW,
            },
            "condition": {"tiers": [n for n in names if n != top]},
            "actions": [
                {
                    "type": "move_tier",
                    "tier": "up",
                    "temporary_days": TEMPORARY_UPGRADE_DAYS,
                    "overlap_days": HANDOFF_OVERLAP_DAYS,
                }
            ],
        },
    ]
    return [Rule.model_validate(r) for r in rules]
