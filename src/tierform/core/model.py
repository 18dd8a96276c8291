"""The coverage model: the pydantic v2 schema of ``tierform.yaml``.

Shape checks (types, unknown keys) live in the models; rules that span several fields (tier
bounds partition [0, inf), weights sum to 100, every lifecycle stage covered) live in
:func:`semantic_issues` so that *all* problems are reported at once, each with its key path,
which the loader turns into file:line.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tierform.core import health_spec, playbook_spec, rule_spec, target_spec
from tierform.core.specs import HealthSpec, Playbook, Rule, TargetSpec

Loc = tuple[str | int, ...]


class Model(BaseModel):
    """Base for every model section: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class LifecycleStage(StrEnum):
    """The recipe's lifecycle stages (step 2): each needs a touchpoint in every tier."""

    onboarding = "onboarding"
    adoption = "adoption"
    value_delivery = "value_delivery"
    renewal = "renewal"
    expansion = "expansion"
    escalation = "escalation"


class TouchModel(StrEnum):
    high_touch = "high_touch"
    hybrid = "hybrid"
    tech_touch = "tech_touch"
    digital = "digital"


class CoverageLayer(StrEnum):
    """Who covers the account: a named CSM, a pooled team, or digital programs only."""

    named = "named"
    pooled = "pooled"
    digital = "digital"


class RatioRange(Model):
    """Accounts per CSM: the benchmark range and the target used for sizing."""

    min: float = Field(gt=0, description="Lowest accounts-per-CSM of the benchmark range.")
    max: float = Field(gt=0, description="Highest accounts-per-CSM of the benchmark range.")
    target: float = Field(gt=0, description="Accounts per CSM used to size the team.")


class HiringTrigger(Model):
    """When a single CSM's book calls for a hire (recipe step 3)."""

    max_accounts: int | None = Field(None, gt=0, description="Hire when any CSM exceeds this.")
    max_arr: float | None = Field(None, gt=0, description="Hire when any CSM's ARR exceeds this.")
    note: str | None = Field(None, description="A trigger the book cannot measure, shown as-is.")


class Tier(Model):
    """One coverage tier. Bounds are half-open: ``min_acv <= ACV < max_acv``."""

    name: str = Field(min_length=1)
    min_acv: float = Field(0, ge=0, description="Inclusive lower ACV bound.")
    max_acv: float | None = Field(None, gt=0, description="Exclusive upper bound; none = no cap.")
    touch_model: TouchModel
    layer: CoverageLayer
    ratio: RatioRange | None = Field(None, description="Accounts per CSM; none for digital tiers.")
    csm_cost: float | None = Field(None, gt=0, description="Fully loaded cost per CSM (override).")
    pool: str | None = Field(
        None, description="Pool name for a pooled tier (default: '<tier> pool')."
    )
    score_min: float | None = Field(
        None, ge=0, le=100, description="Multi-factor score lower bound (default: from min_acv)."
    )
    benchmark_share: tuple[float, float] | None = Field(
        None, description="Expected share of accounts, in percent (recipe step 1 verify)."
    )
    hiring_trigger: HiringTrigger | None = None
    touchpoints: dict[LifecycleStage, str] = Field(default_factory=dict)

    @property
    def upper(self) -> float:
        return math.inf if self.max_acv is None else self.max_acv

    @property
    def pool_name(self) -> str:
        return self.pool or f"{self.name} pool"

    @property
    def has_csm(self) -> bool:
        return self.layer is not CoverageLayer.digital and self.ratio is not None


class SegmentWeights(Model):
    """Multi-factor segmentation weights, in percent (must sum to 100)."""

    arr: float = Field(40, ge=0)
    complexity: float = Field(25, ge=0)
    growth: float = Field(20, ge=0)
    strategic: float = Field(15, ge=0)


class ArrScale(Model):
    """ACV is scored on a log scale: ``floor`` scores 0, ``ceiling`` scores 100."""

    floor: float = Field(1_000, gt=0)
    ceiling: float = Field(1_000_000, gt=0)


