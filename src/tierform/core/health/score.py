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

from tierform.core import arrow_compute as pc
from tierform.core.arrays import arrow_array, bounds_at_or_below
from tierform.core.background import in_turns
from tierform.core.book import AccountBook
from tierform.core.checks import Check
from tierform.core.health.churn_validation import (
    BOOK_CHURN_SOURCE,
    churn_outcome,
    validate_scores,
)
from tierform.core.health.defaults import effective_health
from tierform.core.health.normalise import normalise
from tierform.core.health.spec import HealthSpec, Missing, Signal
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
_EPOCH = dt.date(1970, 1, 1)  # day 0 of a date32 column


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
        return [str(x) for x in pc.take(self.book.table.column("account_id"), rows).to_pylist()]

    @property
    def band_names(self) -> list[str]:
        return [b.name for b in self.spec.bands or []]

    @property
    def band(self) -> list[str | None]:
        names = self.band_names
        return [names[i] if i >= 0 else None for i in self.band_index.tolist()]

    def band_counts(self) -> dict[str, int]:
        # Shifted by one, "no band" (-1) is counted at 0 and dropped.
        names = self.band_names
        counts = np.bincount(self.band_index + np.int8(1), minlength=len(names) + 1)[1:]
        return {name: int(c) for name, c in zip(names, counts, strict=True)}

    def account_columns(self, consume: bool = False) -> RecordColumns:
        """The per-account entries of :meth:`to_dict` held as columns (no dict per account).

        ``consume``: the caller is done with this result, so the scores and dimensions are
        rounded in their own arrays instead of new ones (a large book's columns are costly
        to allocate).
        """
        tiers: list[str | None] = [t.name for t in self.model.tiers]
        tiers.append(None)
        bands: list[str | None] = list(self.band_names)
        bands.append(None)
        stale = self.stale if self.stale is not None else np.zeros(len(self.book), dtype=bool)

        def rounded(values: np.ndarray) -> np.ndarray:
            return np.round(values, 2, out=values) if consume else np.round(values, 2)

        return RecordColumns(
            len(self.book),
            [
                TextField("account_id", self.book.id_column()),
                CodedField("tier", tiers, _codes(self.tier, len(tiers) - 1)),
                NumberField("score", rounded(self.score)),
                CodedField("band", bands, _codes(self.band_index, len(bands) - 1)),
                NestedField(
                    "dimensions",
                    tuple(NumberField(k, rounded(v)) for k, v in self.dimensions.items()),
                ),
                FlagField("stale_renewal", np.asarray(stale, dtype=bool)),
            ],
        )

    def to_dict(self, columnar: bool = False, consume: bool = False) -> dict[str, Any]:
        """``{"weights", "accounts", "validation", "checks"}`` (scores rounded to 0.01);
        ``columnar``: the accounts as :class:`RecordColumns` (the same entries); ``consume``:
        see :meth:`account_columns`."""
        if columnar:
            return {
                "weights": self.weights,
                "accounts": self.account_columns(consume),
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


def _codes(index: np.ndarray, none: int) -> np.ndarray:
    """Indexes with -1 (none) as ``none``, in one byte each when they fit."""
    small = np.int8 if none < 128 else np.int64
    codes = index.astype(small)
    codes[index < 0] = none
    return codes


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
    churn_source: str = BOOK_CHURN_SOURCE,
    spec: HealthSpec | None = None,
    validate: bool = True,
    with_checks: bool = True,
) -> HealthResult:
    """Score every account; validate against churn history when ``churn`` (1 = churned, NaN =
    unknown) is given or the book has a ``churned`` column. ``spec``: the resolved health
    section when the caller has it (else resolved here). ``validate=False``: scores, bands and
    scoring checks only, for callers that never show the validation; ``with_checks=False``:
    no scoring checks either, for callers that read only scores and bands (rules)."""
    spec = effective_health(model) if spec is None else spec
    seg = seg if seg is not None else segment(model, book, with_checks=False)
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
    if with_checks:
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
    """The raw column of a signal as float64 (NaN = blank), None if the book lacks it; the
    caller's own array (the book hands each number column out as a new one)."""
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
        days = days_from(book, column, as_of)
        if sig.date == "days_since":
            np.negative(days, out=days)
        return days
    try:
        values = book.numbers(column)
    except pa.ArrowInvalid:  # text that is not a number
        values = None
    if values is None:
        raise ConfigError([Issue(f"signal {name!r}: column {column!r} is not numeric", key=key)])
    return values


