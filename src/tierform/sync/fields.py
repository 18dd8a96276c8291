"""The coverage fields tierform writes on every account, namespaced so it only touches its own.

Each is a one-line filter on the platform for a segment, rule or score: ``tf_tier = Enterprise``,
``tf_health_band = red``, ``tf_renewal_window in (0-30, 31-60)``. Adapters that cannot use the
``tf_`` names (a column header, a trait key with another convention) map them, never rename them
in the neutral state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

PREFIX = "tf_"
FieldType = Literal["text", "number", "date", "bool"]

RENEWAL_WINDOWS = ("overdue", "0-30", "31-60", "61-90", "91-180", "181+")
MIGRATIONS = ("up", "down", "none")


@dataclass(frozen=True)
class FieldDef:
    name: str
    label: str
    type: FieldType
    description: str
    options: tuple[str, ...] = field(default_factory=tuple)

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "label": self.label,
            "type": self.type,
            "description": self.description,
        }
        if self.options:
            data["options"] = list(self.options)
        return data


def coverage_fields(
    tier_names: list[str],
    touch_models: list[str],
    layers: list[str],
    bands: list[str],
    dimensions: list[str],
    scored: bool,
) -> list[FieldDef]:
    """The field catalogue for one model, in display order."""
    fields = [
        FieldDef("tf_tier", "Tier", "text", "Coverage tier from the model", tuple(tier_names)),
        FieldDef(
            "tf_touch_model", "Touch model", "text", "The tier's touch model", tuple(touch_models)
        ),
        FieldDef(
            "tf_layer", "Coverage layer", "text", "Named CSM, pooled team or digital", tuple(layers)
        ),
    ]
    if scored:
        fields.append(
            FieldDef(
                "tf_segment_score",
                "Segment score",
                "number",
                "Multi-factor segmentation score, 0-100",
            )
        )
    fields += [
        FieldDef("tf_csm", "CSM / pool", "text", "Assigned CSM (named tiers) or pool (pooled)"),
        FieldDef("tf_health_score", "Health score", "number", "Health score, 0-100"),
        FieldDef("tf_health_band", "Health band", "text", "Health band", tuple(bands)),
    ]
    fields += [
        FieldDef(f"tf_health_{d}", f"Health: {d}", "number", f"Health dimension {d}, 0-100")
        for d in dimensions
    ]
    fields += [
        FieldDef(
            "tf_renewal_window",
            "Renewal window",
            "text",
            "Days until renewal, bucketed",
            RENEWAL_WINDOWS,
        ),
        FieldDef(
            "tf_migration",
            "Tier migration",
            "text",
            "Moved up or down a tier since the previous assignment",
            MIGRATIONS,
        ),
        FieldDef("tf_next_step", "Next step", "text", "The earliest due task"),
        FieldDef("tf_open_tasks", "Due tasks", "number", "Number of due tasks"),
    ]
    return fields


def field_name(name: str) -> str:
    """A safe field-name suffix: lower case, [a-z0-9_]."""
    out = "".join(c if c.isalnum() else "_" for c in name.strip().lower())
    return "_".join(p for p in out.split("_") if p) or "x"
