"""Search API queries and replies. Pure functions: no I/O.

A query is JSON sent as the form field ``query`` [SEARCH]: ``terms`` (filters, all must match),
``fields`` (the columns, returned positionally in each hit's ``selected_fields``), ``count``
(at most 1,000), ``offset`` (a record offset) and ``sort_by``/``sort_order``. The reply is
``{"status": "success", "response": {"accounts": {"total_hits", "hits": [{"name": <account
id>, "display_name", "selected_fields": [...]}]}}}``; a refused query is ``{"status":
"failed", "_error": "..."}`` with an HTTP status the sources do not show, so it is read as a
refusal at any status but 401 and 429.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tierform.errors import PermanentApiError

PAGE = 1000  # "count": max 1000 [SEARCH]
REACH = 10_000  # "at most 10,000 records can be reached through the API" [SEARCH]
SUCCESS_MANAGER = "Success Manager"


class SearchRefused(PermanentApiError):
    """The Search API answered ``status: failed`` (the query itself was not accepted)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(f"totango: the Search API refused the query: {message}", status)


def attribute_field(name: str) -> dict[str, Any]:
    return {"type": "string_attribute", "attribute": name, "field_display_name": name}


def attribute_in(name: str, values: Iterable[Any]) -> dict[str, Any]:
    return {"type": "string_attribute", "attribute": name, "in_list": [str(v) for v in values]}


def id_in(term: str, ids: Iterable[str]) -> dict[str, Any]:
    """Accounts by id. The term's name is not documented [I]: ``id_term`` in the settings."""
    return {"type": "string", "term": term, "in_list": list(ids)}


def query(
    terms: Sequence[Mapping[str, Any]],
    fields: Sequence[str],
    *,
    count: int = PAGE,
    offset: int = 0,
    order: str = "ASC",
) -> str:
    """``order``: ``ASC`` or ``DESC`` (``sort_order`` [SEARCH]); reading one query from both
    ends reaches twice as many records."""
    body = {
        "terms": list(terms),
        "fields": [attribute_field(f) for f in fields],
        "count": count,
        "offset": offset,
        "scope": "all",
        "sort_by": "display_name",
        "sort_order": order,
    }
    return json.dumps(body, separators=(",", ":"))


@dataclass
class Hit:
    account_id: str
    name: str | None
    values: dict[str, Any] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class Page:
    total: int
    hits: list[Hit]
    listed: bool = True  # the reply held a list of hits (False: a shape not known)


def parse(body: Any, fields: Sequence[str], kind: str = "accounts") -> Page:
    """One reply: its hits with ``selected_fields`` mapped back to the requested fields."""
    if isinstance(body, str):
        raise SearchRefused(body.strip()[:300] or "empty reply")
    if not isinstance(body, Mapping):
        raise SearchRefused("the reply is not a JSON object")
    if str(body.get("status", "success")).lower() != "success":
        raise SearchRefused(str(body.get("_error") or body.get("message") or body.get("status")))
    response = body.get("response")
    response = response if isinstance(response, Mapping) else {}
    block = response.get(kind)
    if not isinstance(block, Mapping) and kind != "accounts":
        # The users listing's reply is not documented [I]: any block that holds hits
        block = next((b for b in response.values() if isinstance(b, Mapping) and "hits" in b), None)
    listed = isinstance(block, Mapping) and isinstance(block.get("hits"), list)
    block = block if isinstance(block, Mapping) else {}
    hits = []
    for raw in block.get("hits") or []:
        if not isinstance(raw, Mapping):
            continue
        if raw.get("name") in (None, "") and kind == "accounts":
            continue
        cells = raw.get("selected_fields") or []
        values = {f: (cells[i] if i < len(cells) else None) for i, f in enumerate(fields)}
        hits.append(Hit(str(raw.get("name") or ""), raw.get("display_name"), values, raw))
    try:
        total = int(block.get("total_hits", len(hits)))
    except (TypeError, ValueError):
        total = len(hits)
    return Page(total, hits, listed)


def refusal(body: Any) -> str | None:
    """The ``_error`` text of a refused reply, else None."""
    if isinstance(body, Mapping) and str(body.get("status", "")).lower() == "failed":
        return str(body.get("_error") or "failed")
    return None
