"""Tag scans in worker processes (:mod:`tierform.workbook.scan_workers`): each piece's answer
is the scan made here (:func:`~tierform.workbook.xlsx_scan.coded_json`, itself checked against
the replacement conversion in ``test_perf_xlsx_scan``), in order; a worker that will not start,
dies or answers nonsense costs speed, never a piece; an error of the pieces is the caller's."""

from __future__ import annotations

import os
import random
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_perf_xlsx_scan import _run  # generated runs of tierform's cell shapes
from test_xlsx_named import _read_both, _same, _written

import tierform.workbook.scan_workers as scan_workers
import tierform.workbook.xlsx_read as xlsx_read
from tierform.core import memory
from tierform.sync.state import Kind
from tierform.testing import sample_desired
from tierform.workbook.scan_workers import ScanWorkers
from tierform.workbook.xlsx_scan import coded_json

DECLINED = [
    b'<row r="9" spans="1:2"><c r="A9" t="inlineStr"><is><t>x</t></is></c></row>',
    b'<row r="9"><c r="A9" t="s"><v>0</v></c></row>',  # a shared string
    b'<row r="9"><c r="AA9"><v>1</v></c></row>',  # past column Z
]


def _pieces(count: int = 9, seed: int = 3) -> list[bytes]:
    """Runs of random rows in tierform's shapes, with runs the scan declines among them."""
    rng = random.Random(seed)
    out, first = [], 2
    for i in range(count):
        if i % 4 == 2:
            out.append(DECLINED[i % len(DECLINED)])
            continue
        n = rng.randint(1, 60)
        xml, _ = _run(rng, first, n, "ABCDEFG")
        out.append(xml.encode())
        first += n
    return out


