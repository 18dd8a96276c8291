"""``HttpAdapter``: an :class:`~tierform.sync.adapter.Adapter` with the shared HTTP layer wired in.

A platform declares ``default_base_url`` and ``rate_limit`` (its documented limit, requests per
minute) and implements :meth:`make_auth`; ``self.client`` is then a paced, retrying
:class:`ApiClient`. Override :meth:`error_text` for the platform's error body and
:meth:`error_hint` to tell the user what to check on a 401/403/404; :meth:`error_kind` reads a
failure its status alone misclassifies (a quota error sent as 403).
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

import httpx

from tierform.adapters.http.classify import default_error_text
from tierform.adapters.http.client import ApiClient
from tierform.adapters.http.pacer import Pacer
from tierform.adapters.http.retry import RetryPolicy
from tierform.sync.adapter import Adapter, AdapterContext
from tierform.sync.settings import AdapterSettings, HttpSettings

HttpSettingsT = TypeVar("HttpSettingsT", bound=HttpSettings)


class HttpAdapter(Adapter[HttpSettingsT]):
    default_base_url: ClassVar[str]
    rate_limit: ClassVar[float | None] = None  # requests per minute, documented
    write_rate_limit: ClassVar[float | None] = None  # if writes have their own budget
    Settings: ClassVar[type[AdapterSettings]] = HttpSettings

    def __init__(self, settings: HttpSettingsT, context: AdapterContext) -> None:
        super().__init__(settings, context)
        self._client: ApiClient | None = None

    @property
    def http_settings(self) -> HttpSettings:
        return self.settings

    @property
    def base_url(self) -> str:
        return (self.http_settings.base_url or self.default_base_url).rstrip("/") + "/"

    @property
    def client(self) -> ApiClient:
        if self._client is None:
            self._client = self.make_client()
        return self._client

    def make_auth(self) -> httpx.Auth | None:
        """The platform's ``httpx.Auth`` (resolve ``EnvSecret`` settings here, not earlier)."""
        return None

    def error_text(self, response: httpx.Response) -> str:
        return default_error_text(response)

    def error_hint(self, response: httpx.Response, text: str) -> str | None:
        """What the user should check for this failure (401/403/404 especially)."""
        return None

    def error_kind(self, response: httpx.Response, text: str) -> str | None:
        """Read a failed response the status alone misclassifies: "rate_limited" or
        "permanent" (see ``classify.ErrorKind``); None lets the status decide."""
        return None

    def retry_policy(self) -> RetryPolicy:
        override = self.context.http_overrides.get("retry")
        if isinstance(override, RetryPolicy):
            return override
        return RetryPolicy(max_attempts=self.http_settings.max_retries + 1)

    def make_pacers(self) -> tuple[Pacer | None, Pacer | None]:
        """(read pacer, write pacer) from the documented limits or the settings' override."""
        opts: dict[str, Any] = {
            k: v for k, v in self.context.http_overrides.items() if k in ("clock", "sleep")
        }
        override = self.http_settings.rate_limit_per_minute
        limit = override or self.rate_limit
        read = Pacer(limit, 60.0, **opts) if limit else None
        if not self.write_rate_limit:
            # One documented limit covers reads and writes together: one shared pacer, or the
            # two would run at twice the pace.
            return read, read
        write_limit = override or self.write_rate_limit
        return read, Pacer(write_limit, 60.0, **opts)

    def make_client(self) -> ApiClient:
        read, write = self.make_pacers()
        return ApiClient(
            self.base_url,
            platform=self.platform,
            auth=self.make_auth(),
            timeout=self.http_settings.timeout,
            retry=self.retry_policy(),
            read_pacer=read,
            write_pacer=write,
            error_text=self.error_text,
            error_hint=self.error_hint,
            error_kind=self.error_kind,
            transport=self.context.http_overrides.get("transport"),
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
