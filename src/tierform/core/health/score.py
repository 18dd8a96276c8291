"""Health scores (recipe step 5): signals -> dimensions -> a weighted 0-100 score and a band.

Everything runs on whole columns: a signal is normalised once for the book, a dimension is the
weighted mean of its signals, the score the weighted mean of the dimensions with the weights of
the account's tier. Missing data follows the declared rule at both levels: ``reweight`` drops
the blank input and spreads its weight over the rest, ``neutral`` scores it ``neutral_score``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from tierform.core.arrays import arrow_array, bounds_at_or_below
from tierform.core.book import AccountBook
from tierform.core.checks import Check
from tierform.core.health.churn_validation import churn_outcome, validate_scores
from tierform.core.health.defaults import effective_health
from tierform.core.health.normalise import normalise
from tierform.core.health.spec import HealthSpec, Signal
from tierform.core.model import CoverageModel
from tierform.core.records import (
    CodedField,
    FlagField,
    NestedField,
    NumberField,
    RecordColumns,
    TextField,
)
from tierform.core.segment import SegmentResult, segment
from tierform.errors import ConfigError, Issue

__all__ = ["HealthResult", "effective_health", "score_health", "score_columns"]

# Below three signals or two dimensions a "health score" is one metric renamed (recipe step 5:
# start with a simple 3-factor score).
MIN_SIGNALS = 3
MIN_DIMENSIONS = 2
MAX_LISTED = 20


@dataclass
class HealthResult:
    """Scores per account (NaN where no input at all), their bands, dimensions and checks."""

    model: CoverageModel
    spec: HealthSpec
    book: AccountBook
    tier: np.ndarray
    score: np.ndarray
    band_index: np.ndarray
    dimensions: dict[str, np.ndarray]
    weights: dict[str, Any]
    as_of: dt.date
    checks: list[Check] = field(default_factory=list)
    validation: dict[str, Any] | None = None
    signals_used: list[str] = field(default_factory=list)
    signals_absent: list[str] = field(default_factory=list)
    stale: np.ndarray | None = None  # renewal (days_until) date before the as-of date

    def stale_ids(self) -> list[str]:
        """Accounts whose renewal date has passed: a renewal the CRM has not recorded yet."""
        if self.stale is None:
            return []
        rows = arrow_array(np.flatnonzero(self.stale))
        return [str(x) for x in self.book.table.column("account_id").take(rows).to_pylist()]

    @property
    def band_names(self) -> list[str]:
        return [b.name for b in self.spec.bands or []]

    @property
    def band(self) -> list[str | None]:
        names = self.band_names
        return [names[i] if i >= 0 else None for i in self.band_index.tolist()]

    def band_counts(self) -> dict[str, int]:
        counts = np.bincount(self.band_index[self.band_index >= 0], minlength=len(self.band_names))
        return {name: int(c) for name, c in zip(self.band_names, counts, strict=True)}

    def account_columns(self) -> RecordColumns:
        """The per-account entries of :meth:`to_dict` held as columns (no dict per account)."""
        tiers: list[str | None] = [t.name for t in self.model.tiers]
        tiers.append(None)
        bands: list[str | None] = list(self.band_names)
        bands.append(None)
        stale = self.stale if self.stale is not None else np.zeros(len(self.book), dtype=bool)
        return RecordColumns(
            len(self.book),
            [
                TextField("account_id", self.book.id_column()),
                CodedField("tier", tiers, np.where(self.tier >= 0, self.tier, len(tiers) - 1)),
                NumberField("score", np.round(self.score, 2)),
                CodedField(
                    "band", bands, np.where(self.band_index >= 0, self.band_index, len(bands) - 1)
                ),
                NestedField(
                    "dimensions",
                    tuple(NumberField(k, np.round(v, 2)) for k, v in self.dimensions.items()),
                ),
                FlagField("stale_renewal", np.asarray(stale, dtype=bool)),
            ],
        )

    def to_dict(self, columnar: bool = False) -> dict[str, Any]:
        """``{"weights", "accounts", "validation", "checks"}`` (scores rounded to 0.01);
        ``columnar``: the accounts as :class:`RecordColumns` (the same entries)."""
        if columnar:
            return {
                "weights": self.weights,
                "accounts": self.account_columns(),
                "validation": self.validation,
                "checks": [c.to_dict() for c in self.checks],
            }
        tiers = [t.name for t in self.model.tiers]
        tier_names = [tiers[i] if i >= 0 else None for i in self.tier.tolist()]
        dims = {k: _rounded(v) for k, v in self.dimensions.items()}
        names = list(dims)
        columns = [dims[k] for k in names]
        accounts = [
            {
                "account_id": aid,
                "tier": tier,
                "score": score,
                "band": band,
                "dimensions": dict(zip(names, values, strict=True)),
            }
            for aid, tier, score, band, *values in zip(
                self.book.ids(), tier_names, _rounded(self.score), self.band, *columns, strict=True
            )
        ]
        stale = self.stale if self.stale is not None else np.zeros(len(self.book), dtype=bool)
        for account, is_stale in zip(accounts, stale.tolist(), strict=True):
            if is_stale:
                account["stale_renewal"] = True
        return {
            "weights": self.weights,
            "accounts": accounts,
            "validation": self.validation,
            "checks": [c.to_dict() for c in self.checks],
        }


def _rounded(values: np.ndarray) -> list[float | None]:
    rounded = np.round(values, 2)
    return [None if v != v else v for v in rounded.tolist()]


def score_health(
    model: CoverageModel,
    book: AccountBook,
    seg: SegmentResult | None = None,
    *,
    as_of: dt.date | None = None,
    churn: np.ndarray | None = None,
    churn_source: str = "churned column",
    spec: HealthSpec | None = None,
    validate: bool = True,
) -> HealthResult:
    """Score every account; validate against churn history when ``churn`` (1 = churned, NaN =
    unknown) is given or the book has a ``churned`` column. ``spec``: the resolved health
    section when the caller has it (else resolved here). ``validate=False``: scores, bands and
    scoring checks only, for callers that never show the validation (rules)."""
    spec = effective_health(model) if spec is None else spec
    seg = seg if seg is not None else segment(model, book)
    as_of = as_of or dt.date.today()
    tier = seg.tier
    dims, used, absent, stale = dimension_scores(spec, book, tier, as_of)
    weights = group_weights(model, spec)
    score = score_columns(dims, _weight_matrix(model, weights, list(dims)), tier, spec)
    band_index = band_of(score, spec)
    result = HealthResult(
        model,
        spec,
        book,
        tier,
        score,
        band_index,
        dims,
        weights,
        as_of,
        signals_used=used,
        signals_absent=absent,
        stale=stale,
    )
    result.checks = scoring_checks(result)
    if not validate:
        return result
    if churn is None:
        churn = churn_outcome(book)
    if churn is not None:
        result.validation, checks = validate_scores(score, churn, spec.validation, churn_source)
        result.checks.extend(checks)
    return result


def group_weights(model: CoverageModel, spec: HealthSpec) -> dict[str, Any]:
    """``{"default": {...}, "tiers": {tier: {...}}}``: the weights every tier really uses."""
    default = dict(spec.weights or {})
    tiers = {t.name: dict((spec.tier_weights or {}).get(t.name, default)) for t in model.tiers}
    return {"default": default, "tiers": tiers}


def _weight_matrix(model: CoverageModel, weights: dict[str, Any], dims: list[str]) -> np.ndarray:
    """Rows: one per tier, then the default (for unassigned accounts); columns: dimensions."""
    rows = [weights["tiers"][t.name] for t in model.tiers] + [weights["default"]]
    return np.array([[float(r.get(d, 0.0)) for d in dims] for r in rows], dtype=float)


def signal_values(name: str, sig: Signal, book: AccountBook, as_of: dt.date) -> np.ndarray | None:
    """The raw column of a signal as float64 (NaN = blank), None if the book lacks it."""
    column = sig.column or name
    key = f"health.signals.{name}.column"
    if not book.has(column):
        if sig.optional:
            return None
        shown = ", ".join(book.table.column_names[:20])
        raise ConfigError(
            [
                Issue(
                    f"signal {name!r}: column {column!r} is not in the book "
                    f"(columns: {shown}); map it or mark the signal optional",
                    key=key,
                )
            ]
        )
    if sig.date is not None:
        dates = book.dates(column)
        days = (dates - np.datetime64(as_of, "D")).astype("timedelta64[D]").astype(float)
        days[np.isnat(dates)] = np.nan
        return days if sig.date == "days_until" else -days
    try:
        values = book.numbers(column)
    except pa.ArrowInvalid:  # text that is not a number
        values = None
    if values is None:
        raise ConfigError([Issue(f"signal {name!r}: column {column!r} is not numeric", key=key)])
    return values


def dimension_scores(
    spec: HealthSpec, book: AccountBook, tier: np.ndarray, as_of: dt.date
) -> tuple[dict[str, np.ndarray], list[str], list[str], np.ndarray]:
    """Each dimension as the weighted mean of its signals (declared missing rule per signal).

    A ``days_until`` date before the as-of date (a renewal that has passed without the CRM
    recording it) is a data problem, not risk: that signal scores neutral and the account is
    flagged in the returned mask.
    """
    n = len(book)
    rule = spec.missing
    dims = list(spec.weights or {})
    for sig in (spec.signals or {}).values():
        if sig.dimension not in dims:
            dims.append(sig.dimension)
    num = {d: np.zeros(n) for d in dims}
    den = {d: np.zeros(n) for d in dims}
    used: list[str] = []
    absent: list[str] = []
    stale = np.zeros(n, dtype=bool)
    for name, sig in (spec.signals or {}).items():
        raw = signal_values(name, sig, book, as_of)
        if raw is None:
            absent.append(name)
            raw = np.full(n, np.nan)
        else:
            used.append(name)
        past = np.zeros(n, dtype=bool)
        if sig.date == "days_until":
            with np.errstate(invalid="ignore"):
                past = raw < 0
            stale |= past
            raw = np.where(past, np.nan, raw)
        value = normalise(raw, sig.normalise, tier)
        if past.any():
            value = np.where(past, rule.neutral_score, value)
        unknown = np.isnan(value)
        if (sig.missing or rule.signal) == "neutral" and unknown.any():
            value = np.where(unknown, rule.neutral_score, value)
            unknown[:] = False
        # In place, the same sums as adding ``where(known, weight * value, 0)`` (sums start
        # at +0.0, so adding 0.0 where a value is unknown changes nothing; a weight of 1
        # multiplies nothing).
        part = value if sig.weight == 1 else sig.weight * value
        dim_num, dim_den = num[sig.dimension], den[sig.dimension]
        if unknown.any():
            known = ~unknown
            np.add(dim_num, part, out=dim_num, where=known)
            np.add(dim_den, sig.weight, out=dim_den, where=known)
        else:
            dim_num += part
            dim_den += sig.weight
    with np.errstate(invalid="ignore", divide="ignore"):
        out = {d: np.where(den[d] > 0, num[d] / den[d], np.nan) for d in dims}
    return out, used, absent, stale


def score_columns(
    dims: dict[str, np.ndarray], matrix: np.ndarray, tier: np.ndarray, spec: HealthSpec
) -> np.ndarray:
    """Weighted mean of the dimensions with each account's row of ``matrix`` (tier, or the last
    row, the default, for unassigned accounts); NaN where no weighted dimension is known."""
    group = np.where(tier >= 0, tier, matrix.shape[0] - 1)
    n = group.shape[0]
    num = np.zeros(n)
    den = np.zeros(n)
    neutral = spec.missing.dimension == "neutral"
    for k, values in enumerate(dims.values()):
        weights = matrix[:, k]
        # One weight for every tier (the usual case) multiplies as a number, not per account.
        w = weights[0] if (weights == weights[0]).all() else weights[group]
        if neutral:
            values = np.where(np.isnan(values), spec.missing.neutral_score, values)
        known = ~np.isnan(values)
        num += np.where(known, w * values, 0.0)
        den += np.where(known, w, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def band_of(score: np.ndarray, spec: HealthSpec) -> np.ndarray:
    """Index into ``spec.bands`` (highest first) per score; -1 where the score is NaN."""
    bands = spec.bands or []
    mins = np.array([b.min for b in bands], dtype=float)
    order = np.argsort(mins)  # ascending minimums
    pos = bounds_at_or_below(mins[order], np.nan_to_num(score, nan=-1.0)) - 1
    index = np.where(pos >= 0, order[np.clip(pos, 0, None)], -1)
    return np.where(np.isnan(score), -1, index).astype(np.int8)


def scoring_checks(result: HealthResult) -> list[Check]:
    """What the score was built on, how many accounts it covers, and whether it differentiates."""
    spec = result.spec
    checks: list[Check] = []
    n = len(result.book)
    weighted = {
        d
        for group in [result.weights["default"], *result.weights["tiers"].values()]
        for d, w in group.items()
        if w > 0
    }
    live = sorted(
        d for d, v in result.dimensions.items() if d in weighted and n and not np.isnan(v).all()
    )
    enough = len(result.signals_used) >= MIN_SIGNALS and len(live) >= MIN_DIMENSIONS
    checks.append(
        Check(
            "health_signals",
            "pass" if enough else "fail",
            len(result.signals_used),
            f"scored on {len(result.signals_used)} signal(s) in {len(live)} dimension(s): "
            f"{', '.join(result.signals_used) or 'none'}"
            + (
                f"; not in the book: {', '.join(result.signals_absent)}"
                if result.signals_absent
                else ""
            )
            + (
                ""
                if enough
                else f"; below {MIN_SIGNALS} signals or {MIN_DIMENSIONS} dimensions this is "
                "not a health score"
            ),
            None
            if enough
            else "add signal columns to the export (the recipe's fallback is a 3-factor score: "
            "usage, support and financial) or map them with health.signals",
        )
    )
    stale = result.stale_ids()
    if stale:
        shown = ", ".join(stale[:MAX_LISTED]) + (
            f" and {len(stale) - MAX_LISTED} more" if len(stale) > MAX_LISTED else ""
        )
        checks.append(
            Check(
                "health_stale_renewals",
                "warn",
                len(stale),
                f"{len(stale)} account(s) have a renewal date before {result.as_of.isoformat()} "
                f"(scored neutral on renewal proximity, not as risk): {shown}",
                "record the renewals in the CRM and export the book again",
            )
        )
    rule = spec.missing.dimension
    empty = {d for d, v in result.dimensions.items() if n and np.isnan(v).all()}
    for dim in sorted(weighted & empty):
        handled = (
            "its weight is spread over the other dimensions"
            if rule == "reweight"
            else f"it scores neutral {spec.missing.neutral_score:g}"
        )
        checks.append(
            Check(
                f"health_dimension:{dim}",
                "warn",
                None,
                f"dimension {dim!r} has weight but no signal column in the book: {handled} "
                f"(health.missing.dimension: {rule})",
                "add a column for one of its signals or map it with health.signals.<name>.column",
            )
        )
    scored = int((~np.isnan(result.score)).sum())
    pct = 100 * scored / n if n else 100.0
    checks.append(
        Check(
            "health_coverage",
            "pass" if scored == n and scored > 0 else "warn",
            round(pct, 2),
            f"{scored} of {n} accounts have a health score ({pct:.1f}%)",
            None
            if scored == n
            else "accounts with no signal at all get no score: fill the signals",
        )
    )
    if scored:
        counts = result.band_counts()
        dist = ", ".join(f"{k} {100 * v / scored:.1f}%" for k, v in counts.items())
        checks.append(Check("health_bands", "info", None, f"bands: {dist}"))
        lo, hi = spec.validation.cluster_range
        s = result.score[~np.isnan(result.score)]
        share = 100 * float(((s >= lo) & (s <= hi)).mean())
        limit = spec.validation.cluster_max_pct
        ok = share <= limit
        checks.append(
            Check(
                "health_clustering",
                "pass" if ok else "warn",
                round(share, 2),
                f"{share:.1f}% of scores fall in {lo:g}-{hi:g} (limit {limit:g}%)",
                None
                if ok
                else "weights too balanced: increase the usage weight to 45% and decrease "
                "engagement to 15% (or run tierform health --calibrate)",
            )
        )
    return checks
