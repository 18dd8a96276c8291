"""One renderer-neutral workbook spec, drawn by several sinks (local .xlsx, Google Sheets)."""

from tierform.workbook.spec import Bool, Cell, Date, Formula, Number, SheetSpec, Text, WorkbookSpec

__all__ = ["Bool", "Cell", "Date", "Formula", "Number", "SheetSpec", "Text", "WorkbookSpec"]
