"""Gainsight credentials as ``httpx.Auth``: the org's Access Key, or M2M OAuth.

The Access Key goes in the ``accesskey`` header (the docs spell it four ways; header names are
case-insensitive, so one name covers them). M2M OAuth trades ``Basic base64(id:secret)`` at
``POST /v1/users/m2m/oauth/token`` for a bearer token (``expires_in`` 86400 s) [secondary: two
connectors, from the doc's sample]; the token is refreshed before it expires and once on a 401.
The token request never follows a redirect, so neither secret can reach another host. It counts
against the tenant's rate limit like any call, so a 429, a 5xx or a dropped connection on it
raises the retriable errors the client's retry policy retries (the request the token is for was
not sent yet, so retrying is safe even for a create); only a refusal of the credentials is an
AuthError.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from pydantic import SecretStr

from tierform.adapters.gainsight.client import describe_error
from tierform.adapters.gainsight.transport import RATE_LIMITED, UNAUTHORIZED
from tierform.adapters.http.auth import BasicAuth, HeaderAuth, RefreshingTokenAuth
from tierform.adapters.http.body import json_body
from tierform.adapters.http.classify import retry_after, scrub
from tierform.errors import (
    AdapterError,
    AuthError,
    PermanentApiError,
    RateLimited,
    TransientApiError,
)

TOKEN_PATH = "/v1/users/m2m/oauth/token"
EXPIRY_MARGIN = 300.0  # refresh this many seconds before the token expires


class AccessKeyAuth(HeaderAuth):
    """``accesskey: <key>``."""

    def __init__(self, key: SecretStr) -> None:
        super().__init__(key, header="accesskey")


class M2MOAuth(RefreshingTokenAuth):
    """Bearer tokens from the M2M OAuth token endpoint (``fetch_token`` is one POST)."""

    def __init__(
        self,
        host: str,
        client_id: SecretStr,
        client_secret: SecretStr,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
        before: Callable[[], Any] | None = None,
        hint: str = "",
    ) -> None:
        super().__init__()
        self._basic = BasicAuth(client_id, client_secret)
        self._host = host.rstrip("/")
        self._transport = transport
        self._timeout = timeout
        self._clock = clock
        self._before = before
        self._hint = hint
        self._expires_at = 0.0

    def token_valid(self) -> bool:
        return self._clock() < self._expires_at - EXPIRY_MARGIN

    def fetch_token(self) -> str:
        """One token request. Its failures are classified like any other call's: it is a call
        on the tenant host, so it counts against the 100/min limit [inferred from the limit's
        scope], and connectors retry 429s and 5xx [secondary]; only a refusal of the
        credentials is an AuthError."""
        if self._before is not None:
            self._before()  # the token request counts against the tenant's limit too
        with httpx.Client(
            transport=self._transport, timeout=self._timeout, follow_redirects=False
        ) as http:
            try:
                response = http.post(self._host + TOKEN_PATH, auth=self._basic)
            except httpx.TransportError as exc:
                # Nothing was sent on the user's behalf yet, so a retry is always safe.
                raise TransientApiError(
                    f"gainsight: the OAuth token request to {self._host}{TOKEN_PATH} failed "
                    f"({type(exc).__name__}); check base_url and the network if it persists"
                ) from None
        body = _json(response)
        token = _token_of(body)
        if response.status_code != 200 or token is None:
            raise self._refusal(response, body)
        self._expires_at = self._clock() + _lifetime(body)
        return token

    def _refusal(self, response: httpx.Response, body: Any) -> AdapterError:
        """The error a failed token answer means: a rate limit (429, GS_APIG_2404, also inside
        an HTTP 200) and a 5xx are retried; 401/403 and the GS_APIG_240x credential codes are
        an AuthError; anything else is permanent."""
        status = response.status_code
        envelope = body if isinstance(body, dict) else {}
        code = str(envelope.get("errorCode") or "")
        what = describe_error(code, envelope.get("errorDesc")) if code else f"HTTP {status}"
        message = scrub(f"gainsight: the OAuth token request answered {what}", self.secrets())
        if status == 429 or code in RATE_LIMITED:
            return RateLimited(message, retry_after=retry_after(response))
        if status >= 500:
            return TransientApiError(message, retry_after=retry_after(response))
        if status in (401, 403) or _credential_code(code):
            refused = message.replace("answered", "was refused", 1)
            return AuthError(f"{refused}. {self._hint}", status=status)
        if status == 200:
            message = scrub(
                f"gainsight: the OAuth token answer (HTTP 200) carried no access_token"
                f"{f' ({what})' if code else ''}",
                self.secrets(),
            )
        return PermanentApiError(f"{message}; check base_url", status=status)

    def secrets(self) -> list[str]:
        return [*super().secrets(), *self._basic.secrets()]


def _json(response: httpx.Response) -> Any:
    try:
        return json_body(response)
    except ValueError:
        return None


def _lifetime(body: Any) -> float:
    """``expires_in`` seconds, at the top level [secondary] or inside ``data``; else an hour."""
    expires = body.get("expires_in") if isinstance(body, dict) else None
    data = body.get("data") if isinstance(body, dict) else None
    if expires is None and isinstance(data, dict):
        expires = data.get("expires_in")
    try:
        return float(expires) if expires is not None else 3600.0
    except (TypeError, ValueError):
        return 3600.0


def _credential_code(code: str) -> bool:
    """GS_APIG_2401 (bad credentials), GS_APIG_2402 (IP allowlist) and their GS_APIG_240x
    siblings, but not GS_APIG_2404 (the rate limit); GSOBJ_1024 is "Invalid authorization
    headers" [confirmed]."""
    return code in UNAUTHORIZED or (code.startswith("GS_APIG_240") and code not in RATE_LIMITED)


def _token_of(body: Any) -> str | None:
    """The token at the top level [secondary] or inside an envelope's ``data`` (tolerated)."""
    if not isinstance(body, dict):
        return None
    if body.get("result") is False:
        return None
    for where in (body, body.get("data")):
        if isinstance(where, dict) and isinstance(where.get("access_token"), str):
            return str(where["access_token"])
    return None
