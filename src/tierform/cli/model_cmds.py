"""The model-file commands: ``schema``, ``init`` (a starter model, its columns mapped from an
export and a target set up) and ``validate``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click

from tierform.cli.common import (
    accounts_option,
    command,
    config_option,
    console,
    emit_json,
    format_option,
    load,
    model_path,
    styled,
)
from tierform.core.recommend import PLATFORMS
from tierform.errors import ConfigError, Issue


@command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of tierform.yaml (for editor completion and CI checks)."""
    from tierform.core.model import CoverageModel

    emit_json(CoverageModel.model_json_schema())


@command("init")
@click.argument("path", type=click.Path(dir_okay=False), default="tierform.yaml")
@click.option(
    "--platform",
    default=None,
    help=f"Sync target to set up: {', '.join(PLATFORMS)}, or 'auto' to pick by the "
    "recipe's path A-D tree.",
)
@click.option(
    "--accounts",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="Account book (for --platform auto: counts the customers; also set as accounts.path).",
)
@click.option("--customers", type=int, default=None, help="Customer count for --platform auto.")
@click.option("--budget", type=float, default=None, help="Monthly tooling budget in dollars.")
@click.option("--existing", default=None, help="The CS platform already in use, if any.")
@click.option("--plg", is_flag=True, help="The company runs a product-led growth motion.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init_cmd(
    path: str,
    platform: str | None,
    accounts: str | None,
    customers: int | None,
    budget: float | None,
    existing: str | None,
    plg: bool,
    force: bool,
) -> None:
    """Write a commented starter tierform.yaml (the recipe's four-tier framework)."""
    from tierform.core.book import read_book
    from tierform.core.loader import starter_text
    from tierform.core.recommend import recommend

    target = Path(path)
    if target.exists() and not force:
        raise ConfigError([Issue("already exists: pass --force to overwrite", file=path)])
    text = starter_text()
    note = ""
    if platform == "auto":
        count = (
            customers if customers is not None else (len(read_book(accounts)) if accounts else None)
        )
        if count is None:
            raise ConfigError([Issue("--platform auto needs --accounts FILE or --customers N")])
        rec = recommend(count, existing, budget, plg)
        platform = rec.adapter
        note = f"path {rec.path} ({rec.name}): {rec.reason}"
    if platform is not None:
        if platform not in PLATFORMS:
            raise ConfigError(
                [Issue(f"unknown platform {platform!r}: use one of {', '.join(PLATFORMS)} or auto")]
            )
        text = _with_target(text, platform, note)
    if accounts:
        text = text.replace("  path: null ", f"  path: {json.dumps(str(Path(accounts)))} ", 1)
    target.write_text(text, encoding="utf-8")
    console.print(f"wrote {target}" + (f" with a {platform} target" if platform else ""))
    if note:
        console.print(note)


_TARGET_SETTINGS = {
    "xlsx": "    path: tierform-coverage.xlsx",
    "sheets": "    spreadsheet_id: YOUR-SPREADSHEET-ID   # create it, share it with the service "
    "account\n    credentials: {env: GOOGLE_APPLICATION_CREDENTIALS_JSON}",
    "vitally": "    subdomain: YOUR-SUBDOMAIN\n    api_key: {env: VITALLY_API_KEY}",
    "churnzero": "    base_url: https://YOUR-INSTANCE.churnzero.net\n"
    "    app_key: {env: CHURNZERO_APP_KEY}",
    "gainsight": "    base_url: https://YOUR-DOMAIN.gainsightcloud.com\n"
    "    access_key: {env: GAINSIGHT_ACCESS_KEY}",
    "totango": "    base_url: https://api.totango.com\n    api_token: {env: TOTANGO_API_TOKEN}",
}


def _with_target(text: str, platform: str, note: str) -> str:
    from tierform.sync.registry import Registry

    block = f"targets:\n  {platform}:\n    platform: {platform}\n{_TARGET_SETTINGS[platform]}\n"
    if platform not in Registry.discover().names():
        # Recommending a platform is not the same as having its adapter: keep the model valid.
        commented = "".join(f"#{line}\n" for line in block.splitlines())
        block = (
            f"# The {platform} adapter is not installed in this tierform; the target is kept\n"
            f"# here, commented out, until it is (`tierform adapters` lists what is).\n"
            f"{commented}targets: {{}}\n"
        )
    if note:
        block = f"# Recommended: {note}\n" + block
    return re.sub(r"targets:\n(?:  .*\n|    .*\n)*", block, text, count=1)


@command("validate")
@config_option
@accounts_option()
@format_option
def validate_cmd(config: str | None, accounts: str | None, fmt: str) -> None:
    """Check a model file (every problem at once, with file:line), and the book if given."""
    from tierform.core.loader import load_model
    from tierform.sync.targets import check_targets

    model = load_model(config)
    check_targets(model, model_path(config))
    book_rows = None
    if accounts or model.accounts.path:
        model, book = load(config, accounts)
        book_rows = len(book)
    if fmt == "json":
        emit_json({"valid": True, "tiers": [t.name for t in model.tiers], "accounts": book_rows})
        return
    console.print(
        styled(
            ("valid", "green"),
            f": {len(model.tiers)} tiers ({', '.join(t.name for t in model.tiers)})",
        )
        + (f"; {book_rows} accounts read" if book_rows is not None else "")
    )
