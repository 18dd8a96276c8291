"""Read a coverage-model workbook back into a :class:`CoverageModel`.

A leader edits the ``Inputs`` values and the ``Tiers`` definitions; this reads them (by key and
by header, so re-ordered rows and columns still read), adds the sections kept on the ``Model``
sheet, and validates the result like ``tierform.yaml``: every problem is reported with the cell
it came from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tierform.core.model import CoverageModel
from tierform.core.validation import semantic_issues
from tierform.errors import ConfigError, Issue
from tierform.report.workbook import INPUTS, MODEL, TIER_COLUMNS, TIERS
from tierform.workbook.spec import column_letter
from tierform.workbook.xlsx import read_workbook


def _set(target: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        target = target.setdefault(part, {})
    target[path[-1]] = value


def _blank_groups(data: Any) -> Any:
    """A group of settings left entirely blank is an absent (``None``) section."""
    if not isinstance(data, dict):
        return data
    out = {k: _blank_groups(v) for k, v in data.items()}
    return None if out and all(v is None for v in out.values()) else out


def _text(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def model_from_sheets(sheets: dict[str, list[list[Any]]], filename: str) -> CoverageModel:
    """Build and validate the model from the sheets' plain values."""
    for title in (INPUTS, TIERS, MODEL):
        if title not in sheets:
            raise ConfigError([Issue(f"the workbook has no {title} sheet", file=filename)])
    where: dict[tuple[str | int, ...], str] = {}
    data: dict[str, Any] = (
        yaml.safe_load(
            "\n".join(str(r[0]) if r and r[0] is not None else "" for r in sheets[MODEL][1:])
        )
        or {}
    )
    settings: dict[str, Any] = {}
    tier_inputs: dict[int, dict[str, Any]] = {}
    for n, row in enumerate(sheets[INPUTS][1:], start=2):
        key = row[3] if len(row) > 3 else None
        if not isinstance(key, str) or not key.strip():
            continue
        parts = key.strip().split(".")
        value = _text(row[1])
        if parts[0] == "tiers" and len(parts) > 2 and parts[1].isdigit():
            _set(tier_inputs.setdefault(int(parts[1]), {}), parts[2:], value)
        else:
            _set(settings, parts, value)
        where[tuple(int(p) if p.isdigit() else p for p in parts)] = f"{INPUTS}!B{n}"
    for section, values in settings.items():
        if isinstance(values, dict) and isinstance(data.get(section), dict):
            data[section].update(values)
        else:
            data[section] = values
    data["tiers"] = _tiers(sheets[TIERS], tier_inputs, where)
    data = {
        k: _blank_groups(v) if k in ("segmentation", "capacity") else v for k, v in data.items()
    }
    try:
        model = CoverageModel.model_validate(data)
    except ValidationError as exc:
        issues = [_issue(tuple(e["loc"]), e["msg"], filename, where) for e in exc.errors()]
        raise ConfigError(issues, f"{filename}: {len(issues)} problem(s) in the workbook") from None
    problems = semantic_issues(model)
    if problems:
        issues = [_issue(loc, msg, filename, where) for loc, msg in problems]
        raise ConfigError(issues, f"{filename}: {len(issues)} problem(s) in the workbook")
    return model


def _tiers(
    rows: list[list[Any]],
    tier_inputs: dict[int, dict[str, Any]],
    where: dict[tuple[str | int, ...], str],
) -> list[dict[str, Any]]:
    header = [str(h).strip() if h is not None else "" for h in rows[0]] if rows else []
    columns = {h: header.index(h) for h, _ in TIER_COLUMNS if h in header}
    tiers: list[dict[str, Any]] = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(v not in (None, "") for v in row[: len(TIER_COLUMNS)]):
            continue
        i = len(tiers)
        tier: dict[str, Any] = {}
        for head, field in TIER_COLUMNS:
            if head not in columns:
                continue
            col = columns[head]
            value = _text(row[col]) if col < len(row) else None
            path = field.split(".")
            where[("tiers", i, *path)] = f"{TIERS}!{column_letter(col + 1)}{n}"
            if field.startswith("touchpoints."):
                if value not in (None, ""):
                    _set(tier, path, value)
            elif value != "" or field == "name":
                _set(tier, path, None if value == "" else value)
        extra = tier_inputs.get(i, {})
        for k, v in extra.items():
            if k == "hiring_trigger" and isinstance(v, dict):
                tier.setdefault("hiring_trigger", {}).update(v)
            elif k == "benchmark_share" and isinstance(v, dict):
                low, high = v.get("low"), v.get("high")
                tier[k] = None if low is None and high is None else [low, high]
            else:
                tier[k] = v
        tiers.append({k: _blank_groups(v) for k, v in tier.items()})
    return tiers


def _issue(
    loc: tuple[str | int, ...], message: str, filename: str, where: dict[tuple[str | int, ...], str]
) -> Issue:
    key = ".".join(str(p) for p in loc)
    for end in range(len(loc), 0, -1):
        if loc[:end] in where:
            return Issue(message, file=filename, key=f"{where[loc[:end]]} ({key})")
    return Issue(message, file=filename, key=key or None)


def read_model(path: str | Path) -> CoverageModel:
    """The coverage model a (possibly edited) workbook describes."""
    path = Path(path)
    if not path.exists():
        raise ConfigError([Issue("file not found", file=str(path))])
    return model_from_sheets(read_workbook(path), str(path))
