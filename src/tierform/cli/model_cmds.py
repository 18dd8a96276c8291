"""The model-file commands: ``schema``, ``init`` (a starter model, its columns mapped from an
export and a target set up) and ``validate``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tierform.cli.common import (
    NumberRange,
    accounts_option,
    command,
    config_option,
    console,
    emit_json,
    fail_on_option,
    format_option,
    load,
    model_path,
    note_checks,
    styled,
)
from tierform.core.recommend import PLATFORMS
from tierform.errors import BookError, ConfigError, Issue

if TYPE_CHECKING:
    from tierform.core.book import AccountBook
    from tierform.core.columns import Mapping
    from tierform.core.model import CoverageModel


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
@click.option(
    "--customers",
    type=click.IntRange(min=0),
    default=None,
    help="Customer count for --platform auto.",
)
@click.option(
    "--budget",
    type=NumberRange(min=0),
    default=None,
    help="Monthly tooling budget in dollars (0 or more).",
)
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
    from tierform.core.columns import count_accounts
    from tierform.core.loader import starter_text
    from tierform.core.recommend import recommend

    target = Path(path)
    if target.exists() and not force:
        raise ConfigError([Issue("already exists: pass --force to overwrite", file=path)])
    text = starter_text()
    note = ""
    if platform == "auto":
        count = (
            customers
            if customers is not None
            else (count_accounts(Path(accounts)) if accounts else None)
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
    mapping = None
    if accounts:
        text, mapping = _with_accounts(text, Path(accounts), target)
    target.write_text(text, encoding="utf-8")
    console.print(f"wrote {target}" + (f" with a {platform} target" if platform else ""))
    if note:
        console.print(note)
    if mapping is not None:
        _print_mapping(mapping)


def _with_accounts(text: str, accounts: Path, target: Path) -> tuple[str, Mapping]:
    """Point the starter at the export and map its header to tierform's columns."""
    import os

    from tierform.core.columns import columns_yaml, map_header, read_header, signals_yaml

    header, numeric = read_header(accounts)
    mapping = map_header(header, numeric)
    # The model resolves a relative book path against its own folder.
    where = os.path.relpath(accounts.resolve(), target.resolve().parent)
    text = text.replace("  path: null ", f"  path: {json.dumps(where)} ", 1)
    text = text.replace("  columns: {}\n", f"  columns:{columns_yaml(mapping)}\n", 1)
    return text + ("\n" + signals_yaml(mapping) if mapping.signals else ""), mapping


def _print_mapping(mapping: Mapping) -> None:
    for canonical, header in mapping.columns.items():
        console.print(f"  mapped {canonical} ← {header!r} ({mapping.how[canonical]})")
    if mapping.unmapped:
        console.print(
            "  not found (optional unless noted): "
            + ", ".join(f"{c} (required)" if c == "account_id" else c for c in mapping.unmapped)
            + "; map them under accounts.columns if the export has them"
        )
    if "acv" not in mapping.columns:
        console.print(
            styled(
                ("warning:", "yellow"),
                " no ACV column recognised: map accounts.columns.acv or set "
                "accounts.product_tier_acv, else no account can be tiered",
            )
        )
    for s in mapping.signals:
        console.print(
            f"  health signal suggested: {s.column!r} → {s.dimension} "
            "(commented out at the end of the model)"
        )


_TARGET_SETTINGS = {
    "xlsx": "    path: tierform-coverage.xlsx",
    "sheets": "    spreadsheet_id: YOUR-SPREADSHEET-ID   # create it, share it with the service "
    "account\n    credentials: {env: GOOGLE_SA_KEY}",
    "vitally": "    subdomain: YOUR-SUBDOMAIN\n    api_key: {env: VITALLY_API_KEY}",
    "churnzero": "    base_url: https://acme.us2app.churnzero.net   # the tenant's app host: push "
    "API at /i, REST at /public/v1\n"
    '    app_key: {env: CHURNZERO_APP_KEY}             # push ("HTTP integration") API key\n'
    "    rest_user: api-user@acme.com                   # REST API (OData, read-only) Basic "
    "auth user\n"
    "    rest_key: {env: CHURNZERO_REST_KEY}",
    "gainsight": "    base_url: https://acme.gainsightcloud.com     # the tenant host (or its "
    "custom API domain)\n"
    "    access_key: {env: GAINSIGHT_ACCESS_KEY}       # or: oauth: {client_id: ..., "
    "client_secret: {env: ...}}\n"
    "    match_field: External_Id__gc                  # the Company field that holds the "
    "book's account_id\n"
    "    # rate_limit_per_minute: 100, daily_budget: 50000  (the tenant-wide documented limits)",
    "totango": "    service_id: SP-1234-01\n"
    "    app_token: {env: TOTANGO_APP_TOKEN}\n"
    "    region: us            # or eu; or set base_url (REST, api.totango.com) and sdr_url "
    "(the HTTP/pixel gateway)",
}


