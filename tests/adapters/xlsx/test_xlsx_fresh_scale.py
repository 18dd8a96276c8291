"""The first apply at a size where the fast paths engage (dictionary text columns, the plan's
streamed checksum, payload hashes kept from it): the workbook is still the one the openpyxl
path writes, and the journal holds the hashes the standard encoder gives."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pytest

import tierform.adapters.xlsx.fresh as fresh_mod
from tierform.adapters.xlsx import XlsxAdapter, XlsxSettings
from tierform.adapters.xlsx.fresh import DICTIONARY_FROM, _text_column
from tierform.sync.adapter import AdapterContext
from tierform.sync.engine import Syncer
from tierform.sync.journal import Journal
from tierform.testing import sample_desired

SIZE = 2 * DICTIONARY_FROM + 17


def syncer(folder: Path) -> Syncer:
    adapter = XlsxAdapter(XlsxSettings(path="tracking.xlsx"), AdapterContext("wb", folder))
    return Syncer(adapter, Journal(folder / ".tierform" / "journal.sqlite"))


def sheets(path: Path) -> dict[str, list[list[object]]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb}
    finally:
        wb.close()


def reference(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def test_dictionary_columns_only_where_few_texts_repeat() -> None:
    few = _text_column(["Enterprise", "SMB", None] * DICTIONARY_FROM)
    many = _text_column([f"ACC-{i}" for i in range(3 * DICTIONARY_FROM)])
    short = _text_column(["SMB"] * 10)
    assert isinstance(few.values, pa.DictionaryArray)
    assert few.values.dictionary.to_pylist() == ["Enterprise", "SMB"]
    assert few.values.to_pylist() == ["Enterprise", "SMB", None] * DICTIONARY_FROM
    assert not isinstance(many.values, pa.DictionaryArray)
    assert not isinstance(short.values, pa.DictionaryArray)


def test_first_apply_at_scale_matches_the_in_place_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desired = sample_desired(SIZE)
    fresh, edited = tmp_path / "fresh", tmp_path / "edited"
    fresh.mkdir()
    edited.mkdir()
    s = syncer(fresh)
    s.apply(s.plan(desired))
    monkeypatch.setattr(fresh_mod, "can_write_fresh", lambda path, changes: False)
    e = syncer(edited)
    e.apply(e.plan(desired))
    monkeypatch.undo()
    got, want = sheets(fresh / "tracking.xlsx"), sheets(edited / "tracking.xlsx")
    assert list(got) == list(want)
    for title, rows in want.items():
        assert got[title] == rows, title
    assert len(got["Accounts"]) == SIZE + 1
    assert syncer(fresh).plan(desired).is_empty


def test_journal_hashes_and_checksum_are_the_standard_encoders(tmp_path: Path) -> None:
    s = syncer(tmp_path)
    plan = s.plan(sample_desired(SIZE))
    expected = {
        (c.kind.value, c.key): hashlib.sha256(reference([c.kind.value, c.key, c.data])).hexdigest()
        for c in plan.changes
    }
    checksum = hashlib.sha256(reference(plan.to_dict())).hexdigest()
    report = s.apply(plan)
    assert report.ok and report.counts["create"] == len(plan.changes)
    db = sqlite3.connect(tmp_path / ".tierform" / "journal.sqlite")
    rows = db.execute("SELECT kind, key, payload_hash, seq FROM entries ORDER BY seq").fetchall()
    assert {(k, key): h for k, key, h, _ in rows} == expected
    assert [seq for *_, seq in rows] == list(range(1, len(plan.changes) + 1))
    assert db.execute("SELECT checksum FROM runs").fetchone()[0] == checksum
    db.close()
