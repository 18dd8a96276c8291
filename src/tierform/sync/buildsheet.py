"""Build-sheet steps: what a person must create in the platform's UI because its API cannot.

A step is the lenient form of a capability gap (see :func:`tierform.sync.capabilities.
unsupported`). Where the platform can read the object, the engine marks the step ``done``,
``missing`` or ``different``; where it cannot, ``unverified`` -- until a person marks it done
(``tierform buildsheet --done ID``, kept in the journal with the date, who, and a digest of the
instructions, so a mark made for an earlier version of the step does not count).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tierform.sync.state import Kind, stable_json

#: Who does a step unless an adapter says otherwise: the client's admin of the platform.
ADMIN = "platform admin"


class StepStatus(StrEnum):
    missing = "missing"
    different = "different"
    done = "done"
    unverified = "unverified"
    remove = "remove"

    @property
    def is_drift(self) -> bool:
        return self in (StepStatus.missing, StepStatus.different, StepStatus.remove)


@dataclass(frozen=True)
class Mark:
    """A person's record that they did a step: when (ISO time), who, and for which version."""

    at: str
    who: str
    digest: str | None = None

    @property
    def date(self) -> str:
        return self.at[:10]


@dataclass
class BuildStep:
    kind: Kind
    key: str
    title: str
    reason: str
    steps: list[str] = field(default_factory=list)
    status: StepStatus = StepStatus.unverified
    owner: str = ADMIN
    #: Set by :func:`apply_marks` when a person marked this (unverifiable) step done.
    marked: Mark | None = None
    #: A mark found for an earlier version of the step (the model changed since): not done.
    stale_mark: Mark | None = None
    #: The step deletes the object (closes a task the API cannot reach): marked done, it is
    #: journaled as that delete (:meth:`~tierform.sync.journal.Journal.record_by_hand`), so
    #: the plans after it no longer see the object, and one due again is created anew.
    deletes: bool = False

    @property
    def id(self) -> str:
        """The step's stable id (what ``tierform buildsheet --done`` takes): kind:key."""
        return f"{self.kind.value}:{self.key}"

    @property
    def digest(self) -> str:
        """What a person did when they marked the step: its title and instructions."""
        return hashlib.sha256(stable_json([self.title, self.steps]).encode()).hexdigest()[:16]

    def sort_key(self) -> tuple[int, str]:
        return (self.kind.rank, self.key)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind.value,
            "key": self.key,
            "title": self.title,
            "status": self.status.value,
            "reason": self.reason,
            "steps": list(self.steps),
            "owner": self.owner,
        }
        if self.marked is not None:
            out["marked"] = {"at": self.marked.at, "who": self.marked.who}
        return out


def apply_marks(steps: Iterable[BuildStep], marks: Mapping[str, Mark]) -> None:
    """Show the steps a person marked done as done. Only ``unverified`` steps take a mark (what
    the platform shows wins), and only a mark made for the step as it reads now."""
    for step in steps:
        mark = marks.get(step.id)
        if mark is None:
            continue
        if step.marked is not None:  # applied again (a new mark): start from the platform's view
            step.marked, step.status = None, StepStatus.unverified
        if step.status is not StepStatus.unverified:
            continue
        if mark.digest is not None and mark.digest != step.digest:
            step.stale_mark = mark
            continue
        step.status = StepStatus.done
        step.marked = mark
        step.stale_mark = None
