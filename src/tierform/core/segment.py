"""Segmentation: every account into exactly one tier, on columns (no per-account Python loop).

Two methods: ``acv`` (tier bounds on ACV) and ``multi_factor`` (the weighted score of ARR on a log
scale, complexity, growth potential and strategic fit). On top of either: hysteresis (an account
keeps its previous tier until it crosses a bound by a margin) and the strategic override.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import numpy as np
import pyarrow as pa

from tierform.core import arrow_compute as pc
from tierform.core.arrays import bounds_at_or_below, positions_in
from tierform.core.book import AccountBook
from tierform.core.checks import Check, Status
from tierform.core.model import CoverageModel
from tierform.core.records import CodedField, RecordColumns, TextField

NEUTRAL_LEVEL = 0.5  # a blank complexity or growth score counts as "medium", not as zero


class Reason(IntEnum):
    acv = 0
    score = 1
    strategic = 2
    kept_previous = 3
    no_acv = 4
    one_tier = 5

    def describe(self, tier: str, proxied: bool) -> str:
        texts = {
            Reason.acv: f"ACV within {tier} bounds",
            Reason.score: f"segment score within {tier} bounds",
            Reason.strategic: "strategic account: override to the top tier",
            Reason.kept_previous: f"kept previous tier {tier} (within the hysteresis margin)",
            Reason.no_acv: "no ACV and no product-tier proxy: not assigned",
            Reason.one_tier: f"segment score beyond {tier}: held to one tier from the ACV tier",
        }
        text = texts[self]
        return (
            text + " (ACV from product-tier proxy)"
            if proxied and self is not Reason.no_acv
            else text
        )


@dataclass
class SegmentResult:
    """Tier per account (index into ``model.tiers``; -1 = unassigned), with reasons and checks."""

    model: CoverageModel
    book: AccountBook
    tier: np.ndarray
    reason: np.ndarray
    score: np.ndarray | None
    checks: list[Check] = field(default_factory=list)

    @property
    def assigned(self) -> int:
        return int((self.tier >= 0).sum())

    def counts(self) -> np.ndarray:
        return np.bincount(self.tier[self.tier >= 0], minlength=len(self.model.tiers))

    def arr(self) -> np.ndarray:
        ok = (self.tier >= 0) & ~np.isnan(self.book.acv)
        return np.bincount(
            self.tier[ok], weights=self.book.acv[ok], minlength=len(self.model.tiers)
        )

    def tier_names(self) -> list[str | None]:
        names = [t.name for t in self.model.tiers]
        return [names[i] if i >= 0 else None for i in self.tier.tolist()]

    def tier_rows(self) -> list[dict[str, Any]]:
        counts, arr = self.counts(), self.arr()
        n, total_arr = max(len(self.book), 1), float(arr.sum()) or 1.0
        return [
            {
                "name": tier.name,
                "min_acv": tier.min_acv,
                "max_acv": tier.max_acv,
                "accounts": int(counts[i]),
                "arr": round(float(arr[i]), 2),
                "share_accounts": round(100 * counts[i] / n, 2),
                "share_arr": round(100 * arr[i] / total_arr, 2),
            }
            for i, tier in enumerate(self.model.tiers)
        ]

    def assignments(self) -> list[dict[str, Any]]:
        names = self.tier_names()
        proxied = self.book.acv_proxied.tolist()
        reasons = [Reason(r) for r in self.reason.tolist()]
        return [
            {"account_id": aid, "tier": tier, "reason": reason.describe(tier or "", px)}
            for aid, tier, reason, px in zip(self.book.ids(), names, reasons, proxied, strict=True)
        ]

    def assignment_columns(self) -> RecordColumns:
        """:meth:`assignments` held as columns (the same records, no dict per account)."""
        names: list[str | None] = [t.name for t in self.model.tiers]
        names.append(None)  # unassigned
        tier = np.where(self.tier >= 0, self.tier, len(names) - 1).astype(np.int64)
        # One label per (reason, tier, proxied): a few dozen texts for any book size.
        reasons = [
            Reason(r).describe(name or "", bool(px))
            for r in range(len(Reason))
            for name in names
            for px in (False, True)
        ]
        code = (self.reason.astype(np.int64) * len(names) + tier) * 2 + self.book.acv_proxied
        return RecordColumns(
            len(self.book),
            [
                TextField("account_id", self.book.id_column()),
                CodedField("tier", names, tier),
                CodedField("reason", reasons, code.astype(np.int64)),
            ],
        )

    def to_dict(self, include_assignments: bool = True, columnar: bool = False) -> dict[str, Any]:
        """The JSON of ``segment``; ``columnar``: the assignments as :class:`RecordColumns`."""
        out: dict[str, Any] = {"tiers": self.tier_rows()}
        if include_assignments:
            out["assignments"] = self.assignment_columns() if columnar else self.assignments()
        out["checks"] = [c.to_dict() for c in self.checks]
        if self.score is not None:
            out["score_bounds"] = score_bound_rows(self)
        out["summary"] = {
            "accounts": len(self.book),
            "assigned": self.assigned,
            "missing_acv": int(self.book.missing_acv),
            "proxied_acv": int(self.book.acv_proxied.sum()),
            "method": self.model.segmentation.method,
        }
        return out


def score_bound_rows(result: SegmentResult) -> list[dict[str, Any]]:
    """Multi-factor tiers' bounds on the 0-100 segment score (never dollars) and each tier's
    mean score: ``score_from`` <= score < ``score_below``."""
    lows = score_bounds(result.model)
    ordered = sorted(lows)
    rows: list[dict[str, Any]] = []
    for i, tier in enumerate(result.model.tiers):
        higher = [b for b in ordered if b > lows[i]]
        picked = (
            result.score[(result.tier == i) & ~np.isnan(result.score)]
            if (result.score is not None)
            else np.array([])
        )
        rows.append(
            {
                "tier": tier.name,
                "score_from": round(float(lows[i]), 1),
                "score_below": round(float(higher[0]), 1) if higher else 100.0,
                "mean_score": round(float(picked.mean()), 1) if picked.size else None,
            }
        )
    return rows


def arr_score(acv: np.ndarray, model: CoverageModel) -> np.ndarray:
    """ACV on a 0-100 log scale between ``arr_scale.floor`` and ``arr_scale.ceiling``."""
    scale = model.segmentation.arr_scale
    lo, hi = math.log10(scale.floor), math.log10(scale.ceiling)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (np.log10(np.maximum(acv, 1e-9)) - lo) / (hi - lo)
    return np.where(np.isnan(acv), np.nan, np.clip(value, 0, 1) * 100)


def segment_scores(model: CoverageModel, book: AccountBook) -> np.ndarray:
    """The multi-factor segment score, 0-100 (NaN where the account has no ACV)."""
    w = model.segmentation.weights
    complexity = _level(book, "complexity")
    growth = _level(book, "growth_potential")
    strategic = book.bools("strategic").astype(float)
    return (
        w.arr * arr_score(book.acv, model)
        + w.complexity * complexity * 100
        + w.growth * growth * 100
        + w.strategic * strategic * 100
    ) / 100


def score_bounds(model: CoverageModel) -> list[float]:
    """Each tier's lower score bound: explicit ``score_min``, else the score of an account at the
    tier's ``min_acv`` with medium complexity and growth and no strategic flag (so an average
    account lands where ACV alone would put it)."""
    w = model.segmentation.weights
    neutral = (w.complexity + w.growth) * NEUTRAL_LEVEL
    bounds = []
    for tier in model.tiers:
        if tier.score_min is not None:
            bounds.append(tier.score_min)
        elif tier.min_acv <= 0:
            bounds.append(0.0)
        else:
            arr = float(arr_score(np.array([tier.min_acv]), model)[0])
            bounds.append(w.arr * arr / 100 + neutral)
    return bounds


def segment(model: CoverageModel, book: AccountBook, *, with_checks: bool = True) -> SegmentResult:
    """Assign every account a tier and run the recipe's step-1 checks; ``with_checks=False``:
    the tiers and reasons only, for callers that never show the checks (health, rules)."""
    n = len(book)
    multi = model.segmentation.method == "multi_factor"
    if multi:
        value = segment_scores(model, book)
        lows = np.array(score_bounds(model), dtype=float)
    else:
        value = book.acv
        lows = np.array([t.min_acv for t in model.tiers], dtype=float)
    order = np.argsort(lows, kind="stable")
    sorted_lows = lows[order]
    highs = np.empty_like(lows)
    highs[order] = np.append(sorted_lows[1:], np.inf)
    known = ~np.isnan(value)
    pos = bounds_at_or_below(sorted_lows[1:], np.where(known, value, 0))
    tier = np.where(known, order[pos], -1).astype(np.int64)
    reason = np.full(n, Reason.score if multi else Reason.acv, dtype=np.int8)
    reason[~known] = Reason.no_acv

    hysteresis = model.segmentation.hysteresis
    if hysteresis is not None and book.has("previous_tier"):
        prev = _previous_tier(model, book)
        has_prev = (prev >= 0) & known & (prev != tier)
        p = np.where(has_prev, prev, 0)
        lo, hi = lows[p], highs[p]
        if multi:
            keep = (value >= lo - hysteresis.margin_points) & (
                value < hi + hysteresis.margin_points
            )
        else:
            m = hysteresis.margin_pct / 100
            # Rounded so that "10 % above $100K" is exactly $110K, not a float hair above.
            keep = (value >= np.round(lo * (1 - m), 6)) & (value < np.round(hi * (1 + m), 6))
        keep &= has_prev
        tier[keep] = prev[keep]
        reason[keep] = Reason.kept_previous

    if model.segmentation.strategic_override and book.has("strategic"):
        strategic = book.bools("strategic")
        tier[strategic] = order[-1]
        reason[strategic] = Reason.strategic

    if multi:
        limited = _one_tier_from_acv(model, book.acv, tier)
        reason[(limited != tier) & (tier >= 0)] = Reason.one_tier
        tier = limited

    result = SegmentResult(model, book, tier, reason, value if multi else None)
    if with_checks:
        result.checks = segment_checks(result)
    return result


def acv_tiers(model: CoverageModel, acv: np.ndarray) -> np.ndarray:
    """The tier ACV alone gives each account (index into ``model.tiers``; -1 without ACV)."""
    lows = np.array([t.min_acv for t in model.tiers], dtype=float)
    order = np.argsort(lows, kind="stable")
    known = ~np.isnan(acv)
    pos = bounds_at_or_below(lows[order][1:], np.where(known, acv, 0))
    return np.where(known, order[pos], -1).astype(np.int64)


def _one_tier_from_acv(model: CoverageModel, acv: np.ndarray, tier: np.ndarray) -> np.ndarray:
    """The segmentation guide's matrix: complexity, growth and fit move an account at most one
    tier from where its ACV puts it (high ARR / low complexity one down, low ARR / high growth
    one up), so a score never makes a $400 account Enterprise."""
    by_acv = acv_tiers(model, acv)
    order = np.argsort([t.min_acv for t in model.tiers], kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    ok = (tier >= 0) & (by_acv >= 0)
    base = rank[np.where(ok, by_acv, 0)]
    now = rank[np.where(ok, tier, 0)]
    held = np.clip(now, base - 1, base + 1)
    return np.where(ok, order[held], tier).astype(np.int64)


def _level(book: AccountBook, name: str) -> np.ndarray:
    values = book.numbers(name)
    if values is None:
        return np.full(len(book), NEUTRAL_LEVEL)
    return np.where(np.isnan(values), NEUTRAL_LEVEL, values)


def _previous_tier(model: CoverageModel, book: AccountBook) -> np.ndarray:
    col = book.column("previous_tier")
    names = pa.array([t.name.lower() for t in model.tiers])
    return positions_in(pc.utf8_lower(col), names)


def segment_checks(result: SegmentResult) -> list[Check]:
    """Recipe step 1 verify: coverage, distribution against the bands, ARR concentration."""
    model, book = result.model, result.book
    n = len(book)
    checks: list[Check] = []
    coverage = 100 * result.assigned / n if n else 100.0
    unassigned = n - result.assigned
    status: Status = (
        "pass"
        if unassigned == 0
        else ("warn" if coverage >= model.segmentation.min_coverage_pct else "fail")
    )
    checks.append(
        Check(
            "tier_coverage",
            status,
            round(coverage, 2),
            f"{result.assigned} of {n} accounts assigned to exactly one tier ({coverage:.1f}%)"
            + (f"; {unassigned} have no ACV" if unassigned else ""),
            None if unassigned == 0 else "fill the missing ACVs or map accounts.product_tier_acv",
        )
    )
    counts, arr = result.counts(), result.arr()
    for i, tier in enumerate(model.tiers):
        if tier.benchmark_share is None:
            continue
        lo, hi = tier.benchmark_share
        share = 100 * counts[i] / n if n else 0.0
        ok = lo <= share <= hi
        checks.append(
            Check(
                f"distribution:{tier.name}",
                "pass" if ok else "warn",
                round(share, 2),
                f"{tier.name} holds {share:.1f}% of accounts (benchmark {lo:g}-{hi:g}%)",
                None
                if ok
                else "adjust the tier bounds to where the ACV distribution breaks "
                "(tierform segment --suggest-breaks)",
            )
        )
    total_arr = float(arr.sum())
    if total_arr > 0:
        top = int(np.argmax(arr))
        share = 100 * arr[top] / total_arr
        limit = model.segmentation.max_tier_arr_share
        ok = share <= limit
        checks.append(
            Check(
                "arr_concentration",
                "pass" if ok else "warn",
                round(share, 2),
                f"{model.tiers[top].name} holds {share:.1f}% of ARR (limit {limit:g}%)",
                None if ok else f"consider splitting {model.tiers[top].name} into two tiers",
            )
        )
    if n:
        missing_pct = 100 * int((np.isnan(book.acv) | book.acv_proxied).sum()) / n
        limit = model.accounts.missing_acv_warn_pct
        checks.append(
            Check(
                "missing_acv",
                "pass" if missing_pct <= limit else "warn",
                round(missing_pct, 2),
                f"{missing_pct:.1f}% of accounts have no ACV in the export (limit {limit:g}%)",
                None
                if missing_pct <= limit
                else "run a CRM clean-up sprint; use product tier as a proxy for ACV",
            )
        )
    return checks
