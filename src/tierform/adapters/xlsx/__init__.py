"""The offline default target: a local .xlsx tracking workbook (``platform: xlsx``)."""

from tierform.adapters.xlsx.adapter import XlsxAdapter, XlsxSettings

__all__ = ["XlsxAdapter", "XlsxSettings"]
