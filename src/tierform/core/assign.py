"""Books of business: named-tier accounts to a CSM of their tier, pooled accounts to their pool.

Balancing is per tier. Each CSM gets a count quota in proportion to their capacity (never above
it) and an ARR target in the same proportion. Current owners keep their accounts while they are
within quota, so the plan makes the fewest reassignments (handoffs) the balance allows; the freed
and unowned accounts then go, largest first, to the CSM furthest below their ARR target who still
has room. The balancing itself (``assign_balance``) costs O(n log n) in accounts and CSMs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

import numpy as np
import pyarrow as pa

from tierform.core.assign_balance import ARR_TOLERANCE as ARR_TOLERANCE
from tierform.core.assign_balance import (
    Books,
    collection_paused,
    handoffs,
    keep_current,
    place_pending,
    round_cents,
)
from tierform.core.assign_move import Move as Move
from tierform.core.checks import Check
from tierform.core.model import CoverageLayer, CoverageModel, RosterEntry, Tier
from tierform.core.records import RecordColumns, TextField, coded
from tierform.core.segment import SegmentResult


@dataclass
class AssignResult:
    """``owner`` is per account, in book order: CSM (named), pool (pooled) or None (digital)."""

    owner: list[str | None]
    moves: list[Move] = field(default_factory=list)
    books: list[dict[str, Any]] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    def to_dict(
        self,
        account_ids: Sequence[str] | pa.Array | pa.ChunkedArray | None = None,
        columnar: bool = False,
    ) -> dict[str, Any]:
        """``{"books", "moves", "checks"}`` and, given the ids, ``"assignments"``; ``columnar``:
        moves and assignments as :class:`RecordColumns` (the same entries)."""
        if columnar:
            return self._columnar(account_ids)
        with collection_paused():  # one dict per move and per account: nothing cyclic
            out: dict[str, Any] = {
                "books": self.books,
                "moves": [m.to_dict() for m in self.moves],
                "checks": [c.to_dict() for c in self.checks],
            }
            if account_ids is not None:
                ids = account_ids
                if isinstance(ids, pa.Array | pa.ChunkedArray):
                    ids = ids.to_pylist()
                out["assignments"] = [
                    {"account_id": a, "owner": o} for a, o in zip(ids, self.owner, strict=True)
                ]
        return out

    def _columnar(
        self, account_ids: Sequence[str] | pa.Array | pa.ChunkedArray | None
    ) -> dict[str, Any]:
        moves = self.moves
        moved, froms, tos, reasons = (list(map(attrgetter(f), moves)) for f in Move._fields)
        out: dict[str, Any] = {
            "books": self.books,
            "moves": RecordColumns(
                len(moves),
                [
                    TextField("account_id", pa.array(moved, pa.string())),
                    coded("from", froms),
                    coded("to", tos),
                    coded("reason", reasons),
                ],
            )
            if moves
            else [],
            "checks": [c.to_dict() for c in self.checks],
        }
        if account_ids is not None:
            ids = account_ids if isinstance(account_ids, pa.Array | pa.ChunkedArray) else None
            out["assignments"] = RecordColumns(
                len(self.owner),
                [
                    TextField(
                        "account_id", ids if ids is not None else pa.array(account_ids, pa.string())
                    ),
                    coded("owner", self.owner),
                ],
            )
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
    with collection_paused():
        return _assign_books(model, seg)


def _assign_books(model: CoverageModel, seg: SegmentResult) -> AssignResult:
    book = seg.book
    ids = book.ids()
    current = book.text("owner")
    held = np.fromiter(current, dtype=object, count=len(current))  # for whole-array tests
    acv = np.nan_to_num(book.acv)
    owner = np.full(len(book), None, dtype=object)
    result = AssignResult([])
    for t, tier in enumerate(model.tiers):
        members = np.flatnonzero(seg.tier == t)
        if tier.layer is CoverageLayer.digital or not tier.has_csm:
            why = f"{tier.name} is digital-only: no CSM"
            for i in members[held[members].astype(bool)].tolist():
                result.moves.append(Move(ids[i], current[i], None, why))
            continue
        if tier.layer is CoverageLayer.pooled:
            pool = tier.pool_name
            why = f"{tier.name} is covered by a pool"
            owner[members] = pool
            elsewhere = held[members].astype(bool) & (held[members] != pool)
            for i in members[elsewhere].tolist():
                result.moves.append(Move(ids[i], current[i], pool, why))
            pool_size = sum(1 for c in model.roster if c.pool == pool)
            result.books.append(
                {
                    "tier": tier.name,
                    "owner": pool,
                    "members": pool_size,
                    "accounts": int(members.size),
                    "arr": round(float(acv[members].sum()), 2),
                }
            )
            continue
        _assign_named(model, tier, members, ids, current, held, acv, owner, result)
    result.owner = owner.tolist()
    return result


def _assign_named(
    model: CoverageModel,
    tier: Tier,
    members: np.ndarray,
    ids: list[str],
    current: list[Any],
    held: np.ndarray,
    acv: np.ndarray,
    owner: np.ndarray,
    result: AssignResult,
) -> None:
    """Balance one named tier. ``held`` is ``current`` as an object array; ``owner`` (an object
    array over the book) gets the tier's owners."""
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
    tier_arr = float(acv[members].sum())
    cap_total = sum(caps) or 1
    books = Books(
        names=[c.name for c in csms],
        caps=caps,
        quota=_quotas(int(members.size), caps),
        arr_target=[tier_arr * c / cap_total for c in caps],
    )
    # 1. Current owners keep their accounts, largest first, while within count quota and ARR.
    pending = keep_current(books, tier.name, members, current, acv, owner)
    # 2. Everything else, largest first, to the CSM furthest below ARR target with room.
    rows, whys = pending.largest_first(acv)
    picks = np.array(place_pending(books, acv[rows].tolist()), dtype=np.int64)
    placed = picks >= 0
    overflow = int(rows.size - placed.sum())
    names = np.fromiter(books.names, dtype=object, count=len(books.names))
    owner[rows[placed]] = names[picks[placed]]
    moved = np.flatnonzero(placed & (held[rows] != owner[rows]))
    result.moves.extend(handoffs(rows[moved], moved, whys, ids, current, owner))
    for k, csm in enumerate(csms):
        result.books.append(
            {
                "tier": tier.name,
                "owner": csm.name,
                "accounts": books.count[k],
                "arr": round_cents(books.arr[k], books.count[k]),
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
