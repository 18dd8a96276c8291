"""The apply journal: an embedded SQLite file in the state folder beside the model.

Every applied change is recorded with run id, object key, payload hash, result and remote id.
It serves three purposes:

* **resume** -- a run that died (status still ``running``) or failed is resumed by the next
  apply: changes it already applied with the same payload are not sent again;
* **state for write-only kinds** -- where a platform cannot read a kind back, the last
  successful payload per key stands in for the read (no duplicate creates across runs);
* **history** -- ``tierform history`` lists past runs.

No secret ever reaches it: only keys, hashes, results, remote ids and error texts (already
scrubbed by the HTTP layer).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tierform.errors import JournalError
from tierform.sync.change import ChangeResult, Op
from tierform.sync.state import Kind

STATE_DIR = ".tierform"
FILE = "journal.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, target TEXT NOT NULL, platform TEXT NOT NULL,
    started TEXT NOT NULL, finished TEXT, status TEXT NOT NULL, checksum TEXT,
    created INTEGER DEFAULT 0, updated INTEGER DEFAULT 0, deleted INTEGER DEFAULT 0,
    failed INTEGER DEFAULT 0, skipped INTEGER DEFAULT 0, resumed_from TEXT, error TEXT
);
CREATE TABLE IF NOT EXISTS entries (
    run_id TEXT NOT NULL, seq INTEGER NOT NULL, target TEXT NOT NULL, kind TEXT NOT NULL,
    key TEXT NOT NULL, op TEXT NOT NULL, payload_hash TEXT NOT NULL, result TEXT NOT NULL,
    remote_id TEXT, error TEXT, at TEXT NOT NULL, PRIMARY KEY (run_id, seq)
);
CREATE INDEX IF NOT EXISTS entries_by_key ON entries (target, kind, key);
"""


@dataclass
class Run:
    run_id: str
    target: str
    platform: str
    started: str
    finished: str | None
    status: str
    checksum: str | None
    created: int
    updated: int
    deleted: int
    failed: int
    skipped: int
    resumed_from: str | None
    error: str | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path)
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise JournalError(f"cannot open the journal {self.path}: {exc}") from None
        self._seq: dict[str, int] = {}

    @classmethod
    def beside(cls, model_path: Path | None) -> Journal:
        """The journal in the state folder next to the model file (or the current folder)."""
        base = model_path.parent if model_path is not None else Path.cwd()
        return cls(base / STATE_DIR / FILE)

    def close(self) -> None:
        self._db.close()

    # -- runs --------------------------------------------------------------------------

    def start(
        self, target: str, platform: str, checksum: str, resumed_from: str | None = None
    ) -> str:
        run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        with self._db:
            self._db.execute(
                "INSERT INTO runs (run_id, target, platform, started, status, checksum, "
                "resumed_from) VALUES (?, ?, ?, ?, 'running', ?, ?)",
                (run_id, target, platform, _now(), checksum, resumed_from),
            )
        self._seq[run_id] = 0
        return run_id

    def finish(
        self, run_id: str, status: str, counts: dict[str, int], error: str | None = None
    ) -> None:
        with self._db:
            self._db.execute(
                "UPDATE runs SET finished=?, status=?, created=?, updated=?, deleted=?, failed=?,"
                " skipped=?, error=? WHERE run_id=?",
                (
                    _now(),
                    status,
                    counts.get("create", 0),
                    counts.get("update", 0),
                    counts.get("delete", 0),
                    counts.get("failed", 0),
                    counts.get("skipped", 0),
                    error,
                    run_id,
                ),
            )

    def record(self, run_id: str, target: str, results: Iterable[ChangeResult]) -> None:
        """Append results in one transaction (call per batch: a crash keeps what was recorded)."""
        rows = []
        for r in results:
            self._seq[run_id] = self._seq.get(run_id, 0) + 1
            c = r.change
            result = "skipped" if r.skipped else ("ok" if r.ok else "failed")
            rows.append(
                (
                    run_id,
                    self._seq[run_id],
                    target,
                    c.kind.value,
                    c.key,
                    c.op.value,
                    c.payload_hash,
                    result,
                    r.remote_id,
                    r.error,
                    _now(),
                )
            )
        with self._db:
            self._db.executemany("INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)

    def runs(self, target: str | None = None, limit: int = 20) -> list[Run]:
        sql = (
            "SELECT * FROM runs"
            + (" WHERE target=?" if target else "")
            + " ORDER BY started DESC, rowid DESC LIMIT ?"
        )
        args: tuple[Any, ...] = (target, limit) if target else (limit,)
        return [Run(*row) for row in self._db.execute(sql, args)]

    def run(self, run_id: str) -> Run | None:
        row = self._db.execute("SELECT * FROM runs WHERE run_id=?", (run_id,)).fetchone()
        return Run(*row) if row else None

    def entries(self, run_id: str) -> list[dict[str, Any]]:
        cur = self._db.execute(
            "SELECT seq, kind, key, op, payload_hash, result, remote_id, error, at FROM entries "
            "WHERE run_id=? ORDER BY seq",
            (run_id,),
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur]

    # -- resume and state ---------------------------------------------------------------

    def unfinished(self, target: str) -> Run | None:
        """The latest run of ``target`` if it did not complete (died or failed)."""
        row = self._db.execute(
            "SELECT * FROM runs WHERE target=? ORDER BY started DESC, rowid DESC LIMIT 1", (target,)
        ).fetchone()
        if row is None:
            return None
        run = Run(*row)
        return run if run.status != "completed" else None

    def applied(self, run_id: str) -> set[tuple[str, str, str, str]]:
        """(kind, key, op, payload_hash) applied successfully by ``run_id`` and the runs it
        resumed (a chain of interrupted runs)."""
        done: set[tuple[str, str, str, str]] = set()
        seen: set[str] = set()
        current: str | None = run_id
        while current and current not in seen:
            seen.add(current)
            for row in self._db.execute(
                "SELECT kind, key, op, payload_hash FROM entries WHERE run_id=? AND result='ok'",
                (current,),
            ):
                done.add(tuple(row))  # type: ignore[arg-type]
            run = self.run(current)
            current = run.resumed_from if run else None
        return done

    def last_payloads(self, target: str, kind: Kind) -> dict[str, str]:
        """Key -> payload hash of the last successful create/update per key (deletes remove)."""
        out: dict[str, str] = {}
        for key, op, h in self._db.execute(
            "SELECT key, op, payload_hash FROM entries WHERE target=? AND kind=? AND "
            "result='ok' ORDER BY at, run_id, seq",
            (target, kind.value),
        ):
            if op == Op.delete.value:
                out.pop(key, None)
            else:
                out[key] = h
        return out

    def remote_ids(self, target: str) -> dict[tuple[Kind, str], str]:
        out: dict[tuple[Kind, str], str] = {}
        for kind, key, rid in self._db.execute(
            "SELECT kind, key, remote_id FROM entries WHERE target=? AND result='ok' AND "
            "remote_id IS NOT NULL ORDER BY at, run_id, seq",
            (target,),
        ):
            out[(Kind(kind), key)] = rid
        return out
