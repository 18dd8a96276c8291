"""Turn changes into one list of ``batchUpdate`` requests against the managed sheets.

Order inside the batch (requests run in order, all or nothing): new sheets (addSheet, marker,
header, rows); then per existing sheet header fixes, grid growth, a new marker revision if the
columns changed, cell updates (including the rows of removed objects, which are marked, never
deleted: see :mod:`~tierform.adapters.sheet_edit`) and appended rows. Only managed sheets and the
managed columns of their rows are addressed; user columns and sheets never appear.

Every request addresses absolute positions (cells by index, grid sizes as totals), so a batch
without ``addSheet`` lands the same state when replayed. Row blocks are cut into
``updateCells`` requests of at most :data:`BLOCK_BYTES`, so the batches can be kept under
Google's recommended 2 MB payload.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tierform.adapters.http.batching import chunks_by_bytes
from tierform.adapters.sheet_edit import column_runs, key_rows, plan_header, plan_rows
from tierform.adapters.tabular import Table, row_cells
from tierform.sync.change import Change, Op
from tierform.sync.state import Kind, State
from tierform.workbook.sheets import CELL_FIELDS, bold_header, cell_data, update_cells
from tierform.workbook.spec import Cell, Text

MARKER_KEY = "tierform.sheet"
BLOCK_BYTES = 400_000  # encoded rows per updateCells: several fit in one 2 MB batch


@dataclass
class ManagedSheet:
    """A managed sheet as read: its table (from the marker), grid of plain values, and the
    revision of the marker it was read by."""

    sheet_id: int
    title: str
    table: Table
    rows: list[list[Any]]
    row_count: int
    column_count: int
    revision: int = 0


@dataclass
class Snapshot:
    """What the read saw: managed sheets by table key, and every sheet's id and title."""

    managed: dict[str, ManagedSheet] = field(default_factory=dict)
    sheet_ids: set[int] = field(default_factory=set)
    titles: set[str] = field(default_factory=set)


