"""A sync target in the model: ``targets: {NAME: {platform: ..., ...settings}}``.

The platform's adapter validates its own settings; here only ``platform`` is required.
"""

from pydantic import BaseModel, ConfigDict


class TargetSpec(BaseModel):
    model_config = ConfigDict(extra="allow")

    platform: str
