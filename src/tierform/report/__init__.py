"""The coverage-model document (HTML and Markdown) and workbook: ``tierform report``."""

from tierform.report.readback import read_model
from tierform.report.results import ReportData, gather
from tierform.report.writer import ReportFiles, prepare, write_report

__all__ = ["ReportData", "ReportFiles", "gather", "prepare", "read_model", "write_report"]
