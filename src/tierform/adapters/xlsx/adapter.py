"""``platform: xlsx``: the coverage workbook as a live tracking sheet on disk.

Sync rewrites only the sheets and columns it owns (recorded in the workbook's marker) and keeps
everything the user added elsewhere; the write is atomic (temp file + rename), so an interrupted
apply leaves the previous file intact. The workbook is also a source: :meth:`XlsxAdapter.read`
returns what it holds, parsed leniently.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from tierform.errors import AdapterError, TierformError
from tierform.sync.adapter import Adapter, AdapterContext, ApplyContext
from tierform.sync.capabilities import FULL, Capabilities
from tierform.sync.change import Change, ChangeResult
from tierform.sync.settings import AdapterSettings
from tierform.sync.state import Kind, Scope, State

if TYPE_CHECKING:
    from tierform.adapters.tabular import Table

# The reader and the writers (Arrow, XlsxWriter, openpyxl) are imported by the methods that use
# them: ``tierform validate`` loads this class only to check a target's settings.


class XlsxSettings(AdapterSettings):
    platform: str = "xlsx"
    path: str = Field(
        min_length=1, description="The tracking workbook (.xlsx), relative to the model file."
    )


class XlsxAdapter(Adapter[XlsxSettings]):
    platform: ClassVar[str] = "xlsx"
    summary: ClassVar[str] = "Local .xlsx tracking workbook (offline default)"
    capabilities: ClassVar[Capabilities] = FULL
    Settings = XlsxSettings
    # read() returns the whole workbook whatever the scope's keys and desired state: a caller
    # may read with an empty desired state instead of compiling one just for the read.
    reads_whole: ClassVar[bool] = True

    def __init__(self, settings: XlsxSettings, context: AdapterContext) -> None:
        super().__init__(settings, context)
        self.path: Path = context.path(settings.path)
        if self.path.suffix.lower() == ".xlsm":
            # Saving through openpyxl would drop the VBA project and the macro content type.
            raise AdapterError(
                f"xlsx target {context.target!r}: {self.path.name} is a macro-enabled workbook; "
                "tierform would lose its macros. Point the target at a separate .xlsx file "
                "(your .xlsm can link to it)"
            )
        if self.path.suffix.lower() != ".xlsx":
            raise AdapterError(
                f"xlsx target {context.target!r}: {self.path.name} is not an "
                ".xlsx file; set path to a name ending in .xlsx"
            )
        self.writes = 0

    def read(self, scope: Scope) -> State:
        state = State()
        if not self.path.exists():
            return state
        # Millions of rows and dicts are built and kept: without a pause the cyclic collector
        # would walk them again and again (none of them forms a cycle).
        paused = gc.isenabled()
        gc.disable()
        try:
            self._read_into(state, scope)
        finally:
            if paused:
                gc.enable()
        return state

    def _read_into(self, state: State, scope: Scope) -> None:
        from tierform.adapters.tabular import named_columns, parse_named, parse_rows
        from tierform.adapters.xlsx.marker import read_marker
        from tierform.adapters.xlsx.typed_read import read_typed
        from tierform.workbook.xlsx_read import XlsxReader

        with XlsxReader(self.path) as reader:
            tables = read_marker(reader)
            for table in tables.values():
                if not set(table.kinds) & scope.kinds:
                    continue
                if table.title not in reader.titles:
                    state.warnings.append(
                        f"{self.path.name}: managed sheet {table.title!r} is "
                        "missing (renamed or deleted); it will be recreated"
                    )
                    continue
                header = reader.header(table.title)
                names = named_columns(table, header)
                if names is None:
                    parse_rows(table, reader.iter_rows(table.title, table.headers), state)
                    continue
                # The cell shapes tierform writes by their kinds, else every cell in hand.
                with closing(reader.typed_runs(table.title)) as runs:
                    typed = read_typed(table, runs, names, state)
                if not typed:
                    parse_named(table, reader.named_pieces(table.title, names), state)

    def apply(self, changes: Sequence[Change], ctx: ApplyContext) -> Iterator[ChangeResult]:
        if not changes:
            return
        from tierform.adapters.tabular import Table, layout
        from tierform.adapters.xlsx.fresh import can_write_fresh, write_fresh
        from tierform.adapters.xlsx.marker import set_workbook_marker, workbook_marker
        from tierform.adapters.xlsx.writer import edit_sheet, managed_sheet
        from tierform.workbook.xlsx import check_writable, save_atomic

        check_writable(self.path)
        if can_write_fresh(self.path, changes):
            ctx.step(f"writing {self.path.name} ({len(changes):,} new object(s))")
            write_fresh(self.path, layout(ctx.desired), changes, ctx.desired)
            self.writes += 1
            yield from map(ChangeResult, changes)  # each applied (ok), a million a first sync
            return
        ctx.step(f"loading {self.path.name}")
        wb = self._load()
        current = workbook_marker(wb)
        managed: dict[str, Table] = dict(current)
        by_kind: dict[Kind, list[Change]] = {}
        for change in changes:
            by_kind.setdefault(change.kind, []).append(change)
        for table in layout(ctx.desired):
            table_changes = [c for k in table.kinds for c in by_kind.get(k, [])]
            old = current.get(table.key)
            ws = managed_sheet(wb, table, old)
            if table_changes:
                ctx.step(f"writing {len(table_changes)} change(s) to sheet {ws.title!r}")
            edit_sheet(ws, table, old, table_changes, ctx.desired)
            managed[table.key] = Table(
                table.key,
                ws.title,
                table.kinds,
                table.key_header,
                table.columns,
                table.label_header,
                table.kind_header,
            )
        set_workbook_marker(wb, managed)
        ctx.step(f"saving {self.path.name}")
        try:
            save_atomic(wb, self.path)
        except TierformError as exc:
            raise AdapterError(str(exc)) from None
        self.writes += 1
        for change in changes:
            yield ChangeResult(change, ok=True)

    def _load(self) -> object:
        from openpyxl import Workbook, load_workbook

        if not self.path.exists():
            wb = Workbook()
            wb.remove(wb.active)
            return wb
        try:
            return load_workbook(self.path)
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise AdapterError(f"cannot open {self.path} as a workbook: {exc}") from None
