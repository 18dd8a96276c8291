"""Flows (``activity_type_id``), which a task create requires [TASKS], as Totango lists them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FLOW_IDS = ("activity_type_id", "activityTypeId", "id")  # first that an item has
FLOW_NAMES = ("display_name", "displayName", "name", "title")


@dataclass(frozen=True)
class Flow:
    id: str
    name: str | None


def parse_flows(body: Any) -> list[Flow]:
    """``GET /api/v3/activity-types/``: clients read each item's ``activity_type_id``
    [C-code] but the reply's shape is not documented, so a bare list is taken, or the first
    list of objects under any key of an envelope (one level of nesting too); an item's id
    under ``activity_type_id``, ``activityTypeId`` or ``id``."""
    flows = []
    for item in _flow_items(body, depth=2):
        ident = next((item[k] for k in FLOW_IDS if item.get(k) not in (None, "")), None)
        name = next((item[k] for k in FLOW_NAMES if item.get(k) not in (None, "")), None)
        if ident is not None:
            flows.append(Flow(str(ident), str(name) if name is not None else None))
    return flows


def _flow_items(body: Any, depth: int) -> list[Mapping[str, Any]]:
    if isinstance(body, list):
        return [item for item in body if isinstance(item, Mapping)]
    if not isinstance(body, Mapping) or depth == 0:
        return []
    for value in body.values():
        items = _flow_items(value, depth - 1)
        if items:
            return items
    return []
