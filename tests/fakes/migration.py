"""The steps every migration test takes: provision a side, migrate A -> B (apply, read B back,
verify), re-plan, and read or edit the xlsx workbook on the other side. Adapters come from
factories (``() -> Adapter``): each step uses a fresh adapter, as separate runs would."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl

from tierform.core.model import CoverageModel
from tierform.sync.adapter import Adapter
from tierform.sync.engine import ApplyReport, Syncer
from tierform.sync.journal import Journal
from tierform.sync.migrate import (
    Migration,
    Verification,
    accounts_written,
    migration_desired,
    verify,
)
from tierform.sync.plan import Plan
from tierform.sync.snapshot import Snapshot, read_snapshot
from tierform.sync.state import State

Factory = Callable[[], Adapter[Any]]


def provision(adapter: Adapter[Any], journal: Journal, desired: State) -> ApplyReport:
    syncer = Syncer(adapter, journal)
    return syncer.apply(syncer.plan(desired))


def snapshot(adapter: Adapter[Any], journal: Journal, model: CoverageModel) -> Snapshot:
    """A migration's source read, as the CLI reads it: with the journal's ids of what
    tierform wrote there (so tasks a platform cannot list are fetched by id)."""
    return read_snapshot(adapter, model, journal.remote_ids(adapter.context.target))


def migrate(
    a: Factory, b: Factory, journal: Journal, model: CoverageModel, force: bool = False
) -> tuple[Migration, ApplyReport, Verification]:
    m = migration_desired(snapshot(a(), journal, model), model)
    syncer = Syncer(b(), journal)
    report = syncer.apply(syncer.plan(m.desired), force=force)
    written = accounts_written(m, report.failures)
    return m, report, verify(m, read_snapshot(b(), model), model, written)


def replan(a: Factory, b: Factory, journal: Journal, model: CoverageModel) -> Plan:
    m = migration_desired(snapshot(a(), journal, model), model)
    return Syncer(b(), journal).plan(m.desired)


def xlsx_rows(path: Path, sheet: str = "Accounts") -> dict[str, dict[str, Any]]:
    ws = openpyxl.load_workbook(path)[sheet]
    header = [c.value for c in ws[1]]
    return {
        str(r[0]): dict(zip(header, r, strict=False))
        for r in ws.iter_rows(min_row=2, values_only=True)
        if r[0]
    }


def edit_cell(path: Path, account: str, column: str, value: Any) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb["Accounts"]
    col = [c.value for c in ws[1]].index(column) + 1
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == account)
    ws.cell(row, col).value = value
    wb.save(path)
