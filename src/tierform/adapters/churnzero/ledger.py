"""The events tierform has sent, kept in the target's state folder.

ChurnZero skips an event whose contact and ``eventDate`` repeat one it already has (its log
names the two; the event's name may count too), unless ``allowDupes`` is set [S] KEEPER. So
the first send's ``eventDate`` is kept per work item: a re-send (the read-back did not see the
event yet) carries the same date and cannot make a second task, even when ChurnZero's queue
was only slow. Without a state folder the ledger lives in memory for the run.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)


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

    def date_for(self, key: str, now: str) -> str:
        """The eventDate of ``key``: the first send's, else ``now`` (recorded)."""
        return self.sent.setdefault(key, now)

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.sent, sort_keys=True, indent=0), encoding="utf-8")
        os.replace(tmp, self.path)
