"""A CSV book read ahead: its parse starts as a command starts, on a second thread.

Arrow parses a CSV on its own threads without the interpreter lock, so the book can be read
while this thread imports the engine and loads the model (about a third of a
million-account command's time before this). The model is not loaded yet when the read
starts, so its options (the book's path, format, encoding and the id and ACV columns kept as
text) come from a quick read of the model file's ``accounts`` section. ``read_book`` then
takes the result only when the loaded model asks for exactly that read of the same,
unchanged file; otherwise the book is read again as usual. Either way, the result, every
message included, is the one a plain read gives.

A read ahead is always waited for, never left running: a process that exits while Arrow's
threads still read crashes in the interpreter's shutdown. An interrupt (Ctrl-C) ends the
command once the read has ended (a parse on Arrow's threads cannot be stopped); a second one
while it is waited for leaves the process at once, without that shutdown.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from tierform.core.model_file import book_path, model_file

if TYPE_CHECKING:
    from tierform.core.background import Background
    from tierform.core.book_csv import CsvBook

THREAD_NAME = "tierform-book-ahead"
#: A smaller book parses in a few milliseconds: a second thread would cost more than it saves.
MIN_BYTES = 1 << 20


@dataclass(frozen=True)
class CsvRead:
    """The arguments of one ``read_csv`` call, and the file they found."""

    name: str  # the path as given: messages name the file this way
    encoding: str | None
    as_text: tuple[str, ...]
    file: tuple[int, int, int, int]  # device, inode, size, modification time (ns)


@dataclass
class _Ahead:
    read: CsvRead
    job: Background[CsvBook]


_ahead: _Ahead | None = None
#: The arguments the entry point began a read for (:func:`reading_ahead_from_the_start`),
#: until the command's own :func:`start` for the same arguments takes that read over.
_begun: tuple[str | None, str | None] | None = None


@contextmanager
def reading_ahead(config: str | None, accounts: str | None) -> Iterator[None]:
    """Read the CSV book a command is about to load (``--accounts``, else the model's
    ``accounts.path``) while the command runs; an unclaimed read is waited for at its end."""
    start(config, accounts)
    try:
        yield
    finally:
        try:
            finish()
        except KeyboardInterrupt:
            _leave_at_once()


@contextmanager
def reading_ahead_from_the_start(config: str | None, accounts: str | None) -> Iterator[None]:
    """:func:`reading_ahead`, begun by the ``tierform`` entry point from the command line
    before click and the command's module are imported (a tenth of a second more of the
    parse runs beside the imports). The command's own :func:`start` with the same arguments
    takes this read, or this finding that there is none to make, over; other arguments (the
    command line was read otherwise) finish it and begin their own, as before."""
    global _begun
    with reading_ahead(config, accounts):
        _begun = (config, accounts)
        try:
            yield
        finally:
            _begun = None


def start(config: str | None, accounts: str | None) -> None:
    """Begin the read the model file asks for, if it names a CSV book of at least
    ``MIN_BYTES`` (see the module docstring); any earlier read ahead is finished first.
    Never raises: anything unexpected means no read ahead, and the book is read as usual."""
    global _ahead, _begun
    if _begun is not None and _begun == (config, accounts):
        _begun = None  # begun by the entry point for these very arguments: kept as it is
        return
    finish()
    try:
        read = planned_read(config, accounts)
        if read is None or read.file[2] < MIN_BYTES:
            return
        from tierform.core.background import Background
        from tierform.core.book_csv import read_csv  # Arrow, imported on this thread

        path = Path(read.name)
        _ahead = _Ahead(
            read, Background(lambda: read_csv(path, read.encoding, read.as_text), THREAD_NAME)
        )
    except Exception:  # noqa: BLE001 - a read ahead is only ever a shortcut
        return


def claim(path: Path, encoding: str | None, as_text: tuple[str, ...]) -> CsvBook | None:
    """The book read ahead when it is this read of this file, waiting for it to end (and
    raising what the read raised); else None, once any read ahead has ended."""
    global _ahead
    ahead = _ahead
    if ahead is None:
        return None
    ahead.job.wait()  # an interrupt here leaves the read to finish()
    _ahead = None
    if ahead.read != _describe(str(path), encoding, as_text):
        return None
    return ahead.job.result()


def finish() -> None:
    """Wait for an unclaimed read ahead to end, and drop it."""
    global _ahead
    ahead = _ahead
    if ahead is not None:
        ahead.job.wait()
        _ahead = None


def _leave_at_once() -> NoReturn:
    """End the process as an interrupt does (exit status 130), skipping the interpreter's
    shutdown, which would crash while Arrow still reads."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(130)


def planned_read(config: str | None, accounts: str | None) -> CsvRead | None:
    """The ``read_csv`` call ``read_book`` will make for this model and ``--accounts``, as
    far as the model file's ``accounts`` section tells without loading the model; None when
    it names no CSV book or cannot be read (the loader reports why)."""
    found = model_file(config)
    section = {} if found is None else _accounts_section(found)
    if section is None:
        return None
    path = accounts
    if not path:
        path = section.get("path")
        if not isinstance(path, str) or not path or found is None:
            return None
        path = book_path(found, path)
    from tierform.core.book_csv import CSV_SUFFIXES, text_columns

    fmt, encoding = section.get("format"), section.get("encoding")
    columns = section.get("columns") or {}
    if fmt is None and Path(path).suffix.lower() in CSV_SUFFIXES:
        fmt = "csv"
    if fmt != "csv" or not isinstance(encoding, str | None) or not _names(columns):
        return None
    # Named as read_book names it: the str() of its Path ("./a.csv" is "a.csv").
    return _describe(str(Path(path)), encoding, text_columns(columns))


def _accounts_section(model: Path) -> Mapping[str, Any] | None:
    """The model file's ``accounts`` mapping, through the project's safe YAML reader (an
    alias bomb is refused here as the loader refuses it); None when it cannot be read."""
    from tierform.core.safe_yaml import load_yaml

    try:
        data = load_yaml(model.read_text(encoding="utf-8-sig"), str(model)).data
    except Exception:  # noqa: BLE001 - the loader reports the problem
        return None
    section = (data.get("accounts") or {}) if isinstance(data, dict) else None
    return section if isinstance(section, dict) else None


def _names(columns: object) -> bool:
    return isinstance(columns, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
    )


def _describe(name: str, encoding: str | None, as_text: tuple[str, ...]) -> CsvRead | None:
    try:
        st = os.stat(name)
    except (OSError, ValueError):
        return None
    file = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    return CsvRead(name, encoding, tuple(as_text), file)
