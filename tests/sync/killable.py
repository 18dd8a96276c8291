"""A platform kept in a JSON-lines file, so an apply can be killed (kill -9) in another process
and resumed here. Run as ``python killable.py DIR N`` to apply ``N`` accounts slowly."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import ClassVar

from tierform.sync.adapter import Adapter, AdapterContext, ApplyContext
from tierform.sync.capabilities import FULL, Capabilities
from tierform.sync.change import Change, ChangeResult
from tierform.sync.engine import Syncer
from tierform.sync.journal import Journal
from tierform.sync.settings import AdapterSettings
from tierform.sync.state import Kind, Scope, State


class FileSettings(AdapterSettings):
    platform: str = "file"


class FileAdapter(Adapter[FileSettings]):
    """Every write appends a line to ``platform.jsonl``; a read replays the lines."""

    platform: ClassVar[str] = "file"
    capabilities: ClassVar[Capabilities] = FULL
    Settings = FileSettings

    def __init__(self, context: AdapterContext, delay: float = 0.0) -> None:
        super().__init__(FileSettings(), context)
        self.file = context.base_dir / "platform.jsonl"
        self.delay = delay

    def writes(self) -> list[dict[str, object]]:
        if not self.file.exists():
            return []
        return [json.loads(line) for line in self.file.read_text().splitlines() if line]

    def read(self, scope: Scope) -> State:
        state = State()
        for w in self.writes():
            state.put(Kind(str(w["kind"])), str(w["key"]), w["data"])  # type: ignore[arg-type]
        return state

    def apply(self, changes: Sequence[Change], ctx: ApplyContext) -> Iterator[ChangeResult]:
        with self.file.open("a") as out:
            for change in changes:
                time.sleep(self.delay)
                out.write(
                    json.dumps({"kind": change.kind.value, "key": change.key, "data": change.data})
                    + "\n"
                )
                out.flush()
                yield ChangeResult(change, ok=True)


def desired(n: int) -> State:
    state = State()
    for i in range(n):
        state.put(Kind.account, f"ACC-{i:04d}", {"tf_tier": "Enterprise" if i % 3 else "SMB"})
    return state


def syncer(base: Path, delay: float = 0.0) -> Syncer:
    adapter = FileAdapter(AdapterContext("file", base), delay)
    return Syncer(adapter, Journal(base / "journal.sqlite"))


if __name__ == "__main__":
    base, n = Path(sys.argv[1]), int(sys.argv[2])
    s = syncer(base, delay=0.02)
    s.apply(s.plan(desired(n)))
