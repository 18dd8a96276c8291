"""Freed memory kept for reuse while a large book is worked on (glibc's malloc only).

A million-account command allocates and frees columns of several megabytes hundreds of times.
By default glibc hands such blocks back to the operating system when they are freed (a block
above its mmap threshold, or free space at the top of the heap above its trim threshold), so
the next column of that size is faulted in again, page by page. Kept in the process, the same
memory is handed out again: a million-account ``rules run`` takes a fifth fewer page faults,
and on a virtual machine whose host must back each new page, about a tenth less time, at about
the same peak. Memory freed is not returned before the process ends: right for a command that
works on the book's columns and ends, not for one that goes on to build a large output (a
million-account report's peak rose from about 0.9 to 1.1 GiB), which is why the caller decides.

The heap is also grown once, up front, by ``HUGE_PAGE_HEAP`` and marked for transparent huge
pages (``madvise``), then handed back to malloc with nothing written: a column the command makes
later is faulted in 2 MiB at a time rather than 4 KiB. numpy asks for huge pages itself, but only
for arrays of 4 MiB or more; a million accounts' flags, codes and small integers (1-4 MB each)
took some 15,000 of a ``rules run``'s 38,000 page faults, and the kernel's share of its time falls
by about a tenth (0.20 to 0.18 s). No memory is used until a column is: the heap's size is
address space, not memory. Where the kernel has no transparent huge pages the mark changes nothing.

Elsewhere (macOS, Windows, musl) this does nothing: those allocators have their own policies.
"""

from __future__ import annotations

import sys
from typing import Any

# mallopt(3) parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3

#: Blocks up to this size come from the heap and are reused; larger ones are mapped as before.
MMAP_THRESHOLD = 32 << 20  # glibc's own ceiling for its moving threshold
#: Free memory at the top of the heap is returned to the system only beyond this.
TRIM_THRESHOLD = 1 << 30
#: Room the heap grows by beyond each request, so that it grows less often.
TOP_PAD = 64 << 20

#: An input file this large (about seven thousand accounts as CSV) makes it worth it.
LARGE_INPUT_BYTES = 1 << 20

#: The heap grown up front and marked for transparent huge pages (address space, not memory).
HUGE_PAGE_HEAP = 512 << 20
_HEAP_BLOCK = 30 << 20  # below MMAP_THRESHOLD: taken from the heap, not mapped on its own
_HUGE_PAGE = 2 << 20
_MADV_HUGEPAGE = 14  # madvise(2), Linux

_kept = False


def keep_freed_memory() -> bool:
    """Set glibc's malloc to keep freed blocks for reuse, and grow its heap on huge pages (once
    per process); whether it did. Never raises: on another C library, or if the call is refused,
    nothing changes."""
    global _kept
    if _kept:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        if not hasattr(libc, "gnu_get_libc_version") or not hasattr(libc, "mallopt"):
            return False  # not glibc (musl has no mallopt to speak of)
        mallopt = libc.mallopt
        mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        mallopt.restype = ctypes.c_int
        _kept = all(
            mallopt(param, value) == 1
            for param, value in (
                (_M_MMAP_THRESHOLD, MMAP_THRESHOLD),
                (_M_TRIM_THRESHOLD, TRIM_THRESHOLD),
                (_M_TOP_PAD, TOP_PAD),
            )
        )
        if _kept:
            _grow_heap_on_huge_pages(libc)  # never raises: at worst nothing is marked
    except (OSError, AttributeError, ValueError):
        return False
    return _kept


def _grow_heap_on_huge_pages(libc: Any) -> None:
    """Grow the heap by ``HUGE_PAGE_HEAP`` (blocks that glibc carves from its top, never
    written), mark it for transparent huge pages and free it again. The freed space stays at
    the heap's top (below ``TRIM_THRESHOLD``), where later blocks are carved. A refused mark
    (no transparent huge pages) leaves the heap as it was."""
    import ctypes

    try:
        libc.malloc.argtypes = [ctypes.c_size_t]
        libc.malloc.restype = ctypes.c_void_p
        libc.free.argtypes = [ctypes.c_void_p]
        libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        libc.madvise.restype = ctypes.c_int
    except AttributeError:
        return
    blocks: list[int] = []
    try:
        for _ in range(HUGE_PAGE_HEAP // _HEAP_BLOCK):
            block = libc.malloc(_HEAP_BLOCK)
            if not block:
                break  # no more address space for it (strict overcommit): what there is
            blocks.append(block)
        for start, end in _spans(blocks):
            first = -(-start // _HUGE_PAGE) * _HUGE_PAGE  # whole huge pages inside the span
            last = end // _HUGE_PAGE * _HUGE_PAGE
            if last > first:
                libc.madvise(first, last - first, _MADV_HUGEPAGE)
    except (OSError, ValueError, TypeError, ctypes.ArgumentError):
        pass  # nothing more is marked; the blocks are freed all the same
    finally:
        for block in reversed(blocks):
            libc.free(block)


def _spans(blocks: list[int]) -> list[tuple[int, int]]:
    """The address ranges the blocks cover, those that follow one another (the heap's top
    carved block after block, a chunk header apart) joined into one."""
    spans: list[tuple[int, int]] = []
    for block in blocks:
        if spans and 0 <= block - spans[-1][1] <= 64:
            spans[-1] = (spans[-1][0], block + _HEAP_BLOCK)
        else:
            spans.append((block, block + _HEAP_BLOCK))
    return spans
