"""Tier boundaries as options a leader chooses between: today's bounds and the natural breaks of
the book's own ACV distribution, each graded against the recipe's benchmarks, plus the edge
cases the tiering leaves (recipe quality benchmark: "100 % with edge cases documented").

Today's bounds are the engine's tiering (strategic overrides and hysteresis included); the
natural breaks count accounts by ACV alone, as ``segment --suggest-breaks`` finds them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tierform.core.capacity import grade_cost, headcount_for, tier_cost
from tierform.core.checks import Status
from tierform.core.model import CoverageModel
from tierform.core.segment import Reason
from tierform.report.columns import take_ids, take_text
from tierform.report.results import ReportData


@dataclass(frozen=True)
class TierFigures:
    """One tier under one set of bounds."""

    tier: str
    min_acv: float
    max_acv: float | None
    accounts: int
    share_accounts: float  # % of every account in the book
    arr: float
    share_arr: float
    benchmark: tuple[float, float] | None
    headcount: int
    cost: float

    @property
    def distribution_status(self) -> Status:
        if self.benchmark is None:
            return "info"
        lo, hi = self.benchmark
        return "pass" if lo <= self.share_accounts <= hi else "warn"


@dataclass(frozen=True)
class BoundsOption:
    """A set of tier bounds with its distribution, ARR concentration, headcount and cost."""

    name: str
    tiers: list[TierFigures]  # model order
    concentration_limit: float
    cost_status: Status | None
    cost_grade: str | None

    @property
    def headcount(self) -> int:
        return sum(t.headcount for t in self.tiers)

    @property
    def cost(self) -> float:
        return sum(t.cost for t in self.tiers)

    @property
    def arr(self) -> float:
        return sum(t.arr for t in self.tiers)

    @property
    def cost_pct_arr(self) -> float | None:
        return 100 * self.cost / self.arr if self.arr > 0 else None

    @property
    def concentration(self) -> tuple[str, float]:
        """The tier holding the largest share of ARR, and that share."""
        top = max(self.tiers, key=lambda t: t.share_arr)
        return top.tier, top.share_arr

    @property
    def concentration_status(self) -> Status:
        return "pass" if self.concentration[1] <= self.concentration_limit else "warn"

    @property
    def distribution_passes(self) -> int:
        return sum(1 for t in self.tiers if t.distribution_status == "pass")


def _option(
    model: CoverageModel,
    name: str,
    rows: list[tuple[float, float | None, int, float]],
    headcounts: list[int],
    total_accounts: int,
) -> BoundsOption:
    """``rows``: (min, max, accounts, arr) per tier in model order; shares rounded to two
    decimals, as the segment table rounds them."""
    total_arr = sum(r[3] for r in rows)
    tiers = [
        TierFigures(
            tier.name,
            lo,
            hi,
            n,
            round(100 * n / total_accounts, 2) if total_accounts else 0.0,
            arr,
            round(100 * arr / total_arr, 2) if total_arr > 0 else 0.0,
            tier.benchmark_share,
            heads,
            heads * tier_cost(model, tier),
        )
        for tier, (lo, hi, n, arr), heads in zip(model.tiers, rows, headcounts, strict=True)
    ]
    cost = sum(t.cost for t in tiers)
    status: Status | None = None
    grade: str | None = None
    if total_arr > 0:
        status, grade = grade_cost(model, 100 * cost / total_arr)
    return BoundsOption(name, tiers, model.segmentation.max_tier_arr_share, status, grade)


def current_bounds(data: ReportData) -> BoundsOption:
    """Today's bounds: the engine's tiering and capacity plan."""
    model = data.model
    rows = [
        (tier.min_acv, tier.max_acv, t.accounts, t.arr)
        for tier, t in zip(model.tiers, data.cap.tiers, strict=True)
    ]
    heads = [t.headcount for t in data.cap.tiers]
    return _option(model, "Current bounds", rows, heads, len(data.book))


def natural_bounds(data: ReportData) -> BoundsOption | str:
    """The natural breaks as bounds (by ACV alone), or why there are none."""
    model = data.model
    found = data.breaks()
    clusters = found.get("clusters") or []
    if len(clusters) != len(model.tiers):
        return str(found.get("message") or "no natural breaks for this many tiers")
    position = {model.tier_index(t.name): c for c, t in enumerate(model.tiers_low_to_high)}
    rows: list[tuple[float, float | None, int, float]] = []
    heads: list[int] = []
    for i, tier in enumerate(model.tiers):
        cluster = clusters[position[i]]
        accounts = int(cluster["accounts"])
        ratio = tier.ratio.target if tier.has_csm and tier.ratio else None
        heads.append(headcount_for(float(accounts), ratio, model.capacity.buffer)[1])
        rows.append((cluster["min_acv"], cluster["max_acv"], accounts, float(cluster["arr"])))
    return _option(model, "Natural breaks", rows, heads, len(data.book))


@dataclass(frozen=True)
class EdgeCase:
    account_id: str
    name: str
    acv: float | None
    tier: str | None
    detail: str


@dataclass(frozen=True)
class EdgeCases:
    """Accounts the bounds alone do not place, by kind."""

    strategic: list[EdgeCase]
    hysteresis: list[EdgeCase]
    proxied: list[EdgeCase]
    untiered: list[EdgeCase]

    def kinds(self) -> list[tuple[str, str, list[EdgeCase]]]:
        """(kind, what it means, accounts) in the order the document lists them."""
        return [
            (
                "Strategic overrides",
                "strategic accounts placed above their ACV tier",
                self.strategic,
            ),
            ("Hysteresis holds", "kept their previous tier within the margin", self.hysteresis),
            ("Proxied ACVs", "ACV taken from the product-tier proxy", self.proxied),
            ("Untiered accounts", "no ACV and no proxy: in no tier", self.untiered),
        ]


def edge_cases(data: ReportData) -> EdgeCases:
    """Every account placed by something other than its ACV within the bounds."""
    seg, book = data.seg, data.book
    tier_names = [t.name for t in seg.model.tiers]
    reasons = seg.reason
    proxied = np.asarray(book.acv_proxied, dtype=bool)

    def listed(mask: np.ndarray, detail: str) -> list[EdgeCase]:
        rows = np.flatnonzero(mask)  # only these accounts' values are read
        ids, names = take_ids(book, rows), take_text(book, "name", rows)
        previous = take_text(book, "previous_tier", rows)
        acv, tiers = book.acv[rows].tolist(), seg.tier[rows].tolist()
        return [
            EdgeCase(
                ids[k],
                names[k] or "",
                None if acv[k] != acv[k] else float(acv[k]),
                tier_names[tiers[k]] if tiers[k] >= 0 else None,
                detail.format(previous=previous[k] or ""),
            )
            for k in range(len(rows))
        ]

    return EdgeCases(
        listed(reasons == Reason.strategic, "strategic account: top tier"),
        listed(reasons == Reason.kept_previous, "kept previous tier {previous}"),
        listed(proxied, "ACV from the product-tier proxy"),
        listed(seg.tier < 0, "no ACV and no product-tier proxy"),
    )
