"""Neutral objects <-> ChurnZero attributes and events. Pure functions, no I/O.

Where the coverage fields live. A ``setAttribute`` with a new name creates an account custom
field of that name [C]; tierform writes ``tf_tier`` ... under their own names. REST returns custom
fields nested under ``Cf``, keyed by the display name with non-alphanumerics stripped
(``Cf.tftier``) [S]; the plain name (``Cf.tf_tier``) is accepted too, since the key form is not
confirmed [I]. Fields only count as tierform's when their name is one tierform writes (the
stripped form cannot tell ``tf_x`` from a customer's ``TFx`` otherwise), so nothing else is ever
touched. Values arrive as text until a person types the field (Admin > Custom Fields), so they
are read back through the type the model gives each field.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from tierform.sync.state import Data

OURS = "tf_"
OWNER = "OwnerUserAccount"  # standard Account field: the owner's UserName [C]/[S]
EVENT_PREFIX = "tf: "
MAX_ID = 100  # accountExternalId / contactExternalId [S] CZJS
# Fields tierform writes whatever the model (tierform.sync.fields): recognised in either key form.
CATALOGUE = (
    "tf_tier",
    "tf_touch_model",
    "tf_layer",
    "tf_segment_score",
    "tf_csm",
    "tf_health_score",
    "tf_health_band",
    "tf_renewal_window",
    "tf_migration",
    "tf_next_step",
    "tf_open_tasks",
)
_KEY = re.compile(r"tierform (tf-[A-Za-z0-9_-]+)")
_DUE = re.compile(r"\| due (\d{4}-\d{2}-\d{2})")


def squash(name: str) -> str:
    """``tf_health_score`` -> ``tfhealthscore`` (the stripped form, case-insensitive)."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


class FieldKeys:
    """Which ``Cf`` keys hold which tierform field, in either key form."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = sorted(set(CATALOGUE) | set(names))
        self._by_squash = {squash(n): n for n in self.names}

    def name_of(self, key: str) -> str | None:
        """The tierform field behind a ``Cf`` key, or None when it is not tierform's."""
        if key.startswith(OURS):
            return key
        return self._by_squash.get(squash(key))

    def ours(self, cf: Mapping[str, Any]) -> dict[str, Any]:
        """tierform's fields in a ``Cf`` object, by field name (nulls kept: they say "exists")."""
        out: dict[str, Any] = {}
        for key, value in cf.items():
            name = self.name_of(str(key))
            if name is not None and (name not in out or out[name] is None):
                out[name] = value
        return out


def custom_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """The custom fields of a REST row: the ``Cf`` object [S], or top-level ``cf_`` columns."""
    cf = row.get("Cf")
    if isinstance(cf, Mapping):
        return dict(cf)
    return {k[3:]: v for k, v in row.items() if k.lower().startswith("cf_")}


def from_platform(value: Any, typ: str | None) -> Any:
    """A read value in the model's type: text fields hold numbers as text until typed."""
    if value is None or value == "":
        return None
    if typ == "number":
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return value
        try:
            number = float(str(value).replace(",", "").strip())
        except ValueError:
            return value  # not a number: shown as a difference, never hidden
        return number if math.isfinite(number) else value
    if typ == "text" and isinstance(value, int | float) and not isinstance(value, bool):
        return _number_text(value)
    return value


def to_platform(value: Any) -> str:
    """A value as the push API takes it [C] FMTDOC: numbers without spaces or separators,
    booleans ``True``/``False``, dates ISO-8601. A cleared value is sent as empty text; nothing
    says ChurnZero clears a field on it [I], so a clear is read back like any write."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int | float):
        return _number_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _number_text(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def set_attribute(account: str, name: str, value: Any, contact: str) -> dict[str, Any]:
    """One ``setAttribute`` action on an account (upserts it [S]). It names the contact too:
    "All calls must include the appKey, account identifier and contact identifier" [C]."""
    return {
        "action": "setAttribute",
        "entity": "account",
        "accountExternalId": account,
        "contactExternalId": contact,
        "name": name,
        "value": to_platform(value),
    }


# -- events ----------------------------------------------------------------------------------


def event_name(data: Data, key: str = "") -> str:
    """The event type a work item is sent as: one per rule or playbook (its ``source``), so one
    Play per event type turns them into tasks; the item's own text is in the description."""
    source = str(data.get("source") or data.get("title") or key)
    return (EVENT_PREFIX + " ".join(source.split()))[:MAX_ID]


def event_description(key: str, data: Data) -> str:
    """Carries tierform's key (what makes a re-send detectable) and what the task needs."""
    parts = [f"tierform {key}"]
    if data.get("due"):
        parts.append(f"due {data['due']}")
    if data.get("title"):
        parts.append(str(data["title"]))
    if data.get("assignee"):
        parts.append(f"for {data['assignee']}")
    if data.get("reason"):
        parts.append(str(data["reason"]))
    return " | ".join(parts)


def event_key(description: Any) -> str | None:
    match = _KEY.search(str(description or ""))
    return match.group(1) if match else None


def event_due(description: Any) -> str | None:
    match = _DUE.search(str(description or ""))
    return match.group(1) if match else None


def track_event(key: str, data: Data, contact: str, event_date: str) -> dict[str, Any]:
    """One ``trackEvent`` action [S]; ``allowDupes`` stays false, so a replay with the same
    ``eventDate`` is skipped by ChurnZero as a duplicate [S]."""
    return {
        "action": "trackEvent",
        "accountExternalId": str(data.get("account_id")),
        "contactExternalId": contact,
        "eventName": event_name(data, key),
        "eventDate": event_date,
        "description": event_description(key, data),
        "quantity": 1,
    }