def _no_scan_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if any piece is scanned in this process."""

    def refuse(data: bytes) -> Any:
        raise AssertionError("scanned here, not by a worker")

    monkeypatch.setattr(scan_workers, "coded_json", refuse)


def _alive(pool: ScanWorkers) -> list[bool]:
    return [w.process.poll() is None for w in pool._workers]


def test_the_workers_answer_every_piece_as_the_scan_here_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pieces = _pieces()
    expected = [(p, coded_json(p)) for p in pieces]
    assert sum(e is None for _, e in expected) == 2 and sum(e is not None for _, e in expected) > 5
    _no_scan_here(monkeypatch)
    pool = ScanWorkers()
    try:
        assert list(pool.scanned(pieces)) == expected
        assert _alive(pool) == [True, True]  # kept for the next sheet
        assert list(pool.scanned(pieces[::-1])) == expected[::-1]
        processes = [w.process for w in pool._workers]
    finally:
        pool.close()
    assert [p.returncode for p in processes] == [0, 0]  # ended by their zero length


def test_a_tierform_module_in_the_working_folder_is_not_the_worker(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "tierform.py").write_text("raise SystemExit('not tierform')\n")
    monkeypatch.chdir(tmp_path)
    pieces = _pieces(4)
    expected = [(p, coded_json(p)) for p in pieces]
    _no_scan_here(monkeypatch)
    pool = ScanWorkers()
    try:
        assert list(pool.scanned(pieces)) == expected
    finally:
        pool.close()


def test_a_worker_that_dies_leaves_its_pieces_to_be_scanned_here() -> None:
    pieces = _pieces(12)
    expected = [(p, coded_json(p)) for p in pieces]
    pool = ScanWorkers()
    try:
        scanned = pool.scanned(pieces)
        got = [next(scanned)]
        for worker in pool._workers:
            worker.process.kill()
            worker.process.wait()
        got.extend(scanned)
        assert got == expected
        assert pool._workers == [] and pool._unusable
        assert list(pool.scanned(pieces[:3])) == expected[:3]  # here from now on
        assert pool._workers == []
    finally:
        pool.close()


def test_a_worker_answering_nonsense_is_not_believed(monkeypatch: pytest.MonkeyPatch) -> None:
    junk = "import sys; sys.stdin.buffer.read(8); sys.stdout.buffer.write(b'x' * 64)"
    monkeypatch.setattr(scan_workers, "WORKER_ARGS", ("-c", junk))
    pieces = _pieces(6)
    pool = ScanWorkers()
    try:
        assert list(pool.scanned(pieces)) == [(p, coded_json(p)) for p in pieces]
        assert pool._unusable
    finally:
        pool.close()


def test_without_an_interpreter_to_start_the_pieces_are_scanned_here(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(scan_workers.sys, "executable", str(tmp_path / "no-such-python"))
    pieces = _pieces(5)
    pool = ScanWorkers()
    assert list(pool.scanned(pieces)) == [(p, coded_json(p)) for p in pieces]
    assert pool._workers == [] and pool._unusable


def test_stopping_early_ends_the_workers_and_a_later_sheet_starts_new_ones() -> None:
    pieces = _pieces(8)
    pool = ScanWorkers()
    try:
        scanned = pool.scanned(pieces)
        assert next(scanned) == (pieces[0], coded_json(pieces[0]))
        first = [w.process for w in pool._workers]
        scanned.close()  # pieces still out with the workers: they are not reused
        assert all(p.returncode is not None for p in first)
        assert not pool._unusable
        assert list(pool.scanned(pieces)) == [(p, coded_json(p)) for p in pieces]
        assert _alive(pool) == [True, True]
    finally:
        pool.close()


def _environment(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(entry.decode().partition("=")[::2] for entry in raw.split(b"\0") if entry)


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc (Linux)")
def test_the_workers_start_with_malloc_keeping_freed_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """glibc reads its malloc settings from the environment as a process starts: each worker
    gets those that keep a piece's freed arrays for the next piece; a value the user set is
    kept, and the caller's own environment is left as it was."""
    for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MALLOC_TOP_PAD_", "4096")
    monkeypatch.setenv("TIERFORM_TEST_MARK", "passed on")
    pool = ScanWorkers()
    try:
        assert list(pool.scanned(_pieces(3))) == [(p, coded_json(p)) for p in _pieces(3)]
        seen = [_environment(w.process.pid) for w in pool._workers]
    finally:
        pool.close()
    assert len(seen) == 2
    for env in seen:
        assert env["MALLOC_MMAP_THRESHOLD_"] == str(32 * 1024 * 1024)
        assert env["MALLOC_TRIM_THRESHOLD_"] == str(1024 * 1024 * 1024)
        assert env["MALLOC_TOP_PAD_"] == "4096"
        assert env["TIERFORM_TEST_MARK"] == "passed on"
    assert "MALLOC_MMAP_THRESHOLD_" not in os.environ


def test_the_workers_malloc_settings_are_those_of_an_analysis_command() -> None:
    """The workbook layer cannot import :mod:`tierform.core.memory`, so the workers' settings
    are written out again: they must stay the values the analysis commands set."""
    assert scan_workers.KEEP_FREED == {
        "MALLOC_MMAP_THRESHOLD_": str(memory.MMAP_THRESHOLD),
        "MALLOC_TRIM_THRESHOLD_": str(memory.TRIM_THRESHOLD),
        "MALLOC_TOP_PAD_": str(memory.TOP_PAD),
    }


def test_an_error_of_the_pieces_is_raised_and_the_workers_end() -> None:
    pieces = _pieces(4)

    def broken() -> Iterator[bytes]:
        yield from pieces
        raise zlib.error("a damaged stream")

    pool = ScanWorkers()
    scanned = pool.scanned(broken())
    got = []
    with pytest.raises(zlib.error, match="damaged"):
        for item in scanned:
            got.append(item)
            processes = [w.process for w in pool._workers]
    assert got == [(p, coded_json(p)) for p in pieces[: len(got)]]
    assert all(p.returncode is not None for p in processes)


