"""Gainsight's envelope at the transport: failures at HTTP 200 become real statuses.

Gainsight answers some failures with HTTP 200 and ``{"result": false, "errorCode": ...}``
[secondary: PostHog's connector; the Error Codes page lists 4xx/5xx for the same codes]. Both
forms are accepted: this wrapper gives a 200 whose body says ``result: false`` the status the
code means (401 for GS_APIG_2401/GSOBJ_1024, 403 for the IP allowlist GS_APIG_2402, 429 for
GS_APIG_2404/GU_2400, 400 otherwise), so the shared classifier, retries and token refresh treat
both forms alike. The codes of credentials, the allowlist and the rate limit also win over
another 4xx they come with: the Error Codes page gives GSOBJ_1024 ("Invalid authorization
headers") HTTP 400 [C], and GS_APIG_2404's status is not documented. A redirect is refused
here: the Access Key must never be re-sent elsewhere.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from tierform.adapters.http.body import json_loads
from tierform.errors import PermanentApiError

UNAUTHORIZED = frozenset({"GS_APIG_2401", "GSOBJ_1024"})
FORBIDDEN = frozenset({"GS_APIG_2402"})
RATE_LIMITED = frozenset({"GS_APIG_2404", "GU_2400"})
ENVELOPE_HEADER = "X-Tierform-Envelope-Status"


def status_for(code: str) -> int:
    if code in UNAUTHORIZED:
        return 401
    if code in FORBIDDEN:
        return 403
    if code in RATE_LIMITED:
        return 429
    return 400


class EnvelopeTransport(httpx.BaseTransport):
    """Wraps the real transport (or the test's); reads the body of every JSON 200."""

    def __init__(
        self, inner: httpx.BaseTransport | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self._owned = inner is None
        self.inner = inner if inner is not None else _shared()
        self.clock = clock

    def window_wait(self) -> str:
        """Seconds until the next fixed one-minute window [confirmed: "fixed window, e.g.
        10:00-10:01"]: Gainsight sends no Retry-After, and a jittered backoff shorter than the
        window only spends more of it."""
        return str(int(60 - self.clock() % 60) + 1)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if 300 <= response.status_code < 400:
            response.close()
            raise PermanentApiError(
                f"gainsight: {request.method} {request.url.path} answered a redirect "
                f"({response.status_code}); tierform does not follow redirects (the key must "
                "not reach another host): set base_url to the tenant's API host itself",
                status=response.status_code,
            )
        if response.status_code == 429 and "Retry-After" not in response.headers:
            content = response.read()
            headers = _plain(response.headers)
            headers["Retry-After"] = self.window_wait()
            return httpx.Response(429, headers=headers, content=content, request=request)
        if response.status_code != 200:
            return self._by_code(request, response)
        content = response.read()
        body = _parse(content)
        headers = _plain(response.headers)
        if not (isinstance(body, dict) and body.get("result") is False):
            return httpx.Response(200, headers=headers, content=content, request=request)
        status = status_for(str(body.get("errorCode") or ""))
        return self._as_status(request, response, content, status)

    def _by_code(self, request: httpx.Request, response: httpx.Response) -> httpx.Response:
        """A 4xx that carries the code of bad credentials, the IP allowlist or the rate
        limit, with the status that code means (its own status kept in a header)."""
        if not 400 <= response.status_code < 500 or response.status_code in (401, 403, 429):
            return response
        content = response.read()
        body = _parse(content)
        code = str(body.get("errorCode") or "") if isinstance(body, dict) else ""
        status = status_for(code)
        if status == 400:
            return response
        return self._as_status(request, response, content, status)

    def _as_status(
        self, request: httpx.Request, response: httpx.Response, content: bytes, status: int
    ) -> httpx.Response:
        """``response`` answered again with ``status`` (the one its error code means), its own
        status kept in a header; a rate limit waits for the next window unless it says when."""
        headers = _plain(response.headers)
        headers[ENVELOPE_HEADER] = str(response.status_code)
        if status == 429 and "Retry-After" not in headers:
            headers["Retry-After"] = self.window_wait()
        return httpx.Response(status, headers=headers, content=content, request=request)

    def close(self) -> None:
        if not self._owned:
            self.inner.close()


_SHARED: list[httpx.HTTPTransport] = []


def _shared() -> httpx.HTTPTransport:
    """One connection pool per process: building a TLS context costs tens of milliseconds, and
    the token client and every adapter instance may share it (httpx pools are thread-safe)."""
    if not _SHARED:
        _SHARED.append(httpx.HTTPTransport())
    return _SHARED[0]


def _plain(source: httpx.Headers) -> httpx.Headers:
    headers = httpx.Headers(source)
    for name in ("content-encoding", "content-length", "transfer-encoding"):
        headers.pop(name, None)  # the content is already decoded
    return headers


def _parse(content: bytes) -> Any:
    try:
        return json_loads(content) if content else None
    except (ValueError, UnicodeDecodeError):
        return None
