"""A batch of plain results (applied, no remote id, no error) is inserted as one statement over
its JSON text; the journal then holds exactly the rows binding every value gives, in the same
order, and any other batch, or text JSON cannot carry, is bound as before."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from tierform.sync import journal as journal_module
from tierform.sync.change import Change, ChangeResult, Op
from tierform.sync.journal import Journal
from tierform.sync.state import Kind

AT = "2026-12-05T17:30:00+00:00"
AWKWARD = [
    'quote " and backslash \\',
    "tab\tnew\nline\rreturn",
    "ünïcødé ✓ 𝔘 😀",
    "slash / and \u2028 separator",
    " ",
    "x" * 5000,
    "'; DROP TABLE entries; --",
    "\x01\x1f control",
]


def _results(seed: int, count: int, plain: bool = True) -> list[ChangeResult]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        op = rng.choice(list(Op))
        kind = rng.choice([Kind.account, Kind.work_item, Kind.field])
        key = rng.choice(AWKWARD) + f"-{i}" if rng.random() < 0.3 else f"ACC-{seed}-{i}"
        data = None if op is Op.delete else {"name": key, "n": i}
        change = Change(op, kind, key, data)
        if plain:
            out.append(ChangeResult(change))
        else:
            out.append(
                rng.choice(
                    [
                        ChangeResult(change),
                        ChangeResult(change, remote_id=f"R-{i}"),
                        ChangeResult(change, ok=False, error="HTTP 422: no"),
                        ChangeResult(change, skipped=True),
                    ]
                )
            )
    return out


def _uniform(seed: int, count: int, kind: Kind, op: Op) -> list[ChangeResult]:
    """Plain results of one kind and op, a third of them with awkward keys (and one empty)."""
    rng = random.Random(seed)
    keys = [rng.choice(AWKWARD) + f"-{i}" if rng.random() < 0.3 else f"K-{i}" for i in range(count)]
    keys[count // 2] = ""
    data = None if op is Op.delete else {"n": 1}
    return [ChangeResult(Change(op, kind, key, data)) for key in keys]


def _entries(journal: Journal) -> list[tuple[object, ...]]:
    with sqlite3.connect(journal.path) as db:
        query = "SELECT *, typeof(seq), typeof(key) FROM entries ORDER BY rowid"
        return db.execute(query).fetchall()


def _journals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Journal, Journal]:
    """The journal under test, and one that binds every value (the reference)."""
    monkeypatch.setattr(journal_module, "_now", lambda: AT)
    fast = Journal(tmp_path / "fast" / "journal.sqlite")
    bound = Journal(tmp_path / "bound" / "journal.sqlite")
    bound._json_inserts = False
    return fast, bound


def _traced(journal: Journal) -> list[str]:
    """The statements ``journal`` runs from now on."""
    statements: list[str] = []
    journal._db.set_trace_callback(statements.append)
    return statements


def _record_both(
    fast: Journal, bound: Journal, batches: list[list[ChangeResult]], run_id: str = "run-1"
) -> None:
    for journal in (fast, bound):
        for batch in batches:
            journal.record(run_id, "workbook", batch)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_plain_batches_hold_the_rows_binding_gives(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, bound = _journals(tmp_path, monkeypatch)
    statements = _traced(fast)
    batches = [_results(seed * 10 + b, size) for b, size in enumerate([1, 250, 37])]
    _record_both(fast, bound, batches)
    assert any("json_each" in s for s in statements)  # the plain path was taken
    rows = _entries(fast)
    assert rows == _entries(bound)
    assert [r[1] for r in rows] == list(range(1, 289))  # numbered on across batches
    assert {r[-2:] for r in rows} == {("integer", "text")}
    assert fast.applied("run-1") == bound.applied("run-1")


def test_batches_of_other_results_are_bound_in_their_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, bound = _journals(tmp_path, monkeypatch)
    batches = [
        _results(4, 100),
        _results(5, 100, plain=False),
        _results(6, 50),
        _results(7, 30, plain=False),
    ]
    _record_both(fast, bound, batches)
    assert _entries(fast) == _entries(bound)
    assert fast.remote_ids("workbook") == bound.remote_ids("workbook")
    assert fast.remote_ids("workbook")  # the mixed batches' remote ids are there


@pytest.mark.parametrize("packed", [False, True])
def test_a_nul_in_a_text_is_bound_not_sent_through_json(
    packed: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a batch of mixed kinds and ops, and in one that would be packed."""
    fast, bound = _journals(tmp_path, monkeypatch)
    statements = _traced(fast)
    key = "nul \x00 inside"
    if packed:
        batch = _uniform(40, 10, Kind.account, Op.create)
        batch.append(ChangeResult(Change(Op.create, Kind.account, key, {"n": 1})))
    else:
        batch = [*_results(8, 20), ChangeResult(Change(Op.delete, Kind.account, key, None))]
    _record_both(fast, bound, [batch])
    assert not any("json_each" in s for s in statements)
    assert _entries(fast) == _entries(bound)
    assert _entries(fast)[-1][4] == key


