"""Paginator objects: cursor, offset and page, each with loop detection.

A paginator is a small state machine, unit-testable without HTTP: :meth:`Paginator.params` gives
the query parameters of the next request, :meth:`Paginator.advance` reads the response and decides
whether another page follows. A cursor (or a page body) seen twice raises :class:`PaginationLoop`
instead of spinning forever; ``max_pages`` bounds the scan whatever the server does.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import httpx

from tierform.adapters.http.body import json_body
from tierform.errors import PaginationLoop

Records = Callable[[Any], list[Any]]


def _records_default(body: Any) -> list[Any]:
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        for key in ("results", "data", "items", "records"):
            if isinstance(body.get(key), list):
                return list(body[key])
    return []


class Paginator(ABC):
    def __init__(self, *, max_pages: int = 100_000, records: Records = _records_default) -> None:
        self.max_pages = max_pages
        self.records = records
        self.pages = 0
        self.finished = False
        self._seen: set[str] = set()

    @abstractmethod
    def params(self) -> dict[str, Any]:
        """Query parameters for the next request."""

    @abstractmethod
    def _advance(self, response: httpx.Response, body: Any) -> None:
        """Move to the next page or set ``finished``."""

    def advance(self, response: httpx.Response) -> list[Any]:
        """Consume one page; returns its records."""
        body = json_body(response)
        self.pages += 1
        items = self.records(body)
        self._advance(response, body)
        if not self.finished and self.pages >= self.max_pages:
            raise PaginationLoop(
                f"{response.request.url.path}: more than {self.max_pages} pages; "
                "stopping (raise max_pages if the data really is that large)"
            )
        return items

    def _check(self, token: str, path: str) -> None:
        if token in self._seen:
            raise PaginationLoop(
                f"{path}: the platform returned the same page twice "
                f"(page {self.pages}); stopping instead of looping"
            )
        self._seen.add(token)


class CursorPaginator(Paginator):
    """``?<cursor_param>=<token>`` from ``next_cursor(body)`` until it is empty."""

    def __init__(
        self,
        cursor_param: str = "cursor",
        next_cursor: Callable[[Any], str | None] | None = None,
        extra: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.cursor_param = cursor_param
        self.next_cursor = next_cursor or (lambda b: b.get("next") if isinstance(b, dict) else None)
        self.extra = dict(extra or {})
        self.cursor: str | None = None

    def params(self) -> dict[str, Any]:
        return {**self.extra, **({self.cursor_param: self.cursor} if self.cursor else {})}

    def _advance(self, response: httpx.Response, body: Any) -> None:
        token = self.next_cursor(body)
        if not token:
            self.finished = True
            return
        self._check(str(token), response.request.url.path)
        self.cursor = str(token)


class OffsetPaginator(Paginator):
    """``?offset=N&limit=L``; finished on a short page (or ``total`` reached when known)."""

    def __init__(
        self,
        limit: int = 100,
        offset_param: str = "offset",
        limit_param: str = "limit",
        total: Callable[[Any], int | None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.limit = limit
        self.offset = 0
        self.offset_param = offset_param
        self.limit_param = limit_param
        self.total = total

    def params(self) -> dict[str, Any]:
        return {self.offset_param: self.offset, self.limit_param: self.limit}

    def _advance(self, response: httpx.Response, body: Any) -> None:
        items = self.records(body)
        total = self.total(body) if self.total else None
        self.offset += len(items)
        if len(items) < self.limit or (total is not None and self.offset >= total):
            self.finished = True
            return
        self._check(_digest(response.content), response.request.url.path)


class PagePaginator(Paginator):
    """``?page=N&per_page=S`` from ``start``; finished on a short page or ``has_more`` false."""

    def __init__(
        self,
        size: int = 100,
        page_param: str = "page",
        size_param: str = "per_page",
        start: int = 1,
        has_more: Callable[[Any], bool | None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.size = size
        self.page = start
        self.page_param = page_param
        self.size_param = size_param
        self.has_more = has_more

    def params(self) -> dict[str, Any]:
        return {self.page_param: self.page, self.size_param: self.size}

    def _advance(self, response: httpx.Response, body: Any) -> None:
        items = self.records(body)
        more = self.has_more(body) if self.has_more else None
        if more is False or (more is None and len(items) < self.size):
            self.finished = True
            return
        self._check(_digest(response.content), response.request.url.path)
        self.page += 1


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
