"""Every cross-field rule of a coverage model, each as (key path, message).

Above the model and its section defaults: the health, playbook and rule checks need the resolved
sections (defaults filled in), which the model itself must not import. Target settings are not
checked here: they belong to the adapters (``tierform.sync.targets.target_issues``), so an
analysis command never loads a platform adapter. The loader maps key paths to file:line.
"""

from __future__ import annotations

import math

from tierform.core.health.model_checks import issues as health_checks
from tierform.core.model import CoverageLayer, CoverageModel, LifecycleStage, Loc, Tier
from tierform.core.playbooks.model_checks import issues as playbook_checks
from tierform.core.rules.model_checks import issues as rule_checks


def semantic_issues(model: CoverageModel) -> list[tuple[Loc, str]]:
    """Cross-field rules of the coverage model, each as (key path, message)."""
    issues: list[tuple[Loc, str]] = []
    names = [t.name for t in model.tiers]
    folded = [n.casefold() for n in names]  # workbook COUNTIFs and lookups ignore case
    for i, tier in enumerate(model.tiers):
        if folded.count(tier.name.casefold()) > 1:
            issues.append(
                (
                    ("tiers", i, "name"),
                    f"tier name {tier.name!r} is used twice (names must differ by more than case)",
                )
            )
        issues.extend(_tier_issues(i, tier))
    issues.extend(_partition_issues(model.tiers))
    w = model.segmentation.weights
    total = w.arr + w.complexity + w.growth + w.strategic
    if not math.isclose(total, 100, abs_tol=1e-6):
        issues.append((("segmentation", "weights"), f"weights sum to {total:g}, not 100"))
    scale = model.segmentation.arr_scale
    if scale.ceiling <= scale.floor:
        issues.append((("segmentation", "arr_scale"), "ceiling must be above floor"))
    if model.capacity.buffer < 1:
        issues.append((("capacity", "buffer"), f"buffer {model.capacity.buffer:g} is below 1"))
    tier_names = set(names)
    pools = {t.pool_name for t in model.tiers if t.layer is CoverageLayer.pooled}
    for i, csm in enumerate(model.roster):
        if csm.tier is None and csm.pool is None:
            issues.append((("roster", i), f"CSM {csm.name!r} needs a tier or a pool"))
        if csm.tier is not None and csm.tier not in tier_names:
            issues.append((("roster", i, "tier"), f"unknown tier {csm.tier!r}"))
        if csm.pool is not None and csm.pool not in pools:
            issues.append(
                (("roster", i, "pool"), f"unknown pool {csm.pool!r} (pools: {sorted(pools)})")
            )
    for i, name in enumerate(model.rollout or []):
        if name not in tier_names:
            issues.append((("rollout", i), f"unknown tier {name!r} (tiers: {', '.join(names)})"))
    issues.extend(health_checks(model))
    issues.extend(playbook_checks(model))
    issues.extend(rule_checks(model))
    for proxy, value in model.accounts.product_tier_acv.items():
        if value < 0:
            issues.append((("accounts", "product_tier_acv", proxy), "ACV proxy is negative"))
    return issues


def _tier_issues(i: int, tier: Tier) -> list[tuple[Loc, str]]:
    issues: list[tuple[Loc, str]] = []
    where: Loc = ("tiers", i)
    if tier.max_acv is not None and tier.max_acv <= tier.min_acv:
        issues.append(
            ((*where, "max_acv"), f"max_acv {tier.max_acv:g} <= min_acv {tier.min_acv:g}")
        )
    if tier.ratio is not None:
        r = tier.ratio
        if not r.min <= r.target <= r.max:
            issues.append(
                ((*where, "ratio"), f"target {r.target:g} is outside {r.min:g}-{r.max:g}")
            )
    if tier.layer is not CoverageLayer.digital and tier.ratio is None:
        issues.append(((*where, "ratio"), f"a {tier.layer} tier needs a ratio (accounts per CSM)"))
    if tier.benchmark_share is not None:
        lo, hi = tier.benchmark_share
        if not 0 <= lo <= hi <= 100:
            issues.append(((*where, "benchmark_share"), "must be [low, high] percentages"))
    missing = [s.value for s in LifecycleStage if not tier.touchpoints.get(s, "").strip()]
    if missing:
        issues.append(
            (
                (*where, "touchpoints"),
                f"no touchpoint for {', '.join(missing)} (recipe step 2: every stage, every tier;"
                " borrow the adjacent tier's approach)",
            )
        )
    return issues


def _partition_issues(tiers: list[Tier]) -> list[tuple[Loc, str]]:
    """Tier bounds must partition [0, inf): no gap, no overlap."""
    order = sorted(range(len(tiers)), key=lambda i: (tiers[i].min_acv, tiers[i].upper))
    issues: list[tuple[Loc, str]] = []
    expected = 0.0
    for i in order:
        tier = tiers[i]
        if tier.min_acv > expected:
            issues.append(
                (
                    ("tiers", i, "min_acv"),
                    f"gap: no tier covers ACV {expected:g} to {tier.min_acv:g}",
                )
            )
        elif tier.min_acv < expected:
            issues.append(
                (
                    ("tiers", i, "min_acv"),
                    f"overlap: ACV {tier.min_acv:g} to {expected:g} is in two tiers",
                )
            )
        expected = max(expected, tier.upper)
    if expected != math.inf and order:
        issues.append((("tiers", order[-1], "max_acv"), f"gap: no tier covers ACV >= {expected:g}"))
    return issues
