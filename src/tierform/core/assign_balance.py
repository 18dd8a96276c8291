"""Balancing one named tier's books: who keeps their accounts, and where the rest go.

The rules are those of :mod:`tierform.core.assign`; this module makes them cost O(n log n) on a
large book and a large roster. Current owners are settled per CSM (a CSM's scan stops once their
quota is full: the rest of their accounts are handed off together), and the accounts left to
place go, largest first, to the CSM at the top of a heap ordered by ``(ARR - ARR target, count,
roster position)`` — the same CSM a scan of the whole tier would pick, in log(CSMs) steps.
"""

from __future__ import annotations

import gc
import heapq
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from tierform.core.assign_move import Move

ARR_TOLERANCE = 0.10  # an owner keeps accounts while within 10 % above their ARR target


@dataclass
class Books:
    """The CSMs of one named tier as they fill: quotas, ARR targets, running counts and ARR."""

    names: list[str]
    caps: list[int]
    quota: list[int]
    arr_target: list[float]
    count: list[int] = field(init=False)
    arr: list[float] = field(init=False)

    def __post_init__(self) -> None:
        self.count = [0] * len(self.names)
        self.arr = [0.0] * len(self.names)


@dataclass
class Pending:
    """Accounts still to place (book rows) with the reason each needs a new owner."""

    rows: list[np.ndarray] = field(default_factory=list)
    codes: list[np.ndarray] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def add(self, rows: np.ndarray, reason: str) -> None:
        self.add_many(rows, np.zeros(rows.size, dtype=np.int64), [reason])

    def add_many(self, rows: np.ndarray, codes: np.ndarray, reasons: list[str]) -> None:
        """``rows`` with ``reasons[codes[j]]`` each."""
        self.rows.append(rows)
        self.codes.append(codes + len(self.reasons))
        self.reasons.extend(reasons)

    def largest_first(self, acv: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Rows by ACV descending (ties: book order) and their reasons."""
        if not self.rows:
            return np.zeros(0, dtype=np.int64), []
        rows = np.concatenate(self.rows)
        codes = np.concatenate(self.codes)
        order = np.lexsort((rows, -acv[rows]))
        reasons = self.reasons
        return rows[order], [reasons[c] for c in codes[order].tolist()]


def keep_current(
    books: Books,
    tier_name: str,
    members: np.ndarray,
    current: list[Any],
    acv: np.ndarray,
    owner: np.ndarray,
) -> Pending:
    """Step 1: current owners keep their accounts, largest first, within count quota and ARR."""
    index = {name: k for k, name in enumerate(books.names)}
    pending = Pending()
    by_size = members[np.argsort(-acv[members], kind="stable")]
    # Each distinct owner value looked up once: a CSM position, or -1 - (its hand-off reason).
    strangers: list[str] = []

    class Codes(dict[Any, int]):
        def __missing__(self, who: Any) -> int:
            k = index.get(who or "")
            if k is None:
                why = "unowned" if not who else f"{who} is not on the {tier_name} roster"
                strangers.append(why)
                k = -len(strangers)
            self[who] = k
            return k

    owners = map(current.__getitem__, by_size.tolist())
    ks = np.fromiter(map(Codes().__getitem__, owners), dtype=np.int64, count=by_size.size)
    if strangers:
        unknown = ks < 0
        pending.add_many(by_size[unknown], -1 - ks[unknown], strangers)
    owned = ks >= 0
    rows, ks = by_size[owned], ks[owned]
    group = np.argsort(ks, kind="stable")  # per CSM, still largest first
    rows, ks = rows[group], ks[group]
    starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]]) if ks.size else ks
    ends = np.r_[starts[1:], ks.size] if ks.size else ks
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        k = int(ks[start])
        group_rows = rows[start:end]
        kept = _settle(books, k, acv[group_rows].tolist())
        owner[group_rows[kept]] = books.names[k]
        handed = np.delete(group_rows, kept)
        if handed.size:
            pending.add(handed, f"{books.names[k]} is over their balanced share")
    return pending


def _settle(books: Books, k: int, values: list[float]) -> np.ndarray:
    """CSM ``k`` keeps accounts (``values``: their ACVs, largest first) while within quota and
    ARR ceiling; returns the positions kept."""
    quota = books.quota[k]
    ceiling = books.arr_target[k] * (1 + ARR_TOLERANCE) + 1e-6
    count, arr = books.count[k], books.arr[k]
    kept: list[int] = []
    for j, value in enumerate(values):
        if count >= quota:
            break  # quota full: every smaller account is handed off
        if count == 0 or arr + value <= ceiling:
            count += 1
            arr += value
            kept.append(j)
    books.count[k], books.arr[k] = count, arr
    return np.array(kept, dtype=np.int64)


def place_pending(books: Books, acv: list[float]) -> list[int]:
    """Step 2: accounts (ACVs largest first) each to the CSM furthest below ARR target with room.

    CSMs with quota left come first; only once every quota is met do CSMs with capacity left
    take accounts. Returns the CSM position per account, -1 where no CSM has room at all.
    """
    count, arr, target = books.count, books.arr, books.arr_target
    limit = books.quota
    heap = _room(books, limit)
    replace, pop = heapq.heapreplace, heapq.heappop
    past_quota = False
    picks: list[int] = []
    for value in acv:
        if not heap:
            if not past_quota:
                past_quota, limit = True, books.caps
                heap = _room(books, limit)
            if not heap:
                picks.append(-1)
                continue
        k = heap[0][2]
        c = count[k] = count[k] + 1
        a = arr[k] = arr[k] + value
        if c < limit[k]:
            replace(heap, (a - target[k], c, k))
        else:
            pop(heap)
        picks.append(k)
    return picks


def handoffs(
    rows: np.ndarray,
    positions: np.ndarray,
    whys: list[str],
    ids: list[str],
    current: list[Any],
    owner: np.ndarray,
) -> list[Move]:
    """One ``Move`` per row (in the order given), built in book order: on a large book the
    per-account lists are read front to back instead of at random."""
    order = np.argsort(rows, kind="stable")
    at = rows[order].tolist()
    fields = (
        map(ids.__getitem__, at),
        map(current.__getitem__, at),
        owner[rows[order]].tolist(),
        map(whys.__getitem__, positions[order].tolist()),
    )
    built = list(map(_move, zip(*fields, strict=True)))  # in book order
    given = np.empty_like(order)
    given[order] = np.arange(order.size)
    return list(map(built.__getitem__, given.tolist()))


#: ``Move`` from a tuple of its fields, with no Python-level call per move.
_move = partial(tuple.__new__, Move)


def _room(books: Books, limit: list[int]) -> list[tuple[float, int, int]]:
    """The CSMs below ``limit`` as a heap, least ``(arr - arr_target, count, position)`` first."""
    heap = [
        (books.arr[k] - books.arr_target[k], books.count[k], k)
        for k in range(len(books.names))
        if books.count[k] < limit[k]
    ]
    heapq.heapify(heap)
    return heap


def round_cents(arr: float, count: int) -> float:
    """A book's ARR to the cent as it has always been rounded: numpy's rounding (scale, round
    half to even, unscale) once the book holds an account, Python's on an empty book's 0.0."""
    return float(round(np.float64(arr), 2)) if count else round(arr, 2)


@contextmanager
def collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while books are balanced.

    Balancing allocates one object per hand-off and per owner, none of them cyclic; on a large
    book each automatic collection would walk every live object of the book for nothing.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