def test_a_large_sheet_read_through_the_workers_reads_as_the_general_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desired = sample_desired(120)
    _written(tmp_path, desired)
    monkeypatch.setattr(xlsx_read, "WORKERS_FROM", 0)  # every sheet counts as large
    monkeypatch.setattr(xlsx_read, "_CHUNK", 3000)  # a few dozen pieces per sheet
    pools: list[ScanWorkers] = []
    scanned = ScanWorkers.scanned

    def spy(self: ScanWorkers, pieces: Any) -> Any:
        pools.append(self)
        return scanned(self, pieces)

    monkeypatch.setattr(ScanWorkers, "scanned", spy)
    _no_scan_here(monkeypatch)
    fast, general = _read_both(tmp_path, monkeypatch)
    assert len(pools) >= 2 and len({id(p) for p in pools}) == 1  # one pool for both sheets
    assert pools[0]._workers == []  # stopped when the reader closed
    _same(fast, general)
    assert fast.of(Kind.account) == desired.of(Kind.account)
    assert fast.of(Kind.work_item) == desired.of(Kind.work_item)


def _pipe_cap() -> int:
    cap = Path("/proc/sys/fs/pipe-max-size")
    return int(cap.read_text()) if cap.exists() else 0


@pytest.mark.skipif(
    not hasattr(scan_workers.fcntl, "F_GETPIPE_SZ") or _pipe_cap() < scan_workers.PIPE_BYTES,
    reason="sizes pipes (Linux, with a cap of at least PIPE_BYTES)",
)
def test_the_workers_pipes_hold_a_quarter_of_a_piece() -> None:
    """A piece and its answer pass in a few system calls, not one per 64 KiB."""
    fcntl = scan_workers.fcntl
    pool = ScanWorkers()
    try:
        assert list(pool.scanned(_pieces(3))) == [(p, coded_json(p)) for p in _pieces(3)]
        sizes = [
            fcntl.fcntl(pipe.fileno(), fcntl.F_GETPIPE_SZ)
            for w in pool._workers
            for pipe in (w.process.stdin, w.process.stdout)
        ]
    finally:
        pool.close()
    assert sizes == [scan_workers.PIPE_BYTES] * 4


def test_pipes_the_system_will_not_widen_still_carry_every_piece(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Refusing:
        F_SETPIPE_SZ = 1031

        @staticmethod
        def fcntl(fd: int, op: int, arg: int) -> int:
            raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(scan_workers, "fcntl", Refusing)
    pieces = _pieces(6)
    _no_scan_here(monkeypatch)
    pool = ScanWorkers()
    try:
        assert list(pool.scanned(pieces)) == [(p, coded_json(p)) for p in pieces]
        assert not pool._unusable
    finally:
        pool.close()


def _pieces_ahead() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "tierform-prefetch" and t.is_alive()]


def test_a_large_sheet_read_and_stopped_early_leaves_no_thread_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large sheet's pieces are cut a step ahead, in a thread: every run comes out as the
    scan here makes it, and a read stopped after its first run ends that thread (and the
    inflating one) before the reader goes on."""
    _written(tmp_path, sample_desired(120))
    monkeypatch.setattr(xlsx_read, "WORKERS_FROM", 0)
    monkeypatch.setattr(xlsx_read, "_CHUNK", 3000)
    made: list[int] = []
    ahead = xlsx_read.ahead

    def counted(items: Any) -> Any:
        made.append(1)
        return ahead(items)

    monkeypatch.setattr(xlsx_read, "ahead", counted)
    path = next(tmp_path.glob("*.xlsx"))
    with xlsx_read.XlsxReader(path) as reader:
        title = reader.titles[0]
        whole = list(reader.typed_runs(title))
        assert len(whole) > 3 and None not in whole
        assert len(made) == 2  # the inflating and the cutting
        runs = reader.typed_runs(title)
        assert next(runs) == whole[0]
        assert _pieces_ahead()  # both threads at work
        runs.close()
        assert _pieces_ahead() == []
