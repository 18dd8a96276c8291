"""Platform-neutral objects: what tierform manages, keyed so that a diff is set arithmetic.

Desired state (compiled from the model) and actual state (read from a platform) share one shape,
:class:`State`: per :class:`Kind`, a mapping of stable key -> flat data. Values are canonical
(:func:`canon`) so equal things compare equal whatever the platform returned (``3`` vs ``3.0``,
``""`` vs ``None``, a date vs its ISO text).
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson

Data = dict[str, Any]


class Kind(StrEnum):
    """The kinds of object tierform manages, in apply order (definitions, values, work items)."""

    field = "field"
    segment = "segment"
    playbook = "playbook"
    rule = "rule"
    health = "health"
    account = "account"
    work_item = "work_item"

    @property
    def rank(self) -> int:
        return _RANK[self._value_]  # by text: an enum's own hash is computed in Python

    @property
    def is_config(self) -> bool:
        return self in CONFIG_KINDS


KIND_ORDER: list[Kind] = list(Kind)
_RANK = {kind.value: i for i, kind in enumerate(KIND_ORDER)}
CONFIG_KINDS = frozenset({Kind.segment, Kind.playbook, Kind.rule, Kind.health})


@dataclass(frozen=True, order=True)
class ObjectRef:
    """The identity of one managed object: its kind and stable key."""

    kind: Kind
    key: str

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.key}"


def canon(value: Any) -> Any:
    """The canonical form of a value, for comparing and hashing (never for display)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        rounded = round(value, 6)
        return int(rounded) if rounded.is_integer() and abs(rounded) < 2**53 else rounded
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): canon(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [canon(v) for v in value]
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return canon(item())
    return str(value)


def canon_data(data: Mapping[str, Any]) -> Data:
    """Canonical data without null fields (an absent field and a null field are the same)."""
    out: Data = {}
    for k in sorted(data):
        v = canon(data[k])
        if v is not None:
            out[k] = v
    return out


def stable_json(value: Any) -> str:
    """Compact JSON with sorted keys: what checksums and payload hashes are taken of."""
    if _orjson_safe(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
        except orjson.JSONEncodeError:
            pass  # e.g. a lone surrogate: the standard encoder decides, as it always did
    return _stdlib_json(value)


def stable_json_bytes(value: Any) -> bytes:
    """:func:`stable_json` as UTF-8 bytes (orjson's own, with no decode and re-encode)."""
    fast = fast_json(value)
    return fast if fast is not None else _stdlib_json(value).encode()


def fast_json(value: Any) -> bytes | None:
    """orjson's bytes for ``value`` where they are :func:`stable_json`'s, else None (the
    caller then takes the standard encoder)."""
    if _orjson_safe(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass
    return None


def _stdlib_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def payload_hash(value: Any) -> str:
    """sha256 of :func:`stable_json` (journals keep it: its bytes must never change)."""
    if _orjson_safe(value):
        try:
            return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()
        except orjson.JSONEncodeError:
            pass
    return hashlib.sha256(_stdlib_json(value).encode()).hexdigest()


# Where orjson writes exactly the bytes of ``json.dumps(sort_keys, separators=(",", ":"),
# ensure_ascii=False)``: plain str / int (64-bit) / bool / None, and floats that Python prints
# without an exponent (zero, or 1e-4 <= |x| < 1e16; orjson writes ``1e-7`` where Python writes
# ``1e-07``, and null for NaN). Anything else takes the standard encoder.
_INT_MIN, _INT_MAX = -(2**63), 2**63
_FLOAT_MIN, _FLOAT_MAX = 1e-4, 1e16


def _orjson_safe(value: Any) -> bool:
    """Whether ``value`` holds only what orjson writes as the standard encoder does.

    Plain loops, not generators: this walks every field of every payload hashed (a first sync
    hashes a million accounts and their work items), and the leaves are nearly all text."""
    t = type(value)
    if t is str or t is bool or value is None:
        return True
    if t is int:
        return _INT_MIN <= value < _INT_MAX
    if t is float:
        return value == 0.0 or _FLOAT_MIN <= abs(value) < _FLOAT_MAX
    if t is dict:
        for k in value:
            if type(k) is not str:
                return False
        return _all_safe(value.values())
    if t is list:
        return _all_safe(value)
    return False


def _all_safe(values: Iterable[Any]) -> bool:
    for v in values:
        t = type(v)
        if t is str or t is bool or v is None:
            continue
        if t is int:
            if not _INT_MIN <= v < _INT_MAX:
                return False
        elif t is float:
            if not (v == 0.0 or _FLOAT_MIN <= abs(v) < _FLOAT_MAX):
                return False
        elif not _orjson_safe(v):
            return False
    return True


#: orjson refuses (rather than converts) what is not plain JSON data: str / int / dict / list
#: subclasses, dates and dataclasses. With it, equal bytes mean equal keys and values of equal
#: types (``1``, ``1.0`` and ``true`` are equal in Python, never in JSON).
_EXACT = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATETIME
_EXACT |= orjson.OPT_PASSTHROUGH_DATACLASS


def reuse(old: Any, new: Data) -> Data:
    """``old`` where it is exactly ``new`` (same keys, same values of the same types), else
    ``new``. A desired state built beside the platform's then holds each object the platform
    already has once, not twice (an aligned million-account book is most of them), and the diff
    skips it at once. Data is never changed in place once in a state, and is read by key (its
    key order may be the platform's), so sharing it is safe."""
    if old is None or old != new:
        return new
    try:
        same = orjson.dumps(old, option=_EXACT) == orjson.dumps(new, option=_EXACT)
    except orjson.JSONEncodeError:  # not plain JSON data: keep new
        return new
    return old if same else new


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of state objects are built.

    Dicts, changes and results form no reference cycles, yet each 25 % growth of what lives
    sets off a full collection that walks them all again: a first sync of a million accounts
    spent seconds there. Nested pauses keep it paused until the outermost ends."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


@contextmanager
def frozen_gc() -> Iterator[None]:
    """Keep the cyclic garbage collector off every object alive now (a plan, its desired state)
    while a long loop runs: what the loop leaves behind is still collected (an HTTP adapter's
    cycles), but the full collections its results set off no longer walk a million changes.
    Everything frozen is thawed after, what the ``tierform`` command froze once it had started
    included: the collector then walks it again, as usual."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@dataclass
class State:
    """Objects per kind, each ``key -> canonical data``, plus display labels and remote ids.

    ``labels`` are for people (an account's name) and are never diffed. ``remote_ids`` are the
    platform's own ids where they differ from the key. ``warnings`` collect what a lenient read
    could not parse, so nothing is dropped silently.
    """

    objects: dict[Kind, dict[str, Data]] = field(default_factory=dict)
    labels: dict[Kind, dict[str, str]] = field(default_factory=dict)
    remote_ids: dict[Kind, dict[str, str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def put(
        self,
        kind: Kind,
        key: str,
        data: Mapping[str, Any],
        label: str | None = None,
        remote_id: str | None = None,
    ) -> None:
        self.objects.setdefault(kind, {})[key] = canon_data(data)
        if label:
            self.labels.setdefault(kind, {})[key] = label
        if remote_id:
            self.remote_ids.setdefault(kind, {})[key] = remote_id

    def of(self, kind: Kind) -> dict[str, Data]:
        return self.objects.get(kind, {})

    def label(self, kind: Kind, key: str) -> str | None:
        return self.labels.get(kind, {}).get(key)

    def kinds(self) -> list[Kind]:
        return [k for k in KIND_ORDER if self.objects.get(k)]

    def refs(self) -> Iterator[ObjectRef]:
        for kind in self.kinds():
            for key in sorted(self.objects[kind]):
                yield ObjectRef(kind, key)

    def count(self, kinds: Iterable[Kind] | None = None) -> int:
        wanted = set(kinds) if kinds is not None else set(Kind)
        return sum(len(v) for k, v in self.objects.items() if k in wanted)

    def only(self, kinds: Iterable[Kind]) -> State:
        """A shallow copy restricted to ``kinds``."""
        wanted = set(kinds)
        return State(
            {k: v for k, v in self.objects.items() if k in wanted},
            {k: v for k, v in self.labels.items() if k in wanted},
            {k: v for k, v in self.remote_ids.items() if k in wanted},
            list(self.warnings),
        )


@dataclass(frozen=True)
class Scope:
    """What a read should cover: the kinds, the keys tierform wants of each kind, and the
    desired state those keys come from.

    An adapter may read more (a spreadsheet is read whole) but must return every object it owns
    of these kinds, including ones not in ``keys`` (so they can be deleted). ``desired`` is what
    the plan will be compared with, already through ``normalize_desired``: an adapter may look
    at it to decide *how* to read (which platform users to resolve, which accounts to match),
    never to change what it reads back.
    """

    kinds: frozenset[Kind]
    keys: Mapping[Kind, frozenset[str]]
    desired: State = field(default_factory=lambda: State(), compare=False, repr=False)

    @classmethod
    def of(cls, desired: State, kinds: Iterable[Kind] | None = None) -> Scope:
        wanted = frozenset(kinds) if kinds is not None else frozenset(Kind)
        return cls(wanted, {k: frozenset(desired.of(k)) for k in wanted}, desired)
