"""The handful of Sheets API v4 calls the adapter makes, with their field masks.

* :meth:`SheetsApi.metadata` -- ``GET spreadsheets/{id}`` with a fields mask: sheet properties
  and developer metadata only (no cell data, so user sheets are never read);
* :meth:`SheetsApi.values` -- ``GET spreadsheets/{id}`` with ``ranges`` = the managed sheets and
  a mask of just their entered values;
* :meth:`SheetsApi.batch_update` -- ``POST spreadsheets/{id}:batchUpdate``, atomic by spec.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from tierform.adapters.http.body import json_body
from tierform.adapters.http.client import ApiClient
from tierform.workbook.sheets import quote_title

METADATA_FIELDS = (
    "spreadsheetId,properties.title,sheets(properties(sheetId,title,index,"
    "gridProperties(rowCount,columnCount)),developerMetadata(metadataId,"
    "metadataKey,metadataValue))"
)
VALUES_FIELDS = (
    "sheets(properties.sheetId,data(startRow,startColumn,rowData.values.userEnteredValue))"
)


class SheetsApi:
    def __init__(self, client: ApiClient, spreadsheet_id: str) -> None:
        self.client = client
        self.path = f"v4/spreadsheets/{quote(spreadsheet_id, safe='')}"

    def metadata(self) -> dict[str, Any]:
        return dict(self.client.get_json(self.path, params={"fields": METADATA_FIELDS}))

    def values(self, titles: list[str]) -> dict[int, list[list[Any]]]:
        """Entered values of the named sheets, by sheetId, as rows of CellData dicts."""
        if not titles:
            return {}
        params: list[tuple[str, str]] = [("fields", VALUES_FIELDS)]
        params += [("ranges", quote_title(t)) for t in titles]
        body = json_body(self.client.request("GET", self.path, params=params))
        out: dict[int, list[list[Any]]] = {}
        for sheet in body.get("sheets", []):
            sheet_id = int(sheet.get("properties", {}).get("sheetId", -1))
            grid: list[list[Any]] = []
            for data in sheet.get("data", []) or []:
                start_row = int(data.get("startRow", 0))
                start_col = int(data.get("startColumn", 0))
                for i, row in enumerate(data.get("rowData", []) or []):
                    r = start_row + i
                    while len(grid) <= r:
                        grid.append([])
                    cells = [None] * start_col + list((row or {}).get("values", []) or [])
                    grid[r] = cells
            out[sheet_id] = grid
        return out

    def batch_update(self, requests: list[dict[str, Any]]) -> dict[str, Any]:
        body = {"requests": requests, "includeSpreadsheetInResponse": False}
        # Not idempotent (addSheet): replayed only when Google surely did not process it.
        return dict(
            self.client.send_json("POST", self.path + ":batchUpdate", body, idempotent=False) or {}
        )
