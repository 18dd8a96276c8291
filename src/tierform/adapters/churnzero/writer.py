"""Applying changes to ChurnZero: attributes and events through the push API, each confirmed by a
read-back through REST (:mod:`.verify`).

Order of a run:

1. a REST read proves the REST credentials before anything is sent;
2. a *canary*: the first few accounts' writes are pushed and read back. The push API answers 200
   even to a wrong application key [C], so this is the only way to tell. Only a write that sets
   a field other than the owner can prove the key: the owner may have held the value already,
   and nothing says an empty value clears a field [I]. If none of the canary lands, the run
   stops with an error naming the key, having changed nothing else;
3. every other account's attributes, ``push_batch`` actions a request, a few requests in flight
   (the push API publishes no limit [S]: concurrency is what bounds it), then one read-back;
4. events for the due work items, read back the same way.

Every call carries the account and the contact identifier: "All calls must include the appKey,
account identifier and contact identifier" [C] (integrators send account attributes without a
contact [S], but the official rule is the one that cannot be wrong).

A change is reported done only when its values were read back; one that did not land is a failed
change (the apply exits 1) and, since the next plan reads the platform again, shows again there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from tierform.adapters.churnzero.client import ChurnZeroApi
from tierform.adapters.churnzero.ledger import Ledger
from tierform.adapters.churnzero.mapping import (
    MAX_ID,
    OWNER,
    event_name,
    set_attribute,
    track_event,
)
from tierform.adapters.churnzero.reader import Index
from tierform.adapters.churnzero.verify import Expected, Miss, Verifier
from tierform.adapters.http.batching import chunks
from tierform.adapters.http.concurrency import bounded_map
from tierform.errors import AuthError
from tierform.sync.change import Change, ChangeResult, Op
from tierform.sync.state import Kind

log = logging.getLogger(__name__)

CANARY = 3


@dataclass
class Job:
    """One account change as push actions, and the values the read-back must show."""

    change: Change
    values: dict[str, Any] = field(default_factory=dict)
    name: str | None = None  # sent as the standard Name when the account is created

    def actions(self, contact: str) -> list[dict[str, Any]]:
        ext = self.change.key
        out = [set_attribute(ext, n, v, contact) for n, v in sorted(self.values.items())]
        if self.name:
            out.insert(0, set_attribute(ext, "Name", self.name, contact))
        return out

    @property
    def proof(self) -> list[str]:
        """The fields whose read-back proves this write landed: those set to a value, the owner
        aside (it may have held the value already); a clear proves nothing either, since
        nothing says an empty value clears a field [I]."""
        return [n for n, v in sorted(self.values.items()) if n != OWNER and v is not None]


class Writer:
    def __init__(
        self,
        api: ChurnZeroApi,
        index: Index,
        verifier: Verifier,
        ledger: Ledger,
        *,
        create_accounts: bool,
        batch: int,
        in_flight: int,
        contact: str,
        now: Callable[[], str],
        key_help: str,
    ) -> None:
        self.api = api
        self.index = index
        self.verifier = verifier
        self.ledger = ledger
        self.create_accounts = create_accounts
        self.batch = batch
        self.in_flight = in_flight
        self.contact = contact
        self.now = now
        self.key_help = key_help
        self.proven = False  # a write of this run was read back: the app key works

    def run(self, changes: Sequence[Change]) -> Iterator[ChangeResult]:
        if not changes:
            return
        self.api.check()  # bad REST credentials fail here, before any write
        jobs: list[Job] = []
        items: list[Change] = []
        for change in changes:
            if change.kind is Kind.account:
                job = self._job(change)
                if isinstance(job, str):
                    yield ChangeResult(change, ok=False, error=job)
                else:
                    jobs.append(job)
            elif change.kind is Kind.work_item and change.op is Op.create:
                items.append(change)
            else:
                yield ChangeResult(
                    change,
                    ok=False,
                    error=f"churnzero: cannot {change.op.value} {change.kind.value} objects",
                )
        if jobs:
            # The canary must be able to prove itself (see Job.proof); without such a write
            # there is no canary, and the events' read-back is what proves the key.
            canary = [job for job in jobs if job.proof][:CANARY]
            chosen = {id(job) for job in canary}
            yield from self._canary(canary)
            yield from self._accounts([job for job in jobs if id(job) not in chosen])
        try:
            yield from self._events(items)
        finally:
            self.ledger.save()

    # -- accounts -------------------------------------------------------------------------

    def _job(self, change: Change) -> Job | str:
        ext = change.key
        if len(ext) > MAX_ID:
            return (
                f"churnzero: account id {ext[:20]!r}... is longer than the {MAX_ID} characters "
                "ChurnZero accepts as accountExternalId; not sent"
            )
        known = self.index.known(ext)
        if change.op is Op.create:
            if not known and not self.create_accounts:
                return (
                    f"churnzero: no account with ExternalId {ext!r} (deleted since the plan?); "
                    "tierform creates accounts only with create_accounts: true"
                )
            name = None if known else (change.label or ext)
            return Job(change, dict(change.data or {}), name)
        if change.op is Op.update:
            values = {d.field: d.new for d in change.diffs}
            if OWNER in values and values[OWNER] is None:
                del values[OWNER]  # never unassign an owner: only ever set a known user
            return Job(change, values)
        # delete: the account is not tierform's; only tierform's fields are cleared
        return Job(change, {n: None for n in change.existing or {} if n != OWNER})

    def _push(self, jobs: list[Job]) -> None:
        actions = [a for job in jobs for a in job.actions(self.contact)]
        for outcome in bounded_map(
            self.api.push, list(chunks(actions, self.batch)), self.in_flight
        ):
            if outcome.error is not None:
                raise outcome.error

    def _verify(self, jobs: list[Job]) -> dict[str, list[Miss]]:
        expected: Expected = {job.change.key: job.values for job in jobs}
        return self.verifier.accounts(expected)

    def _canary(self, jobs: list[Job]) -> Iterator[ChangeResult]:
        if not jobs:
            return
        self._push(jobs)
        misses = self._verify(jobs)
        if _nothing_landed(jobs, misses):
            raise AuthError(
                "churnzero: ChurnZero answered 200 to every push but none of the first "
                f"{len(jobs)} account write(s) appeared in the REST read-back after "
                f"{self.verifier.waited:.0f}s. {self.key_help}. (If ChurnZero's queue is only "
                "slow today, raise verify_delay.) Nothing else was sent"
            )
        self.proven = True
        yield from self._results(jobs, misses)

    def _accounts(self, jobs: list[Job]) -> Iterator[ChangeResult]:
        if not jobs:
            return
        self._push(jobs)
        yield from self._results(jobs, self._verify(jobs))

    def _results(self, jobs: list[Job], misses: dict[str, list[Miss]]) -> Iterator[ChangeResult]:
        for job in jobs:
            key = job.change.key
            if key in misses:
                yield ChangeResult(job.change, ok=False, error=self._missed(misses[key]))
            else:
                yield ChangeResult(job.change, ok=True, remote_id=self.index.id_of.get(key))

    def _missed(self, misses: list[Miss]) -> str:
        """What did not read back: values not set, and fields not cleared (told apart: nothing
        says an empty value clears a field [I], so a clear that does not take is no sign of a
        dropped write)."""
        waited = self.verifier.waited
        sets = [m for m in misses if m.sent is not None]
        clears = [m for m in misses if m.sent is None]
        parts = []
        if sets:
            shown = "; ".join(str(m) for m in sets[:4])
            parts.append(
                f"the push API accepted the write (200) but the read-back after {waited:.0f}s "
                f"shows {shown}: ChurnZero dropped or has not yet processed it (see its "
                "developer logs); the next sync tries again"
            )
        if clears:
            shown = ", ".join(f"{m.field} (still {m.seen!r})" for m in clears[:4])
            parts.append(
                f"ChurnZero did not clear {shown} when sent an empty value: clear it in "
                "ChurnZero's UI, or the next sync asks again"
            )
        return "churnzero: " + "; ".join(parts)

    # -- events ---------------------------------------------------------------------------

    def _events(self, items: list[Change]) -> Iterator[ChangeResult]:
        if not items:
            return
        # ChurnZero's duplicate check names only the contact and the date [S], and every event
        # goes to the one event_contact: each gets a second of its own (see .ledger).
        dates = self.ledger.dates_for([c.key for c in items], self.now())
        actions = []
        sent: dict[str, str] = {}
        for change in sorted(items, key=lambda c: c.key):
            data = change.data or {}
            actions.append(track_event(change.key, data, self.contact, dates[change.key]))
            sent[change.key] = event_name(data, change.key)
        self.ledger.save()  # the dates are kept before sending: a crash cannot lose them
        for outcome in bounded_map(
            self.api.push, list(chunks(actions, self.batch)), self.in_flight
        ):
            if outcome.error is not None:
                raise outcome.error
        found = self.verifier.events(sent)
        if not found and not self.proven:
            raise AuthError(
                "churnzero: ChurnZero answered 200 to every push but none of the "
                f"{len(items)} event(s) appeared in the REST read-back after "
                f"{self.verifier.waited:.0f}s. {self.key_help}. (If ChurnZero's queue is only "
                "slow today, raise verify_delay: a re-send carries the same eventDate, which "
                "ChurnZero skips as a duplicate.)"
            )
        for change in items:
            if change.key in found:
                yield ChangeResult(change, ok=True, remote_id=found[change.key])
            else:
                yield ChangeResult(
                    change,
                    ok=False,
                    error=(
                        "churnzero: the push API accepted the event (200) but it is not in "
                        f"ChurnZero's Event list after {self.verifier.waited:.0f}s; the next "
                        "sync looks again, and a re-send carries the same eventDate, which "
                        "ChurnZero skips as a duplicate if the first one arrives late"
                    ),
                )


def _nothing_landed(jobs: list[Job], misses: dict[str, list[Miss]]) -> bool:
    """None of the values the jobs set (see :attr:`Job.proof`) read back."""
    for job in jobs:
        missed = {m.field for m in misses.get(job.change.key, [])}
        if any(name not in missed for name in job.proof):
            return False
    return True
