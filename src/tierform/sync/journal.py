"""The apply journal: an embedded SQLite file in the state folder beside the model.

Every applied change is recorded with run id, object key, payload hash, result and remote id.
It serves three purposes:

* **resume** -- a run that died (status still ``running``) or failed is resumed by the next
  apply: changes it already applied with the same payload are not sent again;
* **state for write-only kinds** -- where a platform cannot read a kind back, the last
  successful payload per key stands in for the read (no duplicate creates across runs);
* **history** -- ``tierform history`` lists past runs;
* **one apply at a time per target** -- :meth:`Journal.lock` takes a lock row (run id, start,
  process, host); a second apply is refused (or waits up to a timeout) naming the holder, and
  never resumes a run that is still alive. A run whose process died without finishing is marked
  ``interrupted`` (:meth:`Journal.reap`), and the next apply resumes it.

No secret ever reaches it: only keys, hashes, results, remote ids and error texts (already
scrubbed by the HTTP layer).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from operator import add, attrgetter
from pathlib import Path
from typing import Any

import orjson

from tierform.errors import JournalError
from tierform.sync.buildsheet import Mark
from tierform.sync.change import Change, ChangeResult, Op
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
CREATE TABLE IF NOT EXISTS locks (
    target TEXT PRIMARY KEY, run_id TEXT NOT NULL, started TEXT NOT NULL,
    pid INTEGER NOT NULL, host TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS steps_done (
    target TEXT NOT NULL, step TEXT NOT NULL, at TEXT NOT NULL, who TEXT NOT NULL,
    digest TEXT, PRIMARY KEY (target, step)
);
"""
LOCK_POLL = 0.5  # seconds between looks at a held lock while waiting
BY_HAND = "by hand"  # the status of a run that journals what a person did in the platform
# A result's change, and the change's kind, key, op and payload hash (``_value_``: the enum's
# text without the descriptor; getters in C: a first sync records a million results).
_CHANGE = attrgetter("change")
_FIELDS = attrgetter("kind._value_", "key", "op._value_", "payload_hash")
# A batch of plain results from its JSON text ``[[kind, key, op, payload_hash], ...]``: the
# array index numbers them on from ``?2``. json_extract reads a JSON string as the very text
# Python binds (but for a NUL, where its text ends: such text is bound), null as NULL.
_INSERT_PLAIN = (
    "INSERT INTO entries SELECT ?1, ?2 + j.key, ?3, json_extract(j.value, '$[0]'), "
    "json_extract(j.value, '$[1]'), json_extract(j.value, '$[2]'), "
    "json_extract(j.value, '$[3]'), 'ok', NULL, NULL, ?4 FROM json_each(?5) AS j"
)
# The same for a batch of one kind and one op (a first sync's, but for those at a kind's edge),
# from a JSON array of texts, each result's 64-character payload hash and then its key: every
# row's text is cut in two, where each array above was read four times.
_INSERT_PACKED = (
    "INSERT INTO entries SELECT ?1, ?2 + j.key, ?3, ?6, substr(j.value, 65), ?7, "
    "substr(j.value, 1, 64), 'ok', NULL, NULL, ?4 FROM json_each(?5) AS j"
)


class TargetBusy(JournalError):
    """Another apply holds the target's lock."""


