"""``platform: sheets``: the tracking workbook in a Google Sheets spreadsheet the user created."""

from tierform.adapters.sheets.adapter import SheetsAdapter
from tierform.adapters.sheets.settings import SheetsSettings

__all__ = ["SheetsAdapter", "SheetsSettings"]
