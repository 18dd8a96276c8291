"""The events tierform has sent, kept in the target's state folder.

ChurnZero skips an event whose contact and ``eventDate`` repeat one it already has, unless
``allowDupes`` is set [S] KEEPER: its log, "Duplicate event detected at <eventDate> for contact
id ...", names only those two, so neither the event's name nor (read strictly) its account can
be relied on to tell two events apart. Every event goes to the one ``event_contact``, so each
event tierform sends gets its own second: within a run and against every date already kept.

The first send's ``eventDate`` is kept per work item: a re-send (the read-back did not see the
event yet) carries the same date and cannot make a second task, even when ChurnZero's queue was
only slow. Without a state folder the ledger lives in memory for the run.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

STAMP = "%Y-%m-%dT%H:%M:%SZ"


class Ledger:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.sent: dict[str, str] = {}
        if path is not None and path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                log.warning("ledger: cannot read %s (%s); starting empty", path, exc)
                data = {}
            if isinstance(data, dict):
                self.sent = {str(k): str(v) for k, v in data.items()}

    def dates_for(self, keys: Iterable[str], now: str) -> dict[str, str]:
        """One eventDate per key, no two alike and none held by another key of the ledger.

        A key keeps its first send's date unless another key holds it too (a ledger written
        before dates were kept apart): that date can land for one of them only, so the others
        move. A new key takes ``now``, or the nearest earlier free second (never a future one).
        """
        in_run = set(keys)
        run = sorted(in_run)
        used = {date for key, date in self.sent.items() if key not in in_run}
        out: dict[str, str] = {}
        for key in run:  # kept dates first: a new key never takes one
            date = self.sent.get(key)
            if date is not None and date not in used:
                out[key] = date
                used.add(date)
        date = now  # new keys take seconds going back from now: each search starts where the
        for key in run:  # last one ended, so a run of n new events costs n steps, not n^2
            if key in out:
                continue
            while date in used:
                date = _earlier(date)
            if key in self.sent:
                log.info("events: %s shared its eventDate with another event; re-dated", key)
            self.sent[key] = out[key] = date
            used.add(date)
        return out

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.sent, sort_keys=True, indent=0), encoding="utf-8")
        os.replace(tmp, self.path)


def _earlier(stamp: str) -> str:
    """``stamp`` (ISO, UTC) one second earlier."""
    return (dt.datetime.strptime(stamp, STAMP) - dt.timedelta(seconds=1)).strftime(STAMP)
