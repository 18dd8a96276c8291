"""A sync target in the model: ``targets: {NAME: {platform: ..., ...settings}}``.

Only ``platform`` is checked here; the platform's adapter validates the rest with its own
pydantic settings model (``extra="forbid"``), where secrets are ``{env: VAR}`` references that
are resolved only when the adapter connects and never printed. :func:`issues` runs those
adapter checks for ``tierform validate``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from tierform.core.model import CoverageModel

Loc = tuple[str | int, ...]


class TargetSpec(BaseModel):
    model_config = ConfigDict(extra="allow")

    platform: str = Field(min_length=1, description="Adapter name: xlsx, sheets, vitally, ...")

    def settings(self) -> dict[str, Any]:
        """Every setting as written (``platform`` included), for the adapter's own model."""
        return self.model_dump(mode="python")


def issues(model: CoverageModel) -> list[tuple[Loc, str]]:
    """Each target's settings checked by its adapter, as (key path, message)."""
    from tierform.adapters.registry import Registry
    from tierform.errors import ConfigError

    registry = Registry.discover()
    out: list[tuple[Loc, str]] = []
    for name, spec in model.targets.items():
        try:
            adapter = registry.get(spec.platform)
        except ConfigError as exc:
            out.append((("targets", name, "platform"), exc.issues[0].message))
            continue
        from tierform.sync.targets import settings_problems

        out.extend(
            (("targets", name, *loc), msg) for loc, msg in settings_problems(adapter.Settings, spec)
        )
    return out
