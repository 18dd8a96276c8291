"""The ``tierform`` command: a click group; each command lives in a module named for what it does.

Command modules import only click and :mod:`tierform.cli.common` at import time; the engine is
imported inside each command's body, so ``tierform --help`` does not load numpy or pyarrow. The
group imports a command's module only when that command is looked up (:class:`LazyGroup`): a
run of ``tierform segment`` does not load the sync, report or build-sheet commands, and
``tierform --help`` lists the commands from :data:`SUMMARIES` without loading any.
"""

from __future__ import annotations

from collections.abc import Callable

import click

from tierform import __version__
from tierform.cli import logs


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


# Each command's help, as far as ``tierform --help`` shows it (its first paragraph): the list
# is written from these, so it loads no command module (a test holds them to the commands').
SUMMARIES: dict[str, str] = {
    "adapters": "List installed platform adapters and what each can read, create, update and "
    "delete.",
    "assign": "Balance books of business per tier, keeping current owners where the balance "
    "allows.",
    "buildsheet": "The steps a person must do in the platform's UI, with who, status and date.",
    "capacity": "Size the CSM team per tier, grade cost against ARR, and read current books.",
    "compare": "Where two targets disagree, per account and field; exit 0 when they agree, 2 "
    "when not.",
    "export": "Write everything tierform manages on a platform, as read, to a file.",
    "health": "Score account health 0-100 with bands, and validate it against churn history.",
    "history": "List past sync runs from the journal (or the changes of one run with --run).",
    "import-workbook": "Write tierform.yaml from an edited report workbook (Inputs, Tiers and "
    "Model sheets).",
    "init": "Write a commented starter tierform.yaml (the recipe's four-tier framework).",
    "migrate": "Carry a client's coverage data from target A to target B, verified.",
    "playbooks": "The playbook library and the lifecycle coverage matrix (stage x tier), graded.",
    "recommend": "Recommend a platform path (A-D) and adapter by the recipe's decision tree.",
    "report": "Write the coverage-model document and workbook a CS leader signs off.",
    "rules": "Automation rules: list the actions due on a book, or test the rules.",
    "schema": "Print the JSON Schema of tierform.yaml (for editor completion and CI checks).",
    "segment": "Assign every account to exactly one tier and check the distribution (recipe "
    "step 1).",
    "sync": "Plan the changes that align a platform with the model; apply them with --apply.",
    "validate": "Check a model file (every problem at once, with file:line), and the book if "
    "given.",
}


class LazyGroup(click.Group):
    """A group that imports a command's module when the command is first looked up; the help
    lists the same commands in the same order, with the same text, from :data:`SUMMARIES`."""

    _listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMAND_MODULES})

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._listing = False

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if self._listing and cmd_name not in self.commands and cmd_name in SUMMARIES:
            return click.Command(cmd_name, help=SUMMARIES[cmd_name])  # listed, not loaded
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
    """The ``tierform`` command (see :func:`tierform.cli.entry.main`)."""
    from tierform.cli.entry import main as run

    run()
