"""The ``tierform`` command: a click group; each command lives in a module named for what it does.

Command modules import only click and :mod:`tierform.cli.common` at import time; the engine is
imported inside each command's body, so ``tierform --help`` does not load numpy or pyarrow. The
group imports a command's module only when that command is looked up (:class:`LazyGroup`): a
run of ``tierform segment`` does not load the sync, report or build-sheet commands.
"""

from __future__ import annotations

from collections.abc import Callable

import click

from tierform import __version__
from tierform.cli import logs, process


def _model() -> list[click.Command]:
    from tierform.cli import model_cmds

    return [model_cmds.schema_cmd, model_cmds.init_cmd, model_cmds.validate_cmd]


def _import() -> list[click.Command]:
    from tierform.cli import import_cmd

    return [import_cmd.import_workbook_cmd]


def _coverage() -> list[click.Command]:
    from tierform.cli import coverage_cmds

    return [
        coverage_cmds.segment_cmd,
        coverage_cmds.capacity_cmd,
        coverage_cmds.assign_cmd,
        coverage_cmds.recommend_cmd,
    ]


def _health() -> list[click.Command]:
    from tierform.cli import health_cmd

    return [health_cmd.health_cmd]


def _playbooks() -> list[click.Command]:
    from tierform.cli import playbooks_cmd

    return [playbooks_cmd.playbooks_cmd]


def _rules() -> list[click.Command]:
    from tierform.cli import rules_cmds

    return [rules_cmds.rules_group]


def _report() -> list[click.Command]:
    from tierform.cli import report_cmd

    return [report_cmd.report]


def _sync() -> list[click.Command]:
    from tierform.cli import sync_cmds

    return list(sync_cmds.COMMANDS)


def _migrate() -> list[click.Command]:
    from tierform.cli import migrate_cmds

    return [migrate_cmds.export_cmd, migrate_cmds.compare_cmd, migrate_cmds.migrate_cmd]


def _buildsheet() -> list[click.Command]:
    from tierform.cli import buildsheet_cmds

    return [buildsheet_cmds.buildsheet_cmd]


# Each command's name and the loader of the module that defines it.
COMMAND_MODULES: dict[str, Callable[[], list[click.Command]]] = {
    "schema": _model,
    "init": _model,
    "validate": _model,
    "import-workbook": _import,
    "segment": _coverage,
    "capacity": _coverage,
    "assign": _coverage,
    "recommend": _coverage,
    "health": _health,
    "playbooks": _playbooks,
    "rules": _rules,
    "report": _report,
    "sync": _sync,
    "history": _sync,
    "adapters": _sync,
    "export": _migrate,
    "compare": _migrate,
    "migrate": _migrate,
    "buildsheet": _buildsheet,
}


class LazyGroup(click.Group):
    """A group that imports a command's module when the command is first looked up; the help
    lists the same commands in the same order (it looks every command up)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMAND_MODULES})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            for command in COMMAND_MODULES[cmd_name]():
                if command.name is not None and command.name not in self.commands:
                    self.add_command(command)
        return self.commands.get(cmd_name)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="tierform")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose: int) -> None:
    """Coverage-model-as-code for customer-success platforms.

    Design the coverage (tiers, capacity, books of business, health, playbooks, rules) from
    tierform.yaml and an account export, write the document and workbook a CS leader signs off,
    and keep the CS platform aligned with it.
    """
    logs.configure(verbose)


def main() -> None:
    """Run the command, then leave without the interpreter's teardown (see
    :func:`tierform.cli.process.leave`)."""
    process.run_as_command()
    try:
        cli(prog_name="tierform")  # standalone mode: ends with SystemExit, even on success
    except SystemExit as stop:
        process.leave(stop.code)