@dataclass(frozen=True)
class Holder:
    run_id: str
    started: str
    pid: int
    host: str

    def alive(self) -> bool:
        """Whether the holding process still runs (another host's process is assumed to)."""
        if self.host != socket.gethostname():
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


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
            self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            self._db.executescript(_SCHEMA)
            self._upgrade()
        except (OSError, sqlite3.Error) as exc:
            raise JournalError(f"cannot open the journal {self.path}: {exc}") from None
        self._seq: dict[str, int] = {}
        self._json_inserts = True

    def _upgrade(self) -> None:
        """Bring a journal written by an earlier version up to this schema (columns only added)."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(steps_done)")}
        if "digest" not in columns:
            with self._db:
                self._db.execute("ALTER TABLE steps_done ADD COLUMN digest TEXT")

    @staticmethod
    def path_beside(model_path: Path | None) -> Path:
        """Where the journal next to the model file (or the current folder) lives."""
        base = model_path.parent if model_path is not None else Path.cwd()
        return base / STATE_DIR / FILE

    @classmethod
    def beside(cls, model_path: Path | None) -> Journal:
        """The journal in the state folder next to the model file (or the current folder)."""
        return cls(cls.path_beside(model_path))

    def close(self) -> None:
        self._db.close()

    @staticmethod
    def new_run_id() -> str:
        return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]

    # -- the per-target lock ---------------------------------------------------------------

    def holder(self, target: str) -> Holder | None:
        row = self._db.execute(
            "SELECT run_id, started, pid, host FROM locks WHERE target=?", (target,)
        ).fetchone()
        return Holder(*row) if row else None

    def lock(
        self,
        target: str,
        run_id: str,
        *,
        wait: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Take ``target``'s lock for ``run_id``, waiting up to ``wait`` seconds for a live
        holder; a dead holder's lock is taken over and its run marked interrupted."""
        self.ensure_writable()
        deadline = clock() + max(0.0, wait)
        while True:
            holder = self._try_lock(target, run_id)
            if holder is None:
                return
            if clock() >= deadline:
                waited = f" (waited {wait:g} s)" if wait > 0 else ""
                raise TargetBusy(
                    f"target {target!r} is being applied by run {holder.run_id}, started "
                    f"{holder.started} (process {holder.pid} on {holder.host}){waited}: let it "
                    "finish, or re-run with --wait SECONDS; its progress is in "
                    f"`tierform history --run {holder.run_id}`"
                )
            sleep(LOCK_POLL)

    def ensure_writable(self) -> None:
        """Refuse an apply the journal could not record (so it could not resume): a read-only
        journal file or folder (the permission bits, so a run as root respects them too), or
        a database that refuses a write."""
        for place in (self.path, self.path.parent):
            if place.exists() and not place.stat().st_mode & 0o222:
                raise JournalError(
                    f"{place} is read-only: an apply records every change in the journal so a "
                    "killed run can resume; make it writable (chmod u+w) and run again"
                )
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("ROLLBACK")
        except sqlite3.Error as exc:
            raise JournalError(
                f"cannot write the journal {self.path} ({exc}): make it writable and run again"
            ) from None

    # -- build-sheet steps a person marked done ------------------------------------------

    def mark_done(self, target: str, step: str, who: str, digest: str | None = None) -> None:
        """Record that a person did a build-sheet step the platform cannot verify; ``digest``
        names the version of the step they did (:attr:`BuildStep.digest`)."""
        self.ensure_writable()
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO steps_done (target, step, at, who, digest) "
                "VALUES (?,?,?,?,?)",
                (target, step, _now(), who, digest),
            )

    def record_by_hand(self, target: str, platform: str, change: Change, step: str) -> str:
        """Journal ``change`` as made by a person (the build step ``step``, just marked done)
        in a run of its own, status "by hand": the plans after it start from what the platform
        now holds. The step's mark is used up by it: a later step of the same text (the same
        task due and closed again) is a new one to do. Returns the run's id."""
        self.ensure_writable()
        run_id, now = self.new_run_id(), _now()
        counts = [int(change.op is op) for op in (Op.create, Op.update, Op.delete)]
        with self._db:
            self._db.execute(
                "INSERT INTO runs (run_id, target, platform, started, finished, status, "
                "checksum, created, updated, deleted) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (run_id, target, platform, now, now, BY_HAND, "", *counts),
            )
            done = _Batch(
                run_id, 1, target, now, [ChangeResult(change, remote_id=change.remote_id)]
            )
            self._db.executemany("INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?,?)", done.rows())
            self._db.execute("DELETE FROM steps_done WHERE target=? AND step=?", (target, step))
        return run_id

    def steps_done(self, target: str) -> dict[str, Mark]:
        """Step id -> the mark (when, who, which version) for the steps marked done."""
        rows = self._db.execute(
            "SELECT step, at, who, digest FROM steps_done WHERE target=?", (target,)
        ).fetchall()
        return {step: Mark(at, who, digest) for step, at, who, digest in rows}

    def _try_lock(self, target: str, run_id: str) -> Holder | None:
        """None when the lock is now ours; else the live holder."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            holder = self.holder(target)
            if holder is not None and holder.alive():
                self._db.execute("ROLLBACK")
                return holder
            if holder is not None:
                self._mark_interrupted(holder.run_id)
                self._db.execute("DELETE FROM locks WHERE target=?", (target,))
            self._db.execute(
                "INSERT INTO locks VALUES (?, ?, ?, ?, ?)",
                (target, run_id, _now(), os.getpid(), socket.gethostname()),
            )
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise JournalError(f"cannot lock target {target!r} in {self.path}: {exc}") from None
        return None

    def unlock(self, target: str, run_id: str) -> None:
        with self._db:
            self._db.execute("DELETE FROM locks WHERE target=? AND run_id=?", (target, run_id))

    def reap(self, target: str | None = None) -> list[str]:
        """Mark runs left ``running`` by a process that is gone as ``interrupted``."""
        sql = "SELECT run_id, target FROM runs WHERE status='running'"
        rows = self._db.execute(sql).fetchall()
        dead = []
        for run_id, run_target in rows:
            if target is not None and run_target != target:
                continue
            holder = self.holder(run_target)
            if holder is not None and holder.run_id == run_id and holder.alive():
                continue
            dead.append(run_id)
        if dead:
            with self._db:
                for run_id in dead:
                    self._mark_interrupted(run_id)
        return dead

    def _mark_interrupted(self, run_id: str) -> None:
        counts = {
            op: n
            for op, n in self._db.execute(
                "SELECT CASE WHEN result='ok' THEN op ELSE result END, COUNT(*) FROM entries "
                "WHERE run_id=? GROUP BY 1",
                (run_id,),
            )
        }
        self._db.execute(
            "UPDATE runs SET status='interrupted', finished=COALESCE(finished, ?), created=?, "
            "updated=?, deleted=?, failed=?, skipped=?, error=COALESCE(error, ?) "
            "WHERE run_id=? AND status='running'",
            (
                _now(),
                counts.get("create", 0),
                counts.get("update", 0),
                counts.get("delete", 0),
                counts.get("failed", 0),
                counts.get("skipped", 0),
                "the process ended before the run finished (killed?); the next apply resumes it",
                run_id,
            ),
        )

    # -- runs --------------------------------------------------------------------------

    def start(
        self,
        target: str,
        platform: str,
        checksum: str,
        resumed_from: str | None = None,
        run_id: str | None = None,
    ) -> str:
        run_id = run_id or self.new_run_id()
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
        first = self._seq.get(run_id, 0) + 1
        # One batch, one moment (to the second).
        batch = _Batch(run_id, first, target, _now(), list(results))
        self._seq[run_id] = first + len(batch.results) - 1
        with self._db:
            if not (batch.results and self._insert_plain(batch)):
                self._db.executemany(
                    "INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?,?)", batch.rows()
                )

    def _insert_plain(self, batch: _Batch) -> bool:
        """Insert a batch of plain results (applied, no remote id, no error: a spreadsheet's
        every result) as one statement over their fields' JSON text, which SQLite reads
        without a Python call per value: about 40 % less time than binding eleven values a
        row, and some 40 % less again for a batch of one kind and op (:func:`_packed`).
        False, with nothing inserted, for any other batch, for text a JSON string cannot
        carry as bound text, and where SQLite lacks its JSON functions."""
        if not self._json_inserts:
            return False
        for r in batch.results:
            if r.skipped or not r.ok or r.remote_id is not None or r.error is not None:
                return False
        fields = batch.fields
        packed = _packed(fields)
        try:
            text = orjson.dumps(fields if packed is None else packed)
        except orjson.JSONEncodeError:  # a lone surrogate: bound as Python binds it
            return False
        if b"\\u0000" in text:  # SQLite's JSON text would end at its NUL
            return False
        args = (batch.run_id, batch.first, batch.target, batch.at, text)
        try:
            if packed is None:
                self._db.execute(_INSERT_PLAIN, args)
            else:
                self._db.execute(_INSERT_PACKED, (*args, fields[0][0], fields[0][2]))
        except sqlite3.OperationalError as exc:
            if "json" not in str(exc).lower():
                raise
            self._json_inserts = False  # built without JSON: bound from now on
            return False
        return True

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
        """The latest run of ``target`` if it did not complete (died or failed); what a person
        did by hand (:meth:`record_by_hand`) is looked past, so an apply still resumes."""
        row = self._db.execute(
            "SELECT * FROM runs WHERE target=? AND status!=? ORDER BY started DESC, rowid DESC "
            "LIMIT 1",
            (target, BY_HAND),
        ).fetchone()
        if row is None:
            return None
        run = Run(*row)
        return run if run.status != "completed" else None

    def go_live(self, target: str) -> dt.date | None:
        """The date of the target's first completed apply (None: it has had none yet)."""
        row = self._db.execute(
            "SELECT MIN(started) FROM runs WHERE target=? AND status='completed'", (target,)
        ).fetchone()
        return dt.date.fromisoformat(row[0][:10]) if row and row[0] else None

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

    def latest_writes(self, target: str, kind: Kind) -> tuple[dict[str, str], dict[str, str]]:
        """For one kind, in one pass over its entries: key -> payload hash of the last
        successful create/update (a delete removes the key), and key -> the remote id that
        key's latest successful write left. A delete, or a write that returned no id, leaves
        no id: an older one names an object the key no longer points at (a task closed, then
        created again without an id).

        "Last" is the order entries were written (``rowid``, which only grows: entries are never
        deleted), not their time stamp: two runs in the same second must not be ordered by
        their random run ids."""
        payloads: dict[str, str] = {}
        ids: dict[str, str] = {}
        for key, op, h, rid in self._db.execute(
            "SELECT key, op, payload_hash, remote_id FROM entries WHERE target=? AND kind=? AND "
            "result='ok' ORDER BY rowid",
            (target, kind.value),
        ):
            if op == Op.delete.value:
                payloads.pop(key, None)
                ids.pop(key, None)
                continue
            payloads[key] = h
            if rid is None:
                ids.pop(key, None)
            else:
                ids[key] = rid
        return payloads, ids

    def remote_ids(self, target: str) -> dict[tuple[Kind, str], str]:
        """(kind, key) -> the remote id of its latest successful write (in writing order)."""
        out: dict[tuple[Kind, str], str] = {}
        for kind, key, rid in self._db.execute(
            "SELECT kind, key, remote_id FROM entries WHERE target=? AND result='ok' AND "
            "remote_id IS NOT NULL ORDER BY rowid",
            (target,),
        ):
            out[(Kind(kind), key)] = rid
        return out


