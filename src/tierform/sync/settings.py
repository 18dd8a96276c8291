"""Settings every adapter shares, and secrets as ``{env: VAR}`` references.

A target's settings are validated by its adapter's own pydantic model (a subclass of
:class:`AdapterSettings`, ``extra="forbid"``), so a typo is an error naming the key. A secret is
never written in the model: it is ``{env: NAME}``, resolved only when the adapter connects, and
its repr shows the reference, never the value.
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from tierform.errors import ConfigError, Issue

SECRET_PREFIXES = ("sk_", "pk_", "rk_", "ghp_", "gho_", "github_pat_", "xox", "eyj")


def looks_like_secret(name: str) -> bool:
    """Whether an ``{env: ...}`` name is more likely a pasted key than a variable name:
    a known key prefix (``sk_live_...``, ``xoxb-...``, a JWT's ``eyJ``), or a long run that mixes
    cases and digits the way random tokens do (variable names are words: ``VITALLY_API_KEY``)."""
    lowered = name.lower()
    if lowered.startswith(SECRET_PREFIXES) and not name.isupper():
        return True
    if name.startswith("AKIA") and len(name) == 20 and name.isalnum():  # an AWS access key id
        return True
    has_digit = any(c.isdigit() for c in name)
    mixed_case = any(c.islower() for c in name) and any(c.isupper() for c in name)
    if len(name) >= 20 and has_digit and mixed_case:
        return True
    longest_word = max((len(part) for part in name.split("_")), default=0)
    return len(name) >= 32 and has_digit and longest_word >= 24


class EnvSecret(BaseModel):
    """A secret held in an environment variable: ``api_key: {env: VITALLY_API_KEY}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="Environment variable name.")

    @model_validator(mode="before")
    @classmethod
    def _no_inline_secret(cls, value: Any) -> Any:
        if isinstance(value, str):
            # Never echo the value: it may be the secret itself.
            raise ValueError("write secrets as {env: VARIABLE_NAME}, never inline in the model")
        if isinstance(value, dict) and isinstance(value.get("env"), str):
            if looks_like_secret(value["env"]):
                raise ValueError(
                    "this looks like a secret value, not a variable name: put the value in an "
                    "environment variable and write {env: VARIABLE_NAME}"
                )
        return value

    def resolve(self, where: str = "") -> SecretStr:
        """The secret's value, or a ConfigError naming the variable (never the value)."""
        value = os.environ.get(self.env)
        if not value or not value.strip():
            place = f" (needed by {where})" if where else ""
            raise ConfigError(
                [
                    Issue(
                        f"environment variable {self.env} is not set{place}: "
                        f"export {self.env}=... before running"
                    )
                ]
            )
        return SecretStr(value.strip())

    def __repr__(self) -> str:
        return f"EnvSecret(env={self.env!r})"

    def __str__(self) -> str:
        return "{env: " + self.env + "}"


class SafetySettings(BaseModel):
    """Past these shares of existing managed objects, ``--force`` is required."""

    model_config = ConfigDict(extra="forbid")

    max_update_pct: float = Field(30, ge=0, le=100)
    max_delete_pct: float = Field(30, ge=0, le=100)
    min_existing: int = Field(10, ge=0, description="Thresholds apply from this many objects on.")


class AdapterSettings(BaseModel):
    """Base of every adapter's settings model."""

    model_config = ConfigDict(extra="forbid")

    platform: str
    strict: bool = Field(False, description="Fail on a capability gap instead of a build step.")
    safety: SafetySettings = Field(default_factory=lambda: SafetySettings.model_validate({}))
    backfill: bool = Field(
        False,
        description="Create work items that fell due before go-live (the target's first "
        "completed sync). Off: a first sync starts from today instead of flooding the "
        "team with overdue tasks.",
    )
    max_new_work_items_per_csm: int | None = Field(
        None,
        ge=1,
        description="Create at most this many new work items per assignee in one run (the "
        "earliest due first); the rest follow on later runs.",
    )


class HttpSettings(AdapterSettings):
    """Settings every HTTP platform accepts."""

    base_url: str | None = Field(
        None, description="Override the API root (region, sandbox, proxy)."
    )
    timeout: float = Field(30, gt=0, description="Seconds to wait for a response.")
    max_retries: int = Field(6, ge=0, le=20, description="Retries of a retriable failure.")
    max_in_flight: int = Field(
        4,
        ge=1,
        le=16,
        description="Requests in flight at once where the platform allows "
        "independent requests (the pace stays the documented limit).",
    )
    rate_limit_per_minute: float | None = Field(
        None,
        gt=0,
        description="Pace to this many requests per minute instead of the documented "
        "limit (a plan with a higher limit, or a shared key).",
    )

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with https:// (or http:// for a local proxy)")
        if value is not None and "@" in value.split("://", 1)[1].split("/", 1)[0]:
            # Never echo it: the part before "@" is a credential.
            raise ValueError(
                "base_url must not carry credentials (user:password@host): give the key in "
                "the target's secret settings as {env: VARIABLE_NAME}"
            )
        return value
