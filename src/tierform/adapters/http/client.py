"""``ApiClient``: one httpx.Client per adapter with timeouts, pacing, classification and retries.

Contract of :meth:`ApiClient.request`:

1. waits for the pacer (reads and writes may have separate budgets);
2. sends through ``httpx.Client`` with explicit timeouts and the adapter's ``httpx.Auth``;
3. classifies the response or network failure (:mod:`.classify`) -- success returns the
   response, a fatal error raises at once with the platform's error text, a retriable one is
   retried by :class:`~.retry.RetryPolicy` (bounded, jittered, honouring ``Retry-After``);
   non-idempotent requests are replayed only when the platform surely did not process them;
4. logs ``METHOD path -> status`` at debug level: never headers, bodies or query strings, and
   every secret the auth knows is scrubbed from error text.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from tierform import __version__
from tierform.adapters.http.auth import SecretAuth
from tierform.adapters.http.body import json_body
from tierform.adapters.http.classify import (
    ErrorHint,
    ErrorKind,
    ErrorText,
    classify,
    classify_transport_error,
    default_error_text,
    scrub,
)
from tierform.adapters.http.pacer import Pacer
from tierform.adapters.http.pagination import Paginator
from tierform.adapters.http.retry import RetryPolicy

log = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def default_timeout(read: float = 30.0) -> httpx.Timeout:
    return httpx.Timeout(connect=10.0, read=read, write=read, pool=10.0)


class ApiClient:
    def __init__(
        self,
        base_url: str,
        *,
        platform: str,
        auth: httpx.Auth | None = None,
        timeout: httpx.Timeout | float | None = None,
        headers: dict[str, str] | None = None,
        retry: RetryPolicy | None = None,
        read_pacer: Pacer | None = None,
        write_pacer: Pacer | None = None,
        error_text: ErrorText = default_error_text,
        error_hint: ErrorHint | None = None,
        error_kind: ErrorKind | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.platform = platform
        self.retry = retry or RetryPolicy()
        self.read_pacer = read_pacer
        self.write_pacer = write_pacer if write_pacer is not None else read_pacer
        self.error_text = error_text
        self.error_hint = error_hint
        self.error_kind = error_kind
        self.auth = auth
        self._sent = itertools.count(1)
        self._sent_lock = threading.Lock()
        self.requests_sent = 0
        if isinstance(timeout, int | float):
            timeout = default_timeout(float(timeout))
        self._http = httpx.Client(
            base_url=base_url,
            auth=auth,
            timeout=timeout or default_timeout(),
            headers={
                "User-Agent": f"tierform/{__version__}",
                "Accept": "application/json",
                **(headers or {}),
            },
            follow_redirects=False,
            transport=transport,
        )

    def secrets(self) -> list[str]:
        return self.auth.secrets() if isinstance(self.auth, SecretAuth) else []

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        json: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        idempotent: bool | None = None,
        write: bool | None = None,
    ) -> httpx.Response:
        method = method.upper()
        idem = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        is_write = method not in READ_METHODS if write is None else write
        pacer = self.write_pacer if is_write else self.read_pacer
        label = f"{method} {url.split('?')[0]}"

        def attempt() -> httpx.Response:
            if pacer is not None:
                pacer.acquire()
            with self._sent_lock:  # requests may run on several threads (bounded_map)
                self.requests_sent = next(self._sent)
            try:
                response = self._http.request(
                    method, url, params=params, json=json, content=content, headers=headers
                )
            except httpx.TransportError as exc:
                raise classify_transport_error(exc, platform=self.platform, url=label) from None
            log.debug("http: %s -> %d", label, response.status_code)
            if pacer is not None:
                pacer.observe(response)
            classify(
                response,
                platform=self.platform,
                error_text=self.error_text,
                hint=self.error_hint,
                secrets=self.secrets(),
                kind=self.error_kind,
            )
            return response

        return self.retry.call(attempt, idempotent=idem, what=label)

    def get_json(self, url: str, **kwargs: Any) -> Any:
        return json_body(self.request("GET", url, **kwargs))

    def send_json(self, method: str, url: str, body: Any, **kwargs: Any) -> Any:
        response = self.request(method, url, json=body, **kwargs)
        return json_body(response) if response.content else None

    def paginate(
        self,
        url: str,
        paginator: Paginator,
        *,
        method: str = "GET",
        params: dict[str, Any] | None = None,
        body: Callable[[dict[str, Any]], Any] | None = None,
    ) -> Iterator[Any]:
        """Yield every record of every page (``body`` builds a JSON body for POST searches)."""
        while not paginator.finished:
            page_params = {**(params or {}), **paginator.params()}
            if body is not None:
                response = self.request(
                    method, url, json=body(page_params), idempotent=True, write=False
                )
            else:
                response = self.request(method, url, params=page_params)
            yield from paginator.advance(response)

    def scrub(self, text: str) -> str:
        return scrub(text, self.secrets())

    def close(self) -> None:
        self._http.close()
