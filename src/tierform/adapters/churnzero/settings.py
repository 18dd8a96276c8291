"""Settings of a ``platform: churnzero`` target.

Why each exists: ChurnZero has two APIs with two credentials. The push ("HTTP integration") API
at ``<app host>/i`` takes an *application key* and is the only way to write; the REST API at
``<app host>/public/v1`` is read-only OData behind HTTP Basic auth (a user plus that user's API
key). Both live on the tenant's app host (``https://<tenant>.<region>app.churnzero.net``); some
tenants send pushes to a shared analytics host instead, hence ``push_url``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from tierform.sync.settings import EnvSecret, HttpSettings


class ChurnZeroSettings(HttpSettings):
    """``targets: {cz: {platform: churnzero, base_url: ..., app_key: {env: ...}, ...}}``."""

    platform: Literal["churnzero"] = "churnzero"
    app_key: EnvSecret = Field(
        description="Push API application key (Admin > Application Keys in ChurnZero)."
    )
    rest_user: str = Field(
        min_length=3,
        description="The ChurnZero user (login e-mail) the REST API key belongs to.",
    )
    rest_key: EnvSecret = Field(
        description="REST API key of rest_user (Admin > API Keys); read-only OData access."
    )
    push_url: str | None = Field(
        None,
        description="The push endpoint when it is not <base_url>/i (e.g. "
        "https://analytics.churnzero.net/i, or https://eu1analytics.churnzero.net/i).",
    )
    create_accounts: bool = Field(
        False,
        description="Create book accounts ChurnZero does not have (setAttribute upserts). "
        "Off: they are reported as unmatched.",
    )
    push_batch: int = Field(
        100, ge=1, le=1000, description="Push actions per request (a JSON array)."
    )
    event_contact: str = Field(
        "tierform",
        min_length=1,
        max_length=100,
        description="contactExternalId sent with every tierform write (ChurnZero asks for a "
        "contact on every call and tracks events per contact; this contact is created on the "
        "accounts tierform writes to).",
    )
    verify_delay: float = Field(
        5.0,
        ge=0,
        le=600,
        description="Seconds to let ChurnZero process pushes (it queues them) before each "
        "read-back.",
    )
    verify_attempts: int = Field(
        4, ge=1, le=20, description="Read-backs before a write that has not landed is failed."
    )

    @model_validator(mode="after")
    def _where(self) -> ChurnZeroSettings:
        if not self.base_url:
            raise ValueError(
                "set `base_url` to your ChurnZero app host, e.g. "
                "https://acme.us2app.churnzero.net (the address you log in at)"
            )
        if self.push_url is not None and not self.push_url.startswith(("https://", "http://")):
            raise ValueError("push_url must start with https://")
        return self

    def app_root(self) -> str:
        """The tenant's app host, without a trailing slash or an API path pasted after it."""
        root = (self.base_url or "").rstrip("/")
        for tail in ("/public/v1", "/i"):
            if root.endswith(tail):
                root = root[: -len(tail)]
        return root

    def rest_url(self) -> str:
        return self.app_root() + "/public/v1"

    def push_endpoint(self) -> str:
        if self.push_url:
            url = self.push_url.rstrip("/")
            return url if url.endswith("/i") else url + "/i"
        return self.app_root() + "/i"
