"""Growth scenario: hire to keep the ratios, or redesign coverage to hold headcount flat.

New accounts arrive in proportion to today's tier mix, with ACVs spread like the tier's current
ones (evenly spaced quantiles, so the scenario is deterministic). "Hire" sizes each tier for the
grown book. "Redesign" keeps today's headcount and, from the top tier down, demotes the smallest
non-strategic accounts of an overloaded tier to the next tier down (digital tiers absorb any
number): the hire-vs-redesign decision of the coverage-model concept.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tierform.core.capacity import grade_cost, headcount_for, roster_headcount, tier_cost
from tierform.core.checks import Check
from tierform.core.model import CoverageModel
from tierform.core.segment import SegmentResult


def _split(n: int, weights: np.ndarray) -> list[int]:
    """Largest-remainder split of ``n`` by ``weights``."""
    total = float(weights.sum())
    if n <= 0 or total <= 0:
        return [0] * len(weights)
    exact = n * weights / total
    base = np.floor(exact).astype(int)
    order = np.argsort(-(exact - base), kind="stable")
    for i in order[: n - int(base.sum())]:
        base[i] += 1
    return base.tolist()


def growth_scenario(model: CoverageModel, seg: SegmentResult, add_accounts: int) -> dict[str, Any]:
    """Compare hiring with redesign for ``add_accounts`` new accounts."""
    tiers = model.tiers
    buffer = model.capacity.buffer
    ok = (seg.tier >= 0) & ~np.isnan(seg.book.acv)
    strategic = seg.book.bools("strategic")
    counts = seg.counts()
    if model.roster:
        current = roster_headcount(model)
        basis = "roster"
    else:
        current = [
            headcount_for(
                float(counts[i]), t.ratio.target if t.has_csm and t.ratio else None, buffer
            )[1]
            for i, t in enumerate(tiers)
        ]
        basis = "headcount the model needs for today's book"
    sized = counts.astype(float)
    new = _split(add_accounts, sized) if add_accounts >= 0 else []
    lost = _split(-add_accounts, sized) if add_accounts < 0 else []
    books: list[tuple[np.ndarray, np.ndarray]] = []  # (acv, strategic) per tier
    for i in range(len(tiers)):
        members = ok & (seg.tier == i)
        acv = seg.book.acv[members]
        flags = strategic[members]
        if new and new[i] and acv.size:
            probs = (np.arange(new[i]) + 0.5) / new[i]
            acv = np.concatenate([acv, linear_quantiles(acv, probs)])
            flags = np.concatenate([flags, np.zeros(new[i], bool)])
        if lost and lost[i]:
            acv, flags = _shrink(acv, flags, lost[i])
        books.append((acv, flags))
    grown = [b[0].size for b in books]
    total_arr = float(sum(b[0].sum() for b in books))

    hire_rows, hires, surplus, hire_cost = [], 0, 0, 0.0
    for i, tier in enumerate(tiers):
        ratio = tier.ratio.target if tier.has_csm and tier.ratio else None
        need = headcount_for(float(grown[i]), ratio, buffer)[1]
        add = max(0, need - current[i])
        hires += add
        surplus += max(0, current[i] - need)
        hire_cost += max(need, current[i]) * tier_cost(model, tier)
        hire_rows.append(
            {
                "tier": tier.name,
                "accounts": grown[i],
                "needed": need,
                "current": current[i],
                "hires": add,
                "surplus": max(0, current[i] - need),
            }
        )

    redesign_rows: list[dict[str, Any]] = []
    demoted_total, stuck_hires, redesign_cost = 0, 0, 0.0
    order = sorted(range(len(tiers)), key=lambda i: -tiers[i].min_acv)
    carry: tuple[np.ndarray, np.ndarray] = (np.empty(0), np.empty(0, bool))
    for pos, i in enumerate(order):
        tier = tiers[i]
        acv = np.concatenate([books[i][0], carry[0]])
        flags = np.concatenate([books[i][1], carry[1]])
        ratio = tier.ratio.target if tier.has_csm and tier.ratio else None
        heads = current[i]
        limit = math.inf if ratio is None else math.floor(heads * ratio / buffer + 1e-9)
        overflow = max(0, acv.size - limit) if limit != math.inf else 0
        is_last = pos == len(order) - 1
        if overflow and not is_last:
            candidates = np.flatnonzero(~flags)
            smallest = candidates[np.argsort(acv[candidates], kind="stable")][:overflow]
            moved = np.zeros(acv.size, bool)
            moved[smallest] = True
            carry = (acv[moved], flags[moved])
            acv, flags = acv[~moved], flags[~moved]
            demoted = int(moved.sum())
        else:
            carry, demoted = (np.empty(0), np.empty(0, bool)), 0
        need = headcount_for(float(acv.size), ratio, buffer)[1]
        extra = max(0, need - heads)
        stuck_hires += extra
        demoted_total += demoted
        redesign_cost += (heads + extra) * tier_cost(model, tier)
        redesign_rows.append(
            {
                "tier": tier.name,
                "accounts": int(acv.size),
                "headcount": heads + extra,
                "demoted_to_next_tier": demoted,
                "demoted_arr": round(float(carry[0].sum()), 2),
                "_arr": float(acv.sum()),
            }
        )
    redesign_rows.sort(key=lambda r: model.tier_index(str(r["tier"])))

    flat = sum(current)
    if add_accounts < 0:
        verdict = (
            f"the book shrinks by {-add_accounts} account(s) to {sum(grown)}: "
            + (
                f"{surplus} CSM(s) above what the target ratios need (redeploy or do not back-fill)"
                if surplus
                else "today's headcount is what the target ratios need"
            )
            + (f"; {hires} hire(s) still needed in a tier that is short" if hires else "")
        )
    elif hires == 0:
        verdict = "today's headcount covers the growth at the target ratios: no hire, no redesign"
    elif stuck_hires == 0:
        verdict = (
            f"hiring needs {hires} more CSM(s); redesign holds headcount flat at {flat} by "
            f"demoting {demoted_total} account(s) to a lower-touch tier"
        )
    else:
        verdict = (
            f"hiring needs {hires} more CSM(s); even after demoting {demoted_total} account(s) "
            f"the redesign needs {stuck_hires}"
        )

    def pct(cost: float) -> float | None:
        return round(100 * cost / total_arr, 4) if total_arr > 0 else None

    hire_heads = [max(int(str(r["needed"])), int(str(r["current"]))) for r in hire_rows]
    redesign_heads = [int(r["headcount"]) for r in redesign_rows]
    accounts_by_tier = [int(r["accounts"]) for r in redesign_rows]
    # The redesign moves accounts between tiers: their ARR moves with them.
    redesign_arr = [float(row.pop("_arr")) for row in redesign_rows]
    hire_arr = [float(b[0].sum()) for b in books]
    checks = scenario_checks(model, "hire", hire_heads, grown, hire_arr, hire_cost, total_arr)
    checks += scenario_checks(
        model, "redesign", redesign_heads, accounts_by_tier, redesign_arr, redesign_cost, total_arr
    )
    return {
        "add_accounts": add_accounts,
        "shrinks": add_accounts < 0,
        "surplus": surplus,
        "checks": [c.to_dict() for c in checks],
        "accounts_after": int(sum(grown)),
        "current_headcount": flat,
        "current_basis": basis,
        "hire": {
            "tiers": hire_rows,
            "hires": hires,
            "headcount": flat + hires,
            "cost": round(hire_cost, 2),
            "cost_pct_arr": pct(hire_cost),
        },
        "redesign": {
            "tiers": redesign_rows,
            "demoted": demoted_total,
            "hires": stuck_hires,
            "headcount": flat + stuck_hires,
            "holds_headcount_flat": stuck_hires == 0,
            "cost": round(redesign_cost, 2),
            "cost_pct_arr": pct(redesign_cost),
        },
        "verdict": verdict,
    }


def _shrink(acv: np.ndarray, flags: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The tier without ``k`` accounts taken at evenly spaced ranks of ACV, so the tier keeps
    its shape (deterministic, like the growth side)."""
    k = min(k, acv.size)
    if k <= 0:
        return acv, flags
    order = np.argsort(acv, kind="stable")
    gone = order[np.floor((np.arange(k) + 0.5) * acv.size / k).astype(np.intp)]
    keep = np.ones(acv.size, bool)
    keep[gone] = False
    return acv[keep], flags[keep]


