"""The ``tierform`` entry point: a command that reads its book ahead has the read begun from
the command line before anything else is imported.

This module imports no click and no command module: the read of a large book begins after
Arrow's import alone, and click, the command group and the command's module are imported
beside the parse (on a two-core machine, a few hundredths of a second of a million-account
command that were spent before the parse began). The command group is
:data:`tierform.cli.main.cli`.
"""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager, nullcontext
from typing import NoReturn

from tierform.cli import process

#: The commands whose book is read ahead (``accounts_option(read_ahead=True)``): for these,
#: the entry point begins the read from the command line (:func:`book_arguments`).
READ_AHEAD_COMMANDS = frozenset(
    {
        "assign",
        "buildsheet",
        "capacity",
        "health",
        "report",
        "rules run",
        "segment",
        "sync",
        "validate",
    }
)
_GROUPS = frozenset(c.split()[0] for c in READ_AHEAD_COMMANDS if " " in c)  # rules
_NOT_RUN = frozenset({"-h", "--help", "--version"})


def book_arguments(args: list[str]) -> tuple[str | None, str | None] | None:
    """The ``-c/--config`` and ``--accounts`` values of a command line whose command reads
    its book ahead, read as click will read them, before click is imported; None for any
    other command line (help, another command). A command line read otherwise costs time,
    never a result: the command then begins its own read (see
    :func:`tierform.core.book_ahead.reading_ahead_from_the_start`)."""
    words: list[str] = []
    given: dict[str, str] = {}
    i = 0
    while i < len(args) and args[i] != "--":
        arg = args[i]
        if arg in _NOT_RUN:
            return None
        name, equals, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name in ("--config", "--accounts", "-c"):
            if not equals:
                if i + 1 == len(args):
                    return None  # click says the value is missing
                i += 1
                value = args[i]
            given["--accounts" if name == "--accounts" else "--config"] = value
        elif arg.startswith("-c") and not arg.startswith("--"):
            given["--config"] = arg[2:]  # -cFILE
        elif not arg.startswith("-") or arg == "-":
            words.append(arg)  # a command's name (or another option's value)
        i += 1
    command = " ".join(words[:2]) if words[:1] and words[0] in _GROUPS else "".join(words[:1])
    if command not in READ_AHEAD_COMMANDS:
        return None
    return given.get("--config"), given.get("--accounts")


def _book_read_ahead(args: list[str]) -> AbstractContextManager[None]:
    found = book_arguments(args)
    if found is None:
        return nullcontext()
    from tierform.core.book_ahead import reading_ahead_from_the_start

    return reading_ahead_from_the_start(*found)


def main() -> None:
    """Run the command, then leave without the interpreter's teardown (see
    :func:`tierform.cli.process.leave`). A command that reads its book ahead has the read
    begun here, before click and the command's module are imported."""
    process.run_as_command()
    try:
        with _book_read_ahead(sys.argv[1:]):
            from tierform.cli.main import cli

            cli(prog_name="tierform")  # standalone mode: ends with SystemExit, even on success
    except SystemExit as stop:
        process.leave(stop.code)
    except KeyboardInterrupt:  # Ctrl-C while the read was being begun, before click ran
        _aborted()


def _aborted() -> NoReturn:
    """End as click ends an interrupted command ("Aborted!", status 1), once a read begun
    ahead has ended (a process must not end while Arrow still reads)."""
    import click

    ahead = sys.modules.get("tierform.core.book_ahead")
    if ahead is not None:
        ahead.finish()
    click.echo(err=True)
    click.echo("Aborted!", err=True)
    process.leave(1)
