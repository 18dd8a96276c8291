"""The ``tierform`` command: a click group; each command lives in its own module."""

from __future__ import annotations

import logging

import click

from tierform import __version__
from tierform.cli import core_cmds, health_cmds, report_cmd, sync_cmds


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="tierform")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose: int) -> None:
    """Coverage-model-as-code for customer-success platforms.

    Design the coverage (tiers, capacity, books of business, health, playbooks, rules) from
    tierform.yaml and an account export, write the document and workbook a CS leader signs off,
    and keep the CS platform aligned with it.
    """
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(
        level=max(level, logging.DEBUG), format="%(levelname)s %(name)s: %(message)s"
    )


for command in (
    *core_cmds.COMMANDS,
    health_cmds.health_cmd,
    health_cmds.playbooks_cmd,
    health_cmds.rules_group,
    report_cmd.report,
    *sync_cmds.COMMANDS,
):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="tierform")
