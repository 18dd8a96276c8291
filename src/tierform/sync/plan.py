"""The plan: ordered changes and build-sheet steps for one target, with a checksum.

``Plan.to_dict()`` feeds every renderer and the sha256 :meth:`Plan.checksum`, so the plan a
person reviewed (``--checksum``) is provably the plan applied.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from tierform.sync.buildsheet import BuildStep
from tierform.sync.change import Change, Op
from tierform.sync.state import State, stable_json


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
        out = {op.value: 0 for op in Op}
        for change in self.changes:
            out[change.op.value] += 1
        out["build_steps"] = len(self.build_steps)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "platform": self.platform,
            "summary": {
                **self.counts(),
                "existing": self.existing_count,
                "desired": self.desired_count,
            },
            "changes": [c.to_dict() for c in self.changes],
            "build_steps": [s.to_dict() for s in self.build_steps],
            "warnings": list(self.warnings),
        }

    def checksum(self) -> str:
        """sha256 of the canonical plan data (meta such as timings excluded)."""
        if self._checksum is None:
            self._checksum = hashlib.sha256(stable_json(self.to_dict()).encode()).hexdigest()
        return self._checksum