def marker_value(table: Table, revision: int = 0) -> str:
    """The marker stored on a managed sheet; ``revision`` orders the markers of one table."""
    value: dict[str, Any] = {"key": table.key, **table.marker()}
    if revision:
        value["revision"] = revision
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def marker_revision(marker: dict[str, Any]) -> int:
    """A marker's revision; one written without it counts as 0."""
    value = marker.get("revision", 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _same_columns(a: Table, b: Table) -> bool:
    """Whether two tables record the same managed columns (as their markers do: by field, in
    any order). The title is left out: the sheet as read carries its actual title (the user
    may rename it), the desired one the default."""
    ma, mb = a.marker(), b.marker()
    return (ma["columns"], ma["types"]) == (mb["columns"], mb["types"])


def _create_marker(sheet_id: int, table: Table, revision: int = 0) -> dict[str, Any]:
    return {
        "createDeveloperMetadata": {
            "developerMetadata": {
                "metadataKey": MARKER_KEY,
                "metadataValue": marker_value(table, revision),
                "location": {"sheetId": sheet_id},
                "visibility": "PROJECT",
            }
        }
    }


def _grow(sheet_id: int, *, rows: int | None = None, columns: int | None = None) -> dict[str, Any]:
    """Set the grid size to absolute totals. The mask lists only the fields set: a field in
    the mask but absent from the message would be cleared (field-masks guide)."""
    grid = {name: n for name, n in (("rowCount", rows), ("columnCount", columns)) if n is not None}
    return {
        "updateSheetProperties": {
            "properties": {"sheetId": sheet_id, "gridProperties": grid},
            "fields": ",".join(f"gridProperties.{name}" for name in grid),
        }
    }


def _free_id(key: str, used: set[int]) -> int:
    sheet_id = zlib.crc32(f"tierform:{key}".encode()) % 2_000_000_000 + 1
    while sheet_id in used:
        sheet_id += 1
    used.add(sheet_id)
    return sheet_id


def _free_title(title: str, used: set[str]) -> str:
    """``title``, or a suffixed one no sheet has. Compared case-folded: Sheets refuses a second
    sheet whose name differs only in case [I], which would fail the whole batch."""
    taken = {t.casefold() for t in used}
    candidate, n = title, 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{title} (tierform)" if n == 2 else f"{title} (tierform {n})"
    used.add(candidate)
    return candidate


Unit = list[dict[str, Any]]  # requests that go in one batch together


def plan_requests(
    tables: Sequence[Table], changes: Sequence[Change], desired: State, snap: Snapshot
) -> list[Unit]:
    """The requests in order, in the units a split into batches may not cut: a new sheet's
    setup (addSheet, its marker, header and bold) is one, or a cut between them could leave a
    sheet without its marker, which the next run would take for the user's; every other
    request is a unit of its own."""
    by_kind: dict[Kind, list[Change]] = {}
    for change in changes:
        by_kind.setdefault(change.kind, []).append(change)
    head: list[Unit] = []
    body: list[Unit] = []
    ids, titles = set(snap.sheet_ids), set(snap.titles)
    for table in tables:
        todo = [c for k in table.kinds for c in by_kind.get(k, [])]
        current = snap.managed.get(table.key)
        if current is None:
            head += _new_sheet(
                table, todo, desired, _free_id(table.key, ids), _free_title(table.title, titles)
            )
        else:
            body += [[r] for r in _existing_sheet(table, todo, desired, current)]
    return head + body


def _new_sheet(
    table: Table, changes: Sequence[Change], desired: State, sheet_id: int, title: str
) -> list[Unit]:
    rows = [
        row_cells(table, c.kind, c.key, desired.label(c.kind, c.key) or c.label, c.data or {})
        for c in changes
        if c.op is not Op.delete
    ]
    headers = table.headers
    setup: Unit = [
        {
            "addSheet": {
                "properties": {
                    "sheetId": sheet_id,
                    "title": title,
                    "gridProperties": {
                        "rowCount": max(2, len(rows) + 1),
                        "columnCount": len(headers),
                        "frozenRowCount": 1,
                    },
                }
            }
        },
        _create_marker(sheet_id, table),
        update_cells(sheet_id, 0, 0, [Text(h) for h in headers]),
        bold_header(sheet_id, len(headers)),
    ]
    return [setup, *([block] for block in _blocks(sheet_id, 1, 0, rows))]


def _blocks(sheet_id: int, row: int, col: int, rows: list[list[Cell]]) -> list[dict[str, Any]]:
    """``updateCells`` requests writing ``rows`` from (row, col), each at most
    :data:`BLOCK_BYTES` of encoded rows (one row alone may exceed it)."""
    data = [{"values": [cell_data(c) for c in cells]} for cells in rows]
    out: list[dict[str, Any]] = []
    for chunk in chunks_by_bytes(data, BLOCK_BYTES):
        out.append(_block(sheet_id, row, col, chunk))
        row += len(chunk)
    return out


def _block(sheet_id: int, row: int, col: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    width = max(len(r["values"]) for r in rows)
    return {
        "updateCells": {
            "range": {
                "sheetId": sheet_id,
                "startRowIndex": row,
                "endRowIndex": row + len(rows),
                "startColumnIndex": col,
                "endColumnIndex": col + width,
            },
            "rows": rows,
            "fields": CELL_FIELDS,
        }
    }


def _existing_sheet(
    table: Table, changes: Sequence[Change], desired: State, cur: ManagedSheet
) -> list[dict[str, Any]]:
    sid = cur.sheet_id
    used_cols = max([len(r) for r in cur.rows] + [0])
    edit = plan_header(table, cur.table, cur.rows[0] if cur.rows else [], used_cols)
    header = edit.header
    out: list[dict[str, Any]] = [update_cells(sid, 0, col, [Text(n)]) for col, n in edit.renamed]
    out += [_clear_column(sid, col, cur.row_count) for col in edit.cleared_columns]
    if edit.added_headers and edit.width > cur.column_count:
        out.append(_grow(sid, columns=edit.width))
    out += [update_cells(sid, 0, col, [Text(n)]) for col, n in edit.added_headers]
    if not _same_columns(table, cur.table):
        # A new marker one revision up, not an edit of the old one: createDeveloperMetadata is
        # the documented request and metadataKey need not be unique, so the reader takes the
        # highest revision per table. Old markers stay where they are: editing or deleting
        # metadata relies on requests we have not verified, a marker costs a few hundred
        # characters, and a stale one is outranked (a replay only adds a same-revision copy).
        out.append(_create_marker(sid, table, cur.revision + 1))
    key_col = header.get(table.key_header)
    kind_col = header.get(table.kind_header) if table.kind_header else None
    grid = cur.rows[1:]
    keys = [_at(r, key_col) for r in grid] if key_col is not None else []
    kinds = [_at(r, kind_col) for r in grid] if kind_col is not None else None
    plan_rows(edit, table, key_rows(table, keys, kinds), len(cur.rows), changes, desired)
    for row, cells in edit.updates.items():
        out += [update_cells(sid, row, start, run) for start, run in column_runs(cells)]
    if edit.appended:
        first, positions = edit.first_new_row, edit.positions
        end = first + len(edit.appended)
        if end > cur.row_count:
            out.append(_grow(sid, rows=end))
        if positions == list(range(positions[0], positions[0] + len(positions))):
            out += _blocks(sid, first, positions[0], edit.appended)
        else:
            for i, row_cells_ in enumerate(edit.appended):
                cells = dict(zip(positions, row_cells_, strict=True))
                out += [update_cells(sid, first + i, s, run) for s, run in column_runs(cells)]
    return out


def _at(row: list[Any], col: int | None) -> Any:
    return row[col] if col is not None and col < len(row) else None


def _clear_column(sid: int, col: int, rows: int) -> dict[str, Any]:
    return {
        "updateCells": {
            "range": {
                "sheetId": sid,
                "startRowIndex": 0,
                "endRowIndex": rows,
                "startColumnIndex": col,
                "endColumnIndex": col + 1,
            },
            "fields": CELL_FIELDS,
        }
    }
