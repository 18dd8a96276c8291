"""Changes: create / update / delete of one object, with field-level diffs and a fixed order."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tierform.sync.state import Data, Kind, ObjectRef, payload_hash


class Op(StrEnum):
    create = "create"
    update = "update"
    delete = "delete"


@dataclass(frozen=True)
class FieldDiff:
    field: str
    old: Any
    new: Any

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass
class Change:
    """One change to one object.

    ``data`` is the full desired data (None for a delete); ``existing`` the data read from the
    platform (None for a create). ``diffs`` lists only the fields that differ, so an adapter
    with merge semantics can send just those.
    """

    op: Op
    kind: Kind
    key: str
    data: Data | None
    existing: Data | None = None
    diffs: list[FieldDiff] = field(default_factory=list)
    label: str | None = None
    remote_id: str | None = None
    #: Why this change is expected rather than drift (e.g. values moving from a platform's
    #: data trait into the custom field an admin just created): not counted by the safety
    #: thresholds. Set by the engine from :meth:`Adapter.expected_transition`.
    transition: str | None = None

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef(self.kind, self.key)

    @property
    def payload_hash(self) -> str:
        """The object's desired data: the same hash means the same write (the journal uses it to
        resume and as state for kinds a platform cannot read back)."""
        return payload_hash([self.kind.value, self.key, self.data])

    def sort_key(self) -> tuple[int, int, int, str]:
        """Creates and updates go definitions -> values -> work items; deletes go after, in
        reverse (dependents first)."""
        if self.op is Op.delete:
            return (1, -self.kind.rank, 0, self.key)
        return (0, self.kind.rank, 0 if self.op is Op.create else 1, self.key)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"op": self.op.value, "kind": self.kind.value, "key": self.key}
        if self.label:
            out["label"] = self.label
        if self.transition:
            out["transition"] = self.transition
        if self.op is Op.update:
            out["diffs"] = [d.to_dict() for d in self.diffs]
        elif self.op is Op.create:
            out["data"] = self.data
        else:
            out["existing"] = self.existing
        return out


def diff_data(old: Data | None, new: Data | None) -> list[FieldDiff]:
    """Field-level differences of two canonical data dicts (absent == null)."""
    old, new = old or {}, new or {}
    return [
        FieldDiff(k, old.get(k), new.get(k))
        for k in sorted(set(old) | set(new))
        if old.get(k) != new.get(k)
    ]


def sort_changes(changes: list[Change]) -> list[Change]:
    return sorted(changes, key=Change.sort_key)


@dataclass
class ChangeResult:
    """What happened to one change when applied. ``ok`` False carries the error text."""

    change: Change
    ok: bool = True
    remote_id: str | None = None
    error: str | None = None
    skipped: bool = False
