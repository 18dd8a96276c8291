"""Write calibrated weights back into ``tierform.yaml``, leaving the rest of the file as written.

Only the ``health.weights`` and ``health.tier_weights`` entries are replaced (or added); other
keys, comments and formatting outside them stay byte for byte. Both entries are written in full so
the model means exactly what was calibrated (absent ``tier_weights`` would otherwise fall back to
the segment table, or to none once ``weights`` is set).
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tierform.core.loader import load_model_text
from tierform.errors import ConfigError, Issue

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_\-./ ]*[A-Za-z0-9_.]|[A-Za-z_]")


def _key(name: str) -> str:
    reserved = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}
    if _PLAIN.fullmatch(name) and name.lower() not in reserved and ": " not in name:
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _num(value: float) -> str:
    return f"{value:g}"


def _flow(weights: dict[str, float]) -> str:
    return "{" + ", ".join(f"{_key(k)}: {_num(v)}" for k, v in weights.items()) + "}"


def weights_block(
    indent: int, weights: dict[str, float], tier_weights: dict[str, dict[str, float]]
) -> list[str]:
    pad = " " * indent
    lines = [f"{pad}weights: {_flow(weights)}"]
    if tier_weights:
        lines.append(f"{pad}tier_weights:")
        lines.extend(f"{pad}  {_key(t)}: {_flow(w)}" for t, w in tier_weights.items())
    else:
        lines.append(f"{pad}tier_weights: {{}}")
    return lines


def update_weights_text(
    text: str, weights: dict[str, float], tier_weights: dict[str, dict[str, float]], filename: str
) -> str:
    """The model text with ``health.weights`` / ``health.tier_weights`` set to these values."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError([Issue("the top level must be a mapping of keys", file=filename)])
    lines = text.splitlines()
    health = _child(root, "health")
    if health is None or not isinstance(health[1], yaml.MappingNode) or health[1].flow_style:
        if health is not None:
            start, end = _span(root, health, lines)
            existing = yaml.safe_load("\n".join(lines[start:end])) or {}
            rest = {
                k: v
                for k, v in (existing.get("health") or {}).items()
                if k not in ("weights", "tier_weights")
            }
            del lines[start:end]
        else:
            rest = {}
            while lines and not lines[-1].strip():
                lines.pop()
            start = len(lines)
        block = ["", "health:"] if start == len(lines) and lines else ["health:"]
        if rest:
            block += ["  " + line for line in yaml.safe_dump(rest, sort_keys=False).splitlines()]
        block += weights_block(2, weights, tier_weights)
        lines[start:start] = block
    else:
        mapping = health[1]
        indent = mapping.value[0][0].start_mark.column if mapping.value else 2
        found = [e for e in (_child(mapping, k) for k in ("weights", "tier_weights")) if e]
        spans = sorted((_span(mapping, e, lines) for e in found), reverse=True)
        if spans:  # the new entries go where the old ones were
            insert = spans[-1][0]
        else:  # after the section's last entry
            insert = _span(mapping, mapping.value[-1], lines)[1]
        for start, end in spans:  # the lowest last, so earlier spans stay valid
            del lines[start:end]
        lines[insert:insert] = weights_block(indent, weights, tier_weights)
    out = "\n".join(lines) + "\n"
    load_model_text(out, filename)  # never write a model that no longer loads
    return out


def write_weights(
    path: str | Path, weights: dict[str, float], tier_weights: dict[str, dict[str, float]]
) -> None:
    path = Path(path)
    text = path.read_text(encoding="utf-8-sig")
    path.write_text(update_weights_text(text, weights, tier_weights, str(path)), encoding="utf-8")


def _child(mapping: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    for key_node, value_node in mapping.value:
        if key_node.value == key:
            return key_node, value_node
    return None


def _span(
    parent: yaml.MappingNode, entry: tuple[yaml.Node, yaml.Node], lines: list[str]
) -> tuple[int, int]:
    """Lines [start, end) of a mapping entry: to the next sibling key, or the value's end,
    without the blank and comment lines that trail it (they belong to what follows)."""
    key_node, value_node = entry
    start = key_node.start_mark.line
    later = [k.start_mark.line for k, _ in parent.value if k.start_mark.line > start]
    if later:
        end = min(later)
    else:
        mark = value_node.end_mark
        end = mark.line + (1 if mark.column > 0 else 0)
    end = max(end, start + 1)
    while end - 1 > start and (
        not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")
    ):
        end -= 1
    return start, min(end, len(lines))
