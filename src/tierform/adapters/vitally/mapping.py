"""Neutral objects <-> Vitally JSON. Pure functions: no I/O, so every rule is unit-testable.

Where the coverage fields live. Vitally writes any trait key sent in ``traits`` and keeps it as a
*data trait*; a *custom trait* created in the UI (Settings -> Traits management) gets a
``vitally.custom.<camelKey>`` key instead [DOC]. tierform writes each field ``tf_x`` to the
custom trait when one named like it exists (typed, shown in the UI, and what the build sheet asks
for), else to the data trait ``tf_x`` so a sync works before the build sheet is done. Both forms
are read; when a custom trait appears later, the old data-trait value is removed on the next
write. Trait writes merge and ``null`` deletes one key [DOC], so only tierform's keys are sent.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tierform.sync.state import Data

OURS = "tf_"
CUSTOM = "vitally.custom."
# Traits tierform keeps on its tasks and projects to read back exactly what it wrote, whatever
# Vitally does to HTML descriptions or to assignees a person changes later.
T_KEY, T_SOURCE, T_REASON, T_ASSIGNEE = "tf_work_item", "tf_source", "tf_reason", "tf_assignee"

# customFields' "type" values are not documented [INFERRED]: common spellings map to ours.
_TYPES = {
    "text": {"string", "text", "picklist", "select", "dropdown", "enum", "url", "email", "html"},
    "number": {"number", "numeric", "integer", "int", "float", "decimal", "currency", "percent"},
    "date": {"date", "datetime", "timestamp"},
    "bool": {"boolean", "bool", "checkbox"},
}


def squash(text: str) -> str:
    """``tf_health_score``, ``tfHealthScore`` and ``TF Health score`` all give one key."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def field_key(definition: Mapping[str, Any]) -> str:
    """The trait key of a customFields entry (the object's shape is undocumented: be lenient).

    Custom traits are written as ``vitally.custom.<camelKey>`` [DOC]; a definition may list the
    bare ``camelKey``, so the prefix is added to a key that has no namespace. A namespaced key
    (``hspot.*``, ``sfdc.*``: another integration's trait) is kept as it is.
    """
    for name in ("key", "traitKey", "path", "name"):
        value = definition.get(name)
        if isinstance(value, str) and value:
            return value if "." in value else CUSTOM + value
    return ""


def is_custom(definition: Mapping[str, Any]) -> bool:
    """A custom trait tierform can write (its key is in Vitally's custom namespace)."""
    return field_key(definition).startswith(CUSTOM)


def field_type(definition: Mapping[str, Any]) -> str | None:
    raw = str(definition.get("type") or definition.get("dataType") or "").lower()
    return next((ours for ours, names in _TYPES.items() if raw in names), None)


def matches_field(definition: Mapping[str, Any], name: str) -> bool:
    key = field_key(definition)
    if key == name:
        return True
    target = squash(name)
    return (key.startswith(CUSTOM) and squash(key[len(CUSTOM) :]) == target) or squash(
        str(definition.get("label") or "")
    ) == target


@dataclass(frozen=True)
class TraitKeys:
    """Neutral field name -> the trait key it is written to (custom trait, else data trait)."""

    custom: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def resolve(cls, definitions: Iterable[Mapping[str, Any]], names: Iterable[str]) -> TraitKeys:
        defs = [d for d in definitions if is_custom(d)]
        found: dict[str, str] = {}
        for name in names:
            hit = next((d for d in defs if matches_field(d, name)), None)
            if hit is not None:
                found[name] = field_key(hit)
        return cls(found)

    def key(self, name: str) -> str:
        return self.custom.get(name, name)

    def owned(self, traits: Mapping[str, Any]) -> bool:
        """Whether an account carries any value tierform wrote."""
        return any(k.startswith(OURS) and v is not None for k, v in traits.items()) or any(
            traits.get(k) is not None for k in self.custom.values()
        )

    def neutral(self, traits: Mapping[str, Any]) -> Data:
        """tierform's fields from an account's traits (a custom trait wins over a data trait)."""
        out: Data = {k: v for k, v in traits.items() if k.startswith(OURS)}
        for name, key in self.custom.items():
            out[name] = traits.get(key)
        return out

    def stale(self, traits: Mapping[str, Any]) -> list[str]:
        """Data-trait keys superseded by a custom trait: removed on the next write."""
        return sorted(n for n in self.custom if traits.get(n) is not None)


