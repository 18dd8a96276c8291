"""The recipe's verify steps and recovery actions, matched to tierform's check ids.

A check that carries its own recovery keeps it; otherwise a warn or fail shows the recovery the
recipe (``recipe-coverage-model``: step verifies, quality benchmarks, error table) gives for it.
"""

from __future__ import annotations

from tierform.core.checks import Check

# (words in the check id, recipe reference, recipe recovery action), most specific first.
RECOVERY: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (
        ("tier_coverage",),
        "Step 1 verify",
        "Assign every active customer to exactly one tier: fill missing ACVs or use product tier "
        "as a proxy for ACV",
    ),
    (
        ("missing_acv",),
        "Error table",
        "Run a CRM clean-up sprint; use product tier as a proxy for ACV",
    ),
    (
        ("distribution",),
        "Step 1 verify",
        "Adjust the tier boundaries to where natural breaks occur in your ACV distribution",
    ),
    (
        ("arr_concentration",),
        "Step 1 verify",
        "More than 40% of ARR in one tier: consider splitting that tier further",
    ),
    (
        ("arr_per_csm",),
        "Step 3 verify",
        "Keep ARR per CSM below $5M: lower the tier's ratio or split the tier",
    ),
    (
        ("cost_pct_arr",),
        "Quality benchmarks",
        "Rebalance tier thresholds to shift accounts to the more cost-effective tier; above 12% of "
        "ARR, shift the Mid-Market/SMB boundary lower",
    ),
    (
        ("hiring_trigger", "no_csm", "over_capacity"),
        "Step 3 hiring triggers",
        "Open a requisition for the tier or rebalance books",
    ),
    (
        ("utilisation", "reallocate", "burnout"),
        "Error table",
        "CSM burnout / account neglect: reduce the ratio by 20%, add pooled backup support",
    ),
    (
        ("cluster",),
        "Error table",
        "Scores cluster at 70-80: increase usage weight to 45%, decrease engagement to 15%",
    ),
    (
        ("correlation", "auc"),
        "Quality benchmarks",
        "Health-score churn correlation below 0.4: increase the usage-based dimensions",
    ),
    (
        ("churn", "below_60", "validation"),
        "Step 5 verify",
        "Churned accounts should score below 60: start with a simple 3-factor score and iterate",
    ),
    (
        ("lifecycle", "stage", "touchpoint", "gap"),
        "Step 2 verify",
        "Map missing stages to the most similar adjacent tier's approach, then customise",
    ),
    (
        ("playbook",),
        "Step 4 verify",
        "Start with onboarding playbooks only (plus renewal for tiers with CSMs), then expand "
        "iteratively",
    ),
    (
        ("migration", "handoff"),
        "Error table",
        "Implement a 2-week overlap period between the old and the new CSM",
    ),
    (
        ("rule",),
        "Step 6 verify",
        "Disable the failing rule, run the process manually while debugging",
    ),
)


def recipe_reference(check: Check) -> tuple[str | None, str | None]:
    """(recipe reference, recipe recovery) for a check id, or (None, None)."""
    key = check.id.lower()
    for words, reference, action in RECOVERY:
        if any(w in key for w in words):
            return reference, action
    return None, None


def recovery_for(check: Check) -> str | None:
    """The action to show: the check's own recovery, else the recipe's for a warn or fail."""
    if check.recovery:
        return check.recovery
    if check.status in ("warn", "fail"):
        return recipe_reference(check)[1]
    return None
