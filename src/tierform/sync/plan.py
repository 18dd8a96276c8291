"""The plan: ordered changes and build-sheet steps for one target, with a checksum.

``Plan.to_dict()`` feeds every renderer and the sha256 :meth:`Plan.checksum`, so the plan a
person reviewed (``--checksum``) is provably the plan applied.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tierform.sync.buildsheet import BuildStep
from tierform.sync.change import Change, Op
from tierform.sync.state import State, stable_json_bytes
from tierform.workbook.ordered_map import mapped_ahead


@dataclass
class Plan:
    target: str
    platform: str
    changes: list[Change] = field(default_factory=list)
    build_steps: list[BuildStep] = field(default_factory=list)
    existing_count: int = 0
    existing_by_kind: dict[str, int] = field(default_factory=dict)
    desired_count: int = 0
    warnings: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    desired: State = field(default_factory=State, repr=False)
    _checksum: str | None = field(default=None, repr=False)

    @property
    def is_empty(self) -> bool:
        """Nothing to apply (build steps may remain: only a person can do those)."""
        return not self.changes

    @property
    def has_drift(self) -> bool:
        """The platform differs from the model: a change, or a verifiable step not done."""
        return bool(self.changes) or any(s.status.is_drift for s in self.build_steps)

    def counts(self) -> dict[str, int]:
        ops = [c.op for c in self.changes]
        out = {op.value: ops.count(op) for op in Op}
        out["build_steps"] = len(self.build_steps)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "platform": self.platform,
            "summary": self._summary(),
            "changes": [c.to_dict() for c in self.changes],
            "build_steps": [s.to_dict() for s in self.build_steps],
            "warnings": list(self.warnings),
        }

    def _summary(self) -> dict[str, int]:
        return {**self.counts(), "existing": self.existing_count, "desired": self.desired_count}

    def checksum(self) -> str:
        """sha256 of the canonical plan data (meta such as timings excluded): the bytes of
        ``stable_json(self.to_dict())``, hashed a block of changes at a time (a first sync's
        plan holds a million changes; its whole text and dicts would cost gigabytes)."""
        if self._checksum is None:
            self._checksum = hashed_behind(self._stable_json_blocks())
        return self._checksum

    def _stable_json_blocks(self) -> Iterator[bytes]:
        """:func:`~tierform.sync.state.stable_json` of :meth:`to_dict` in blocks: JSON text is
        compositional (an object is its sorted members, an array its items, each encoded on its
        own), so the blocks join to exactly the whole's bytes."""
        members: dict[str, Any] = {
            "target": self.target,
            "platform": self.platform,
            "summary": self._summary(),
            "changes": None,  # written a block of changes at a time, below
            "build_steps": [s.to_dict() for s in self.build_steps],
            "warnings": list(self.warnings),
        }
        sep = b"{"
        for name in sorted(members):
            yield sep + stable_json_bytes(name) + b":"
            sep = b","
            if name != "changes":
                yield stable_json_bytes(members[name])
                continue
            yield b"["
            for start in range(0, len(self.changes), _BLOCK):
                block = b",".join([c.stable_bytes() for c in self.changes[start : start + _BLOCK]])
                yield block if start == 0 else b"," + block
            yield b"]"
        yield b"}"


#: Changes encoded per block: a megabyte or two, which the hashing thread takes in one call.
_BLOCK = 4096


def hashed_behind(blocks: Iterable[bytes]) -> str:
    """The sha256 hex digest of ``blocks`` joined, each block hashed on a second thread while
    the next is made: hashlib lets go of the interpreter lock for all but small inputs, so a
    first sync's hundreds of megabytes of plan text are hashed on the machine's other core.
    One thread hashes the blocks in order; at most three wait, so the text is never held
    whole."""
    digest = hashlib.sha256()
    for _ in mapped_ahead(digest.update, blocks, workers=1, window=3):
        pass
    return digest.hexdigest()
