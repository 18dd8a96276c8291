"""The part of OData v4 tierform speaks to ChurnZero's REST API: literals, ``or`` filters that
fit in a URL, and the two documented paging forms.

Paging [C]: "The page size for all collection requests is 100 results", continued through
``@odata.nextLink``; with ``$top`` there is no nextLink and the caller raises ``$skip`` until an
empty page. tierform lets the server page (no ``$top``) and follows nextLink; should a page come
back full without one (one secondary source says ``$top``-style paging also applies to plain
requests [I]), it continues with ``$skip``, and stops with an error when a page starts with the
row the one before started with (a server ignoring ``$skip`` would otherwise be read forever).
A page shorter than 100 without a nextLink is the last: a read that fits one page costs one
request.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from urllib.parse import quote

PAGE = 100  # [C] DEVDOC
# Query strings past ~2 KB are refused by common IIS defaults (ChurnZero answers from ASP.NET
# [S]); filters are packed to stay under this, URL-encoded.
MAX_FILTER = 1800


def literal(value: str | int | float) -> str:
    """An OData literal: strings single-quoted with quotes doubled."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def any_of(field: str, values: Iterable[str | int], max_len: int = MAX_FILTER) -> Iterator[str]:
    """``field eq a or field eq b ...`` filters, each at most ``max_len`` characters encoded.

    Only ``or`` is used: mixing ``and`` with ``or`` is reported to fail [I].
    """
    parts: list[str] = []
    size = 0
    for value in values:
        term = f"{field} eq {literal(value)}"
        cost = len(quote(term, safe="")) + len(quote(" or ", safe=""))
        if parts and size + cost > max_len:
            yield " or ".join(parts)
            parts, size = [], 0
        parts.append(term)
        size += cost
    if parts:
        yield " or ".join(parts)
