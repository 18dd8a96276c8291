"""Write tier bounds back into ``tierform.yaml``, leaving the rest of the file as written.

Only the ``min_acv`` / ``max_acv`` values of the tiers change: each value is replaced where it
stands (block or flow style), a missing key is added beside the tier's other keys, and comments,
order and formatting elsewhere stay byte for byte. A file without a ``tiers:`` section (the
built-in tiers) gets the tiers written in full. The result must load, or nothing is written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from tierform.core.breaks import suggest_breaks
from tierform.core.loader import load_model_text
from tierform.core.model import CoverageModel
from tierform.errors import ConfigError, Issue

Bounds = list[tuple[float, float | None]]  # (min_acv, max_acv) per tier, in model order


def _num(value: float | None) -> str:
    if value is None:
        return "null"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def suggested_bounds(model: CoverageModel, suggested: list[float], filename: str) -> Bounds:
    """Bounds per tier (model order) from the rounded natural breaks, lowest tier from 0."""
    edges: list[float | None] = [0.0, *suggested, None]
    if len(edges) - 1 != len(model.tiers):
        raise ConfigError(
            [
                Issue(
                    f"{len(suggested)} break(s) do not make {len(model.tiers)} tiers: "
                    "--write needs as many clusters as tiers (leave out --k)",
                    file=filename,
                )
            ]
        )
    if any(b <= a for a, b in zip([0.0, *suggested], suggested, strict=False)):
        raise ConfigError(
            [
                Issue(
                    "the breaks rounded to two significant figures coincide "
                    f"({', '.join(_num(b) for b in suggested)}): edit the bounds by hand",
                    file=filename,
                    key="tiers",
                )
            ]
        )
    bounds: Bounds = [(0.0, None)] * len(model.tiers)
    for c, tier in enumerate(model.tiers_low_to_high):
        bounds[model.tier_index(tier.name)] = (float(edges[c] or 0.0), edges[c + 1])
    return bounds


def _entry(mapping: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    for k, v in mapping.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k, v
    return None


def _edits(
    text: str, item: yaml.MappingNode, bounds: tuple[float, float | None]
) -> list[tuple[int, int, str]]:
    """(start, end, replacement) character edits setting one tier's bounds."""
    out: list[tuple[int, int, str]] = []
    missing: list[str] = []
    for key, value in (("min_acv", bounds[0]), ("max_acv", bounds[1])):
        found = _entry(item, key)
        if found is not None:
            node = found[1]
            out.append((node.start_mark.index, node.end_mark.index, _num(value)))
        elif value is not None:
            missing.append(f"{key}: {_num(value)}")
    if missing:
        if item.flow_style:
            end = item.end_mark.index - 1  # before the closing brace
            out.append((end, end, "".join(f", {m}" for m in missing)))
        else:
            first = item.value[0][0]
            line_end = (
                text.index("\n", first.start_mark.index)
                if "\n" in text[first.start_mark.index :]
                else len(text)
            )
            pad = " " * first.start_mark.column
            out.append((line_end, line_end, "".join(f"\n{pad}{m}" for m in missing)))
    return out


def update_bounds_text(text: str, model: CoverageModel, bounds: Bounds, filename: str) -> str:
    """The model text with each tier's ``min_acv`` / ``max_acv`` set to ``bounds``."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is not None and not isinstance(root, yaml.MappingNode):
        raise ConfigError([Issue("the top level must be a mapping of keys", file=filename)])
    tiers = _entry(root, "tiers") if root is not None else None
    if tiers is None:
        rows = []
        for tier, (lo, hi) in zip(model.tiers, bounds, strict=True):
            row = tier.model_dump(mode="json", exclude_defaults=True)
            row["min_acv"] = lo
            row.pop("max_acv", None)
            if hi is not None:
                row["max_acv"] = hi
            rows.append(row)
        block = yaml.safe_dump({"tiers": rows}, sort_keys=False, allow_unicode=True)
        out = text.rstrip("\n") + ("\n\n" if text.strip() else "") + block
    else:
        node = tiers[1]
        items = node.value if isinstance(node, yaml.SequenceNode) else []
        if len(items) != len(bounds) or not all(isinstance(i, yaml.MappingNode) for i in items):
            raise ConfigError(
                [Issue("tiers must be a list of tier mappings", file=filename, key="tiers")]
            )
        edits = [e for item, b in zip(items, bounds, strict=True) for e in _edits(text, item, b)]
        out = text
        for start, end, new in sorted(edits, reverse=True):
            out = out[:start] + new + out[end:]
    load_model_text(out, filename)  # never write a model that no longer loads
    return out


def write_suggested_bounds(path: str | Path, model: CoverageModel, acv: np.ndarray) -> Bounds:
    """Adopt the natural breaks of ``acv`` (rounded to two significant figures) as the bounds
    of the model file at ``path``; returns the bounds written."""
    path = Path(path)
    found = suggest_breaks(model, np.asarray(acv, dtype=np.float64))
    if not found.get("suggested") and len(model.tiers) > 1:
        raise ConfigError(
            [Issue(f"no natural breaks to write: {found.get('message', 'none found')}")]
        )
    bounds = suggested_bounds(model, list(found.get("suggested") or []), str(path))
    text = path.read_text(encoding="utf-8-sig")
    path.write_text(update_bounds_text(text, model, bounds, str(path)), encoding="utf-8")
    return bounds
