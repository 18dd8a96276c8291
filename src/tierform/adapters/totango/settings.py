"""Settings of a ``platform: totango`` target.

Why each exists: Totango has two hosts per data centre (REST on ``api[-eu1].totango.com``, the
HTTP "pixel" gateway on ``sdr[-eu1].totango.com``) and data sent to the wrong one is dropped
without an error, so the region picks both; the gateway names the tenant by its service id
(``SP-...``) and takes no token; the REST APIs take a personal access token.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from tierform.sync.settings import EnvSecret, HttpSettings

REST = {"us": "https://api.totango.com", "eu": "https://api-eu1.totango.com"}
GATEWAY = {"us": "https://sdr.totango.com/pixel.gif", "eu": "https://sdr-eu1.totango.com/pixel.gif"}


class TotangoSettings(HttpSettings):
    """``targets: {tt: {platform: totango, service_id: SP-1234-01, app_token: {env: ...}}}``."""

    platform: Literal["totango"] = "totango"
    service_id: str = Field(
        pattern=r"^SP-\d+-\d+$",
        description="The service id shown under Totango's profile icon, e.g. SP-1234-01.",
    )
    app_token: EnvSecret = Field(
        description="Personal access token: Edit Profile > Integration tab > Create Token."
    )
    region: Literal["us", "eu"] = Field("us", description="Data centre of the Totango service.")
    sdr_url: str | None = Field(
        None,
        description="Override the HTTP (pixel) gateway, e.g. https://sdr.totango.com/pixel.gif.",
    )
    id_term: str = Field(
        "account_id",
        min_length=1,
        description="Search API term that filters accounts by id (used past 10,000 accounts).",
    )
    task_flow: str | None = Field(
        None,
        description="activity_type_id (Flow) for tasks; default: the first Flow Totango lists.",
    )
    successplays: dict[str, str] = Field(
        default_factory=dict,
        description="Onboarding or renewal playbook name -> the id of an existing, active, "
        "manual SuccessPlay (from its URL): run once per account the playbook is due for.",
    )
    gateway_in_flight: int = Field(
        8, ge=1, le=32, description="Gateway requests in flight at once (it is not rate-limited)."
    )
    verify_wait: float = Field(
        180,
        ge=0,
        description="Seconds to wait for gateway writes to appear in the Search API before "
        "reporting them as not applied.",
    )

    @field_validator("service_id", mode="before")
    @classmethod
    def _service(cls, value: object) -> object:
        if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
            raise ValueError(
                "give the full service id as Totango shows it under the profile icon "
                "(SP-<number>-<number>), not only its numeric part"
            )
        return value.strip() if isinstance(value, str) else value

    @field_validator("sdr_url")
    @classmethod
    def _sdr(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("sdr_url must start with https:// (or http:// for a local proxy)")
        return value

    def rest_url(self) -> str:
        return (self.base_url or REST[self.region]).rstrip("/")

    def gateway_url(self) -> str:
        """The pixel URL: a host alone gets ``/pixel.gif``."""
        if not self.sdr_url:
            return GATEWAY[self.region]
        url = self.sdr_url.rstrip("/")
        return url if url.endswith(".gif") else url + "/pixel.gif"
