"""XLSX books: the first (or named) sheet's table, with formula cells Excel never calculated
named as such.

openpyxl reads the value Excel cached beside each formula; a file written by a script and never
opened in Excel has formulas without values, which would otherwise read as blank cells (a
"missing ACV" that is really an unsaved workbook).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from tierform.errors import BookError, Issue

MAX_LISTED = 20


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet holds a formula (cheap scan, so most books are read once)."""
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                    with zf.open(info) as fh:
                        tail = b""
                        while chunk := fh.read(1 << 20):
                            if b"<f>" in tail + chunk or b"<f " in tail + chunk:
                                return True
                            tail = chunk[-3:]
    except (zipfile.BadZipFile, OSError, KeyError):
        return False
    return False


def read_xlsx_rows(path: Path, sheet: str | None) -> tuple[list[str], list[list[Any]]]:
    """The header names and the columns of the sheet; raise BookError if unreadable."""
    import openpyxl

    name = str(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise BookError(
            [Issue(f"cannot open as xlsx: {exc}: save it again from Excel", file=name)]
        ) from None
    formulas = _formula_rows(path, sheet) if _has_formulas(path) else {}
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise BookError(
                [
                    Issue(
                        f"no sheet {sheet!r} (sheets: {wb.sheetnames}): fix accounts.sheet",
                        file=name,
                    )
                ]
            )
        ws = wb[sheet] if sheet else wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise BookError([Issue("the sheet is empty: export the account book again", file=name)])
        names = [
            str(h).strip() if h is not None else f"column_{i + 1}" for i, h in enumerate(header)
        ]
        columns: list[list[Any]] = [[] for _ in names]
        uncalculated: list[Issue] = []
        for number, row in enumerate(rows, start=2):
            row_formulas = formulas.get(number, {})
            if (row is None or all(v is None for v in row)) and not row_formulas:
                continue
            for i in range(len(names)):
                value = row[i] if row is not None and i < len(row) else None
                if value is None and i in row_formulas:
                    uncalculated.append(
                        Issue(
                            f"uncalculated formula ({row_formulas[i][:60]}): open "
                            "and save the file in Excel so its values are stored",
                            file=name,
                            row=number,
                            key=names[i],
                        )
                    )
                columns[i].append(_value(value))
    except BookError:
        raise
    except Exception as exc:  # read-only openpyxl parses the sheet as it is iterated
        raise BookError(
            [Issue(f"cannot read the sheet: {exc}: save it again from Excel", file=name)]
        ) from None
    finally:
        wb.close()
    if uncalculated:
        shown = uncalculated[:MAX_LISTED]
        if len(uncalculated) > MAX_LISTED:
            shown.append(Issue(f"... and {len(uncalculated) - MAX_LISTED} more", file=name))
        raise BookError(
            shown,
            f"{name}: {len(uncalculated)} uncalculated formula(s): open and save the file in Excel",
        )
    return names, columns


def _formula_rows(path: Path, sheet: str | None) -> dict[int, dict[int, str]]:
    """Per row number, the formula text of each formula cell by column index."""
    import openpyxl

    out: dict[int, dict[int, str]] = {}
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception:  # the data pass reports an unreadable file
        return out
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            return out
        ws = wb[sheet] if sheet else wb.worksheets[0]
        for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
            for i, value in enumerate(row or ()):
                text = value if isinstance(value, str) else getattr(value, "text", None)
                if isinstance(text, str) and text.startswith("="):
                    out.setdefault(number, {})[i] = text
    except Exception:  # a damaged sheet: the data pass reports it
        return {}
    finally:
        wb.close()
    return out


def _value(value: Any) -> Any:
    if hasattr(value, "date") and callable(value.date):
        return value.date().isoformat()
    return value
