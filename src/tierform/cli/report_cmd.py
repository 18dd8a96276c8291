"""``tierform report``: the coverage-model document (HTML + Markdown) and workbook (.xlsx)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tierform.cli.common import (
    STATUS_STYLE,
    accounts_option,
    as_of_option,
    config_option,
    console,
    emit_json,
    err_console,
    evaluation_date,
    format_option,
    handle_errors,
    load,
    model_path,
    styled,
)
from tierform.cli.sync_cmds import adopt, from_target_option

if TYPE_CHECKING:
    from tierform.core.model import CoverageModel
    from tierform.report.results import PlatformSupport


@click.command("report")
@config_option
@accounts_option()
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default="out",
    show_default=True,
    help="Folder for coverage-model.html, coverage-model.md (+ charts/) and coverage-model.xlsx.",
)
@click.option(
    "--churn",
    "churn",
    type=click.Path(dir_okay=False),
    default=None,
    help="Churn history (account ids, optional churned column) to validate the health "
    "score; default: the book's churned column, if any.",
)
@as_of_option(help="Date the health signals are read at (renewal proximity); default: today.")
@click.option(
    "--growth",
    "growth",
    default=None,
    help="Growth scenario (hire vs redesign) in the document and workbook, e.g. 40% or -20%; "
    "default 40%.",
)
@click.option(
    "--prepared-by",
    "prepared_by",
    default=None,
    help="Name printed in the approval block's 'Prepared by' row (default: left to sign).",
)
@from_target_option
@format_option
@handle_errors
def report(
    config: str | None,
    accounts: str | None,
    out: str,
    churn: str | None,
    as_of: dt.datetime | None,
    growth: str | None,
    prepared_by: str | None,
    fmt: str,
    from_target: str | None,
) -> None:
    """Write the coverage-model document and workbook a CS leader signs off.

    The document opens with the inputs' checksums, an executive summary with the decisions
    asked of the reader and an approval block; then the tier definitions, distribution with
    the natural breaks and edge cases, capacity plan with the growth scenario, books of
    business, playbook library, health-score specification, automation rules, every check
    with its recovery action, the platform and the rollout plan. The workbook's Capacity and
    Scenarios sheets recompute from its Inputs sheet.
    """
    from rich.table import Table
    from rich.text import Text

    from tierform.report import prepare, write_report

    if Path(out).exists() and not Path(out).is_dir():  # "file/": click's own check lets it by
        raise click.BadParameter(f"{out!r} is a file; give a folder", param_hint="'--out'")
    model, book = load(config, accounts)
    growth_pct = _growth_pct(growth, len(book))
    book = adopt(model, book, config, from_target)
    data = prepare(
        model,
        book,
        churn,
        evaluation_date(model, as_of),
        model_file=model_path(config),
        prepared_by=prepared_by,
        platform=_platform_support(model, len(book)),
    )
    files = write_report(data, Path(out), growth_pct=growth_pct)
    for note in files.notes:
        err_console.print(styled(("note:", "yellow"), f" {note}"))
    checks = [c for _, _, c in data.checks()]
    tally = {s: sum(1 for c in checks if c.status == s) for s in ("pass", "warn", "fail", "info")}
    missing = data.missing_parts()
    if fmt == "json":
        emit_json(
            {
                "files": {
                    "html": str(files.html),
                    "markdown": str(files.markdown),
                    "workbook": str(files.workbook),
                    "charts": [str(p) for p in files.charts],
                },
                "notes": list(files.notes),
                "checks": tally,
                "missing": missing,
                "capacity": {
                    "total_headcount": data.cap.total_headcount,
                    "cost_pct_arr": data.cap.to_dict()["cost_pct_arr"],
                },
            }
        )
        return
    table = Table(title="Coverage model written", show_header=False)
    for name, path in (
        ("document", files.html),
        ("markdown", files.markdown),
        ("workbook", files.workbook),
    ):
        table.add_row(name, str(path))
    console.print(table)
    counts = [(f"{n} {s}", STATUS_STYLE[s]) for s, n in tally.items() if n]
    summary = Text(", ").join(Text(label, style=style) for label, style in counts)
    console.print(Text("checks: ") + summary)
    for text in missing.values():
        err_console.print(styled(("missing:", "yellow"), f" {text}"))


def _growth_pct(growth: str | None, accounts: int) -> float | None:
    """``--growth 40%`` as a percentage; a value the scenario cannot take is refused."""
    if growth is None:
        return None
    from tierform.core.scenario import growth_accounts
    from tierform.errors import ConfigError, Issue

    try:
        return growth_accounts(growth, accounts)[0]
    except ValueError as exc:
        raise ConfigError([Issue(str(exc))]) from None


def _platform_support(model: CoverageModel, customers: int) -> PlatformSupport | None:
    """What the recommended platform's adapter writes and what stays on its build sheet, from
    the installed adapter's declared capabilities (None when that adapter is not installed)."""
    from tierform.core.recommend import recommend
    from tierform.errors import ConfigError
    from tierform.report.results import PlatformSupport
    from tierform.sync.registry import Registry
    from tierform.sync.state import Kind

    existing = next(
        (t.platform for t in model.targets.values() if t.platform not in ("xlsx", "sheets")), None
    )
    adapter = recommend(customers, existing).adapter
    registry = Registry.discover()
    if adapter not in registry.names():
        return None
    try:  # only the recommended adapter is loaded: the others cost the report nothing
        found = registry.get(adapter)
    except ConfigError:  # installed but not loadable: the document says nothing about it
        return None
    caps = found.capabilities
    writes = tuple(k.value for k in Kind if caps.can_write(k))
    build = tuple(
        (k.value, caps.notes.get(k, "the platform's API cannot create it"))
        for k in Kind
        if not caps.can_write(k)
    )
    return PlatformSupport(adapter, writes, build)
