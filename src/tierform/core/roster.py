"""Read a CSM roster from CSV or YAML (name, tier or pool, optional capacity and email)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tierform.core.book_json import decode_json
from tierform.core.model import CoverageModel, RosterEntry
from tierform.core.safe_yaml import load_yaml
from tierform.core.validation import semantic_issues
from tierform.errors import ConfigError, Issue


def read_roster(path: str | Path) -> list[RosterEntry]:
    path = Path(path)
    try:
        text = decode_json(path.read_bytes(), None, str(path))  # as a book's text is decoded
    except OSError as exc:
        raise ConfigError([Issue(f"cannot read roster: {exc}", file=str(path))]) from None
    if path.suffix.lower() in (".yaml", ".yml"):
        data = load_yaml(text, str(path)).data or []
        if isinstance(data, dict):
            data = data.get("roster", [])
        records: list[dict[str, Any]] = data if isinstance(data, list) else []
        first = 1
    else:
        records = [
            {k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in row.items() if k}
            for row in csv.DictReader(text.splitlines())
        ]
        first = 2
    entries, issues = [], []
    for n, record in enumerate(records, start=first):
        if not isinstance(record, dict):
            issues.append(Issue("expected name, tier/pool, capacity", file=str(path), row=n))
            continue
        clean = {k: v for k, v in record.items() if v not in ("", None)}
        try:
            entries.append(RosterEntry.model_validate(clean))
        except ValidationError as exc:
            for err in exc.errors():
                key = ".".join(str(p) for p in err["loc"])
                issues.append(Issue(err["msg"], file=str(path), row=n, key=key))
    if issues:
        raise ConfigError(issues, f"{path}: {len(issues)} problem(s) in the roster")
    return entries


def with_roster(model: CoverageModel, roster: list[RosterEntry], source: str) -> CoverageModel:
    """The model with its roster replaced, checked against the model's tiers and pools."""
    updated = model.model_copy(update={"roster": roster})
    problems = [(loc, msg) for loc, msg in semantic_issues(updated) if loc and loc[0] == "roster"]
    if problems:
        raise ConfigError(
            [
                Issue(
                    msg,
                    file=source,
                    row=int(loc[1]) + 2 if len(loc) > 1 and isinstance(loc[1], int) else None,
                )
                for loc, msg in problems
            ],
            f"{source}: the roster does not fit the model",
        )
    return updated
