"""Changes: create / update / delete of one object, with field-level diffs and a fixed order."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from itertools import compress
from operator import attrgetter, is_not
from typing import Any

import orjson

from tierform.sync.state import (
    Data,
    Kind,
    ObjectRef,
    State,
    fast_json,
    payload_hash,
    stable_json_bytes,
)

#: A kind's JSON text (kinds are identifiers: nothing to escape).
_KIND_JSON = {kind.value: f'"{kind.value}"'.encode() for kind in Kind}


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


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: ``Change(..., diffs=DERIVED)``: the diffs are worked out from ``existing`` and ``data`` when
#: first read. A first sync creates every object, and a million creates' per-field diffs would
#: cost seconds and gigabytes that a spreadsheet or bulk writer never reads.
DERIVED = _Marker("DERIVED")
_NONE_GIVEN = _Marker("[]")


class _Diffs:
    """The ``diffs`` field: a list given, or :data:`DERIVED` (computed once, on first read)."""

    def __get__(self, obj: Change | None, owner: type | None = None) -> list[FieldDiff]:
        if obj is None:
            return _NONE_GIVEN  # type: ignore[return-value]  # the dataclass default
        got: list[FieldDiff] | None = obj.__dict__["_diffs"]
        if got is None:
            got = obj.__dict__["_diffs"] = diff_data(obj.existing, obj.data)
        return got

    def __set__(self, obj: Change, value: list[FieldDiff] | _Marker) -> None:
        if value is DERIVED:
            obj.__dict__["_diffs"] = None
        elif isinstance(value, _Marker):
            obj.__dict__["_diffs"] = []
        else:
            obj.__dict__["_diffs"] = value


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
    diffs: _Diffs = _Diffs()
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
        digest: bytes | None = self.__dict__.get("_payload_digest")
        if digest is not None:  # worked out with the plan's checksum (:meth:`stable_bytes`)
            return digest.hex()
        return payload_hash([self.kind.value, self.key, self.data])

    def stable_bytes(self) -> bytes:
        """``stable_json_bytes(self.to_dict())``. A create's data is encoded once for this and
        for its :attr:`payload_hash` (kept, 32 bytes): a first sync checksums and then journals
        a million creates, and encoding each twice was a tenth of its time."""
        key, label, transition = self.key, self.label, self.transition
        if (
            self.op is not Op.create
            or type(key) is not str
            or not (label is None or type(label) is str)
            or not (transition is None or type(transition) is str)
        ):
            return stable_json_bytes(self.to_dict())
        data = fast_json(self.data)
        if data is None:
            return stable_json_bytes(self.to_dict())
        try:  # plain text: orjson writes the standard encoder's bytes unless it refuses it
            key_json = orjson.dumps(key)
            label_json = b',"label":' + orjson.dumps(label) if label else b""
            transition_json = b',"transition":' + orjson.dumps(transition) if transition else b""
        except orjson.JSONEncodeError:  # a lone surrogate: the standard encoder decides
            return stable_json_bytes(self.to_dict())
        kind = _KIND_JSON[self.kind._value_]
        self.__dict__["_payload_digest"] = hashlib.sha256(
            b"".join((b"[", kind, b",", key_json, b",", data, b"]"))
        ).digest()
        return b"".join(
            (
                b'{"data":',
                data,
                b',"key":',
                key_json,
                b',"kind":',
                kind,
                label_json,
                b',"op":"create"',
                transition_json,
                b"}",
            )
        )

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
    new = new or {}
    if not old:
        # A create (the common case at scale): every field of ``new`` that has a value.
        return [FieldDiff(k, None, new[k]) for k in sorted(new) if new[k] is not None]
    return [
        FieldDiff(k, old.get(k), new.get(k))
        for k in sorted(set(old) | set(new))
        if old.get(k) != new.get(k)
    ]


def sort_changes(changes: list[Change]) -> list[Change]:
    """``sorted(changes, key=Change.sort_key)`` with no Python call per change: a first sync
    sorts a million creates, in whatever order the book lists its accounts (there the key
    tuples took 5.5 to 8 s). The changes are put in order of their group (the op and kind:
    the sort key's first three parts, a handful of groups), then each group in order of its
    keys. Both sorts are stable, so ties keep their order, as in one sort."""
    tags = list(map(_TAG, changes))
    groups = sorted(set(tags), key=_group_order)
    code = {tag: i for i, tag in enumerate(groups)}
    codes = list(map(code.__getitem__, tags))
    by_group = list(map(changes.__getitem__, sorted(range(len(changes)), key=codes.__getitem__)))
    sizes = Counter(codes)
    out: list[Change] = []
    start = 0
    for i in range(len(groups)):
        stop = start + sizes[i]
        out.extend(sorted(by_group[start:stop], key=_KEY))
        start = stop
    return out


_TAG = attrgetter("op._value_", "kind._value_")
_KEY = attrgetter("key")


def _group_order(tag: tuple[str, str]) -> tuple[int, ...]:
    """The first three parts of :meth:`Change.sort_key` for changes of this op and kind
    (taken from a change of them, so the two orders cannot drift apart)."""
    return Change(Op(tag[0]), Kind(tag[1]), "", None).sort_key()[:3]


@dataclass
class ChangeResult:
    """What happened to one change when applied. ``ok`` False carries the error text."""

    change: Change
    ok: bool = True
    remote_id: str | None = None
    error: str | None = None
    skipped: bool = False


def diff_objects(kind: Kind, desired: State, existing: State) -> list[Change]:
    """Diff one kind: set arithmetic on keys, field-level diffs on data (a create's diffs are
    :data:`DERIVED`, worked out only if read)."""
    want, have = desired.of(kind), existing.of(kind)
    want_labels = desired.labels.get(kind, {})
    remote = existing.remote_ids.get(kind, {})
    changes: list[Change] = []
    get = have.get
    # Objects shared with the platform's state (:func:`~.state.reuse`) are equal: they are
    # passed over in one C-level pass, and only the rest (few, once aligned) are looked at.
    # Where both hold the same keys in the same order (a platform the book was synced to), the
    # pass walks the two side by side rather than looking each key up (a million look-ups
    # scattered over memory).
    if len(want) == len(have) and list(want) == list(have):
        held: Iterable[Data | None] = have.values()
    else:
        held = map(get, want)
    apart = compress(want.items(), map(is_not, held, want.values()))
    creates = 0
    for key, data in apart:
        old = get(key)
        if old is None:
            creates += 1
            changes.append(Change(Op.create, kind, key, data, None, DERIVED, want_labels.get(key)))
        elif old != data:
            changes.append(
                Change(
                    Op.update,
                    kind,
                    key,
                    data,
                    old,
                    diff_data(old, data),
                    want_labels.get(key),
                    remote.get(key),
                )
            )
    if len(have) == len(want) - creates:
        return changes  # every other key of ``want`` is in ``have``: nothing to delete
    for key in have.keys() - want.keys():
        changes.append(
            Change(
                Op.delete,
                kind,
                key,
                None,
                have[key],
                [],
                existing.label(kind, key),
                remote.get(key),
            )
        )
    return changes