class Hysteresis(Model):
    """An account keeps its previous tier unless it crosses a bound by this margin."""

    margin_pct: float = Field(10, ge=0, lt=100, description="ACV method: percent of the bound.")
    margin_points: float = Field(5, ge=0, le=100, description="Score method: score points.")


class Segmentation(Model):
    method: Literal["acv", "multi_factor"] = "acv"
    weights: SegmentWeights = Field(default_factory=SegmentWeights)
    arr_scale: ArrScale = Field(default_factory=ArrScale)
    strategic_override: bool = Field(True, description="Strategic accounts go to the top tier.")
    hysteresis: Hysteresis | None = Field(default_factory=Hysteresis)
    max_tier_arr_share: float = Field(40, gt=0, le=100, description="Warn above this ARR share.")
    min_coverage_pct: float = Field(95, gt=0, le=100)


class Band(Model):
    low: float
    high: float


class CostBenchmark(Model):
    """CSM cost as % of ARR (recipe quality benchmarks)."""

    minimum: Band = Field(default_factory=lambda: Band(low=5, high=12))
    good: Band = Field(default_factory=lambda: Band(low=6, high=9))
    excellent: Band = Field(default_factory=lambda: Band(low=7, high=8))


class Capacity(Model):
    buffer: float = Field(1.15, description="PTO, ramp and attrition buffer (>= 1).")
    csm_cost: float = Field(120_000, gt=0, description="Fully loaded cost per CSM per year.")
    max_arr_per_csm: float = Field(5_000_000, gt=0)
    high_touch_reallocate_above: int = Field(
        60, gt=0, description="Accounts per high-touch CSM that call for re-allocation in 30 days."
    )
    cost_benchmark: CostBenchmark = Field(default_factory=CostBenchmark)


class AccountSource(Model):
    """Where the account book comes from and how its columns map to tierform's."""

    path: str | None = None
    format: Literal["csv", "xlsx", "json"] | None = None
    sheet: str | None = Field(None, description="Worksheet name for xlsx books.")
    encoding: str | None = Field(
        None, description="Text encoding; default: detect UTF-8/BOM/cp1252."
    )
    columns: dict[str, str] = Field(
        default_factory=dict, description="Canonical column name -> the CRM's column name."
    )
    product_tier_acv: dict[str, float] = Field(
        default_factory=dict, description="ACV proxy per product tier for accounts without ACV."
    )
    skip_invalid: bool = Field(
        False, description="Skip invalid rows (reported) instead of failing."
    )
    skip_duplicates: bool = Field(False, description="Keep the first of duplicate ids (reported).")
    missing_acv_warn_pct: float = Field(10, ge=0, le=100)


class RosterEntry(Model):
    """A CSM: a named CSM of a tier, or a member of a pool."""

    name: str = Field(min_length=1)
    tier: str | None = None
    pool: str | None = None
    capacity: int | None = Field(None, gt=0, description="Max accounts (default: the tier ratio).")
    email: str | None = None


class CoverageModel(Model):
    """The whole coverage model (``tierform.yaml``)."""

    version: Literal[1] = 1
    name: str = "Coverage model"
    currency: str = "USD"
    tiers: list[Tier] = Field(min_length=1)
    segmentation: Segmentation = Field(default_factory=Segmentation)
    capacity: Capacity = Field(default_factory=Capacity)
    accounts: AccountSource = Field(default_factory=AccountSource)
    roster: list[RosterEntry] = Field(default_factory=list)
    health: HealthSpec | None = None
    playbooks: list[Playbook] | None = None
    rules: list[Rule] | None = None
    targets: dict[str, TargetSpec] = Field(default_factory=dict)

    def tier_index(self, name: str) -> int:
        for i, tier in enumerate(self.tiers):
            if tier.name == name:
                return i
        raise KeyError(name)

    @property
    def tiers_low_to_high(self) -> list[Tier]:
        return sorted(self.tiers, key=lambda t: t.min_acv)


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
    for section in (health_spec, playbook_spec, rule_spec, target_spec):
        issues.extend(section.issues(model))
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


def dump_model(model: CoverageModel) -> dict[str, Any]:
    """The model as plain data (for YAML/JSON), without unset optional sections."""
    return model.model_dump(mode="json", exclude_none=True)
