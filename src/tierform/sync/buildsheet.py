"""Build-sheet steps: what a person must create in the platform's UI because its API cannot.

A step is the lenient form of a capability gap (see :func:`tierform.sync.capabilities.
unsupported`). Where the platform can read the object, the engine marks the step ``done``,
``missing`` or ``different``; where it cannot, ``unverified``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tierform.sync.state import Kind


class StepStatus(StrEnum):
    missing = "missing"
    different = "different"
    done = "done"
    unverified = "unverified"
    remove = "remove"

    @property
    def is_drift(self) -> bool:
        return self in (StepStatus.missing, StepStatus.different, StepStatus.remove)


@dataclass
class BuildStep:
    kind: Kind
    key: str
    title: str
    reason: str
    steps: list[str] = field(default_factory=list)
    status: StepStatus = StepStatus.unverified

    @property
    def id(self) -> str:
        """The step's stable id (what ``tierform buildsheet --done`` takes): kind:key."""
        return f"{self.kind.value}:{self.key}"

    def sort_key(self) -> tuple[int, str]:
        return (self.kind.rank, self.key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "key": self.key,
            "title": self.title,
            "status": self.status.value,
            "reason": self.reason,
            "steps": list(self.steps),
        }
