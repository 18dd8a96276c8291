"""tierform's neutral fields <-> Gainsight Company fields, and the CTA marker. Pure functions.

Custom fields can only be created in Gainsight's UI (Data Management), so their API names must be
predictable: ``tf_health_score`` is ``Tf_Health_Score__gc`` (each word capitalised, ``__gc`` for a
custom field). ``tf_csm`` is also written to the standard ``Csm`` lookup (a GsUser GSID) when the
CSM resolves to a Gainsight user.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Mapping
from typing import Any

from tierform.sync.state import Data

# tierform's field type -> (Gainsight describe dataType, the UI's data type name)
TYPES: dict[str, tuple[str, str]] = {
    "text": ("STRING", "String"),
    "number": ("NUMBER", "Number"),
    "date": ("DATE", "Date"),
    "bool": ("BOOLEAN", "Boolean"),
}
# describe dataTypes a value of each type can be written to and read back from unchanged
COMPATIBLE: dict[str, frozenset[str]] = {
    "text": frozenset({"STRING", "RICHTEXTAREA"}),
    "number": frozenset({"NUMBER", "DECIMAL", "DOUBLE", "INTEGER"}),
    "date": frozenset({"DATE"}),
    "bool": frozenset({"BOOLEAN"}),
}
MARKER = "[tierform:"


def api_name(field: str) -> str:
    """``tf_health_score`` -> ``Tf_Health_Score__gc``."""
    return "_".join(p[:1].upper() + p[1:] for p in field.split("_") if p) + "__gc"


def ui_label(field: str) -> str:
    """The Field Name to type in Data Management so Gainsight derives :func:`api_name`."""
    return " ".join(p[:1].upper() + p[1:] for p in field.split("_") if p)


def gs_type(field_type: str) -> str:
    return TYPES.get(field_type, TYPES["text"])[0]


def gs_type_label(field_type: str) -> str:
    return TYPES.get(field_type, TYPES["text"])[1]


def compatible(field_type: str, data_type: str | None) -> bool:
    return str(data_type or "").upper() in COMPATIBLE.get(field_type, COMPATIBLE["text"])


def to_wire(value: Any, field_type: str) -> Any:
    """A neutral value as Gainsight takes it (dates as ISO ``yyyy-MM-dd`` [secondary])."""
    if value is None:
        return None
    if field_type == "number":
        return value
    if field_type == "bool":
        return bool(value)
    return str(value)


def from_wire(value: Any, field_type: str) -> Any:
    """A query value as neutral data: dates come back as epoch milliseconds [confirmed]."""
    if value is None or value == "":
        return None
    if field_type == "date":
        if isinstance(value, int | float):
            return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC).date().isoformat()
        return str(value)[:10]
    if field_type == "number" and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


# -- CTAs --------------------------------------------------------------------------------


def comments(key: str, data: Mapping[str, Any]) -> str:
    """CTA Comments: the reason, then tierform's marker (its key and what it must read back).

    Comments are rich text: Gainsight may wrap or escape them, so :func:`parse_marker` unescapes
    and strips tags before reading the marker.
    """
    marker = {
        "key": key,
        "source": data.get("source"),
        "assignee": data.get("assignee"),
        "reason": data.get("reason"),
    }
    if data.get("gs_playbook"):
        marker["gs_playbook"] = data.get("gs_playbook")
    text = str(data.get("reason") or "")
    tail = MARKER + json.dumps(marker, sort_keys=True, ensure_ascii=False) + "]"
    return f"{text}\n\n{tail}" if text else tail


def parse_marker(text: Any) -> dict[str, Any] | None:
    if not isinstance(text, str) or "tierform:" not in text:
        return None
    plain = html.unescape(re.sub(r"<[^>]+>", " ", text))
    at = plain.find(MARKER)
    if at < 0:
        return None
    try:
        found, _ = json.JSONDecoder().raw_decode(plain[at + len(MARKER) :].lstrip())
    except ValueError:
        return None
    return found if isinstance(found, dict) and isinstance(found.get("key"), str) else None


def cta_date(value: Any) -> str | None:
    """CTA dates are ISO strings [confirmed] (epoch ms tolerated)."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC).date().isoformat()
    try:
        return dt.date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError:
        return None


def cta_data(marker: Mapping[str, Any], row: Mapping[str, Any], account: str | None) -> Data:
    """A CTA as neutral work-item data: the visible fields from the CTA, the rest from the
    marker (what tierform wrote, whatever a person later does to the owner)."""
    out: Data = {
        "account_id": account,
        "title": row.get("Name") if row.get("Name") is not None else row.get("name"),
        "due": cta_date(row.get("DueDate") if "DueDate" in row else row.get("dueDate")),
        "source": marker.get("source"),
        "reason": marker.get("reason"),
        "assignee": marker.get("assignee"),
    }
    if marker.get("gs_playbook"):
        out["gs_playbook"] = marker.get("gs_playbook")
    return out