def scenario_checks(
    model: CoverageModel,
    option: str,
    heads: list[int],
    accounts: list[int],
    arr: list[float],
    cost: float,
    total_arr: float,
) -> list[Check]:
    """An option graded like the base plan: cost as % of ARR, ARR per CSM, and each tier's
    accounts per CSM within its ratio bounds."""
    checks: list[Check] = []
    if total_arr > 0:
        pct = 100 * cost / total_arr
        status, grade = grade_cost(model, pct)
        bench = model.capacity.cost_benchmark.minimum
        floor = "" if pct >= bench.low else f"; below the {bench.low:g}% cost floor"
        checks.append(
            Check(
                f"scenario_cost:{option}",
                status,
                round(pct, 4),
                f"{option}: CSM cost {pct:.2f}% of ARR ({grade}; minimum band "
                f"{bench.low:g}-{bench.high:g}%){floor}",
                None if status == "pass" else "revisit the ratios or the tier bounds",
                grade,
            )
        )
    limit = model.capacity.max_arr_per_csm
    for tier, h, n, a in zip(model.tiers, heads, accounts, arr, strict=True):
        if not tier.has_csm or tier.ratio is None or h <= 0:
            continue
        per_csm = a / h
        if per_csm >= limit:
            checks.append(
                Check(
                    f"scenario_arr_per_csm:{option}:{tier.name}",
                    "fail",
                    round(per_csm, 2),
                    f"{option}: {tier.name} holds ${per_csm:,.0f} ARR per CSM (must stay below "
                    f"${limit:,.0f})",
                    f"add {tier.name} CSMs or split the tier",
                )
            )
        load = n / h
        if load > tier.ratio.max:
            checks.append(
                Check(
                    f"scenario_ratio:{option}:{tier.name}",
                    "fail",
                    round(load, 2),
                    f"{option}: {tier.name} at 1:{load:.0f}, above its 1:{tier.ratio.max:g} bound",
                    f"hire for {tier.name} or move accounts to a lower-touch tier",
                )
            )
    if not any(c.status == "fail" for c in checks):
        checks.append(
            Check(f"scenario_bounds:{option}", "pass", None, f"{option}: within every bound")
        )
    return checks


