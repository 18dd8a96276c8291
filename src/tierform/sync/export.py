"""A snapshot as a file: one row per account with every coverage field and the CSM as the
platform has it (CSV, JSON or xlsx); JSON also carries the work items and field definitions.
The input for an audit, and what `tierform compare` reads from both sides."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from tierform.errors import ConfigError, Issue
from tierform.sync.snapshot import Snapshot
from tierform.sync.state import Kind, stable_json

FORMATS = (".csv", ".json", ".xlsx")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def account_rows(snap: Snapshot) -> tuple[list[str], list[dict[str, Any]]]:
    """Header and rows: account_id, name, csm (the platform's own owner where it keeps one),
    then every tf_ field any account carries, in the field catalogue's order."""
    order = list(snap.state.labels.get(Kind.field, {})) or sorted(snap.state.of(Kind.field))
    seen: set[str] = set()
    for data in snap.accounts.values():
        seen |= set(data)
    fields = [f for f in order if f in seen] + sorted(seen - set(order))
    header = ["account_id", "name", "csm", *fields]
    labels = snap.state.labels.get(Kind.account, {})
    rows = []
    for key, data in sorted(snap.accounts.items()):
        rows.append(
            {"account_id": key, "name": labels.get(key), "csm": snap.csm(key)}
            | {f: data.get(f) for f in fields}
        )
    return header, rows


def write_export(snap: Snapshot, out: Path) -> int:
    """Write ``out`` by its suffix; returns the number of accounts written."""
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ConfigError(
            [Issue(f"cannot export to {out.name}: use a .csv, .json or .xlsx file", file=str(out))]
        )
    header, rows = account_rows(snap)
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".json":
        out.write_text(_json(snap, rows) + "\n", encoding="utf-8")
    elif suffix == ".csv":
        with out.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, header)
            writer.writeheader()
            writer.writerows({k: _csv_cell(v) for k, v in r.items()} for r in rows)
    else:
        _xlsx(out, header, rows)
    return len(rows)


def _json(snap: Snapshot, rows: list[dict[str, Any]]) -> str:
    labels = snap.state.labels.get(Kind.work_item, {})
    doc = {
        "target": snap.target,
        "platform": snap.platform,
        "accounts": rows,
        "work_items": [
            {"key": k, "label": labels.get(k), **d}
            for k, d in sorted(snap.state.of(Kind.work_item).items())
        ],
        "fields": [{"name": k, **d} for k, d in sorted(snap.state.of(Kind.field).items())],
        "warnings": snap.state.warnings,
    }
    return json.dumps(json.loads(stable_json(doc)), indent=2, ensure_ascii=False)


def _csv_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is prefixed with ``'`` (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _xlsx(out: Path, header: list[str], rows: list[dict[str, Any]]) -> None:
    from openpyxl import Workbook

    from tierform.workbook.spec import Bool, Number, Text
    from tierform.workbook.xlsx import save_atomic, write_cell

    wb = Workbook()
    ws = wb.active
    ws.title = "Accounts"
    ws.append(header)
    for r, row in enumerate(rows, start=2):
        for c, name in enumerate(header, start=1):
            value = row.get(name)
            cell = (
                None
                if value is None
                else Bool(value)
                if isinstance(value, bool)
                else Number(value)
                if isinstance(value, int | float)
                else Text(str(value))
            )
            write_cell(ws.cell(r, c), cell)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    save_atomic(wb, out)
