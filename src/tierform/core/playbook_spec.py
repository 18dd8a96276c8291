"""Playbook section of the model (filled in by the playbook work)."""

from pydantic import BaseModel, ConfigDict


class Playbook(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
