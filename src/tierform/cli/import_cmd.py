"""``tierform import-workbook``: the model a leader edited in the report workbook, as YAML."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from tierform.cli.common import command, console
from tierform.errors import ConfigError, Issue

if TYPE_CHECKING:
    from tierform.core.model import CoverageModel


@command("import-workbook")
@click.argument("workbook", type=click.Path(dir_okay=False, exists=True))
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    default="tierform.yaml",
    show_default=True,
    help="The model file to write.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def import_workbook_cmd(workbook: str, out: str, force: bool) -> None:
    """Write tierform.yaml from an edited report workbook (Inputs, Tiers and Model sheets)."""
    from tierform.report.readback import read_model

    target = Path(out)
    if target.exists() and not force:
        raise ConfigError([Issue("already exists: pass --force to overwrite", file=out)])
    model = read_model(workbook)
    target.write_text(model_yaml(model, f"Read from {Path(workbook).name}"), encoding="utf-8")
    console.print(f"wrote {target} from {workbook} ({len(model.tiers)} tiers)")


def model_yaml(model: CoverageModel, comment: str | None = None) -> str:
    """The model as YAML that loads to the same model: unset (None) keys left out."""
    import yaml

    data = model.model_dump(mode="json", exclude_none=True)
    head = "".join(f"# {line}\n" for line in (comment or "").splitlines())
    return head + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
