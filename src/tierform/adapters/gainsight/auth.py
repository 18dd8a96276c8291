"""Gainsight credentials as ``httpx.Auth``: the org's Access Key, or M2M OAuth.

The Access Key goes in the ``accesskey`` header (the docs spell it four ways; header names are
case-insensitive, so one name covers them). M2M OAuth trades ``Basic base64(id:secret)`` at
``POST /v1/users/m2m/oauth/token`` for a bearer token (``expires_in`` 86400 s) [secondary: two
connectors, from the doc's sample]; the token is refreshed before it expires and once on a 401.
The token request never follows a redirect, so neither secret can reach another host.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from pydantic import SecretStr

from tierform.adapters.http.auth import BasicAuth, HeaderAuth, RefreshingTokenAuth
from tierform.adapters.http.body import json_body
from tierform.adapters.http.classify import scrub
from tierform.errors import AuthError

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
        if self._before is not None:
            self._before()  # the token request counts against the tenant's limit too
        with httpx.Client(
            transport=self._transport, timeout=self._timeout, follow_redirects=False
        ) as http:
            try:
                response = http.post(self._host + TOKEN_PATH, auth=self._basic)
            except httpx.TransportError as exc:
                raise AuthError(
                    f"gainsight: cannot reach {self._host}{TOKEN_PATH} for an OAuth token "
                    f"({type(exc).__name__}); check base_url and the network"
                ) from None
        body = _json(response)
        token = _token_of(body)
        if response.status_code != 200 or token is None:
            code = str((body or {}).get("errorCode") or "") if isinstance(body, dict) else ""
            desc = str((body or {}).get("errorDesc") or "") if isinstance(body, dict) else ""
            what = f"{code}: {desc}" if code else f"HTTP {response.status_code}"
            if response.is_redirect:
                what = f"a redirect ({response.status_code}), not followed"
            raise AuthError(
                scrub(
                    f"gainsight: the OAuth token request was refused ({what}). {self._hint}",
                    self.secrets(),
                )
            )
        expires = body.get("expires_in") if isinstance(body, dict) else None
        data = body.get("data") if isinstance(body, dict) else None
        if expires is None and isinstance(data, dict):
            expires = data.get("expires_in")
        try:
            lifetime = float(expires) if expires is not None else 3600.0
        except (TypeError, ValueError):
            lifetime = 3600.0
        self._expires_at = self._clock() + lifetime
        return token

    def secrets(self) -> list[str]:
        return [*super().secrets(), *self._basic.secrets()]


def _json(response: httpx.Response) -> Any:
    try:
        return json_body(response)
    except ValueError:
        return None


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
