"""Reading every account exactly once past the Search API's 10,000-record reach.

The Search API pages 1,000 records at a time and reaches at most 10,000 records of one query
[SEARCH]. A first unfiltered page tells the total: up to 10,000, the accounts are paged plainly
(mode ``all``). Past it, the read is partitioned so that each account falls in exactly one
partition of at most 10,000:

1. accounts tierform manages, by the value of ``tf_tier`` (split further by ``tf_health_band``
   and ``tf_renewal_window`` when one value holds more than 10,000): disjoint, because an
   attribute holds one value;
2. the book's accounts not found in 1, by id, 1,000 ids a query (the ``id_term`` filter).

Each partition's pages after the first are independent, so up to ``in_flight`` run at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tierform.adapters.http.batching import chunks
from tierform.adapters.http.concurrency import bounded_map
from tierform.adapters.totango.client import TotangoApi
from tierform.adapters.totango.query import (
    PAGE,
    REACH,
    Hit,
    Page,
    SearchRefused,
    attribute_in,
    id_in,
    query,
)
from tierform.errors import AdapterError

log = logging.getLogger(__name__)

Dim = tuple[str, list[str]]  # attribute -> its known values


@dataclass
class ReadReport:
    """How the last read was done, for the plan."""

    total: int = 0
    requests: int = 0
    by_value: dict[str, int] = field(default_factory=dict)  # partitions by attribute
    by_id: int = 0  # id partitions
    truncated: list[str] = field(default_factory=list)

    def describe(self, mode: str) -> str:
        if mode == "all":
            return (
                f"{self.total:,} account(s) in one Search API query "
                f"({self.requests} page(s) of up to {PAGE:,})"
            )
        parts = [f"{n} by {attr}" for attr, n in sorted(self.by_value.items())]
        if self.by_id:
            parts.append(f"{self.by_id} by account id ({PAGE:,} ids each)")
        return (
            f"the service holds {self.total:,} accounts and the Search API reaches "
            f"{REACH:,} per query, so the read was partitioned: "
            + ", ".join(parts)
            + f" ({self.requests} requests; disjoint partitions, each account kept once)"
        )


class Partitioner:
    def __init__(self, api: TotangoApi, id_term: str, in_flight: int = 1) -> None:
        self.api = api
        self.id_term = id_term
        self.in_flight = in_flight
        self.mode = "all"
        self.report = ReadReport()

    def read(
        self, fields: Sequence[str], book_ids: Sequence[str], dims: Sequence[Dim]
    ) -> dict[str, Hit]:
        self.report = ReadReport()
        first = self._search([], fields, 0)
        self.report.total = first.total
        seen: dict[str, Hit] = {}
        if first.total <= REACH:
            self.mode = "all"
            self._rest_of([], fields, first, seen)
            return seen
        self.mode = "ids"
        self._by_value([], list(dims), fields, seen)
        missing = [i for i in dict.fromkeys(book_ids) if i not in seen]
        self._by_ids(missing, fields, seen, count=True)
        return seen

    def fetch(self, ids: Sequence[str], fields: Sequence[str]) -> dict[str, Hit]:
        """These accounts, read again (verification): by id past the reach, else a full page
        through (no filter whose name is undocumented is needed for a book that fits)."""
        found: dict[str, Hit] = {}
        if self.mode == "ids":
            self._by_ids(list(dict.fromkeys(ids)), fields, found, count=False)
            return found
        first = self._search([], fields, 0)
        everything: dict[str, Hit] = {}
        self._rest_of([], fields, first, everything)
        wanted = set(ids)
        return {k: v for k, v in everything.items() if k in wanted}

    # -- partitions -------------------------------------------------------------------

    def _search(self, terms: list[dict[str, Any]], fields: Sequence[str], offset: int) -> Page:
        self.report.requests += 1
        return self.api.search(query(terms, fields, count=PAGE, offset=offset), fields)

    def _rest_of(
        self, terms: list[dict[str, Any]], fields: Sequence[str], first: Page, out: dict[str, Hit]
    ) -> None:
        """Pages after ``first``, never past the reach; an account seen twice is kept once."""
        _keep(first.hits, out)
        offsets = list(range(PAGE, min(first.total, REACH), PAGE))
        if len(first.hits) < PAGE:
            offsets = []
        fetch: Callable[[int], Page] = lambda off: self._search(terms, fields, off)  # noqa: E731
        for outcome in bounded_map(fetch, offsets, self.in_flight):
            if outcome.error is not None:
                raise outcome.error
            assert outcome.result is not None
            _keep(outcome.result.hits, out)

    def _by_value(
        self,
        terms: list[dict[str, Any]],
        dims: list[Dim],
        fields: Sequence[str],
        out: dict[str, Hit],
    ) -> None:
        if not dims:
            return
        (attr, values), rest = dims[0], dims[1:]
        for value in values:
            here = [*terms, attribute_in(attr, [value])]
            first = self._search(here, fields, 0)
            self.report.by_value[attr] = self.report.by_value.get(attr, 0) + 1
            if first.total > REACH and rest:
                self._by_value(here, rest, fields, out)
                continue
            if first.total > REACH:
                label = " AND ".join(f"{t['attribute']} = {t['in_list'][0]}" for t in here)
                self.report.truncated.append(f"{label} ({first.total:,} accounts)")
            self._rest_of(here, fields, first, out)

    def _by_ids(
        self, ids: list[str], fields: Sequence[str], out: dict[str, Hit], *, count: bool
    ) -> None:
        groups = list(chunks(ids, PAGE))

        def one(group: list[str]) -> Page:
            self.report.requests += 1
            try:
                return self.api.search(
                    query([id_in(self.id_term, group)], fields, count=PAGE), fields
                )
            except SearchRefused as exc:
                raise AdapterError(
                    f"{exc}. Past {REACH:,} accounts tierform reads the book's accounts by id "
                    f"with the term {self.id_term!r}: set `id_term` on the target to the term "
                    "your service filters account ids by"
                ) from None

        for outcome in bounded_map(one, groups, self.in_flight):
            if outcome.error is not None:
                raise outcome.error
            assert outcome.result is not None
            wanted = set(outcome.item)
            stray = [h.account_id for h in outcome.result.hits if h.account_id not in wanted]
            if stray:
                raise AdapterError(
                    f"totango: the Search API ignored the account-id filter (term "
                    f"{self.id_term!r}: it returned {stray[0]!r}, which was not asked for); "
                    "set `id_term` on the target to the term your service filters account ids "
                    "by (see the segment's 'Generate API endpoint' query)"
                )
            _keep(outcome.result.hits, out)
            if count:
                self.report.by_id += 1


def _keep(hits: list[Hit], out: dict[str, Hit]) -> None:
    for hit in hits:
        out.setdefault(hit.account_id, hit)
