"""A workbook larger than a worksheet can hold fails with a clear message, before writing."""

from __future__ import annotations

import pytest

from tierform.workbook.spec import SheetSpec, WorkbookSpec
from tierform.workbook.xlsx import MAX_ROWS, SheetTooLarge, write_workbook


class _ManyRows(list):
    """Reports a worksheet-busting length without holding a million rows."""

    def __len__(self) -> int:
        return MAX_ROWS


def test_too_many_rows_is_refused_and_nothing_is_written(tmp_path):
    sheet = SheetSpec(key="a", title="Assignments", header=["account_id"], rows=_ManyRows())
    path = tmp_path / "book.xlsx"
    with pytest.raises(SheetTooLarge, match="1,048,577 rows"):
        write_workbook(WorkbookSpec([sheet]), path)
    assert not path.exists()
