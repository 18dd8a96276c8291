"""The ``tierform`` command: a click group; each command lives in a module named for what it does.

Command modules import only click and :mod:`tierform.cli.common` at import time; the engine is
imported inside each command's body, so ``tierform --help`` does not load numpy or pyarrow.
"""

from __future__ import annotations

import click

from tierform import __version__
from tierform.cli import (
    buildsheet_cmds,
    coverage_cmds,
    health_cmd,
    import_cmd,
    logs,
    migrate_cmds,
    model_cmds,
    playbooks_cmd,
    report_cmd,
    rules_cmds,
    sync_cmds,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="tierform")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose: int) -> None:
    """Coverage-model-as-code for customer-success platforms.

    Design the coverage (tiers, capacity, books of business, health, playbooks, rules) from
    tierform.yaml and an account export, write the document and workbook a CS leader signs off,
    and keep the CS platform aligned with it.
    """
    logs.configure(verbose)


for command in (
    model_cmds.schema_cmd,
    model_cmds.init_cmd,
    model_cmds.validate_cmd,
    import_cmd.import_workbook_cmd,
    coverage_cmds.segment_cmd,
    coverage_cmds.capacity_cmd,
    coverage_cmds.assign_cmd,
    coverage_cmds.recommend_cmd,
    health_cmd.health_cmd,
    playbooks_cmd.playbooks_cmd,
    rules_cmds.rules_group,
    report_cmd.report,
    *sync_cmds.COMMANDS,
    migrate_cmds.export_cmd,
    migrate_cmds.compare_cmd,
    migrate_cmds.migrate_cmd,
    buildsheet_cmds.buildsheet_cmd,
):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="tierform")
