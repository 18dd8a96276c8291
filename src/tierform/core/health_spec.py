"""Health-score section of the model (filled in by the health-score work)."""

from pydantic import BaseModel, ConfigDict


class HealthSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")


def issues(model: object) -> list[tuple[tuple[str | int, ...], str]]:
    """Cross-field problems of this section, as (key path, message), for `tierform validate`."""
    return []
