"""Service-account tokens from google-auth, sent through httpx (google-auth has no httpx transport).

:class:`HttpxGoogleRequest` implements google-auth's tiny transport interface over an
``httpx.Client``; :class:`ServiceAccountAuth` is the ``httpx.Auth`` that keeps a token fresh and
refreshes once on a 401. The key is read from the environment variable only when a token is
first needed, and never logged: errors name the variable, not its content.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from tierform.adapters.http.auth import RefreshingTokenAuth
from tierform.errors import AuthError, ConfigError, Issue, TransientApiError

SCOPE = "https://www.googleapis.com/auth/spreadsheets"


class _Response:
    def __init__(self, response: httpx.Response) -> None:
        self.status = response.status_code
        self.headers = response.headers
        self.data = response.content


class HttpxGoogleRequest:
    """google-auth's ``transport.Request`` over httpx."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
        **_: Any,
    ) -> _Response:
        from google.auth import exceptions

        try:
            response = self._client.request(
                method, url, content=body, headers=headers, timeout=timeout or 30.0
            )
        except httpx.HTTPError as exc:
            raise exceptions.TransportError(
                f"{type(exc).__name__} calling the token endpoint"
            ) from None
        return _Response(response)


def load_key(secret: SecretStr, variable: str) -> dict[str, Any]:
    """The service-account key from the variable: the JSON itself or a path to the file."""
    raw = secret.get_secret_value().strip()
    if not raw.startswith("{"):
        path = Path(raw).expanduser()
        try:
            raw = path.read_text(encoding="utf-8")
        except OSError:
            raise ConfigError(
                [
                    Issue(
                        f"environment variable {variable} must hold the "
                        "service-account key JSON or the path of the key file; "
                        "the path it holds cannot be read"
                    )
                ]
            ) from None
    try:
        info = json.loads(raw)
    except json.JSONDecodeError:
        info = None
    if (
        not isinstance(info, dict)
        or info.get("type") != "service_account"
        or not info.get("client_email")
        or not info.get("private_key")
    ):
        raise ConfigError(
            [
                Issue(
                    f"environment variable {variable} does not hold a "
                    "service-account key (JSON with type service_account, "
                    "client_email and private_key): download a key in Google Cloud "
                    "console -> IAM -> Service accounts -> Keys"
                )
            ]
        )
    return info


class ServiceAccountAuth(RefreshingTokenAuth):
    def __init__(
        self,
        info: dict[str, Any],
        *,
        token_url: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        super().__init__()
        self.email = str(info["client_email"])
        self._info = dict(info)
        if token_url:
            self._info["token_uri"] = token_url
        self._http = httpx.Client(timeout=timeout, transport=transport)
        self._creds: Any = None

    def _credentials(self) -> Any:
        if self._creds is None:
            from google.oauth2 import service_account

            try:
                self._creds = service_account.Credentials.from_service_account_info(
                    self._info, scopes=[SCOPE]
                )
            except (ValueError, KeyError):
                raise ConfigError(
                    [
                        Issue(
                            "the service-account key cannot be used (its "
                            "private_key is not a valid PEM key)"
                        )
                    ]
                ) from None
        return self._creds

    def token_valid(self) -> bool:
        creds = self._creds
        return bool(creds is not None and creds.valid)

    def fetch_token(self) -> str:
        from google.auth import exceptions

        creds = self._credentials()
        try:
            creds.refresh(HttpxGoogleRequest(self._http))
        except exceptions.RefreshError as exc:
            if getattr(exc, "retryable", False):
                # 429 / 5xx from the token endpoint (google-auth retried it briefly already):
                # Google is busy, the key is fine, so this is worth another try later.
                raise TransientApiError(
                    "sheets: Google's token endpoint answered with a temporary error; try again "
                    "in a few minutes"
                ) from None
            reason = str(exc.args[0]) if exc.args else "refused"
            raise AuthError(
                f"sheets: Google refused the service-account key of {self.email} "
                f"({reason.split(':')[0]}): check that the key is current (not "
                "deleted in Google Cloud) and the Sheets API is enabled for its "
                "project"
            ) from None
        except exceptions.TransportError:
            raise TransientApiError(
                "sheets: cannot reach Google's token endpoint; check the network or proxy"
            ) from None
        return str(creds.token)

    def secrets(self) -> list[str]:
        out = super().secrets()
        key = self._info.get("private_key")
        if key:
            out.append(str(key))
        if self._creds is not None and self._creds.token:
            out.append(str(self._creds.token))
        return out

    def close(self) -> None:
        self._http.close()
