"""Read a CSM roster from CSV, YAML or JSON (name, tier or pool, optional capacity and email)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tierform.core.book_json import decode_json
from tierform.core.model import CoverageModel, RosterEntry
from tierform.core.printable import printable
from tierform.core.safe_yaml import load_yaml
from tierform.core.validation import semantic_issues
from tierform.errors import ConfigError, Issue

#: Spreadsheet files a roster is sometimes given as: read as text, they would be noise.
_SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers")
_COLUMNS = tuple(RosterEntry.model_fields)


def read_roster(path: str | Path) -> list[RosterEntry]:
    """The CSMs of a roster file: CSV (a header row ``name,tier,pool,capacity,email``), or YAML
    or JSON (a list of such records, or ``roster: [...]``). Every problem is raised at once."""
    path = Path(path)
    where = str(path)
    if path.suffix.lower() in _SPREADSHEETS:
        raise ConfigError(
            [Issue("a roster is CSV or YAML: save the sheet as CSV (UTF-8) and pass that", where)]
        )
    try:
        text = decode_json(path.read_bytes(), None, where)  # as a book's text is decoded
    except OSError as exc:
        raise ConfigError([Issue(f"cannot read roster: {exc}", file=where)]) from None
    if path.suffix.lower() in (".yaml", ".yml", ".json"):
        data = load_yaml(text, where).data or []
        if isinstance(data, dict):
            data = data.get("roster", [])
        records: list[Any] = data if isinstance(data, list) else []
        first = 1
    else:
        rows = csv.DictReader(text.splitlines())
        _check_header(rows.fieldnames or [], where)
        records = [
            {k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in row.items() if k}
            for row in rows
        ]
        first = 2
    entries, issues = [], []
    for n, record in enumerate(records, start=first):
        if not isinstance(record, dict):
            issues.append(Issue("expected name, tier/pool, capacity", file=where, row=n))
            continue
        clean = {k: v for k, v in record.items() if v not in ("", None)}
        issues += [
            Issue(f"holds a control character ({printable(v)}): remove it", where, key=k, row=n)
            for k, v in clean.items()
            if isinstance(v, str) and printable(v) != v
        ]
        try:
            entries.append(RosterEntry.model_validate(clean))
        except ValidationError as exc:
            for err in exc.errors():
                key = printable(".".join(str(p) for p in err["loc"]))
                issues.append(Issue(err["msg"], file=where, row=n, key=key))
    if not records and not issues:
        issues.append(
            Issue(
                "the roster lists no CSMs: give one row per CSM with "
                f"{', '.join(_COLUMNS)} (name and a tier or pool at least)",
                file=where,
            )
        )
    if issues:
        raise ConfigError(issues, f"{path}: {len(issues)} problem(s) in the roster")
    return entries


def _check_header(names: Sequence[str], where: str) -> None:
    """A CSV roster's header names ``name`` and only roster columns: else one issue for the
    file (not one per row and column, as validating every row would give)."""
    present = [n.strip() for n in names if n and n.strip()]
    unknown = [n for n in present if n not in _COLUMNS]
    problems = []
    if unknown:
        listed = ", ".join(repr(n) for n in unknown[:10])
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        problems.append(f"unknown column(s) {listed}{more}")
    if present and "name" not in present:
        problems.append("no name column")
    if problems:
        raise ConfigError(
            [
                Issue(
                    f"{'; '.join(problems)}: a roster's header row names its columns, from "
                    f"{', '.join(_COLUMNS)}",
                    file=where,
                    row=1,
                )
            ]
        )


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
