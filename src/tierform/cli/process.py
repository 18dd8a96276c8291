"""How a ``tierform`` process ends: at once, once its work is written.

A normal exit frees every object and module one at a time: about 0.1 s after a
million-account command, and more for what a command's results hold (a million-account sync
plan: about 0.4 s), all of it memory the operating system takes back anyway. Run as the
``tierform`` command (never in-process: tests, an embedding program), the process skips that.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn

_kept: list[object] | None = None  # a list once run as the command: held until the exit


def run_as_command() -> None:
    """Called by the ``tierform`` entry point before the command runs."""
    global _kept
    _kept = []


def keep_until_exit(*objects: object) -> None:
    """Hold large results until the process ends, so they are never freed one object at a
    time; in-process (no :func:`run_as_command`) this does nothing and they are freed as
    usual."""
    if _kept is not None:
        _kept.extend(objects)


def leave(code: object) -> NoReturn:
    """Exit with ``code`` at once when that is safe: when this is the only thread, no profiler
    or tracer waits to write its report and the code is a number, the output is flushed, the
    exit handlers run (logging, temporary folders) and the process ends there. Anything else
    (another thread still running, a message as the code, output that cannot be flushed)
    exits the normal way."""
    if code is None:
        code = 0
    watched = sys.getprofile() is not None or sys.gettrace() is not None  # a profiler's report
    if not isinstance(code, int) or threading.active_count() > 1 or watched:
        raise SystemExit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        raise SystemExit(code) from None  # a closed pipe: the normal exit reports it as before
    atexit._run_exitfuncs()
    os._exit(code & 0xFF)
