"""Coverage fields written through the HTTP gateway: one request per account carrying all its
changed attributes (``sdr_s``, ``sdr_o``, ``sdr_o.<attribute>``) [HTTP].

The gateway is not rate-limited [RATE], so up to ``gateway_in_flight`` requests run at once. It
creates any account it does not know (upsert), so only accounts the read found are written. A
request that fails on the network is retried (setting attributes is idempotent); one that still
fails, or is redirected off the pixel, is reported. Nothing is reported done before
:mod:`.verify` has read it back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

from tierform.adapters.http.concurrency import bounded_map
from tierform.adapters.totango.client import GatewayRedirected, TotangoApi
from tierform.adapters.totango.mapping import SM_KEY, gateway_params
from tierform.adapters.totango.verify import Sent, Verifier
from tierform.errors import AuthError, RetriableError
from tierform.sync.change import Change, ChangeResult, Op

log = logging.getLogger(__name__)


def values_of(change: Change) -> dict[str, Any]:
    """What a change sends: everything for a create, the differing fields for an update, and
    for a delete the removal of tierform's own attributes (never Success Manager, which then
    belongs to the team)."""
    if change.op is Op.create:
        return dict(change.data or {})
    if change.op is Op.update:
        return {d.field: d.new for d in change.diffs}
    return {f: None for f in change.existing or {} if f != SM_KEY}


class AccountWriter:
    def __init__(
        self,
        api: TotangoApi,
        service_id: str,
        found: set[str],
        verifier: Verifier,
        in_flight: int,
    ) -> None:
        self.api = api
        self.service_id = service_id
        self.found = found
        self.verifier = verifier
        self.in_flight = in_flight
        self.sent: list[Sent] = []  # sent and not yet confirmed
        self.sent_at = 0.0  # the verifier's clock when the last of them was sent

    def send(self, changes: Sequence[Change]) -> Iterator[ChangeResult]:
        """Send each change through the gateway, reporting now only what could not be sent;
        what was sent waits for :meth:`confirm` (the gateway applies it some seconds later, so
        the caller may do other work meanwhile)."""
        todo: list[Sent] = []
        for change in changes:
            if change.key not in self.found:
                yield ChangeResult(
                    change,
                    ok=False,
                    error=f"totango: no account with id {change.key!r} (deleted since the "
                    "plan?); the gateway would create one, so nothing was sent",
                )
            else:
                todo.append(Sent(change, values_of(change)))
        for outcome in bounded_map(self._send, todo, self.in_flight):
            if isinstance(outcome.error, AuthError):
                raise outcome.error
            if isinstance(outcome.error, RetriableError):
                yield ChangeResult(
                    outcome.item.change,
                    ok=False,
                    error=f"totango: the gateway could not be reached: {outcome.error}",
                )
            elif isinstance(outcome.error, GatewayRedirected):
                yield ChangeResult(outcome.item.change, ok=False, error=str(outcome.error))
            elif outcome.error is not None:
                raise outcome.error
            else:
                self.sent.append(outcome.item)
        self.sent_at = self.verifier.clock()

    def confirm(self) -> Iterator[ChangeResult]:
        """The writes :meth:`send` sent, each reported once the Search API shows it (timed
        from when they were sent)."""
        sent, self.sent = self.sent, []
        yield from self.verifier.confirm(sent, since=self.sent_at)

    def _send(self, item: Sent) -> None:
        self.api.send(gateway_params(self.service_id, item.change.key, item.expected))
