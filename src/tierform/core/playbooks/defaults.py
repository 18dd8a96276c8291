"""The built-in playbook library, generated from the tiers.

Recipe step 4's minimum set: onboarding for every tier, adoption-risk intervention for every tier
with CSMs, renewal prep for every tier, expansion-signal response for Enterprise and Mid-Market
(the high-touch and hybrid tiers). The steps are the segment guide's high-touch, low-touch and
tech-touch playbook elements; the owner follows the tier's coverage layer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tierform.core.playbooks.spec import Owner, Playbook, Stage, Step

if TYPE_CHECKING:
    from tierform.core.model import CoverageModel, Tier

# Recipe step 6: renewal prep at 120 / 90 / 60 days by tier (highest tier with CSMs first);
# the tech-touch table's renewal reminder is 30 days out for digital tiers.
RENEWAL_LEADS = (120, 90, 60)
DIGITAL_RENEWAL_LEAD = 30

_Steps = list[tuple[int, str, str]]

ONBOARDING: dict[str, tuple[_Steps, list[str]]] = {
    "high": (
        [
            (0, "Kickoff call: alignment and success criteria", "call"),
            (7, "Weekly check-in: adoption support", "call"),
            (14, "Success plan: outcomes and milestones agreed", "task"),
            (30, "30-day review of the success plan", "call"),
            (60, "60-day milestone review", "call"),
            (90, "90-day review: first value delivered; move to bi-weekly syncs", "call"),
        ],
        ["success plan signed off by day 30", "first value milestone reached by day 90"],
    ),
    "low": (
        [
            (0, "Automated welcome: set expectations", "email"),
            (2, "CSM kickoff call", "call"),
            (7, "Onboarding webinar: group enablement", "webinar"),
            (14, "Onboarding drip: key features", "email"),
            (30, "30-day check-in: health check, intervention if needed", "call"),
            (60, "Onboarding drip: tips and office hours invitation", "email"),
        ],
        ["core features in use by day 30", "health yellow or better at day 60"],
    ),
    "pooled": (
        [
            (0, "Welcome sequence (5-7 emails)", "email"),
            (1, "Onboarding checklist at first login", "in-app"),
            (7, "Onboarding webinar: group enablement", "webinar"),
            (30, "30-day check-in by the pool: health check, intervention if needed", "task"),
            (30, "NPS survey", "email"),
        ],
        ["onboarding checklist completed by day 14", "health yellow or better at day 30"],
    ),
    "digital": (
        [
            (0, "Welcome sequence (5-7 emails) and community access", "email"),
            (1, "Onboarding checklist at first login", "in-app"),
            (7, "Feature adoption prompts from usage patterns", "in-app"),
            (14, "Re-engagement campaign if inactive for 14 days", "email"),
            (30, "NPS survey", "email"),
        ],
        ["onboarding checklist completed by day 14", "weekly active use by day 30"],
    ),
}

ADOPTION_RISK: dict[str, tuple[_Steps, list[str]]] = {
    "high": (
        [
            (0, "Review the health dimensions and recent activity", "task"),
            (1, "Outreach call with the main contact", "call"),
            (7, "Recovery plan agreed with the customer", "task"),
            (14, "Weekly check-in on the recovery plan", "call"),
            (30, "Re-score health: close, or escalate to the executive sponsor", "task"),
        ],
        ["health back to yellow or better within 30 days"],
    ),
    "low": (
        [
            (0, "Review the health dimensions and recent activity", "task"),
            (2, "Outreach call", "call"),
            (7, "Targeted enablement content", "email"),
            (30, "30-day check-in: re-score health", "call"),
        ],
        ["health back to yellow or better within 30 days"],
    ),
    "pooled": (
        [
            (0, "Triggered outreach: re-engagement with tips", "email"),
            (3, "Feature adoption prompts", "in-app"),
            (7, "Pooled CSM call if still orange or red", "task"),
            (30, "Re-score health", "task"),
        ],
        ["health back to orange or better within 30 days"],
    ),
}

RENEWAL: dict[str, tuple[_Steps, list[str]]] = {
    "high": (
        [
            (0, "Renewal planning: risks, stakeholders, value summary", "task"),
            (14, "Executive business review: value delivered and roadmap", "call"),
            (30, "Renewal proposal prepared", "task"),
            (60, "Commercial discussion with the economic buyer", "call"),
            (90, "Renewal signed, or escalated", "task"),
        ],
        ["renewal committed 30 days before the date"],
    ),
    "low": (
        [
            (0, "Renewal planning: risks and value summary", "task"),
            (7, "Renewal check-in with the CSM", "call"),
            (30, "Renewal email sequence starts (60 days out)", "email"),
            (60, "Commercial confirmation", "call"),
        ],
        ["renewal committed 15 days before the date"],
    ),
    "pooled": (
        [
            (0, "Renewal reminder sequence starts", "email"),
            (14, "Value summary: usage and outcomes", "email"),
            (30, "Pooled CSM call for accounts in orange or red", "task"),
            (45, "Final renewal reminder", "email"),
        ],
        ["renewed on time without a discount"],
    ),
    "digital": (
        [
            (0, "Renewal reminder", "email"),
            (0, "Renewal reminder", "in-app"),
            (14, "Value summary: usage milestones", "email"),
            (25, "Final renewal reminder", "in-app"),
        ],
        ["renewed automatically on the date"],
    ),
}

EXPANSION: tuple[_Steps, list[str]] = (
    [
        (0, "Qualify the signal: usage, stakeholders, budget", "task"),
        (3, "Discovery call on the new need", "call"),
        (14, "Expansion proposal with the account executive", "task"),
        (30, "Expansion reviewed at the business review", "call"),
    ],
    ["expansion opportunity qualified within 30 days"],
)


def kind_of(tier: Tier) -> str:
    """high / low (named CSM tiers), pooled, digital: which element table a tier uses."""
    layer = str(tier.layer)
    if layer == "digital" or not tier.has_csm:
        return "digital"
    if layer == "pooled":
        return "pooled"
    return "high" if str(tier.touch_model) == "high_touch" else "low"


def owner_of(tier: Tier) -> Owner:
    layer = str(tier.layer)
    if layer == "named":
        return "named_csm"
    return "pool" if layer == "pooled" else "automation"


def escalation_of(tier: Tier) -> str:
    return {
        "high": "named CSM -> CS manager -> executive sponsor",
        "low": "named CSM -> CS manager",
        "pooled": f"{tier.pool_name} -> CS manager",
        "digital": "community and ticket-based support -> support lead",
    }[kind_of(tier)]


def renewal_leads(model: CoverageModel) -> dict[str, int]:
    """Days before the renewal date that renewal prep starts, per tier (120 / 90 / 60 / 30)."""
    with_csm = sorted((t for t in model.tiers if t.has_csm), key=lambda t: -t.min_acv)
    leads = {t.name: RENEWAL_LEADS[min(i, len(RENEWAL_LEADS) - 1)] for i, t in enumerate(with_csm)}
    for tier in model.tiers:
        leads.setdefault(tier.name, DIGITAL_RENEWAL_LEAD)
    return {t.name: leads[t.name] for t in model.tiers}


def expansion_tiers(model: CoverageModel) -> list[str]:
    """Enterprise and Mid-Market: the high-touch and hybrid tiers."""
    return [t.name for t in model.tiers if str(t.touch_model) in ("high_touch", "hybrid")]


def _book(
    name: str, stage: Stage, tier: Tier, trigger: str, table: tuple[_Steps, list[str]]
) -> Playbook:
    steps, success = table
    return Playbook(
        name=name,
        stage=stage,
        tiers=[tier.name],
        trigger=trigger,
        owner=owner_of(tier),
        steps=[Step(day=d, action=a, channel=c) for d, a, c in steps],  # type: ignore[arg-type]
        success_criteria=success,
        escalation=escalation_of(tier),
    )


def default_playbooks(model: CoverageModel) -> list[Playbook]:
    """The recipe's minimum playbook set for the model's tiers."""
    leads = renewal_leads(model)
    expand = set(expansion_tiers(model))
    out: list[Playbook] = []
    for tier in model.tiers:
        kind = kind_of(tier)
        out.append(
            _book(
                f"{tier.name} onboarding",
                "onboarding",
                tier,
                f"new {tier.name} account (closed-won)",
                ONBOARDING[kind],
            )
        )
        if tier.has_csm:
            out.append(
                _book(
                    f"{tier.name} adoption risk",
                    "adoption",
                    tier,
                    "health drops to orange or red, or usage trend turns negative",
                    ADOPTION_RISK[kind if kind in ADOPTION_RISK else "pooled"],
                )
            )
        out.append(
            _book(
                f"{tier.name} renewal prep",
                "renewal",
                tier,
                f"{leads[tier.name]} days before the renewal date",
                RENEWAL[kind],
            )
        )
        if tier.name in expand:
            out.append(
                _book(
                    f"{tier.name} expansion",
                    "expansion",
                    tier,
                    "expansion signal: product usage above the threshold",
                    EXPANSION,
                )
            )
    return out
