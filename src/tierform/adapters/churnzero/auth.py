"""ChurnZero's two credentials, held so that neither can leak.

REST: HTTP Basic ``base64(<user>:<API key>)`` [S]. Push: the ``appKey`` travels inside every
action (a JSON body field, never the query string, where it would end up in proxy logs);
:class:`PushKey` stamps it onto the actions at the last moment and lists it as a secret so the
client scrubs any error text that echoes it.
"""

from __future__ import annotations

import base64
from collections.abc import Generator, Iterable
from typing import Any

import httpx
from pydantic import SecretStr

from tierform.adapters.http.auth import SecretAuth


class RestAuth(SecretAuth):
    """``Authorization: Basic base64("<rest_user>:<rest_key>")``."""

    def __init__(self, user: str, key: SecretStr) -> None:
        token = base64.b64encode(f"{user}:{key.get_secret_value()}".encode()).decode()
        self._header = SecretStr(f"Basic {token}")
        self._secrets = [key.get_secret_value(), token]

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header.get_secret_value()
        yield request

    def secrets(self) -> list[str]:
        return list(self._secrets)


class PushKey(SecretAuth):
    """The push API's application key: no header (the API has none), added to each action."""

    def __init__(self, key: SecretStr) -> None:
        self._key = key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        yield request

    def stamp(self, actions: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"appKey": self._key.get_secret_value(), **a} for a in actions]

    def secrets(self) -> list[str]:
        return [self._key.get_secret_value()]
