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
# The CTA field a playbook is attached under at create. No source names it: the research says
# only "a playbook field at CTA create" [C/S]; the name follows the CTA's other id fields
# (OwnerId, StatusId in the list sample [C]) and is inferred [I]. A tenant may ignore it, so
# what the CTA list returns under it, never what was sent, says whether a playbook is attached.
PLAYBOOK_FIELD = "PlaybookId"


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


# Date forms a CTA date may come in: ISO (the CTA list sample, "2020-04-14T11:30:00Z" [C]), and
# those the filter samples use, "yyyy-MM-dd HH:mm:ss" and "MM-dd-yyyy" [S]; whether a tenant ever
# answers with the latter two is not documented [I], so both are read. Dates are written as ISO.
US_DATE = re.compile(r"(\d{2})-(\d{2})-(\d{4})")


def cta_date(value: Any) -> str | None:
    """A CTA date as ``yyyy-MM-dd``: ISO (with or without a time), ``MM-dd-yyyy`` or epoch ms."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC).date().isoformat()
    text = str(value).strip()
    us = US_DATE.match(text)
    try:
        if us:
            month, day, year = (int(part) for part in us.groups())
            return dt.date(year, month, day).isoformat()
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return None


PLAYBOOK_KEYS = ("playbookid", "playbook_id")  # the field as rows may spell it [I]


def read_playbook(row: Mapping[str, Any], playbook_id: Mapping[str, str]) -> str | None:
    """The playbook a CTA carries, by name where ``playbook_id`` (name -> GSID) knows it, else
    as returned; None when the CTA has none. The field name is inferred, so it is found in any
    case or snake form, and an expanded lookup (``{"Gsid", "Name"}``) counts by either."""
    value = next((v for k, v in row.items() if k.lower() in PLAYBOOK_KEYS), None)
    if isinstance(value, Mapping):
        value = next((value[k] for k in ("Gsid", "gsid", "Name", "name") if value.get(k)), None)
    if value is None or value == "":
        return None
    text = str(value).strip()
    for name, gsid in playbook_id.items():
        if text.casefold() in (gsid.casefold(), name.strip().casefold()):
            return name
    return text


def cta_data(
    marker: Mapping[str, Any],
    row: Mapping[str, Any],
    account: str | None,
    playbook_id: Mapping[str, str] | None,
) -> Data:
    """A CTA as neutral work-item data: the visible fields from the CTA, the rest from the
    marker (what tierform wrote, whatever a person later does to the owner).

    The playbook is read from the CTA where tierform attached one; ``playbook_id`` None means
    the tenant refuses to list the playbook field, and only the marker can say (unverified)."""
    out: Data = {
        "account_id": account,
        "title": row.get("Name") if row.get("Name") is not None else row.get("name"),
        "due": cta_date(row.get("DueDate") if "DueDate" in row else row.get("dueDate")),
        "source": marker.get("source"),
        "reason": marker.get("reason"),
        "assignee": marker.get("assignee"),
    }
    if marker.get("gs_playbook"):
        out["gs_playbook"] = (
            marker["gs_playbook"] if playbook_id is None else read_playbook(row, playbook_id)
        )
    return out