# The names the README and the starter model use, so `sync -t workbook` works after `init`.
TARGET_NAMES = {"xlsx": "workbook", "churnzero": "cz", "gainsight": "gs", "totango": "tt"}


def _with_target(text: str, platform: str, note: str) -> str:
    name = TARGET_NAMES.get(platform, platform)
    block = f"targets:\n  {name}:\n    platform: {platform}\n{_TARGET_SETTINGS[platform]}\n"
    if note:
        block = f"# Recommended: {note}\n" + block
    return re.sub(r"targets:\n(?:  .*\n|    .*\n)*", block, text, count=1)


@command("validate")
@config_option
@accounts_option()
@format_option
@fail_on_option
def validate_cmd(config: str | None, accounts: str | None, fmt: str) -> None:
    """Check a model file (every problem at once, with file:line), and the book if given."""
    from tierform.core.loader import load_model
    from tierform.sync.targets import check_targets

    model = load_model(config)
    check_targets(model, model_path(config))
    book_rows = None
    untiered: list[dict[str, str | None]] = []
    if accounts or model.accounts.path:
        model, book = load(config, accounts)
        book_rows = len(book)
        untiered = _untiered(model, book)
    checks = [] if book_rows is None else [_untiered_check(untiered)]
    note_checks(checks)
    if fmt == "json":
        emit_json(
            {
                "valid": True,
                "tiers": [t.name for t in model.tiers],
                "accounts": book_rows,
                "untiered": untiered,
                "checks": checks,
            }
        )
        return
    console.print(
        styled(
            ("valid", "green"),
            f": {len(model.tiers)} tiers ({', '.join(t.name for t in model.tiers)})",
        )
        + (f"; {book_rows} accounts read" if book_rows is not None else "")
    )
    if untiered:
        console.print(styled(("warning:", "yellow"), f" {len(untiered)} account(s) get no tier:"))
        for row in untiered[:MAX_LISTED]:
            console.print(f"  {row['account_id']}: {row['reason']}")
        if len(untiered) > MAX_LISTED:
            console.print(f"  ... and {len(untiered) - MAX_LISTED} more (--format json lists all)")


MAX_LISTED = 20


def _untiered_check(untiered: list[dict[str, str | None]]) -> dict[str, object]:
    """Accounts no tier takes, as a check (a warning: ``--fail-on warn`` fails on it)."""
    return {
        "id": "untiered",
        "status": "warn" if untiered else "pass",
        "figure": len(untiered),
        "message": f"{len(untiered)} account(s) get no tier"
        if untiered
        else "every account gets a tier",
    }


def _untiered(model: CoverageModel, book: AccountBook) -> list[dict[str, str | None]]:
    """Accounts no tier takes, with the reason; no usable ACV at all is an error, not a list."""
    import numpy as np

    from tierform.core.segment import segment

    if np.isnan(book.acv).all():
        mapped = model.accounts.columns.get("acv")
        why = (
            f"the mapped ACV column {mapped!r} has no usable value"
            if mapped or book.has("acv")
            else "the book has no ACV column"
        )
        raise BookError(
            [
                Issue(
                    f"no usable ACV: {why}, and no product-tier proxy applies; map "
                    "accounts.columns.acv to the export's contract-value column or set "
                    "accounts.product_tier_acv",
                    file=book.source,
                )
            ]
        )
    return [a for a in segment(model, book).assignments() if a["tier"] is None]
