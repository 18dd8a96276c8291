"""Draw typed cells for the Google Sheets API v4: ``CellData`` with a typed ``ExtendedValue``.

The Sheets sibling of :mod:`tierform.workbook.xlsx`: user data goes in as ``stringValue`` /
``numberValue`` / ``boolValue``, so text such as ``=HYPERLINK(...)`` stays inert text; only a
:class:`~tierform.workbook.spec.Formula` (written by tierform itself) becomes ``formulaValue``.
Dates are serial numbers with a ``yyyy-mm-dd`` date format, as Sheets stores them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tierform.workbook.spec import Bool, Cell, Date, Formula, Number, Text

SHEETS_EPOCH = dt.date(1899, 12, 30)
DATE_FORMAT = {"type": "DATE", "pattern": "yyyy-mm-dd"}
# Written with every managed cell: the value, and the number format (so a date shows as a
# date, and a cell that held a date and now holds text loses the date format).
CELL_FIELDS = "userEnteredValue,userEnteredFormat.numberFormat"


def extended_value(cell: Cell) -> dict[str, Any] | None:
    if cell is None:
        return None
    if isinstance(cell, Text):
        return {"stringValue": cell.value}
    if isinstance(cell, Bool):
        return {"boolValue": cell.value}
    if isinstance(cell, Number):
        return {"numberValue": cell.value}
    if isinstance(cell, Date):
        return {"numberValue": (cell.value - SHEETS_EPOCH).days}
    if isinstance(cell, Formula):
        return {"formulaValue": cell.expression}
    raise TypeError(f"not a cell: {cell!r}")


def cell_data(cell: Cell) -> dict[str, Any]:
    """``CellData`` for one cell; an empty dict clears the fields in :data:`CELL_FIELDS`."""
    value = extended_value(cell)
    if value is None:
        return {}
    out: dict[str, Any] = {"userEnteredValue": value}
    if isinstance(cell, Date):
        out["userEnteredFormat"] = {"numberFormat": dict(DATE_FORMAT)}
    return out


def update_cells(sheet_id: int, row: int, col: int, cells: list[Cell]) -> dict[str, Any]:
    """An ``updateCells`` request writing ``cells`` in one row from (row, col), 0-based."""
    return {
        "updateCells": {
            "range": {
                "sheetId": sheet_id,
                "startRowIndex": row,
                "endRowIndex": row + 1,
                "startColumnIndex": col,
                "endColumnIndex": col + len(cells),
            },
            "rows": [{"values": [cell_data(c) for c in cells]}],
            "fields": CELL_FIELDS,
        }
    }


def bold_header(sheet_id: int, columns: int) -> dict[str, Any]:
    return {
        "repeatCell": {
            "range": {
                "sheetId": sheet_id,
                "startRowIndex": 0,
                "endRowIndex": 1,
                "startColumnIndex": 0,
                "endColumnIndex": columns,
            },
            "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
            "fields": "userEnteredFormat.textFormat.bold",
        }
    }


def quote_title(title: str) -> str:
    """A sheet title as an A1 range (``'It''s'``)."""
    return "'" + title.replace("'", "''") + "'"
