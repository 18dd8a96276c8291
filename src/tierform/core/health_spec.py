"""Health-score section of the model (filled in by the health-score work)."""

from pydantic import BaseModel, ConfigDict


class HealthSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