# -- accounts --------------------------------------------------------------------------------


def account_create(key: str, name: str | None, data: Data, keys: TraitKeys) -> dict[str, Any]:
    return {
        "externalId": key,
        "name": name or key,
        "traits": {keys.key(n): v for n, v in sorted(data.items())},
    }


def trait_update(
    changes: Mapping[str, Any], keys: TraitKeys, stale: Iterable[str] = ()
) -> dict[str, Any]:
    """The ``traits`` object of a merge update: changed fields, nulls for removed ones.

    ``changes`` maps neutral field -> new value (None removes). Nothing else is sent, so traits
    tierform does not own are never touched.
    """
    out = {keys.key(n): v for n, v in sorted(changes.items())}
    for name in stale:
        out.setdefault(name, None)
    return out


def batch_message(key: str, traits: Mapping[str, Any], message_id: str) -> dict[str, Any]:
    """An analytics ``account`` message; ``messageId`` makes a replayed batch a no-op [DOC]."""
    return {"type": "account", "accountId": key, "traits": dict(traits), "messageId": message_id}


# -- tasks -----------------------------------------------------------------------------------


def task_body(
    key: str,
    data: Data,
    account_id: str,
    assignee_id: str | None,
    *,
    create: bool = False,
    changed: Collection[str] = (),
) -> dict[str, Any]:
    """``POST /tasks`` body: an upsert on ``externalId`` [DOC*], so re-runs never duplicate.

    A due date or description the task does not have is left out (a null there is nowhere
    documented, and a strict platform refuses it); only an update whose ``changed`` fields
    name it sends the null, so a value the model no longer has is cleared.
    """
    reason = data.get("reason")
    body: dict[str, Any] = {
        "externalId": key,
        "accountId": account_id,
        "name": data.get("title") or key,
        "dueDate": data.get("due"),
        "description": f"<p>{html.escape(str(reason))}</p>" if reason else None,
    }
    cleared = set() if create else {TASK_FIELDS[f] for f in changed if f in TASK_FIELDS}
    body = {k: v for k, v in body.items() if v is not None or k in cleared}
    body["traits"] = {
        T_SOURCE: data.get("source"),
        T_REASON: reason,
        T_ASSIGNEE: data.get("assignee"),
    }
    if assignee_id:
        body["assignedToId"] = assignee_id
    return body


TASK_FIELDS = {"due": "dueDate", "reason": "description"}  # model field -> the task's own
# A work item's task is upserted on its key as externalId [DOC*]. A task tierform archived (a
# DELETE archives [DOC]) may stay archived when that externalId is written again (nothing says
# an upsert restores it), so a task due again is then created under "<key>~2", "~3", ...: the
# reader maps every generation back to the key, the highest live one being the task.
GENERATION = "~"
MAX_GENERATION = 20


def task_generation(external_id: str) -> tuple[str, int]:
    """(key, generation) of a task's externalId: ``tf-abc~3`` is generation 3 of ``tf-abc``,
    a plain key generation 1."""
    base, sep, number = external_id.rpartition(GENERATION)
    if sep and number.isdigit() and int(number) >= 2:
        return base, int(number)
    return external_id, 1


def generation_id(key: str, generation: int) -> str:
    return key if generation <= 1 else f"{key}{GENERATION}{generation}"


def task_data(task: Mapping[str, Any], external_of: Mapping[str, str]) -> Data:
    traits = task.get("traits") or {}
    reason = traits.get(T_REASON)
    if reason is None and task.get("description"):
        reason = html.unescape(re.sub(r"<[^>]+>", "", str(task["description"]))).strip() or None
    return {
        "account_id": external_of.get(str(task.get("accountId"))),
        "title": task.get("name"),
        "due": _date(task.get("dueDate")),
        "source": traits.get(T_SOURCE),
        "reason": reason,
        "assignee": traits.get(T_ASSIGNEE),
    }


def is_live(obj: Mapping[str, Any]) -> bool:
    """DELETE archives tasks and projects (``archivedAt``) and lists may still show them."""
    return not obj.get("archivedAt")


def _date(value: Any) -> str | None:
    if not value:
        return None
    text = str(value)[:10]
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        return None
