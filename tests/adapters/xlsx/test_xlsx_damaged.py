"""A tracking workbook whose sheet XML is damaged is refused as unreadable, never read as if the
damaged cell were not there: a lost header cell would lose its whole table (the plan would
create every account again), a lost key cell one account."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tierform.adapters.xlsx import XlsxAdapter, XlsxSettings
from tierform.errors import TierformError
from tierform.sync.adapter import AdapterContext
from tierform.sync.engine import Syncer
from tierform.sync.journal import Journal
from tierform.testing import sample_desired


def _syncer(folder: Path) -> Syncer:
    adapter = XlsxAdapter(XlsxSettings(path="tracking.xlsx"), AdapterContext("workbook", folder))
    return Syncer(adapter, Journal(folder / ".tierform" / "journal.sqlite"))


def _accounts_part(path: Path) -> str:
    """The zip member holding the Accounts sheet (its first sheet)."""
    with zipfile.ZipFile(path) as archive:
        return next(n for n in archive.namelist() if n.endswith("sheet1.xml"))


def _damaged(path: Path, change) -> None:
    """``path`` rewritten with ``change`` applied to the Accounts sheet's XML."""
    part = _accounts_part(path)
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    members[part] = change(members[part])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _nth(data: bytes, old: bytes, n: int, new: bytes) -> bytes:
    at = -1
    for _ in range(n):
        at = data.index(old, at + 1)
    return data[:at] + new + data[at + len(old) :]


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("a NUL in the header's first cell tag", lambda d: _nth(d, b"<c ", 1, b"<c\x00 ")),
        ("a header text referring to U+D800", lambda d: _nth(d, b"<t>", 1, b"<t>&#xD800;")),
        ("a NUL in a key cell's tag (row 5)", lambda d: _nth(d, b'<c r="A5"', 1, b'<c\x00 r="A5"')),
    ],
)
def test_a_damaged_sheet_is_refused_by_the_plan_as_by_the_apply(tmp_path, where, change):
    desired = sample_desired(12)
    first = _syncer(tmp_path)
    first.apply(first.plan(desired))
    path = tmp_path / "tracking.xlsx"
    assert _syncer(tmp_path).plan(desired).is_empty  # the workbook as written reads back
    _damaged(path, change)
    before = path.read_bytes()
    with pytest.raises(TierformError) as err:
        _syncer(tmp_path).plan(desired)
    message = str(err.value)
    assert "tracking.xlsx" in message and "cannot be read" in message, where
    assert "Accounts" in message
    assert path.read_bytes() == before  # nothing written