def days_from(book: AccountBook, column: str, as_of: dt.date) -> np.ndarray:
    """Days from ``as_of`` to each date of ``column`` as float64 (NaN for blanks): a date32
    column read as its day numbers, with no datetime column made on the way."""
    col = book.table.column(column)
    if pa.types.is_date32(col.type):
        numbers = pc.cast(col, pa.int32()).to_numpy(zero_copy_only=False)  # NaN for blanks
        return np.subtract(numbers, (as_of - _EPOCH).days, dtype=float)
    dates = book.dates(column)
    days = (dates - np.datetime64(as_of, "D")).astype(float)  # days: both are in days
    days[np.isnat(dates)] = np.nan
    return days


def dimension_scores(
    spec: HealthSpec, book: AccountBook, tier: np.ndarray, as_of: dt.date
) -> tuple[dict[str, np.ndarray], list[str], list[str], np.ndarray]:
    """Each dimension as the weighted mean of its signals (declared missing rule per signal).

    A ``days_until`` date before the as-of date (a renewal that has passed without the CRM
    recording it) is a data problem, not risk: that signal scores neutral and the account is
    flagged in the returned mask.

    Each signal's scores are worked out on their own, two signals at a time (one on a second
    thread: their array work lets go of the interpreter lock); they are summed here, one by
    one in the declared order, so the sums are those of a single thread.
    """
    n = len(book)
    rule = spec.missing
    dims = list(spec.weights or {})
    for sig in (spec.signals or {}).values():
        if sig.dimension not in dims:
            dims.append(sig.dimension)
    sums = {d: _WeightedSum(n) for d in dims}
    used: list[str] = []
    absent: list[str] = []
    stale = np.zeros(n, dtype=bool)
    signals = list((spec.signals or {}).items())

    def scored(i: int) -> _SignalScores | None:
        name, sig = signals[i]
        return _signal_scores(name, sig, rule, book, tier, as_of)

    for (name, sig), got in zip(signals, in_turns(scored, len(signals)), strict=True):
        if got is None:
            # No column: every value is unknown, so the signal adds nothing, or its neutral
            # score for every account.
            absent.append(name)
            if (sig.missing or rule.signal) == "neutral":
                sums[sig.dimension].add_constant(rule.neutral_score, sig.weight)
            continue
        used.append(name)
        if got.past is not None:
            stale |= got.past
        sums[sig.dimension].add(got.value, sig.weight, got.unknown)
    return {d: sums[d].mean() for d in dims}, used, absent, stale


@dataclass
class _SignalScores:
    """One signal's scores (its own array), where they are unknown (None: nowhere) and which
    accounts' ``days_until`` date has passed (None: none)."""

    value: np.ndarray
    unknown: np.ndarray | None
    past: np.ndarray | None


def _signal_scores(
    name: str, sig: Signal, rule: Missing, book: AccountBook, tier: np.ndarray, as_of: dt.date
) -> _SignalScores | None:
    """The scores of one signal (None when the book lacks its optional column)."""
    neutral = (sig.missing or rule.signal) == "neutral"
    raw = signal_values(name, sig, book, as_of)
    if raw is None:
        return None
    past = None
    if sig.date == "days_until":
        with np.errstate(invalid="ignore"):
            past = raw < 0
        if past.any():
            raw[past] = np.nan  # a date signal's days are a new array
        else:
            past = None
    # The raw column is this signal's own (a new array per signal): a linear normaliser
    # writes over it, the others return a new array; either is changed in place below.
    value = normalise(raw, sig.normalise, tier, out=raw)
    if past is not None:
        value[past] = rule.neutral_score
    unknown = np.isnan(value)
    if not unknown.any():
        return _SignalScores(value, None, past)
    if neutral:
        value[unknown] = rule.neutral_score
        return _SignalScores(value, None, past)
    return _SignalScores(value, unknown, past)


