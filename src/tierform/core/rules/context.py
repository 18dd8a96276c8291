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
import pyarrow.compute as pc

from tierform.core.arrays import arrow_array
from tierform.core.book import AccountBook
from tierform.core.health.score import HealthResult, score_health
from tierform.core.model import CoverageModel
from tierform.core.segment import SegmentResult, segment

Values: TypeAlias = np.ndarray | pa.ChunkedArray | pa.Array


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
        self.seg = seg if seg is not None else segment(model, book)
        self._health = health
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
            self._health = score_health(
                self.model, self.book, self.seg, as_of=self.as_of, validate=False
            )
        return self._health

    @cached_property
    def prev_health(self) -> HealthResult | None:
        if self._prev_health is None and self.previous is not None:
            self._prev_health = score_health(
                self.model, self.previous, self.prev_seg, as_of=self.as_of, validate=False
            )
        return self._prev_health

    # -- previous book -----------------------------------------------------------------------
    @cached_property
    def prev_seg(self) -> SegmentResult | None:
        return None if self.previous is None else segment(self.model, self.previous)

    @cached_property
    def prev_index(self) -> np.ndarray | None:
        """Row of each current account in the previous book, -1 when it was not there."""
        if self.previous is None:
            return None
        index = pc.index_in(
            self.book.table.column("account_id"),
            value_set=self.previous.table.column("account_id").combine_chunks(),
        )
        return np.asarray(index.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)

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
        if name in ("health_score", "band") or name.startswith("health."):
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
            days = (dates - self.today).astype("timedelta64[D]").astype(float)
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
        return book.table.column(name).cast(pa.string())

    def tier_index(self, name: str) -> int:
        return self.model.tier_index(name)

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
