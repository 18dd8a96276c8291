"""The entry point reads a command line's book arguments as click reads them
(``tierform.cli.entry.book_arguments``), for the commands that read their book ahead."""

from __future__ import annotations

import warnings
from typing import Any

import click
import pytest

from tierform.cli import common
from tierform.cli.entry import READ_AHEAD_COMMANDS, book_arguments
from tierform.cli.main import COMMAND_MODULES, cli


def click_reads(args: list[str]) -> tuple[str, dict[str, Any]]:
    """The command path and its parameters, as click itself parses ``args``."""
    ctx = cli.make_context("tierform", list(args), resilient_parsing=True)
    path: list[str] = []
    group: click.Command = cli
    rest = _rest(ctx)
    while isinstance(group, click.Group) and rest:
        name, command, rest = group.resolve_command(ctx, rest)
        assert name is not None and command is not None
        path.append(name)
        ctx = command.make_context(name, rest, parent=ctx, resilient_parsing=True)
        rest = _rest(ctx) if isinstance(command, click.Group) else []
        group = command
    return " ".join(path), ctx.params


def _rest(ctx: click.Context) -> list[str]:
    """A group's tokens after its own options (``protected_args`` until click 9 folds them
    into ``args``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return [*getattr(ctx, "protected_args", []), *ctx.args]


LINES = [
    ["segment", "-c", "m.yaml", "--accounts", "a.csv"],
    ["-v", "rules", "run", "--config=m.yaml", "--format", "json"],
    ["health", "-cm.yaml", "--as-of", "2026-11-01"],
    ["sync", "--accounts=a.csv", "--apply", "--accounts", "b.csv", "-c", "x.yaml"],
    ["-vv", "assign", "--format", "json", "--accounts", "-"],
    ["report", "--out", "folder"],
    ["capacity", "--config", "a b.yaml", "--accounts", "c=d.csv"],
    ["validate", "--accounts", "books/a.csv"],
    ["buildsheet", "-c", "m.yaml"],
]


@pytest.mark.parametrize("args", LINES)
def test_a_book_reading_command_line_is_read_as_click_reads_it(args: list[str]) -> None:
    command, params = click_reads(args)
    assert command in READ_AHEAD_COMMANDS
    assert book_arguments(args) == (params["config"], params["accounts"])


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--help"],
        ["--version"],
        ["segment", "--help"],
        ["rules", "run", "-h"],
        ["rules", "test", "-c", "m.yaml"],
        ["recommend", "-c", "m.yaml", "--accounts", "a.csv"],
        ["history", "-c", "m.yaml"],
        ["segment", "-c"],  # the value missing: click says so
        ["rules"],
    ],
)
def test_other_command_lines_begin_no_read(args: list[str]) -> None:
    assert book_arguments(args) is None


def test_options_after_a_double_dash_are_not_read() -> None:
    assert book_arguments(["segment", "-c", "m.yaml", "--", "--accounts", "a.csv"]) == (
        "m.yaml",
        None,
    )


def _reads_ahead(callback: Any) -> bool:
    """Whether a command's callback is wrapped by ``accounts_option``'s read ahead."""
    code = common._reading_book_ahead(lambda: None).__code__
    while callback is not None:
        if getattr(callback, "__code__", None) is code:
            return True
        callback = getattr(callback, "__wrapped__", None)
    return False


def test_the_listed_commands_are_those_that_read_their_book_ahead() -> None:
    found: set[str] = set()

    def walk(command: click.Command, path: str) -> None:
        if _reads_ahead(command.callback):
            found.add(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    for load in COMMAND_MODULES.values():
        for command in load():
            assert command.name is not None
            walk(command, command.name)
    assert found == READ_AHEAD_COMMANDS
