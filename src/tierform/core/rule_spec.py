"""Automation-rule section of the model (filled in by the rules work)."""

from pydantic import BaseModel, ConfigDict


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str


def issues(model: object) -> list[tuple[tuple[str | int, ...], str]]:
    """Cross-field problems of this section, as (key path, message), for `tierform validate`."""
    return []