def _packed(fields: list[tuple[str, str, str, str]]) -> list[str] | None:
    """Each result's payload hash followed by its key, where every result has the same kind
    and op, a text key and a 64-character ASCII hash (a sha256 in hex); else None."""
    if not fields:
        return None
    kinds, keys, ops, hashes = zip(*fields, strict=True)
    if (
        kinds.count(kinds[0]) != len(kinds)
        or ops.count(ops[0]) != len(ops)
        or set(map(type, keys)) != {str}
        or set(map(type, hashes)) != {str}
        or set(map(len, hashes)) != {64}
        or not "".join(hashes).isascii()
    ):
        return None
    return list(map(add, hashes, keys))


@dataclass
class _Batch:
    """Results recorded together: their run, first number, target and moment."""

    run_id: str
    first: int
    target: str
    at: str
    results: list[ChangeResult]

    @property
    def fields(self) -> list[tuple[str, str, str, str]]:
        """Each result's kind, key, op and payload hash."""
        return list(map(_FIELDS, map(_CHANGE, self.results)))

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """The ``entries`` table's rows, numbered on from ``first``."""
        for seq, r in enumerate(self.results, self.first):
            kind, key, op, payload_hash = _FIELDS(r.change)
            result = "skipped" if r.skipped else ("ok" if r.ok else "failed")
            yield (
                self.run_id,
                seq,
                self.target,
                kind,
                key,
                op,
                payload_hash,
                result,
                r.remote_id,
                r.error,
                self.at,
            )
