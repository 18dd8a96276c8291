"""Health-score section of the model: signals, normalisers, dimension weights, bands, responses.

Every field that is absent falls back to the built-in default (``tierform.core.health.defaults``):
the recipe's dimensions and weights, the segment-specific per-tier weights, its bands. An empty
mapping (``tier_weights: {}``) switches a default off. Cross-field rules (weights sum to 100,
tier and band names exist) are in :func:`issues`, so ``tierform validate`` reports them all.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

MissingRule = Literal["reweight", "neutral"]


class _Spec(BaseModel):
    # defer_build: validators built when first used (see tierform.core.model.Model)
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Linear(_Spec):
    """``worst`` scores 0, ``best`` scores 100, linear between, clipped outside (either order)."""

    type: Literal["linear"]
    worst: float
    best: float


class Thresholds(_Spec):
    """A step function: ``steps`` are ``[from_value, score]`` pairs with rising values; a value
    takes the score of the last step it reaches (below the first step: the first step's score)."""

    type: Literal["thresholds"]
    steps: list[tuple[float, float]] = Field(min_length=1)


class Percentile(_Spec):
    """The account's percentile rank among the book (or its tier) for this signal."""

    type: Literal["percentile"]
    higher_is_better: bool = True
    within: Literal["book", "tier"] = "book"


Normaliser = Annotated[Linear | Thresholds | Percentile, Field(discriminator="type")]


class Signal(_Spec):
    """One input of a dimension: a book column put on a 0-100 scale by a declared normaliser."""

    column: str | None = Field(None, description="Book column (default: the signal's name).")
    dimension: str = Field(min_length=1, description="The dimension this signal feeds.")
    weight: float = Field(1.0, gt=0, description="Relative weight within its dimension.")
    normalise: Normaliser
    date: Literal["days_until", "days_since"] | None = Field(
        None, description="Read a date column as days until / since the as-of date."
    )
    missing: MissingRule | None = Field(
        None, description="Blank value: reweight (drop it) or neutral (score it neutral)."
    )
    optional: bool = Field(
        False, description="A column absent from the book is allowed (else it is an error)."
    )


class Missing(_Spec):
    """The declared rule for missing data (never silently zero)."""

    signal: MissingRule = "reweight"
    dimension: MissingRule = "reweight"
    neutral_score: float = Field(50, ge=0, le=100)


class BandSpec(_Spec):
    name: str = Field(min_length=1)
    min: float = Field(ge=0, le=100, description="Lowest score of the band (inclusive).")


class Validation(_Spec):
    """Targets for the churn-history checks (recipe step 5 verify and quality benchmarks)."""

    churn_threshold: float = Field(
        60, ge=0, le=100, description="Churned accounts should score below."
    )
    churned_below_min_pct: float = Field(
        80, ge=0, le=100, description="Share of churned accounts that must score below it."
    )
    correlation: tuple[float, float, float] = Field(
        (0.4, 0.6, 0.75), description="Minimum, good, excellent score-retention correlation."
    )
    cluster_range: tuple[float, float] = (70, 80)
    cluster_max_pct: float = Field(
        50, gt=0, le=100, description="More scores than this inside cluster_range is bunching."
    )


class HealthSpec(_Spec):
    """The health score: ``score = sum(weight x dimension) / sum(weights)``, 0-100."""

    signals: dict[str, Signal] | None = Field(None, description="Signal name -> definition.")
    weights: dict[str, float] | None = Field(
        None, description="Dimension weights in percent (sum 100); default: the recipe's."
    )
    tier_weights: dict[str, dict[str, float]] | None = Field(
        None,
        description="Per-tier dimension weights; default: the segment-specific table "
        "(none when `weights` is set).",
    )
    missing: Missing = Field(default_factory=Missing)
    bands: list[BandSpec] | None = Field(None, description="Highest band first; default recipe's.")
    responses: dict[str, dict[str, str]] | None = Field(
        None, description="Tier -> band -> who is alerted; bands not listed alert no one."
    )
    validation: Validation = Field(default_factory=Validation)
