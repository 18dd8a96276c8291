"""Automation-rule section of the model (filled in by the rules work)."""

from pydantic import BaseModel, ConfigDict


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
