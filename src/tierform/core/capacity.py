"""Capacity: size the CSM team per tier (recipe step 3) and read the current books against it.

FTE = accounts / target ratio x buffer; headcount = ceil(FTE). Digital tiers need no CSM.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tierform.core.checks import Check, Status
from tierform.core.model import CoverageModel, Tier, TouchModel
from tierform.core.segment import SegmentResult


def headcount_for(accounts: float, ratio: float | None, buffer: float) -> tuple[float, int]:
    """(FTE, headcount) for ``accounts`` at ``ratio`` accounts per CSM with ``buffer``."""
    if ratio is None or accounts <= 0:
        return 0.0, 0
    fte = accounts / ratio * buffer
    return fte, math.ceil(round(fte, 9))


@dataclass
class TierCapacity:
    name: str
    accounts: int
    arr: float
    target_ratio: float | None
    buffer: float
    fte: float
    headcount: int
    arr_per_csm: float | None
    cost: float
    cost_pct_arr: float | None
    current_headcount: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "accounts": self.accounts,
            "arr": round(self.arr, 2),
            "target_ratio": self.target_ratio,
            "buffer": self.buffer,
            "fte": round(self.fte, 4),
            "headcount": self.headcount,
            "arr_per_csm": None if self.arr_per_csm is None else round(self.arr_per_csm, 2),
            "cost": round(self.cost, 2),
            "cost_pct_arr": None if self.cost_pct_arr is None else round(self.cost_pct_arr, 4),
            "current_headcount": self.current_headcount,
        }


@dataclass
class CsmLoad:
    name: str
    tier: str
    accounts: int
    arr: float
    capacity: float | None
    utilisation: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "tier": self.tier,
            "accounts": self.accounts,
            "arr": round(self.arr, 2),
            "capacity": self.capacity,
            "utilisation": None if self.utilisation is None else round(self.utilisation, 4),
        }


@dataclass
class CapacityResult:
    tiers: list[TierCapacity]
    total_headcount: int
    total_cost: float
    cost_pct_arr: float | None
    checks: list[Check] = field(default_factory=list)
    csms: list[CsmLoad] = field(default_factory=list)
    scenario: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "tiers": [t.to_dict() for t in self.tiers],
            "total_headcount": self.total_headcount,
            "total_cost": round(self.total_cost, 2),
            "cost_pct_arr": None if self.cost_pct_arr is None else round(self.cost_pct_arr, 4),
            "checks": [c.to_dict() for c in self.checks],
        }
        if self.csms:
            out["csms"] = [c.to_dict() for c in self.csms]
        if self.scenario is not None:
            out["scenario"] = self.scenario
        return out


def tier_cost(model: CoverageModel, tier: Tier) -> float:
    return tier.csm_cost if tier.csm_cost is not None else model.capacity.csm_cost


def roster_headcount(model: CoverageModel) -> list[int]:
    """CSMs in the roster per tier (pool members count for their pool's tier)."""
    pools = {t.pool_name: i for i, t in enumerate(model.tiers)}
    counts = [0] * len(model.tiers)
    for csm in model.roster:
        if csm.tier is not None:
            counts[model.tier_index(csm.tier)] += 1
        elif csm.pool in pools:
            counts[pools[csm.pool]] += 1
    return counts


def size_tiers(model: CoverageModel, counts: np.ndarray, arr: np.ndarray) -> list[TierCapacity]:
    buffer = model.capacity.buffer
    current = roster_headcount(model) if model.roster else None
    rows = []
    for i, tier in enumerate(model.tiers):
        ratio = tier.ratio.target if tier.has_csm and tier.ratio else None
        fte, heads = headcount_for(float(counts[i]), ratio, buffer)
        cost = heads * tier_cost(model, tier)
        rows.append(
            TierCapacity(
                name=tier.name,
                accounts=int(counts[i]),
                arr=float(arr[i]),
                target_ratio=ratio,
                buffer=buffer,
                fte=fte,
                headcount=heads,
                arr_per_csm=float(arr[i]) / heads if heads else None,
                cost=cost,
                cost_pct_arr=100 * cost / float(arr[i]) if arr[i] > 0 else None,
                current_headcount=None if current is None else current[i],
            )
        )
    return rows


def plan_capacity(model: CoverageModel, seg: SegmentResult) -> CapacityResult:
    """Headcount, cost and the recipe's checks for the segmented book (and roster, if any)."""
    tiers = size_tiers(model, seg.counts(), seg.arr())
    total_heads = sum(t.headcount for t in tiers)
    total_cost = sum(t.cost for t in tiers)
    total_arr = sum(t.arr for t in tiers)
    pct = 100 * total_cost / total_arr if total_arr > 0 else None
    result = CapacityResult(tiers, total_heads, total_cost, pct)
    result.checks = capacity_checks(model, result)
    if model.roster:
        result.csms = csm_loads(model, seg)
        result.checks.extend(roster_checks(model, seg, result.csms))
    return result


def grade_cost(model: CoverageModel, pct: float) -> tuple[Status, str]:
    """(status, grade) of CSM cost as % of ARR against the recipe's benchmark bands."""
    bench = model.capacity.cost_benchmark
    for grade, band in (
        ("excellent", bench.excellent),
        ("good", bench.good),
        ("minimum acceptable", bench.minimum),
    ):
        if band.low <= pct <= band.high:
            return "pass", grade
    return "fail", "below minimum"


def capacity_checks(model: CoverageModel, result: CapacityResult) -> list[Check]:
    checks: list[Check] = []
    limit = model.capacity.max_arr_per_csm
    for t in result.tiers:
        if t.arr_per_csm is None:
            continue
        ok = t.arr_per_csm < limit
        checks.append(
            Check(
                f"arr_per_csm:{t.name}",
                "pass" if ok else "fail",
                round(t.arr_per_csm, 2),
                f"{t.name}: ${t.arr_per_csm:,.0f} ARR per CSM (must stay below ${limit:,.0f})",
                None
                if ok
                else f"lower the {t.name} ratio or split the tier so each CSM holds less ARR",
            )
        )
    if result.cost_pct_arr is not None:
        pct = result.cost_pct_arr
        status, grade = grade_cost(model, pct)
        bench = model.capacity.cost_benchmark
        if pct > bench.minimum.high:
            recovery = (
                "rebalance tier thresholds to shift accounts to the more cost-effective "
                "(pooled or digital) tier, or raise the ratios"
            )
        elif pct < bench.minimum.low:
            recovery = (
                "coverage looks under-funded for the ARR: check ratios against the "
                "benchmarks before CSM burnout and account neglect set in"
            )
        else:
            recovery = None
        checks.append(
            Check(
                "cost_pct_arr",
                status,
                round(pct, 4),
                f"CSM cost is {pct:.2f}% of ARR ({grade}; benchmark {bench.minimum.low:g}-"
                f"{bench.minimum.high:g}% minimum, {bench.good.low:g}-{bench.good.high:g}% good, "
                f"{bench.excellent.low:g}-{bench.excellent.high:g}% excellent)",
                recovery,
                grade,
            )
        )
    return checks


def csm_loads(model: CoverageModel, seg: SegmentResult) -> list[CsmLoad]:
    """Accounts and ARR each rostered CSM owns today (the book's ``owner`` column)."""
    owners = seg.book.text("owner")
    acv = np.nan_to_num(seg.book.acv)
    count: dict[str, int] = {}
    arr: dict[str, float] = {}
    for owner, value in zip(owners, acv.tolist(), strict=True):
        if owner:
            count[owner] = count.get(owner, 0) + 1
            arr[owner] = arr.get(owner, 0.0) + value
    pools = {t.pool_name: t for t in model.tiers}
    members = {name: sum(1 for c in model.roster if c.pool == name) for name in pools}
    tier_counts, tier_arr = seg.counts(), seg.arr()
    loads = []
    for csm in model.roster:
        tier = model.tiers[model.tier_index(csm.tier)] if csm.tier else pools[str(csm.pool)]
        cap = float(csm.capacity) if csm.capacity else (tier.ratio.target if tier.ratio else None)
        if csm.pool:
            # A pool shares its tier's accounts: each member carries an equal share.
            t = model.tier_index(tier.name)
            n = round(int(tier_counts[t]) / members[csm.pool])
            owned = float(tier_arr[t]) / members[csm.pool]
        else:
            n, owned = count.get(csm.name, 0), arr.get(csm.name, 0.0)
        loads.append(CsmLoad(csm.name, tier.name, n, owned, cap, n / cap if cap else None))
    return loads


def roster_checks(model: CoverageModel, seg: SegmentResult, loads: list[CsmLoad]) -> list[Check]:
    """The recipe's hiring triggers and the 60-account re-allocation rule, per CSM."""
    checks: list[Check] = []
    by_name = {t.name: t for t in model.tiers}
    for load in loads:
        tier = by_name[load.tier]
        trigger = tier.hiring_trigger
        if (
            trigger is not None
            and trigger.max_accounts is not None
            and load.accounts > trigger.max_accounts
        ):
            checks.append(
                Check(
                    f"hiring_trigger:{load.name}",
                    "fail",
                    load.accounts,
                    f"{load.name} ({tier.name}) holds {load.accounts} accounts, above "
                    f"{trigger.max_accounts}: hiring trigger",
                    "open a requisition or rebalance books",
                )
            )
        if trigger is not None and trigger.max_arr is not None and load.arr > trigger.max_arr:
            checks.append(
                Check(
                    f"hiring_trigger_arr:{load.name}",
                    "fail",
                    round(load.arr, 2),
                    f"{load.name} ({tier.name}) holds ${load.arr:,.0f} ARR, above "
                    f"${trigger.max_arr:,.0f}: hiring trigger",
                    "open a requisition or rebalance books",
                )
            )
        if (
            tier.touch_model is TouchModel.high_touch
            and load.accounts > model.capacity.high_touch_reallocate_above
        ):
            checks.append(
                Check(
                    f"reallocate:{load.name}",
                    "fail",
                    load.accounts,
                    f"{load.name} carries {load.accounts} high-touch accounts (above "
                    f"{model.capacity.high_touch_reallocate_above})",
                    "re-allocate within 30 days, not 6 months",
                )
            )
        if load.utilisation is not None and load.utilisation > 0.9:
            checks.append(
                Check(
                    f"utilisation:{load.name}",
                    "warn",
                    round(100 * load.utilisation, 1),
                    f"{load.name} is at {100 * load.utilisation:.0f}% of capacity",
                    "demote the smallest accounts to a lower-touch tier before hiring",
                )
            )
    for tier in model.tiers:
        if tier.hiring_trigger is not None and tier.hiring_trigger.note:
            checks.append(
                Check(
                    f"hiring_trigger_note:{tier.name}",
                    "info",
                    None,
                    f"{tier.name}: hire when {tier.hiring_trigger.note} "
                    "(not measurable from the book)",
                )
            )
    rostered = {c.name for c in model.roster}
    stray = sorted({o for o in seg.book.text("owner") if o and o not in rostered})
    if stray:
        checks.append(
            Check(
                "owners_not_in_roster",
                "warn",
                len(stray),
                f"{len(stray)} owner(s) in the book are not in the roster: {', '.join(stray[:5])}",
                "add them to the roster or reassign their accounts (tierform assign)",
            )
        )
    return checks
