"""The ``app-token`` header every Totango REST API takes (the HTTP gateway takes none).

Nango's and the Integration Hub's clients send ``Authorization: app-token <token>`` instead;
whether the REST APIs accept that is unverified, so only the documented header is sent.
"""

from __future__ import annotations

from pydantic import SecretStr

from tierform.adapters.http.auth import HeaderAuth


class AppTokenAuth(HeaderAuth):
    def __init__(self, token: SecretStr) -> None:
        super().__init__(token, header="app-token")