def test_a_lone_surrogate_fails_the_batch_as_binding_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Neither JSON nor SQLite's UTF-8 carries it: the batch is refused whole, as before."""
    fast, bound = _journals(tmp_path, monkeypatch)
    change = Change(Op.delete, Kind.account, "lone \ud800 surrogate", None)
    change.__dict__["_payload_digest"] = bytes(32)  # its hash cannot be taken either
    for journal in (fast, bound):
        with pytest.raises(UnicodeEncodeError):
            journal.record("run-1", "workbook", [*_results(13, 5), ChangeResult(change)])
        assert _entries(journal) == []


def test_a_sqlite_without_json_functions_is_bound_from_then_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, bound = _journals(tmp_path, monkeypatch)
    missing = journal_module._INSERT_PLAIN.replace("json_extract(", "json_extract_absent(")
    monkeypatch.setattr(journal_module, "_INSERT_PLAIN", missing)
    _record_both(fast, bound, [_results(9, 40), _results(10, 40)])
    assert fast._json_inserts is False
    assert _entries(fast) == _entries(bound)


def test_another_sqlite_error_is_raised_and_the_batch_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, _ = _journals(tmp_path, monkeypatch)
    fast.record("run-1", "workbook", _results(11, 5))
    broken = journal_module._INSERT_PLAIN.replace("INSERT INTO entries", "INSERT INTO absent")
    monkeypatch.setattr(journal_module, "_INSERT_PLAIN", broken)
    with pytest.raises(sqlite3.OperationalError, match="absent"):
        fast.record("run-1", "workbook", _results(12, 5))
    assert fast._json_inserts is True
    assert len(_entries(fast)) == 5


def test_batches_of_one_kind_and_op_hold_the_rows_binding_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, bound = _journals(tmp_path, monkeypatch)
    statements = _traced(fast)
    batches = [
        _uniform(20, 1, Kind.field, Op.create),
        _uniform(21, 300, Kind.account, Op.create),
        _uniform(22, 40, Kind.work_item, Op.delete),
        _uniform(23, 25, Kind.account, Op.update),
    ]
    _record_both(fast, bound, batches)
    assert sum("substr(j.value" in s for s in statements) == 4  # each took the packed path
    rows = _entries(fast)
    assert rows == _entries(bound)
    assert [r[1] for r in rows] == list(range(1, 367))
    assert {r[-2:] for r in rows} == {("integer", "text")}
    assert rows[1 + 150][4] == ""  # the empty key, whole
    assert {len(r[6]) for r in rows} == {64}


def test_a_batch_of_mixed_kinds_or_odd_hashes_is_not_packed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class OddHash(Change):
        """A hash too short, or one of 64 characters not all ASCII."""

        @property
        def payload_hash(self) -> str:
            return "short" if self.key == "short" else "✓" * 64

    fast, bound = _journals(tmp_path, monkeypatch)
    statements = _traced(fast)
    short = ChangeResult(OddHash(Op.create, Kind.account, "short", {"n": 1}))
    wide = ChangeResult(OddHash(Op.create, Kind.account, "wide", {"n": 1}))
    batches = [
        [*_uniform(30, 20, Kind.account, Op.create), short],
        [*_uniform(35, 20, Kind.account, Op.create), wide],
        [*_uniform(31, 20, Kind.account, Op.create), *_uniform(32, 5, Kind.work_item, Op.create)],
        [*_uniform(33, 20, Kind.account, Op.create), *_uniform(34, 5, Kind.account, Op.update)],
    ]
    _record_both(fast, bound, batches)
    assert not any("substr(j.value" in s for s in statements)
    assert sum("json_each" in s for s in statements) == 4  # the plain path still
    assert _entries(fast) == _entries(bound)
    assert [_entries(fast)[k][6] for k in (20, 41)] == ["short", "✓" * 64]
