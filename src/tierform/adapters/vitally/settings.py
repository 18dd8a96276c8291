"""Settings of a ``platform: vitally`` target.

Why each exists: Vitally's REST host depends on the data centre (US hosts carry the workspace
subdomain, the EU host has none), the key is shown in two forms in Vitally's UI (a raw secret
token and a ready-made "Basic ..." header), and writing trait values through the separate
analytics integration is optional because it needs its own token.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from tierform.sync.settings import EnvSecret, HttpSettings

US_REST = "https://{subdomain}.rest.vitally.io/resources"
EU_REST = "https://rest.vitally-eu.io/resources"
US_ANALYTICS = "https://{subdomain}.api.vitally.io/analytics/v1"


class VitallySettings(HttpSettings):
    """``targets: {cs: {platform: vitally, subdomain: acme, api_key: {env: VITALLY_API_KEY}}}``."""

    platform: Literal["vitally"] = "vitally"
    subdomain: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*$",
        description="The xxx in https://xxx.vitally.io (your login URL); US data centre.",
    )
    region: Literal["us", "eu"] = Field("us", description="Data centre; eu needs no subdomain.")
    api_key: EnvSecret = Field(
        description="REST API secret token, or the 'Basic ...' header value Vitally shows."
    )
    analytics_key: EnvSecret | None = Field(
        None,
        description="Token of the separate 'Vitally API' (analytics) integration; when set, "
        "bulk trait writes go through its /batch endpoint, 100 accounts per request.",
    )
    analytics_base_url: str | None = Field(
        None, description="Override the analytics API root (no EU host is documented)."
    )
    create_accounts: bool = Field(
        False,
        description="Create accounts of the book that Vitally does not have (by "
        "externalId). Off: they are reported as unmatched.",
    )
    batch_min: int = Field(
        50, ge=1, description="Use the analytics batch for trait writes from this many accounts."
    )
    project_templates: dict[str, str] = Field(
        default_factory=dict,
        description="Onboarding playbook name -> Vitally project template "
        "(name or id): a project is started from it for each account the playbook runs for.",
    )

    @model_validator(mode="after")
    def _where(self) -> VitallySettings:
        if self.base_url is None and self.region == "us" and not self.subdomain:
            raise ValueError(
                "set `subdomain` (the xxx in https://xxx.vitally.io), or "
                "`region: eu`, or `base_url`"
            )
        if (
            self.analytics_key is not None
            and self.analytics_base_url is None
            and not self.subdomain
        ):
            raise ValueError(
                "`analytics_key` needs `subdomain` or `analytics_base_url` (Vitally "
                "documents no EU host for its analytics API)"
            )
        return self

    def rest_url(self) -> str:
        if self.base_url:
            return self.base_url.rstrip("/")
        if self.region == "eu":
            return EU_REST
        return US_REST.format(subdomain=self.subdomain)

    def analytics_url(self) -> str | None:
        if self.analytics_key is None:
            return None
        if self.analytics_base_url:
            return self.analytics_base_url.rstrip("/")
        return US_ANALYTICS.format(subdomain=self.subdomain)
