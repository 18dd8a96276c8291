"""``httpx.Auth`` classes for platform credentials; secrets live only inside them.

Each holds its secret as :class:`pydantic.SecretStr`, has a repr without it, and lists it in
:meth:`secrets` so the client can scrub it from any error text. :class:`RefreshingTokenAuth`
obtains a token from :meth:`~RefreshingTokenAuth.fetch_token` and, on a 401, refreshes once and
replays the request (the httpx ``auth_flow`` pattern).
"""

from __future__ import annotations

import base64
import threading
from abc import abstractmethod
from collections.abc import Generator

import httpx
from pydantic import SecretStr


class SecretAuth(httpx.Auth):
    """Base: an auth that knows which strings must never be shown."""

    def secrets(self) -> list[str]:
        return []

    def __repr__(self) -> str:
        return f"{type(self).__name__}(***)"


class HeaderAuth(SecretAuth):
    """A secret sent in one header, with an optional scheme prefix (``Bearer``, ``Basic``)."""

    def __init__(
        self, secret: SecretStr | str, header: str = "Authorization", prefix: str = ""
    ) -> None:
        self._secret = secret if isinstance(secret, SecretStr) else SecretStr(secret)
        self.header = header
        self.prefix = prefix

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        value = self._secret.get_secret_value()
        request.headers[self.header] = f"{self.prefix} {value}" if self.prefix else value
        yield request

    def secrets(self) -> list[str]:
        return [self._secret.get_secret_value()]


class ApiKeyAuth(HeaderAuth):
    """An API key in a named header (``X-Api-Key: ...``)."""

    def __init__(self, key: SecretStr | str, header: str = "X-Api-Key") -> None:
        super().__init__(key, header=header)


class BearerAuth(HeaderAuth):
    def __init__(self, token: SecretStr | str) -> None:
        super().__init__(token, prefix="Bearer")


class BasicAuth(HeaderAuth):
    """HTTP Basic from user and password (either may be empty, as token-as-user APIs use)."""

    def __init__(self, username: SecretStr | str, password: SecretStr | str = "") -> None:
        user = username.get_secret_value() if isinstance(username, SecretStr) else username
        pwd = password.get_secret_value() if isinstance(password, SecretStr) else password
        self._parts = [p for p in (user, pwd) if p]
        token = base64.b64encode(f"{user}:{pwd}".encode()).decode()
        super().__init__(token, prefix="Basic")

    def secrets(self) -> list[str]:
        return [*super().secrets(), *self._parts]


class RefreshingTokenAuth(SecretAuth):
    """A bearer token fetched on demand and refreshed once when the platform answers 401."""

    def __init__(self) -> None:
        self._token: str | None = None
        self._lock = threading.Lock()

    @abstractmethod
    def fetch_token(self) -> str:
        """A fresh access token (raise AuthError with a clear message if it cannot be had)."""

    def token(self, force: bool = False) -> str:
        with self._lock:
            if force or self._token is None or not self.token_valid():
                self._token = self.fetch_token()
            return self._token

    def token_valid(self) -> bool:
        """Whether the held token is still usable (override when expiry is known)."""
        return True

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"Bearer {self.token(force=True)}"
            yield request

    def secrets(self) -> list[str]:
        return [self._token] if self._token else []
