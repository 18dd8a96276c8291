"""Resolve ``targets.NAME`` of the model into a configured adapter, with located errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tierform.adapters.base import Adapter, AdapterContext
from tierform.adapters.registry import Registry
from tierform.adapters.settings import AdapterSettings
from tierform.core.model import CoverageModel
from tierform.core.target_spec import TargetSpec
from tierform.errors import ConfigError, Issue
from tierform.sync.journal import STATE_DIR

Loc = tuple[str | int, ...]


def settings_problems(
    settings_model: type[AdapterSettings], spec: TargetSpec
) -> list[tuple[Loc, str]]:
    """Validation problems of a target's settings; messages never include the input value."""
    try:
        settings_model.model_validate(spec.settings())
    except ValidationError as exc:
        out: list[tuple[Loc, str]] = []
        for err in exc.errors(include_input=False):
            loc = tuple(p for p in err["loc"] if isinstance(p, int) or "[" not in str(p))
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown setting for this platform (check the spelling)"
            elif err["type"] == "missing":
                msg = "required setting is missing"
            out.append((loc, msg.removeprefix("Value error, ")))
        return out
    return []


def choose_target(model: CoverageModel, name: str | None, where: str) -> str:
    if not model.targets:
        raise ConfigError(
            [
                Issue(
                    "the model has no targets: add e.g. `targets: {workbook: "
                    "{platform: xlsx, path: coverage.xlsx}}`",
                    file=where,
                    key="targets",
                )
            ]
        )
    if name is None:
        if len(model.targets) == 1:
            return next(iter(model.targets))
        raise ConfigError(
            [
                Issue(
                    f"several targets: choose one with --target "
                    f"({', '.join(sorted(model.targets))})",
                    file=where,
                )
            ]
        )
    if name not in model.targets:
        raise ConfigError(
            [
                Issue(
                    f"no target {name!r} (targets: {', '.join(sorted(model.targets))})",
                    file=where,
                    key="targets",
                )
            ]
        )
    return name


def open_target(
    model: CoverageModel,
    name: str | None,
    *,
    model_path: Path | None = None,
    registry: Registry | None = None,
    http_overrides: dict[str, Any] | None = None,
) -> Adapter:
    """The configured adapter for target ``name`` (the only target when ``name`` is None)."""
    where = str(model_path) if model_path else "<built-in default model>"
    name = choose_target(model, name, where)
    spec = model.targets[name]
    registry = registry or Registry.discover()
    try:
        adapter_cls = registry.get(spec.platform)
    except ConfigError as exc:
        raise ConfigError(
            [_located(("targets", name, "platform"), exc.issues[0].message, model_path)]
        ) from None
    problems = settings_problems(adapter_cls.Settings, spec)
    if problems:
        raise ConfigError(
            [_located(("targets", name, *loc), msg, model_path) for loc, msg in problems],
            f"{where}: target {name!r} ({spec.platform}) is not valid",
        )
    settings = adapter_cls.Settings.model_validate(spec.settings())
    base = model_path.parent if model_path else Path.cwd()
    context = AdapterContext(
        target=name,
        base_dir=base,
        state_dir=base / STATE_DIR,
        http_overrides=dict(http_overrides or {}),
        roster={r.name: r.email for r in model.roster},
    )
    return adapter_cls(settings, context)


def _located(loc: Loc, message: str, model_path: Path | None) -> Issue:
    key = ".".join(str(p) for p in loc)
    line = _line_of(model_path, loc) if model_path else None
    return Issue(message, file=str(model_path) if model_path else None, line=line, key=key)


def _line_of(path: Path, loc: Loc) -> int | None:
    """The line of the deepest key of ``loc`` that exists in the YAML file."""
    try:
        node: Any = yaml.compose(path.read_text(encoding="utf-8-sig"), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return None
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == part:
                    line, node = k.start_mark.line + 1, v
                    break
            else:
                return line
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line
