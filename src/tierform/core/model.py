"""The coverage model: the pydantic v2 schema of ``tierform.yaml``.

Shape checks (types, unknown keys) live in the models; rules that span several fields (tier
bounds partition [0, inf), weights sum to 100, every lifecycle stage covered) live in
:mod:`tierform.core.validation`, above the model and its defaults, so that *all* problems are
reported at once, each with its key path, which the loader turns into file:line.
"""

from __future__ import annotations

import datetime as dt
import math
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tierform.core.empty import empty_list
from tierform.core.health.spec import HealthSpec
from tierform.core.playbooks.spec import Playbook
from tierform.core.rules.spec import Rule
from tierform.core.target_spec import TargetSpec

Loc = tuple[str | int, ...]


#: The dates a command may evaluate on: rule offsets (up to a hundred years) then stay inside
#: the calendar Python counts (years 1-9999).
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


class Model(BaseModel):
    """Base for every model section: unknown keys are errors, not silently ignored.

    ``defer_build``: a section's validator is built when first used, not when its module is
    imported. Validating a model file then builds the one validator it needs, not one per
    section class (a small command's start-up pays for each of them)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, defer_build=True)


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
    number_format: Literal["1,234.56", "1.234,56"] | None = Field(
        None, description="Number format of the book; default: detected per column."
    )
    date_format: str | None = Field(
        None,
        description="strptime format for non-ISO dates, e.g. '%d/%m/%Y'; default: detected "
        "per column.",
    )
    as_of: dt.date | None = Field(
        None,
        ge=FIRST_DAY,
        le=LAST_DAY,
        description="The date the export was taken: every command evaluates on it unless "
        "--as-of is given (default: today).",
    )


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
    roster: list[RosterEntry] = Field(default_factory=empty_list)
    health: HealthSpec | None = None
    playbooks: list[Playbook] | None = None
    rules: list[Rule] | None = None
    rollout: list[str] | None = Field(
        None,
        description="Tiers whose work items a sync creates, in go-live order (the recipe: "
        "Enterprise first, then Mid-Market, then the digital tiers). Absent: every tier.",
    )
    targets: dict[str, TargetSpec] = Field(default_factory=dict)

    def evaluation_date(self, given: dt.date | None, today: dt.date) -> tuple[dt.date, str]:
        """The evaluation date and where it came from: ``--as-of``, else the book's snapshot
        date (``accounts.as_of``), else today."""
        if given is not None:
            return given, "--as-of"
        if self.accounts.as_of is not None:
            return self.accounts.as_of, "accounts.as_of"
        return today, "today"

    def tier_index(self, name: str) -> int:
        for i, tier in enumerate(self.tiers):
            if tier.name == name:
                return i
        raise KeyError(name)

    @property
    def tiers_low_to_high(self) -> list[Tier]:
        return sorted(self.tiers, key=lambda t: t.min_acv)
