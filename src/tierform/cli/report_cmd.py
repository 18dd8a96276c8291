"""``tierform report``: the coverage-model document (HTML + Markdown) and workbook (.xlsx)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from tierform.cli.common import (
    STATUS_STYLE,
    accounts_option,
    config_option,
    console,
    emit_json,
    err_console,
    format_option,
    handle_errors,
    load,
    styled,
)


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
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Date the health signals are read at (renewal proximity); default: today.",
)
@format_option
@handle_errors
def report(
    config: str | None,
    accounts: str | None,
    out: str,
    churn: str | None,
    as_of: dt.datetime | None,
    fmt: str,
) -> None:
    """Write the coverage-model document and workbook a CS leader signs off.

    The document has the tier definitions, tier distribution, capacity plan, books of business,
    playbook library, health-score specification, automation rules and every check with its
    recovery action. The workbook's Capacity sheet recomputes from its Inputs sheet.
    """
    from rich.table import Table
    from rich.text import Text

    from tierform.report import prepare, write_report

    model, book = load(config, accounts)
    data = prepare(model, book, churn, as_of.date() if as_of else None)
    files = write_report(data, Path(out))
    checks = [c for _, _, c in data.checks()]
    tally = {s: sum(1 for c in checks if c.status == s) for s in ("pass", "warn", "fail", "info")}
    missing = data.missing()
    if fmt == "json":
        emit_json(
            {
                "files": {
                    "html": str(files.html),
                    "markdown": str(files.markdown),
                    "workbook": str(files.workbook),
                    "charts": [str(p) for p in files.charts],
                },
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
