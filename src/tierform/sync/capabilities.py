"""What an adapter can do, per object kind and operation, and the one place gaps are handled.

An adapter declares :class:`Capabilities`; the engine never asks a platform for something
outside them. Everything the platform cannot do goes through :func:`unsupported`: in strict mode
it raises :class:`~tierform.errors.UnsupportedFeature`, in lenient mode (the default) it becomes
a build-sheet step in the plan. Nothing is skipped silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from tierform.errors import UnsupportedFeature
from tierform.sync.buildsheet import BuildStep, StepStatus
from tierform.sync.state import Kind


class Operation(StrEnum):
    read = "read"
    create = "create"
    update = "update"
    delete = "delete"


ALL_OPS = frozenset(Operation)
WRITE_OPS = frozenset({Operation.create, Operation.update, Operation.delete})


@dataclass(frozen=True)
class Capabilities:
    """Per kind, the operations the platform's API allows; plus free-form notes per kind.

    ``notes`` explain a partial capability in the platform's terms (shown by
    ``tierform adapters`` and in build steps), e.g. "CSM is written as a trait".
    """

    ops: Mapping[Kind, frozenset[Operation]] = field(default_factory=dict)
    notes: Mapping[Kind, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls, notes: Mapping[Kind, str] | None = None, **kinds: Iterable[Operation | str]
    ) -> Capabilities:
        """``Capabilities.build(account="rcud", work_item=[...])``: letters r/c/u/d or ops."""
        ops: dict[Kind, frozenset[Operation]] = {}
        for name, spec in kinds.items():
            ops[Kind(name)] = frozenset(_ops(spec))
        return cls(ops, dict(notes or {}))

    def allows(self, kind: Kind, op: Operation | str) -> bool:
        return Operation(op) in self.ops.get(kind, frozenset())

    def can_read(self, kind: Kind) -> bool:
        return self.allows(kind, Operation.read)

    def can_write(self, kind: Kind) -> bool:
        return bool(self.ops.get(kind, frozenset()) & WRITE_OPS)

    def matrix(self) -> dict[str, dict[str, bool]]:
        """``{kind: {op: bool}}`` for every kind (for ``tierform adapters``)."""
        return {k.value: {op.value: self.allows(k, op) for op in Operation} for k in Kind}


def _ops(spec: Iterable[Operation | str]) -> Iterable[Operation]:
    if isinstance(spec, str) and all(c in "rcud" for c in spec):
        letters = {
            "r": Operation.read,
            "c": Operation.create,
            "u": Operation.update,
            "d": Operation.delete,
        }
        return [letters[c] for c in spec]
    return [Operation(s) for s in spec]


FULL = Capabilities({k: frozenset(Operation) for k in Kind})


def unsupported(
    platform: str,
    kind: Kind,
    key: str,
    reason: str,
    *,
    strict: bool,
    steps: list[str] | None = None,
    title: str | None = None,
    status: StepStatus = StepStatus.unverified,
) -> BuildStep:
    """The single place a capability gap is handled.

    Strict: raise :class:`UnsupportedFeature` naming the object and how to proceed. Lenient:
    return the build-sheet step that replaces it (the caller adds it to the plan).
    """
    if strict:
        raise UnsupportedFeature(
            f"{platform}: {kind.value} {key!r}: {reason}. The platform's API cannot do this; "
            "set `strict: false` on the target to get a build-sheet step instead"
        )
    return BuildStep(
        kind=kind,
        key=key,
        title=title or f"{kind.value} {key}",
        reason=reason,
        steps=list(steps or []),
        status=status,
    )
