"""Reading every account exactly once past the Search API's 10,000-record reach.

The Search API pages 1,000 records at a time and reaches at most 10,000 records of one query
[SEARCH]. A first unfiltered page tells the total: below 10,000, the accounts are paged plainly
(mode ``all``). A total of 10,000 or more may be a count the service caps at the reach, so the
read is partitioned so that each account falls in exactly one partition:

1. accounts tierform manages, by the value of ``tf_tier`` (split further by ``tf_health_band``
   and ``tf_renewal_window`` when one value reaches 10,000): disjoint, because an attribute
   holds one value; a partition still that large is read from both ends of its sort order;
2. the book's accounts not found in 1, by id, 1,000 ids a query (the ``id_term`` filter; its
   name is not documented [I]).

Where the id filter is refused or ignored (mode ``sorted``), only documented means remain: the
unfiltered query read from both ends (``sort_order`` ASC and DESC [SEARCH]), then one query per
Success Manager (a ``string_attribute`` term [SEARCH]), each from both ends, until every book
account is found. Book accounts still not found are reported as out of reach, never written.

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

log = logging.getLogger(__name__)

Dim = tuple[str, list[str]]  # attribute -> its known values


class IdFilterUnavailable(Exception):
    """The Search API refused the account-id term, or answered it with accounts not asked for."""


@dataclass
class ReadReport:
    """How the last read was done, for the plan."""

    total: int = 0
    requests: int = 0
    by_value: dict[str, int] = field(default_factory=dict)  # partitions by attribute
    by_id: int = 0  # id partitions
    truncated: list[str] = field(default_factory=list)
    id_problem: str | None = None  # why the id filter could not be used
    both_ends: bool = False  # the unfiltered query was read from both ends
    unreached: list[str] = field(default_factory=list)  # book ids no query reached

    def describe(self, mode: str) -> str:
        if mode == "all":
            return (
                f"{self.total:,} account(s) in one Search API query "
                f"({self.requests} page(s) of up to {PAGE:,})"
            )
        parts = [f"{n} by {attr}" for attr, n in sorted(self.by_value.items())]
        if self.by_id:
            parts.append(f"{self.by_id} by account id ({PAGE:,} ids each)")
        if self.both_ends:
            parts.append("all accounts from both ends of the sort order")
        held = f"{self.total:,}" if self.total > REACH else f"at least {self.total:,}"
        return (
            f"the service holds {held} accounts and the Search API reaches "
            f"{REACH:,} per query, so the read was partitioned: "
            + (", ".join(parts) or "nothing to split by")
            + f" ({self.requests} requests; each account kept once)"
        )


class Partitioner:
    def __init__(self, api: TotangoApi, id_term: str, in_flight: int = 1) -> None:
        self.api = api
        self.id_term = id_term
        self.in_flight = in_flight
        self.mode = "all"
        self.report = ReadReport()
        self.shards: list[Dim] = []
        self.dims: list[Dim] = []  # the read's value partitions, for a verification to reuse

    def read(
        self,
        fields: Sequence[str],
        book_ids: Sequence[str],
        dims: Sequence[Dim],
        shards: Sequence[Dim] = (),
    ) -> dict[str, Hit]:
        """``shards``: documented filters (attribute -> values) to reach the book's accounts
        by when the id filter cannot be used."""
        self.report = ReadReport()
        self.shards = list(shards)
        self.dims = list(dims)
        first = self._search([], fields, 0)
        self.report.total = first.total
        seen: dict[str, Hit] = {}
        if first.total < REACH:
            self.mode = "all"
            self._rest_of([], fields, first, seen)
            return seen
        if self.mode == "all":
            self.mode = "ids"
        self._by_value([], list(dims), fields, seen)
        missing = _missing(book_ids, seen)
        if missing and self.mode == "ids":
            try:
                self._by_ids(missing, fields, seen, count=True)
            except IdFilterUnavailable as exc:
                self._without_id_filter(str(exc))
        if self.mode == "sorted":
            complete = self._documented(first, fields, book_ids, seen)
            self.report.unreached = [] if complete else _missing(book_ids, seen)
        return seen

    def fetch(self, ids: Sequence[str], fields: Sequence[str]) -> dict[str, Hit]:
        """These accounts, read again (verification): by id past the reach, else a full page
        through (no filter whose name is undocumented is needed for a book that fits)."""
        wanted = list(dict.fromkeys(ids))
        found: dict[str, Hit] = {}
        if self.mode == "ids":
            try:
                self._by_ids(wanted, fields, found, count=False)
                return found
            except IdFilterUnavailable as exc:
                self._without_id_filter(str(exc))
        first = self._search([], fields, 0)
        everything: dict[str, Hit] = {}
        if self.mode == "sorted":
            self._documented(first, fields, wanted, everything)
            if _missing(wanted, everything):
                # Accounts the read reached by their tf_tier value (and below) are only
                # reached that way again.
                self._by_value([], self.dims, fields, everything)
        else:
            self._rest_of([], fields, first, everything)
        keep = set(wanted)
        return {k: v for k, v in everything.items() if k in keep}

    def _without_id_filter(self, problem: str) -> None:
        log.warning("totango: %s; reading by documented filters only", problem)
        self.mode = "sorted"
        self.report.id_problem = problem

    # -- partitions -------------------------------------------------------------------

    def _search(
        self, terms: list[dict[str, Any]], fields: Sequence[str], offset: int, order: str = "ASC"
    ) -> Page:
        self.report.requests += 1
        q = query(terms, fields, count=PAGE, offset=offset, order=order)
        return self.api.search(q, fields)

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

    def _both_ends(
        self, terms: list[dict[str, Any]], fields: Sequence[str], first: Page, out: dict[str, Hit]
    ) -> bool:
        """One query read ascending, then descending until the two ends meet; whether every
        account it matches was read. A total of 10,000 may be capped, so it never proves
        that; a descending page that repeats the ascending one says the order was ignored."""
        asc: dict[str, Hit] = {}
        self._rest_of(terms, fields, first, asc)
        complete = first.total < REACH or len(first.hits) < PAGE
        offset = 0
        while not complete and offset < REACH:
            page = self._search(terms, fields, offset, order="DESC")
            if offset == 0 and (not page.hits or _ids(page.hits)[:1] == _ids(first.hits)[:1]):
                break  # sort_order not honoured: the same end again, or nothing for it
            complete = any(h.account_id in asc for h in page.hits) or len(page.hits) < PAGE
            _keep(page.hits, asc)
            offset += PAGE
        for key, hit in asc.items():
            out.setdefault(key, hit)
        return complete

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
            if first.total >= REACH and rest:
                self._by_value(here, rest, fields, out)
                continue
            before = len(out)
            if not self._both_ends(here, fields, first, out):
                label = " AND ".join(f"{t['attribute']} = {t['in_list'][0]}" for t in here)
                self.report.truncated.append(
                    f"{label} (at least {first.total:,} accounts; {len(out) - before:,} read)"
                )

    def _documented(
        self, first: Page, fields: Sequence[str], wanted: Sequence[str], out: dict[str, Hit]
    ) -> bool:
        """Without the id filter: every account from both ends of the unfiltered query, then
        one shard per value of a documented filter while wanted accounts are missing; whether
        the service was read completely."""
        self.report.both_ends = True
        if self._both_ends([], fields, first, out):
            return True
        for attr, values in self.shards:
            for value in values:
                if not _missing(wanted, out):
                    return False
                here = [attribute_in(attr, [value])]
                page = self._search(here, fields, 0)
                self.report.by_value[attr] = self.report.by_value.get(attr, 0) + 1
                self._both_ends(here, fields, page, out)
        return False

    def _by_ids(
        self, ids: list[str], fields: Sequence[str], out: dict[str, Hit], *, count: bool
    ) -> None:
        """1,000 ids a query; the first alone, so a filter the service does not have costs
        one request. Raises :class:`IdFilterUnavailable` when it is refused or ignored."""
        groups = list(chunks(ids, PAGE))
        if not groups:
            return
        self._take(groups[0], self._by_id_group(groups[0], fields), out, count=count)
        fetch = lambda group: self._by_id_group(group, fields)  # noqa: E731
        for outcome in bounded_map(fetch, groups[1:], self.in_flight):
            if outcome.error is not None:
                raise outcome.error
            assert outcome.result is not None
            self._take(outcome.item, outcome.result, out, count=count)

    def _by_id_group(self, group: list[str], fields: Sequence[str]) -> Page:
        self.report.requests += 1
        try:
            return self.api.search(query([id_in(self.id_term, group)], fields, count=PAGE), fields)
        except SearchRefused as exc:
            why = str(exc).removeprefix("totango: the Search API refused the query: ")
            raise IdFilterUnavailable(
                f"the Search API refused the account-id term {self.id_term!r} ({why})"
            ) from None

    def _take(self, group: list[str], page: Page, out: dict[str, Hit], *, count: bool) -> None:
        wanted = set(group)
        stray = [h.account_id for h in page.hits if h.account_id not in wanted]
        if stray:
            raise IdFilterUnavailable(
                f"the Search API ignored the account-id term {self.id_term!r} (it returned "
                f"{stray[0]!r}, which was not asked for)"
            )
        _keep(page.hits, out)
        if count:
            self.report.by_id += 1


def _missing(ids: Sequence[str], seen: dict[str, Hit]) -> list[str]:
    return [i for i in dict.fromkeys(ids) if i not in seen]


def _ids(hits: list[Hit]) -> list[str]:
    return [h.account_id for h in hits]


def _keep(hits: list[Hit], out: dict[str, Hit]) -> None:
    for hit in hits:
        out.setdefault(hit.account_id, hit)
