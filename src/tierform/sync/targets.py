"""Resolve ``targets.NAME`` of the model into a configured adapter, with located errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tierform.core.locate import file_lines, issue_at
from tierform.core.model import CoverageModel
from tierform.core.target_spec import TargetSpec
from tierform.errors import ConfigError, Issue
from tierform.sync.adapter import Adapter, AdapterContext
from tierform.sync.journal import STATE_DIR
from tierform.sync.registry import Registry
from tierform.sync.settings import AdapterSettings

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
    return issue_at(loc, message, str(model_path) if model_path else None, file_lines(model_path))


def target_issues(model: CoverageModel, registry: Registry | None = None) -> list[tuple[Loc, str]]:
    """Each target's settings checked by its adapter, as (key path, message) -- for
    ``tierform validate``; :func:`open_target` runs the same check for the target it opens."""
    registry = registry or Registry.discover()
    out: list[tuple[Loc, str]] = []
    for name, spec in model.targets.items():
        try:
            adapter = registry.get(spec.platform)
        except ConfigError as exc:
            out.append((("targets", name, "platform"), exc.issues[0].message))
            continue
        out.extend(
            (("targets", name, *loc), msg) for loc, msg in settings_problems(adapter.Settings, spec)
        )
    return out


def check_targets(
    model: CoverageModel, model_path: Path | None = None, registry: Registry | None = None
) -> None:
    """Raise one ConfigError listing every target problem, each at its file:line."""
    problems = target_issues(model, registry)
    if problems:
        where = str(model_path) if model_path else "<built-in default model>"
        raise ConfigError(
            [_located(loc, msg, model_path) for loc, msg in problems],
            f"{where}: {len(problems)} problem(s) in the targets",
        )
