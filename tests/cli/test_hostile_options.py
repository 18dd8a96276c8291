"""Every command's number and date options, fed values no option can use (NaN, infinities,
negatives, a number past 64 bits, dates at the calendar's ends): the answer is a usage error or a
message with exit 1, or a normal run, never a traceback. The options are found by walking the
command tree, so an option added later is covered without a change here."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tierform.cli.main import cli

from ..conftest import EXAMPLES

NUMBERS = ["nan", "inf", "-inf", "1e400", "-1", "0", str(2**70)]
DATES = ["0001-01-01", "1899-12-31", "3000-01-01", "9999-12-31"]
_NUMERIC = (click.types.IntParamType, click.types.FloatParamType)


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))
        elif command is not None:
            yield (*prefix, name)


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command | None = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.get_command(click.Context(command), name)
    assert command is not None
    return command


def _cases() -> list[tuple[tuple[str, ...], str, str]]:
    cases = []
    for path in _commands(cli):
        for param in _command(path).params:
            if not isinstance(param, click.Option) or param.is_flag:
                continue
            if isinstance(param.type, _NUMERIC):
                cases += [(path, param.opts[0], v) for v in NUMBERS]
            elif isinstance(param.type, click.DateTime):
                cases += [(path, param.opts[0], v) for v in DATES]
    return cases


CASES = _cases()


def test_the_walk_finds_the_options_it_is_meant_to_cover() -> None:
    found = {(" ".join(path), option) for path, option, _ in CASES}
    assert {
        ("capacity", "--add-accounts"),
        ("health", "--holdout"),
        ("recommend", "--budget"),
        ("history", "--limit"),
        ("rules run", "--as-of"),
        ("sync", "--wait"),
    } <= found


@pytest.mark.parametrize(("path", "option", "value"), CASES, ids=str)
def test_a_value_no_option_can_use_is_never_a_traceback(
    tmp_path: Path, path: tuple[str, ...], option: str, value: str
) -> None:
    for name in ("tierform.yaml", "accounts.csv"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    names = {p.name for p in _command(path).params}
    args = list(path)
    if "config" in names:
        args += ["-c", str(tmp_path / "tierform.yaml")]
    if "accounts" in names:
        args += ["--accounts", str(tmp_path / "accounts.csv")]
    if "out" in names and path[-1] == "report":
        args += ["--out", str(tmp_path / "out")]
    if "target" in names:
        args += ["-t", "workbook"]
    if path[-1] == "init":
        args.append(str(tmp_path / "new.yaml"))
    result = CliRunner().invoke(cli, [*args, option, value], catch_exceptions=True)
    escaped = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not escaped, f"{args} {option} {value}: {result.exception!r}"
    assert result.exit_code in (0, 1, 2, 3), result.output[-500:]
    assert "Traceback" not in result.output
