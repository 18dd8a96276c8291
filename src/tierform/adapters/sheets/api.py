"""The handful of Sheets API v4 calls the adapter makes, with their field masks.

* :meth:`SheetsApi.metadata` -- ``GET spreadsheets/{id}`` with a fields mask: sheet properties
  and developer metadata only (no cell data, so user sheets are never read);
* :meth:`SheetsApi.search_markers` -- ``POST spreadsheets/{id}/developerMetadata:search``, the
  documented way to find the managed sheets' markers when ``get`` returns none;
* :meth:`SheetsApi.values` -- ``GET spreadsheets/{id}/values:batchGet`` with one explicit A1
  range per managed sheet (sized from its grid), unformatted values (dates as serial numbers);
* :meth:`SheetsApi.batch_update` -- ``POST spreadsheets/{id}:batchUpdate``, atomic by spec.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from tierform.adapters.http.client import ApiClient
from tierform.errors import PermanentApiError
from tierform.workbook.sheets import quote_title
from tierform.workbook.spec import column_letter

METADATA_FIELDS = (
    "spreadsheetId,properties.title,sheets(properties(sheetId,title,index,"
    "gridProperties(rowCount,columnCount)),developerMetadata(metadataId,"
    "metadataKey,metadataValue))"
)


def a1_range(title: str, rows: int, columns: int) -> str:
    """The whole grid of a sheet as an A1 range: ``'It''s'!A1:D200``."""
    return f"{quote_title(title)}!A1:{column_letter(max(1, columns))}{max(1, rows)}"


def _plain_rows(rows: list[Any]) -> list[list[Any]]:
    """Google sends "" for an empty cell inside a row (and leaves trailing ones out)."""
    return [[None if v == "" else v for v in row] if isinstance(row, list) else [] for row in rows]


class SheetsApi:
    def __init__(self, client: ApiClient, spreadsheet_id: str) -> None:
        self.client = client
        self.path = f"v4/spreadsheets/{quote(spreadsheet_id, safe='')}"

    def metadata(self) -> dict[str, Any]:
        return dict(self.client.get_json(self.path, params={"fields": METADATA_FIELDS}))

    def search_markers(self, key: str) -> list[dict[str, Any]]:
        """Every sheet-level developer metadata entry with ``metadataKey`` ``key``."""
        body = {
            "dataFilters": [
                {"developerMetadataLookup": {"metadataKey": key, "locationType": "SHEET"}}
            ]
        }
        # A read by Google's quota definition ("get or search"), and safe to replay.
        answer = self.client.send_json(
            "POST", self.path + "/developerMetadata:search", body, idempotent=True, write=False
        )
        matched = (answer or {}).get("matchedDeveloperMetadata") or []
        return [
            m["developerMetadata"]
            for m in matched
            if isinstance(m, dict) and m.get("developerMetadata")
        ]

    def values(self, grids: list[tuple[str, int, int]]) -> list[list[list[Any]]]:
        """Unformatted values of each (title, rowCount, columnCount) grid, in the order given,
        as rows of plain values with empty cells as None."""
        if not grids:
            return []
        params: list[tuple[str, str]] = [("ranges", a1_range(*g)) for g in grids]
        params += [("majorDimension", "ROWS"), ("valueRenderOption", "UNFORMATTED_VALUE")]
        body = self.client.get_json(self.path + "/values:batchGet", params=params) or {}
        ranges = body.get("valueRanges") or []
        if len(ranges) != len(grids):
            # Taking a missing range as an empty sheet would write over the user's rows.
            raise PermanentApiError(
                f"sheets: values:batchGet answered {len(ranges)} ranges for {len(grids)} "
                "requested; nothing was written, please report this as a bug"
            )
        # Value ranges come back in request order; an empty sheet's range has no "values".
        return [_plain_rows(r.get("values") or []) for r in ranges]

    def batch_update(self, requests: list[dict[str, Any]]) -> dict[str, Any]:
        body = {"requests": requests, "includeSpreadsheetInResponse": False}
        # A batch without addSheet addresses absolute positions only (cells, grid sizes, new
        # markers with a revision): replaying it lands the same state, so it is retried after
        # a timeout or 500/504. addSheet replayed fails on the sheetId it already created.
        adds_sheet = any("addSheet" in r for r in requests)
        return dict(
            self.client.send_json(
                "POST", self.path + ":batchUpdate", body, idempotent=not adds_sheet
            )
            or {}
        )
