"""Vitally's Basic auth, from whichever form of the key the user holds.

Vitally documents Basic auth with the secret token as the user name and an empty password, and
its UI shows both the raw token and a ready-made ``Basic ...`` header value. People paste either
(some keep the encoded value without the ``Basic`` word, as Empirical-Core's client does), so all
three are accepted. Only the header value leaves this object; every form is listed as a secret so
error text echoing one is scrubbed.

The analytics API's page prints ``Authorization: Basic [your token]`` and never says to encode
``token:`` [DOC, ambiguous], so its auth can switch to the token as written
(:meth:`VitallyAuth.use_token_as_written`) when the encoded form is refused.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Generator

import httpx
from pydantic import SecretStr

from tierform.adapters.http.auth import SecretAuth


def _decoded_pair(value: str) -> str | None:
    """``token:`` when ``value`` is base64 of a user:password pair, else None.

    A raw ``sk_live_...`` token is never valid standard base64 (it contains ``_``), so the two
    forms cannot be confused.
    """
    try:
        text = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return text if ":" in text else None


class VitallyAuth(SecretAuth):
    """``Authorization: Basic base64("<token>:")`` from a raw token or a pasted header value."""

    def __init__(self, secret: SecretStr) -> None:
        value = secret.get_secret_value().strip()
        if value.lower().startswith("authorization:"):
            value = value.split(":", 1)[1].strip()
        if value.lower().startswith("basic "):
            value = value[6:].strip()
        pair = _decoded_pair(value)
        if pair is not None:
            encoded = value
            token = pair.split(":", 1)[0]
        else:
            token = value
            encoded = base64.b64encode(f"{token}:".encode()).decode()
        self._header = SecretStr(f"Basic {encoded}")
        self._as_written = SecretStr(f"Basic {token}")
        self.token_as_written = False
        self._secrets = [s for s in (token, encoded, secret.get_secret_value().strip()) if s]

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        header = self._as_written if self.token_as_written else self._header
        request.headers["Authorization"] = header.get_secret_value()
        yield request

    def use_token_as_written(self) -> bool:
        """Send ``Basic <token>`` from now on; False when that is already the form in use."""
        if self.token_as_written:
            return False
        self.token_as_written = True
        return True

    def secrets(self) -> list[str]:
        return list(self._secrets)
