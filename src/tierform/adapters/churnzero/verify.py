"""Reading back what the push API was sent: the only proof a ChurnZero write landed.

The push API answers 200 whatever it does with a request and processes it later from a queue
[C]/[S]. So after each push the writes are read back through REST, waiting ``verify_delay``
seconds before each of up to ``verify_attempts`` read-backs; only values seen there count as
done. A read-back asks for just the written accounts (``ExternalId eq ... or ...``, a few requests
in flight under the REST pacer) or, when that would take more requests, scans all accounts.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tierform.adapters.churnzero.client import ChurnZeroApi
from tierform.adapters.churnzero.mapping import OWNER, event_key
from tierform.adapters.churnzero.odata import PAGE
from tierform.adapters.churnzero.reader import Index
from tierform.adapters.http.concurrency import bounded_map
from tierform.sync.state import canon

log = logging.getLogger(__name__)

Expected = dict[str, dict[str, Any]]  # ExternalId -> field -> value sent (None: cleared)


@dataclass
class Miss:
    """One field that did not read back as sent."""

    field: str
    sent: Any
    seen: Any

    def __str__(self) -> str:
        return f"{self.field} reads {self.seen!r} (sent {self.sent!r})"


class Verifier:
    def __init__(
        self,
        api: ChurnZeroApi,
        index: Index,
        *,
        sleep: Callable[[float], None],
        delay: float,
        attempts: int,
        in_flight: int,
    ) -> None:
        self.api = api
        self.index = index
        self.sleep = sleep
        self.delay = delay
        self.attempts = attempts
        self.in_flight = in_flight
        self.waited = 0.0  # by the latest read-back (its messages say how long it gave)

    def _wait(self) -> None:
        if self.delay > 0:
            self.sleep(self.delay)
            self.waited += self.delay

    # -- accounts -------------------------------------------------------------------------

    def accounts(self, expected: Expected) -> dict[str, list[Miss]]:
        """Accounts whose values did not all read back (empty: everything landed)."""
        self.waited = 0.0
        pending = dict(expected)
        misses: dict[str, list[Miss]] = {}
        for _ in range(self.attempts):
            if not pending:
                break
            self._wait()
            rows = self._read(list(pending))
            misses = {}
            for ext, want in pending.items():
                row = rows.get(ext)
                got = self._misses(want, row)
                if got:
                    misses[ext] = got
            pending = {k: pending[k] for k in misses}
        return misses

    def _read(self, externals: list[str]) -> dict[str, Mapping[str, Any]]:
        filters = self.api.id_filters(externals)
        scan = math.ceil(max(self.index.total, 1) / PAGE)
        rows: dict[str, Mapping[str, Any]] = {}
        if len(filters) <= scan:
            for outcome in bounded_map(self.api.accounts_where, filters, self.in_flight):
                if outcome.error is not None:
                    raise outcome.error
                for row in outcome.result or []:
                    rows.setdefault(str(row.get("ExternalId")), row)
        else:
            wanted = set(externals)
            for row in self.api.accounts():
                ext = str(row.get("ExternalId"))
                if ext in wanted:
                    rows.setdefault(ext, row)
        for ext, found in rows.items():
            if found.get("Id") is not None and ext not in self.index.id_of:
                self.index.id_of[ext] = str(found["Id"])
                self.index.ext_of[str(found["Id"])] = ext
        return rows

    def _misses(self, want: Mapping[str, Any], row: Mapping[str, Any] | None) -> list[Miss]:
        if row is None:  # no such account (yet): nothing of it landed
            return [Miss(n, s, None) for n, s in sorted(want.items()) if s is not None]
        have = self.index.neutral(row, OWNER in want)
        return [
            Miss(name, sent, have.get(name))
            for name, sent in sorted(want.items())
            if canon(have.get(name)) != canon(sent)
        ]

    # -- events ---------------------------------------------------------------------------

    def events(self, sent: Mapping[str, str]) -> dict[str, str]:
        """``sent`` maps work-item key -> event name; returns key -> event Id of those seen."""
        self.waited = 0.0
        names = sorted(set(sent.values()))
        found: dict[str, str] = {}
        for _ in range(self.attempts):
            if len(found) == len(sent):
                break
            self._wait()
            for name in names:
                if all(k in found for k, n in sent.items() if n == name):
                    continue
                for row in self.api.events(name):
                    key = event_key(row.get("Description"))
                    if key is not None and key in sent and key not in found:
                        found[key] = str(row.get("Id") or key)
        return found