class _WeightedSum:
    """``num / den`` of one dimension, summed signal by signal in the declared order.

    The same sums as adding ``where(known, weight * value, 0)`` to columns of zeros, without
    them: a sum held as a number while it is the same for every account, the first column
    taken over as the running sum (``+ 0.0`` turns a -0.0 into the 0.0 a sum from zero
    gives), and 0.0 added where a value is unknown (which changes no sum started at 0.0).
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self.num: float | np.ndarray = 0.0
        self.den: float | np.ndarray = 0.0

    def add_constant(self, value: float, weight: float) -> None:
        self.num = self.num + (value if weight == 1 else weight * value)
        self.den = self.den + weight

    def add(self, value: np.ndarray, weight: float, unknown: np.ndarray | None) -> None:
        """Add ``weight * value`` (``value`` is consumed) where ``unknown`` is false."""
        if weight != 1:
            np.multiply(value, weight, out=value)
        if unknown is not None:
            value[unknown] = 0.0
        if isinstance(self.num, np.ndarray):
            self.num += value
        else:
            np.add(value, self.num, out=value)
            self.num = value
        if unknown is None:
            self.den = self.den + weight
            return
        if not isinstance(self.den, np.ndarray):
            self.den = np.full(self.n, self.den)
        np.add(self.den, weight, out=self.den, where=~unknown)

    def mean(self) -> np.ndarray:
        """``num / den`` where ``den > 0``, else NaN."""
        num, den = self.num, self.den
        if not isinstance(num, np.ndarray):
            num = np.full(self.n, num)
        if not isinstance(den, np.ndarray):
            if not den > 0:
                return np.full(self.n, np.nan)
            with np.errstate(invalid="ignore", divide="ignore"):
                np.divide(num, den, out=num)
            return num
        with np.errstate(invalid="ignore", divide="ignore"):
            np.divide(num, den, out=num)
        num[~(den > 0)] = np.nan
        return num


def score_columns(
    dims: dict[str, np.ndarray], matrix: np.ndarray, tier: np.ndarray, spec: HealthSpec
) -> np.ndarray:
    """Weighted mean of the dimensions with each account's row of ``matrix`` (tier, or the last
    row, the default, for unassigned accounts); NaN where no weighted dimension is known."""
    n = tier.shape[0]
    group: np.ndarray | None = None  # each account's row, made only if some weight differs
    num = np.zeros(n)
    den: float | np.ndarray = 0.0
    neutral = spec.missing.dimension == "neutral"
    fill = spec.missing.neutral_score
    scratch: np.ndarray | None = None  # one buffer for every dimension's weighted values
    for k, values in enumerate(dims.values()):
        weights = matrix[:, k]
        # One weight for every tier (the usual case) multiplies as a number, not per account.
        same = bool((weights == weights[0]).all())
        if not same and group is None:
            group = np.where(tier >= 0, tier, matrix.shape[0] - 1)
        w: float | np.ndarray = float(weights[0]) if same else weights[group]
        unknown = np.isnan(values)
        if unknown.all():
            if not neutral:
                continue  # adds 0.0 to every sum: nothing
            part = np.multiply(w, fill, dtype=float)
            num += part
            den = den + w if same else np.add(den, w)
            continue
        if neutral and unknown.any():
            values = np.where(unknown, fill, values)
            unknown[:] = False
        part = scratch = np.multiply(values, w, out=scratch)
        if unknown.any():
            part[unknown] = 0.0
            num += part
            known = ~unknown
            den = np.add(den, np.where(known, w, 0.0))
        else:
            num += part
            den = den + w if same else np.add(den, w)
    with np.errstate(invalid="ignore", divide="ignore"):
        if not isinstance(den, np.ndarray):
            if not den > 0:
                return np.full(n, np.nan)
            np.divide(num, den, out=num)
            return num
        np.divide(num, den, out=num)
        num[~(den > 0)] = np.nan
        return num


def band_of(score: np.ndarray, spec: HealthSpec) -> np.ndarray:
    """Index into ``spec.bands`` (highest first) per score; -1 where the score is NaN."""
    bands = spec.bands or []
    mins = np.array([b.min for b in bands], dtype=float)
    order = np.argsort(mins)  # ascending minimums
    # The minimums reached: none is -1, else the band of the highest minimum reached.
    table = np.concatenate([[-1], order]).astype(np.int8)
    index = table[bounds_at_or_below(mins[order], score, dtype=np.int8)]  # no wide index copy
    index[np.isnan(score)] = -1
    return index


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
    empty = {d for d, v in result.dimensions.items() if n and _all_nan(v)}
    live = sorted(d for d in result.dimensions if d in weighted and n and d not in empty)
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
    scored = n - int(np.count_nonzero(np.isnan(result.score)))
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
        # The share of scored accounts in the range (NaN is in no range), as the mean of the
        # range test over the scores would give it.
        inside = result.score >= lo
        inside &= result.score <= hi
        share = 100 * float(int(np.count_nonzero(inside)) / scored)
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


def _all_nan(values: np.ndarray) -> bool:
    """Whether every value is NaN; a known first value answers without a pass."""
    if values.size == 0 or values[0] == values[0]:
        return False
    return bool(np.isnan(values).all())
