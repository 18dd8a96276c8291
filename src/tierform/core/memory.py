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

Elsewhere (macOS, Windows, musl) this does nothing: those allocators have their own policies.
"""

from __future__ import annotations

import sys

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

_kept = False


def keep_freed_memory() -> bool:
    """Set glibc's malloc to keep freed blocks for reuse (once per process); whether it did.
    Never raises: on another C library, or if the call is refused, nothing changes."""
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
    except (OSError, AttributeError, ValueError):
        return False
    return _kept
