"""What a rule can look at: the book's columns, tiers, health, and the previous book aligned.

Fields are resolved on whole columns. Numbers come back as float64 (NaN = unknown), text as a
pyarrow array. The previous book is aligned to the current one by account id (-1 = new).
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa

from tierform.core import arrow_compute as pc
from tierform.core.arrays import arrow_array, positions_in, true_mask
from tierform.core.background import Background
from tierform.core.book import AccountBook
from tierform.core.health.score import HealthResult, score_health
from tierform.core.model import CoverageModel
from tierform.core.rules.reason_text import RowTexts
from tierform.core.segment import SegmentResult, segment

Values: TypeAlias = np.ndarray | pa.ChunkedArray | pa.Array


# Ids out of their ascending run (accounts appended to a sorted export) ranked one by one.
_FEW_OUT_OF_ORDER = 256


def id_rank(table: pa.Table) -> np.ndarray:
    """Each row's account id as its dense rank (from 1) among the ids as text: equal ids, equal
    rank. Ids already in ascending order (an export sorted by id) rank as their rows; a few
    ids out of that order are placed by binary search instead of sorting every id."""
    text = pc.cast(table.column("account_id"), pa.string())
    n = len(text)
    if n > 1 and text.null_count == 0:
        ascending = pc.less(text.slice(0, n - 1), text.slice(1))
        if pc.all(ascending).as_py():
            return np.arange(1, n + 1, dtype=np.int64)
        rank = _mostly_ascending_rank(text, ascending)
        if rank is not None:
            return rank
    return np.asarray(
        pc.rank(text, sort_keys="ascending", tiebreaker="dense").to_numpy(), dtype=np.int64
    )


def _mostly_ascending_rank(text: pa.ChunkedArray, ascending: Any) -> np.ndarray | None:
    """The dense ranks when all but a few ids lie in one strictly ascending run, else None."""
    n = len(text)
    up = true_mask(ascending)
    breaks = np.flatnonzero(~up) + 1
    if breaks.size > _FEW_OUT_OF_ORDER:
        return None
    starts = np.concatenate([[0], breaks])
    ends = np.concatenate([breaks, [n]])
    longest = int(np.argmax(ends - starts))
    start, end = int(starts[longest]), int(ends[longest])
    if n - (end - start) > _FEW_OUT_OF_ORDER:
        return None
    run = text.slice(start, end - start)
    size = end - start

    def at(i: int) -> str:
        return str(run[i].as_py())

    others = list(range(0, start)) + list(range(end, n))
    values = [str(text[row].as_py()) for row in others]
    place = [_bisect(at, size, v) for v in values]  # first run id >= v
    equal = [p < size and at(p) == v for p, v in zip(place, values, strict=True)]
    extra = sorted({v for v, same in zip(values, equal, strict=True) if not same})
    extra_place = np.array([_bisect(at, size, v) for v in extra], dtype=np.int64)
    # A run id's rank counts the run ids up to it and the extra ids below it: its place plus
    # one, plus one for each extra placed at or before it (added per stretch between extras,
    # one pass over the run with no column of counts).
    rank = np.arange(1 - start, n + 1 - start, dtype=np.int64)  # run row start + i: i + 1
    edges = extra_place.tolist() + [size]
    for j in range(len(edges) - 1):
        if edges[j] < edges[j + 1]:
            rank[start + edges[j] : start + edges[j + 1]] += j + 1
    extra_rank = {v: int(extra_place[i]) + 1 + i for i, v in enumerate(extra)}
    for row, v, p, same in zip(others, values, place, equal, strict=True):
        rank[row] = int(rank[start + p]) if same else extra_rank[v]
    return rank


def _bisect(at: Any, size: int, value: str) -> int:
    """The first index of the ascending run ``at(0..size-1)`` whose id is >= ``value``."""
    low, high = 0, size
    while low < high:
        mid = (low + high) // 2
        if at(mid) < value:
            low = mid + 1
        else:
            high = mid
    return low


def is_health_field(name: str) -> bool:
    """Whether a rule field is read from the health scores."""
    return name in ("health_score", "band") or name.startswith("health.")


class RuleContext:
    """The current book (and optionally the previous one) as seen by the rules."""

    def __init__(
        self,
        model: CoverageModel,
        book: AccountBook,
        as_of: dt.date,
        previous: AccountBook | None = None,
        seg: SegmentResult | None = None,
        health: HealthResult | None = None,
        prev_health: HealthResult | None = None,
    ) -> None:
        self.model = model
        self.book = book
        self.as_of = as_of
        self.today = np.datetime64(as_of, "D")
        self.previous = previous
        self.seg = seg if seg is not None else segment(model, book, with_checks=False)
        self._health = health
        self._scoring: Background[HealthResult] | None = None
        self._prev_health = prev_health
        self.n = len(book)
        self.tier = self.seg.tier
        order = sorted(range(len(model.tiers)), key=lambda i: model.tiers[i].min_acv)
        self.rank = np.empty(len(order), dtype=np.int64)
        self.rank[order] = np.arange(len(order))
        self.by_rank = np.array(order, dtype=np.int64)

    # -- health ------------------------------------------------------------------------------
    @cached_property
    def health(self) -> HealthResult:
        if self._health is None:
            self._health = self._score() if self._scoring is None else self._scoring.result()
        return self._health

    def score_health_behind(self) -> None:
        """Begin scoring health on a second thread, for a caller with other rules to evaluate
        first; :attr:`health` waits for it (and raises its error)."""
        if self._health is None and self._scoring is None:
            self._scoring = Background(self._score, name="tierform-health")

    def _score(self) -> HealthResult:
        return score_health(
            self.model, self.book, self.seg, as_of=self.as_of, validate=False, with_checks=False
        )

    @cached_property
    def prev_health(self) -> HealthResult | None:
        if self._prev_health is None and self.previous is not None:
            self._prev_health = score_health(
                self.model,
                self.previous,
                self.prev_seg,
                as_of=self.as_of,
                validate=False,
                with_checks=False,
            )
        return self._prev_health

    @cached_property
    def acv_tails(self) -> RowTexts:
        """Each account's `` (ACV 1,234)`` reason tail (blank without an ACV)."""
        acv = self.book.acv

        def text(row: int) -> str:
            a = acv[row]
            return f" (ACV {a:,.0f})" if a == a else ""

        return RowTexts(self.n, text)

    def drop_texts(self) -> None:
        """Forget the texts kept for the rules (a text per account on a large book)."""
        self.__dict__.pop("acv_tails", None)

    # -- previous book -----------------------------------------------------------------------
    @cached_property
    def prev_seg(self) -> SegmentResult | None:
        if self.previous is None:
            return None
        return segment(self.model, self.previous, with_checks=False)

    @cached_property
    def id_rank(self) -> np.ndarray:
        """Each row's account id as its rank among the ids as text (see :func:`id_rank`)."""
        return id_rank(self.book.table)

    @cached_property
    def prev_index(self) -> np.ndarray | None:
        """Row of each current account in the previous book, -1 when it was not there."""
        if self.previous is None:
            return None
        ids = self.book.table.column("account_id")
        before = self.previous.table.column("account_id")
        if ids.null_count == 0 and ids.type == before.type and ids.equals(before):
            # The same accounts in the same order: each is on its own row, when no id repeats.
            if self.n == 0 or int(self.id_rank.max()) == self.n:
                return np.arange(self.n, dtype=np.int64)
        return positions_in(
            self.book.table.column("account_id"),
            self.previous.table.column("account_id").combine_chunks(),
        )

    @cached_property
    def prev_tier(self) -> np.ndarray | None:
        """The tier each account had before (NaN unknown): previous book, else previous_tier."""
        if self.prev_seg is not None and self.prev_index is not None:
            before = np.where(self.prev_seg.tier >= 0, self.prev_seg.tier, np.nan)
            return self._align(before.astype(float), self.prev_index, np.nan)
        if self.book.has("previous_tier"):
            names = pa.array([t.name.lower() for t in self.model.tiers])
            col = pc.utf8_lower(self.book.table.column("previous_tier"))
            idx = pc.index_in(col, value_set=names)
            return np.asarray(idx.to_numpy(zero_copy_only=False), dtype=float)
        return None

    @staticmethod
    def _align(values: np.ndarray, index: np.ndarray, fill: Any) -> np.ndarray:
        out = values[np.clip(index, 0, None)] if values.size else np.full(index.shape, fill)
        return np.where(index >= 0, out, fill)

    # -- fields ------------------------------------------------------------------------------
    def value(self, name: str, previous: bool = False) -> Values | None:
        """A field's values per current account (previous=True: as in the previous book)."""
        if previous:
            if name == "tier":
                return self.prev_tier
            if self.previous is None or self.prev_index is None:
                return None
            raw = self._raw(name, self.previous, self.prev_seg, self.prev_health)
            if raw is None:
                return None
            if isinstance(raw, np.ndarray):
                return self._align(raw.astype(float), self.prev_index, np.nan)
            if len(raw) == 0:
                return pa.nulls(self.n, pa.string())
            taken = pc.take(raw, arrow_array(np.clip(self.prev_index, 0, None)))
            return pc.if_else(arrow_array(self.prev_index < 0), pa.scalar(None, raw.type), taken)
        return self._raw(name, self.book, self.seg, None)

    def _raw(
        self, name: str, book: AccountBook, seg: SegmentResult | None, health: HealthResult | None
    ) -> Values | None:
        current = book is self.book
        if name == "acv":
            return book.acv
        if name == "tier":
            return (seg.tier if seg is not None else self.tier).astype(float)
        if is_health_field(name):
            h = self.health if current else health
            if h is None:
                return None
            if name == "health_score":
                return h.score
            if name == "band":
                return np.where(h.band_index >= 0, h.band_index, np.nan).astype(float)
            return h.dimensions.get(name[7:])
        if name == "strategic":
            return book.bools("strategic").astype(float)
        if name == "days_to_renewal":
            dates = book.dates("renewal_date")
            days = (dates - self.today).astype(float)  # days: both are in days
            days[np.isnat(dates)] = np.nan
            return days
        if not book.has(name):
            return None
        try:
            numbers = book.numbers(name)
        except pa.ArrowInvalid:  # text: compared as text
            numbers = None
        if numbers is not None and not np.isnan(numbers).all():
            return numbers
        return pc.cast(book.table.column(name), pa.string())

    def tier_index(self, name: str) -> int:
        return self.model.tier_index(name)

    @cached_property
    def tier1(self) -> np.ndarray:
        """Each account's tier plus one (0: no tier) in one byte (four past 126 tiers):
        filters and groups read it instead of the eight-byte tier column."""
        kind = np.int8 if len(self.model.tiers) < 127 else np.int32
        code: np.ndarray = self.tier.astype(kind)
        code += 1
        return code

    @cached_property
    def band1(self) -> np.ndarray:
        """Each account's health band plus one (0: no band) in two bytes."""
        code: np.ndarray = self.health.band_index.astype(np.int16)
        code += 1
        return code

    def in_tiers(self, names: list[str]) -> np.ndarray:
        """Whether each account's tier is one of ``names``: one look-up per account."""
        table = np.zeros(len(self.model.tiers) + 1, dtype=bool)
        table[[self.tier_index(t) + 1 for t in names]] = True
        return table[self.tier1]

    def in_bands(self, names: list[str]) -> np.ndarray:
        """Whether each account's health band is one of ``names``."""
        table = np.zeros(len(self.health.band_names) + 1, dtype=bool)
        table[[self.band_index(b) + 1 for b in names]] = True
        return table[self.band1]

    def band_index(self, name: str) -> int:
        return self.health.band_names.index(name)

    def relative_tier(self, word: str | None, tier: np.ndarray) -> np.ndarray:
        """Target tier per account for an action's ``tier`` (-1 = none)."""
        if word is None or word == "segment":
            return tier.copy()
        if word == "top":
            return np.full(tier.shape, self.by_rank[-1])
        if word in ("up", "down"):
            step = 1 if word == "up" else -1
            r = np.where(tier >= 0, self.rank[np.clip(tier, 0, None)] + step, -1)
            ok = (tier >= 0) & (r >= 0) & (r < len(self.by_rank))
            return np.where(ok, self.by_rank[np.clip(r, 0, len(self.by_rank) - 1)], -1)
        return np.full(tier.shape, self.tier_index(word))
