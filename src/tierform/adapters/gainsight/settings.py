"""Settings of a ``platform: gainsight`` target.

Why each exists: every tenant has its own host (or a custom API domain), credentials come in two
forms (the org's Access Key, or one of up to 15 M2M OAuth clients), the book's account id lives
in a Company field the customer chooses, and the 100/min + 50,000/day limits are shared by every
integration of the tenant, so the pace and the daily budget are the customer's to tune.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tierform.sync.settings import EnvSecret, HttpSettings

DOCUMENTED_PER_MINUTE = 100.0
DOCUMENTED_PER_DAY = 50_000


class OAuthSettings(BaseModel):
    """``oauth: {client_id: ..., client_secret: {env: GAINSIGHT_OAUTH_SECRET}}``."""

    model_config = ConfigDict(extra="forbid")

    client_id: str | EnvSecret = Field(
        description="The OAuth API Key of a Connectors 2.0 'Gainsight API' OAuth connection."
    )
    client_secret: EnvSecret = Field(description="Its OAuth API Secret, as {env: NAME}.")


class CtaSettings(BaseModel):
    """Picklist names (resolved to Gainsight ids by name) for the CTAs tierform creates."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field("Lifecycle", description="CTA type name (Cockpit > CTA types).")
    status: str = Field("New", description="Status of a new or reopened CTA.")
    closed_status: str = Field(
        "Closed Success", description="Status that closes a CTA no longer due."
    )
    priority: str = Field("Medium", description="CTA priority name.")
    reason: str | None = Field(None, description="CTA reason name (optional).")
    owner_email: str | None = Field(
        None, description="Owner when the work item's assignee is no Gainsight user."
    )
    key_field: str | None = Field(
        None,
        pattern=r"^[A-Za-z][A-Za-z0-9_]*__gc$",
        description="A custom CTA field (e.g. Tf_Key__gc) holding tierform's key; default: a "
        "marker in Comments.",
    )


class GainsightSettings(HttpSettings):
    """``targets: {gs: {platform: gainsight, base_url: https://acme.gainsightcloud.com,
    access_key: {env: GAINSIGHT_ACCESS_KEY}, match_field: External_Id__gc}}``."""

    platform: Literal["gainsight"] = "gainsight"
    access_key: EnvSecret | None = Field(
        None, description="The Access Key (Connectors 2.0 > Gainsight API connection)."
    )
    oauth: OAuthSettings | None = Field(None, description="M2M OAuth instead of the Access Key.")
    match_field: str = Field(
        pattern=r"^[A-Za-z][A-Za-z0-9_]*$",
        description="API name of the Company field holding the book's account_id.",
    )
    create_accounts: bool = Field(
        False, description="Create Companies for book accounts Gainsight does not have."
    )
    daily_budget: int = Field(
        DOCUMENTED_PER_DAY,
        gt=0,
        description="Requests per day the tenant allows (shared with every integration).",
    )
    daily_reserve: int = Field(
        0, ge=0, description="Requests per day to leave for the tenant's other integrations."
    )
    enforce_daily_budget: bool = Field(
        True, description="Refuse an apply that would exceed the remaining daily budget."
    )
    playbooks: dict[str, str] = Field(
        default_factory=dict,
        description="tierform playbook name -> existing Gainsight playbook to attach to its CTA.",
    )
    cta: CtaSettings = Field(default_factory=lambda: CtaSettings.model_validate({}))

    @model_validator(mode="after")
    def _credentials(self) -> GainsightSettings:
        if self.base_url is None:
            raise ValueError(
                "set `base_url` to your tenant host, e.g. https://acme.gainsightcloud.com "
                "(or its custom API domain)"
            )
        if (self.access_key is None) == (self.oauth is None):
            raise ValueError(
                "set exactly one of `access_key: {env: GAINSIGHT_ACCESS_KEY}` or "
                "`oauth: {client_id: ..., client_secret: {env: ...}}`"
            )
        return self

    def host(self) -> str:
        assert self.base_url is not None
        return self.base_url.rstrip("/")