#: The most new accounts a growth scenario draws (each one's ACV is sampled from its tier's).
MAX_NEW_ACCOUNTS = 10_000_000


def parse_growth(add_accounts: int | None, growth: str | None, accounts: int) -> int | None:
    """``--add-accounts N`` or ``--growth 40%`` as a number of new accounts; ValueError, with
    the message to show, for a value the scenario cannot take."""
    if add_accounts is not None:
        if add_accounts > MAX_NEW_ACCOUNTS:
            raise ValueError(_too_many(f"--add-accounts {add_accounts}"))
        return add_accounts
    if growth is None:
        return None
    return growth_accounts(growth, accounts)[1]


def growth_accounts(growth: str, accounts: int) -> tuple[float, int]:
    """``--growth 40%`` as its percentage and the new accounts it makes of ``accounts``."""
    try:
        value = float(growth.strip().rstrip("%"))
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > -100):
        raise ValueError(f"--growth {growth!r} is not a percentage above -100% like 40% or -20%")
    new = accounts * value / 100
    if not new <= MAX_NEW_ACCOUNTS:  # past the cap, or past what a float holds
        raise ValueError(_too_many(f"--growth {growth!r}"))
    return value, round(new)


def _too_many(option: str) -> str:
    return (
        f"{option} would add more than {MAX_NEW_ACCOUNTS:,} accounts, the most a growth "
        "scenario models: give a smaller growth"
    )


def linear_quantiles(values: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """``np.quantile(values, probs)`` (its default, linear method) from one sort: numpy's own
    call partitions once per quantile, which at a million new accounts takes minutes."""
    ordered = np.sort(values)
    pos = probs * (ordered.size - 1)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, ordered.size - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)
