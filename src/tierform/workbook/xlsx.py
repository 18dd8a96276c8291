"""Draw a :class:`WorkbookSpec` as a local .xlsx (openpyxl), atomically, and read one back."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from tierform.errors import SheetTooLarge, UnreadableWorkbook, WorkbookLocked
from tierform.workbook.spec import Bool, Date, Formula, Number, SheetSpec, Text, WorkbookSpec

MARKER_PROPERTY = "tierform_managed_sheets"


def lock_files(path: Path) -> list[Path]:
    """Lock files that Excel (``~$name``) and LibreOffice (``.~lock.name#``) leave beside it."""
    candidates = [path.with_name("~$" + path.name), path.with_name(f".~lock.{path.name}#")]
    return [p for p in candidates if p.exists()]


def check_writable(path: Path) -> None:
    """Refuse a workbook that is open elsewhere or marked read-only (file or folder).

    Read-only is read from the permission bits, not ``os.access``: a run as root may write
    anything, but a file someone made read-only must not be replaced behind their back.
    """
    locks = lock_files(path)
    if locks:
        raise WorkbookLocked(
            f"{path} is open in another program ({locks[0].name} exists): close it and run again"
        )
    if path.exists() and not path.stat().st_mode & 0o222:
        raise WorkbookLocked(f"{path} is read-only: make it writable (or choose another path)")
    folder = path.parent if path.parent != Path("") else Path(".")
    if folder.exists() and not (folder.stat().st_mode & 0o222 and os.access(folder, os.W_OK)):
        raise WorkbookLocked(f"cannot write in {folder}: the folder is read-only")


TEMP_MARK = ".tierform-tmp-"


def temp_files(path: Path) -> list[Path]:
    """Temp files a save of ``path`` left behind (``.<name>.tierform-tmp-<pid>-...``)."""
    return sorted(path.parent.glob(f".{path.name}{TEMP_MARK}*"))


def clean_stale_temps(path: Path) -> list[Path]:
    """Remove temp files of saves whose process is gone (killed mid-save); return them."""
    removed = []
    for tmp in temp_files(path):
        pid = tmp.name.removeprefix(f".{path.name}{TEMP_MARK}").split("-", 1)[0]
        if pid.isdigit() and _alive(int(pid)):
            continue
        try:
            tmp.unlink()
        except OSError:
            continue
        removed.append(tmp)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


MAX_ROWS = 1_048_576  # an .xlsx worksheet's hard limit, header included


def fill_sheet(ws: Any, sheet: SheetSpec) -> None:
    """Write header and typed rows into an openpyxl worksheet (user text stays text)."""
    from openpyxl.styles import Font

    if len(sheet.rows) + 1 > MAX_ROWS:
        raise SheetTooLarge(
            f"sheet {sheet.title!r} needs {len(sheet.rows) + 1:,} rows but an .xlsx worksheet "
            f"holds {MAX_ROWS:,}: split the book (one run per region, say)"
        )

    ws.append(list(sheet.header))
    for c in ws[1]:
        c.font = Font(bold=True)
    for r, row in enumerate(sheet.rows, start=2):
        for col, value in enumerate(row, start=1):
            write_cell(ws.cell(row=r, column=col), value)
    for col, fmt in sheet.number_formats.items():
        for r in range(2, len(sheet.rows) + 2):
            ws.cell(row=r, column=col).number_format = fmt
    from openpyxl.utils import get_column_letter

    for col, width in sheet.widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A2"


def write_cell(target: Any, value: Any) -> None:
    if value is None:
        target.value = None
    elif isinstance(value, Formula):
        target.value = value.expression
    elif isinstance(value, Text):
        target.value = value.value
        target.data_type = "s"  # never a formula, whatever the text starts with
    elif isinstance(value, Number | Bool | Date):
        target.value = value.value
    else:
        raise TypeError(f"not a cell: {value!r}")


def save_atomic(wb: Any, path: Path) -> None:
    """Save through a temp file in the same folder and ``os.replace`` (no half-written file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    check_writable(path)
    clean_stale_temps(path)
    prefix = f".{path.name}{TEMP_MARK}{os.getpid()}-"
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, _new_file_mode())  # mkstemp files are private; the workbook is not
        os.replace(tmp, path)
    except OSError as exc:
        raise WorkbookLocked(
            f"cannot write {path}: it is open in another program or read-only ({exc.strerror}); "
            "close it and retry"
        ) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _new_file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_workbook(spec: WorkbookSpec, path: str | Path) -> None:
    """Write a fresh workbook holding exactly the spec's sheets."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for sheet in spec.sheets:
        fill_sheet(wb.create_sheet(sheet.title), sheet)
    save_atomic(wb, Path(path))


def read_workbook(path: str | Path) -> dict[str, list[list[Any]]]:
    """Every sheet as rows of plain values (formulas as their text), header row included."""
    from openpyxl import load_workbook

    try:
        # The file is opened here, so it is closed however openpyxl fails part-way.
        with open(path, "rb") as fh:
            wb = load_workbook(fh, data_only=False)
            try:
                return {
                    ws.title: [list(r) for r in ws.iter_rows(values_only=True)]
                    for ws in wb.worksheets
                }
            finally:
                wb.close()
    except OSError:
        raise
    except Exception as exc:  # openpyxl raises many types for a file it cannot read
        raise UnreadableWorkbook(
            f"{path}: not a readable .xlsx workbook ({exc}); open it in Excel and save it as "
            ".xlsx again"
        ) from None
