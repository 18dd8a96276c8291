"""How a ``tierform`` process starts and ends: the collector slowed while a command starts, and
the exit at once, once the work is written.

A normal exit frees every object and module one at a time: about 0.1 s after a
million-account command, and more for what a command's results hold (a million-account sync
plan: about 0.4 s), all of it memory the operating system takes back anyway. Run as the
``tierform`` command (never in-process: tests, an embedding program), the process skips that,
and the garbage collector keeps to a slower pace while the command starts (see
:data:`STARTING_PACE`). numpy's linear-algebra library is also kept to one thread, and
pydantic looks for no plugins (see :data:`COMMAND_ENVIRONMENT`).
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
import threading
from typing import NoReturn

_kept: list[object] | None = None  # a list once run as the command: held until the exit
_usual_pace: tuple[int, ...] | None = None  # the collector's thresholds, until settle()
#: While a command starts (its engine imported, its model and book read), the cyclic garbage
#: collector runs once per 200,000 new objects rather than per 700. A command makes 75,000 to
#: 90,000 of them (modules, the model's validators) before it settles, all of which live to the
#: end: at 700 they were walked about a hundred times, at 50,000 once (8-35 ms, beside a
#: large book's parse or on a small command's own path), now not at all. A command that never
#: settles still has its garbage collected, once per 200,000 objects.
STARTING_PACE = (200_000, 20, 20)
#: numpy's OpenBLAS starts a thread per core when numpy is imported, and those threads spin,
#: waiting for work, for about a tenth of a second after it and after every matrix product.
#: A command imports numpy as its book's parse begins, so on a two-core machine the spin took
#: a core from the parse (0.1 s of a million-account command). tierform's matrix products are
#: 2 x n correlations and 6 x 6 covariances, for which one thread is as fast; their results
#: do not depend on the count (OpenBLAS splits such products by output cell).
#: pydantic, building its first validator, looks for plugins in the entry points of every
#: installed distribution: 4-6 ms among the 57 of tierform's test environment, more elsewhere.
#: tierform's models are its own and run with no plugin. A value the user set is kept.
COMMAND_ENVIRONMENT = {"OPENBLAS_NUM_THREADS": "1", "PYDANTIC_DISABLE_PLUGINS": "__all__"}


def run_as_command() -> None:
    """Called by the ``tierform`` entry point before the command runs."""
    global _kept, _usual_pace
    for name, value in COMMAND_ENVIRONMENT.items():
        os.environ.setdefault(name, value)  # read when numpy is imported, pydantic's first build
    _kept = []
    _usual_pace = gc.get_threshold()
    gc.set_threshold(*STARTING_PACE)


def settle() -> None:
    """The command has started: what is alive now (modules, the model, the book) lives to the
    end, so the collector stops walking it (``gc.freeze``) and goes back to its usual pace.
    Only the first call counts, and only when run as the command."""
    global _usual_pace
    if _usual_pace is not None:
        gc.freeze()
        gc.set_threshold(*_usual_pace)
        _usual_pace = None


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
