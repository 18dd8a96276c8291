"""Freed memory kept for reuse on a large book (glibc's malloc), and nothing done elsewhere."""

from __future__ import annotations

import ctypes
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tierform.core import memory

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"

# Eight 10 MB blocks made, written and freed three times over; prints the page faults of the
# third round. By default glibc gives the freed heap back (it is above its trim threshold)
# and the third round faults every page in again; kept, the third round reuses them.
ROUNDS = textwrap.dedent(
    """
    import ctypes, resource, sys
    from tierform.core.memory import keep_freed_memory
    if sys.argv[1] == "keep":
        assert keep_freed_memory()
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    size = 10 << 20
    for round in range(3):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        blocks = [libc.malloc(size) for _ in range(8)]
        for block in blocks:
            ctypes.memset(block, 1, size)
        for block in blocks:
            libc.free(block)
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    print(faults)
    """
)


def _third_round_faults(mode: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", ROUNDS, mode], capture_output=True, text=True, check=True
    )
    return int(out.stdout)


@pytest.mark.skipif(not GLIBC, reason="glibc's malloc only")
def test_freed_blocks_are_reused_instead_of_faulted_in_again() -> None:
    pages = 8 * (10 << 20) // 4096
    plain = _third_round_faults("plain")
    kept = _third_round_faults("keep")
    assert plain > pages // 2  # given back and faulted in again (4 KiB pages)
    assert kept < pages // 20


# The heap's stretches marked for huge pages ("hg" in their flags), and the memory the process
# uses, before and after the call.
HEAP_MARKS = textwrap.dedent(
    """
    import re
    from tierform.core.memory import keep_freed_memory

    def used_kib():
        return int(re.search(r"VmRSS:\\s+(\\d+)", open("/proc/self/status").read())[1])

    def heap_marked():
        marked = 0
        for vma in re.split(r"\\n(?=[0-9a-f]+-[0-9a-f]+ )", open("/proc/self/smaps").read()):
            head = vma.split("\\n", 1)[0]
            flags = re.search(r"VmFlags:([^\\n]*)", vma)
            if head.endswith("[heap]") and flags and " hg" in flags[1]:
                start, end = (int(x, 16) for x in head.split()[0].split("-"))
                marked += end - start
        return marked

    before = used_kib(), heap_marked()
    assert keep_freed_memory()
    print(before[0], before[1], used_kib(), heap_marked())
    """
)


@pytest.mark.skipif(
    not GLIBC or not Path("/sys/kernel/mm/transparent_hugepage/enabled").exists(),
    reason="glibc's malloc on a kernel with transparent huge pages",
)
def test_the_heap_is_grown_on_huge_pages_without_using_memory() -> None:
    out = subprocess.run(
        [sys.executable, "-c", HEAP_MARKS], capture_output=True, text=True, check=True
    )
    used_before, marked_before, used_after, marked_after = map(int, out.stdout.split())
    assert marked_before == 0
    assert marked_after >= memory.HUGE_PAGE_HEAP * 9 // 10  # all but the blocks' ragged ends
    assert used_after - used_before < 8 << 10  # KiB: address space only, nothing written


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "_kept", False)


@pytest.mark.usefixtures("fresh")
def test_nothing_is_done_off_linux(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert memory.keep_freed_memory() is False


@pytest.mark.usefixtures("fresh")
def test_a_c_library_that_cannot_be_opened_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("no C library")

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(ctypes, "CDLL", refuse)
    assert memory.keep_freed_memory() is False


@pytest.mark.usefixtures("fresh")
def test_a_c_library_without_glibc_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    class Musl:
        def mallopt(self, param: int, value: int) -> int:
            raise AssertionError("not glibc: mallopt must not be called")

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(ctypes, "CDLL", lambda name: Musl())
    assert memory.keep_freed_memory() is False
