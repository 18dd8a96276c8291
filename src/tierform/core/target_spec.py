"""A sync target in the model: ``targets: {NAME: {platform: ..., ...settings}}``.

Only ``platform`` is checked here; the platform's adapter validates the rest with its own
pydantic settings model (``extra="forbid"``) when the target is validated or opened
(:mod:`tierform.sync.targets`), so loading a model never imports an adapter.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class TargetSpec(BaseModel):
    # defer_build: validators built when first used (see tierform.core.model.Model)
    model_config = ConfigDict(extra="allow", defer_build=True)

    platform: str = Field(min_length=1, description="Adapter name: xlsx, sheets, vitally, ...")

    def settings(self) -> dict[str, Any]:
        """Every setting as written (``platform`` included), for the adapter's own model."""
        return self.model_dump(mode="python")
