"""Reading gateway writes back: the only proof that one landed.

The gateway answers 200 to anything and applies asynchronously [HTTP]; a wrong service id or
region, a case-mismatched account id or an attribute missing from the Data Modeler drops the
data without an error [HTTP, FAQ]. So a write is reported done only once the Search API shows
its values, polled with a growing pause up to ``verify_wait`` seconds; what has not appeared by
then is reported as failed with what Totango holds instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from tierform.adapters.totango.mapping import attribute, read_value, wire
from tierform.adapters.totango.partition import Partitioner
from tierform.adapters.totango.query import SUCCESS_MANAGER
from tierform.sync.change import Change, ChangeResult
from tierform.sync.state import canon

log = logging.getLogger(__name__)

FIRST_PAUSE = 2.0
MAX_PAUSE = 30.0


@dataclass
class Sent:
    change: Change
    expected: dict[str, Any]  # neutral field -> value sent (None: removed)


class Verifier:
    """``readable`` says whether an attribute can be read back (a strict Search API refuses
    one the Data Modeler lacks); ``probe`` asks the Search API again which of such names it now
    takes, since whether the gateway creates an unknown attribute is not known [I]."""

    def __init__(
        self,
        partitioner: Partitioner,
        *,
        numeric: set[str],
        readable: Callable[[str], bool],
        wait: float,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        probe: Callable[[list[str]], object] | None = None,
    ) -> None:
        self.partitioner = partitioner
        self.numeric = numeric
        self.readable = readable
        self.wait = wait
        self.clock = clock
        self.sleep = sleep
        self.probe = probe

    def confirm(self, sent: list[Sent], since: float | None = None) -> Iterator[ChangeResult]:
        """``since``: when the writes were sent (the clock's time; default now). The waits
        count from then: what the caller did meanwhile (the tasks) is time the gateway had."""
        pending: list[Sent] = []
        for item in sent:
            if self.probe is None and self._blind(item):
                yield self._undefined(item)
            else:
                pending.append(item)
        start = self.clock() if since is None else since
        deadline = start + self.wait
        pause = FIRST_PAUSE
        due = start + pause  # the next read
        last: dict[str, dict[str, Any]] = {}
        settled: set[int] = set()  # blind items whose other values have landed
        while pending:
            self.sleep(max(0.0, min(due, deadline) - self.clock()))
            self._reprobe(pending)
            last = self._read(pending)
            still = []
            for item in pending:
                values = last.get(item.change.key, {})
                blind = self._blind(item)
                if not blind and self._landed(item, values):
                    yield ChangeResult(item.change, ok=True, remote_id=item.change.key)
                elif blind and id(item) in settled:
                    yield self._undefined(item)  # written, read, and still not an attribute
                else:
                    if blind and len(blind) < len(item.expected) and self._landed(item, values):
                        settled.add(id(item))
                    still.append(item)
            pending = still
            if self.clock() >= deadline:
                break
            pause = min(pause * 2, MAX_PAUSE)
            due = self.clock() + pause
        for item in pending:
            blind = self._blind(item)
            yield (
                self._undefined(item)
                if blind
                else ChangeResult(item.change, ok=False, error=self._missed(item, last))
            )

    def _blind(self, item: Sent) -> list[str]:
        return sorted(f for f in item.expected if not self.readable(f))

    def _reprobe(self, pending: list[Sent]) -> None:
        """Ask again about attributes the read could not see: the gateway may have created
        them from the values just sent."""
        names = sorted({f for item in pending for f in self._blind(item)})
        if names and self.probe is not None:
            self.probe(names)

    def _undefined(self, item: Sent) -> ChangeResult:
        return ChangeResult(
            item.change,
            ok=False,
            error=f"totango: the account attribute(s) {', '.join(self._blind(item))} do not "
            "exist (Data Modeler), so the gateway drops their values; create them (see the "
            "build sheet) and sync again",
        )

    def _read(self, pending: list[Sent]) -> dict[str, dict[str, Any]]:
        fields = sorted(
            {attribute(f) for item in pending for f in item.expected if self.readable(f)}
        )
        if SUCCESS_MANAGER not in fields:
            fields.append(SUCCESS_MANAGER)
        hits = self.partitioner.fetch([i.change.key for i in pending], fields)
        return {k: dict(h.values) for k, h in hits.items()}

    def _value(self, values: dict[str, Any], name: str) -> Any:
        return canon(read_value(values.get(attribute(name)), name in self.numeric))

    def _landed(self, item: Sent, values: dict[str, Any]) -> bool:
        """Whether every value that can be read back shows what was sent."""
        return all(
            self._value(values, f) == canon(v) for f, v in item.expected.items() if self.readable(f)
        )

    def _missed(self, item: Sent, last: dict[str, dict[str, Any]]) -> str:
        values = last.get(item.change.key, {})
        wrong = [
            f"{f} is {self._shown(self._value(values, f))} (sent {self._shown(canon(v))})"
            for f, v in sorted(item.expected.items())
            if self._value(values, f) != canon(v)
        ]
        return (
            f"totango: the gateway accepted the write for account {item.change.key} but after "
            f"{self.wait:.0f} s the Search API shows {'; '.join(wrong)}: it did not land. "
            "Check service_id and region (data sent to the wrong ones is dropped silently) and "
            "that the attributes exist in the Data Modeler; the next sync retries it"
        )

    @staticmethod
    def _shown(value: Any) -> str:
        return "empty" if value is None else repr(wire(value))
