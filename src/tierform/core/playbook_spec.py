"""Playbook section of the model (filled in by the playbook work)."""

from pydantic import BaseModel, ConfigDict


class Playbook(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str


def issues(model: object) -> list[tuple[tuple[str | int, ...], str]]:
    """Cross-field problems of this section, as (key path, message), for `tierform validate`."""
    return []
