"""Books of business: named-tier accounts to a CSM of their tier, pooled accounts to their pool.

Balancing is per tier. Each CSM gets a count quota in proportion to their capacity (never above
it) and an ARR target in the same proportion. Current owners keep their accounts while they are
within quota, so the plan makes the fewest reassignments (handoffs) the balance allows; the freed
and unowned accounts then go, largest first, to the CSM furthest below their ARR target who still
has room.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tierform.core.checks import Check
from tierform.core.model import CoverageLayer, CoverageModel, RosterEntry, Tier
from tierform.core.segment import SegmentResult

ARR_TOLERANCE = 0.10  # an owner keeps accounts while within 10 % above their ARR target


@dataclass(frozen=True)
class Move:
    account_id: str
    from_owner: str | None
    to_owner: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "from": self.from_owner,
            "to": self.to_owner,
            "reason": self.reason,
        }


@dataclass
class AssignResult:
    """``owner`` is per account, in book order: CSM (named), pool (pooled) or None (digital)."""

    owner: list[str | None]
    moves: list[Move] = field(default_factory=list)
    books: list[dict[str, Any]] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    def to_dict(self, account_ids: list[str] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "books": self.books,
            "moves": [m.to_dict() for m in self.moves],
            "checks": [c.to_dict() for c in self.checks],
        }
        if account_ids is not None:
            out["assignments"] = [
                {"account_id": a, "owner": o} for a, o in zip(account_ids, self.owner, strict=True)
            ]
        return out


def _capacity(csm: RosterEntry, tier: Tier) -> int:
    if csm.capacity is not None:
        return csm.capacity
    return int(tier.ratio.target) if tier.ratio else 0


def _quotas(n: int, caps: list[int]) -> list[int]:
    """Largest-remainder split of ``n`` accounts in proportion to capacity, capped by capacity."""
    total = sum(caps)
    if total == 0:
        return [0] * len(caps)
    target = min(n, total)
    exact = [target * c / total for c in caps]
    quota = [min(math.floor(e), c) for e, c in zip(exact, caps, strict=True)]
    order = sorted(range(len(caps)), key=lambda i: (-(exact[i] - math.floor(exact[i])), i))
    left = target - sum(quota)
    while left > 0:
        progressed = False
        for i in order:
            if left and quota[i] < caps[i]:
                quota[i] += 1
                left -= 1
                progressed = True
        if not progressed:
            break
    return quota


def assign_books(model: CoverageModel, seg: SegmentResult) -> AssignResult:
    """Assign owners; report every move with its reason and the resulting books."""
    book = seg.book
    ids = book.ids()
    current = book.text("owner")
    acv = np.nan_to_num(book.acv)
    owner: list[str | None] = [None] * len(book)
    result = AssignResult(owner)
    for t, tier in enumerate(model.tiers):
        members = np.flatnonzero(seg.tier == t)
        if tier.layer is CoverageLayer.digital or not tier.has_csm:
            for i in members:
                owner[i] = None
                if current[i]:
                    result.moves.append(
                        Move(ids[i], current[i], None, f"{tier.name} is digital-only: no CSM")
                    )
            continue
        if tier.layer is CoverageLayer.pooled:
            for i in members:
                owner[i] = tier.pool_name
                if current[i] and current[i] != tier.pool_name:
                    result.moves.append(
                        Move(
                            ids[i], current[i], tier.pool_name, f"{tier.name} is covered by a pool"
                        )
                    )
            pool_size = sum(1 for c in model.roster if c.pool == tier.pool_name)
            result.books.append(
                {
                    "tier": tier.name,
                    "owner": tier.pool_name,
                    "members": pool_size,
                    "accounts": int(members.size),
                    "arr": round(float(acv[members].sum()), 2),
                }
            )
            continue
        _assign_named(model, tier, members, ids, current, acv, result)
    return result


def _assign_named(
    model: CoverageModel,
    tier: Tier,
    members: np.ndarray,
    ids: list[str],
    current: list[str | None],
    acv: np.ndarray,
    result: AssignResult,
) -> None:
    csms = [c for c in model.roster if c.tier == tier.name]
    if not csms:
        if members.size:
            result.checks.append(
                Check(
                    f"no_csm:{tier.name}",
                    "fail",
                    int(members.size),
                    f"{tier.name} has {members.size} accounts but no CSM in the roster",
                    f"add {tier.name} CSMs to the roster (tierform capacity sizes the team)",
                )
            )
        return
    caps = [_capacity(c, tier) for c in csms]
    quota = _quotas(int(members.size), caps)
    tier_arr = float(acv[members].sum())
    cap_total = sum(caps) or 1
    arr_target = [tier_arr * c / cap_total for c in caps]
    index = {c.name: k for k, c in enumerate(csms)}
    count = [0] * len(csms)
    arr = [0.0] * len(csms)
    owner = result.owner
    # 1. Current owners keep their accounts, largest first, while within count quota and ARR.
    pending: list[tuple[int, str]] = []
    by_size = members[np.argsort(-acv[members], kind="stable")]
    for i in by_size:
        k = index.get(current[i] or "")
        if k is None:
            why = "unowned" if not current[i] else f"{current[i]} is not on the {tier.name} roster"
            pending.append((int(i), why))
        elif count[k] < quota[k] and (
            count[k] == 0 or arr[k] + acv[i] <= arr_target[k] * (1 + ARR_TOLERANCE) + 1e-6
        ):
            owner[i] = csms[k].name
            count[k] += 1
            arr[k] += acv[i]
        else:
            pending.append((int(i), f"{csms[k].name} is over their balanced share"))
    # 2. Everything else, largest first, to the CSM furthest below ARR target with room.
    pending.sort(key=lambda p: (-acv[p[0]], p[0]))
    overflow = 0
    for i, why in pending:
        room = [k for k in range(len(csms)) if count[k] < quota[k]]
        if not room:
            room = [k for k in range(len(csms)) if count[k] < caps[k]]
        if not room:
            owner[i] = None
            overflow += 1
            continue
        k = min(room, key=lambda j: (arr[j] - arr_target[j], count[j], j))
        owner[i] = csms[k].name
        count[k] += 1
        arr[k] += acv[i]
        if current[i] != csms[k].name:
            result.moves.append(Move(ids[i], current[i], csms[k].name, why))
    for k, csm in enumerate(csms):
        result.books.append(
            {
                "tier": tier.name,
                "owner": csm.name,
                "accounts": count[k],
                "arr": round(arr[k], 2),
                "capacity": caps[k],
            }
        )
    if overflow:
        result.checks.append(
            Check(
                f"over_capacity:{tier.name}",
                "fail",
                overflow,
                f"{overflow} {tier.name} accounts left unassigned: every CSM is at capacity",
                "hire (tierform capacity) or demote the smallest accounts to the next tier",
            )
        )
