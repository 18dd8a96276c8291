"""Shared CLI plumbing: the common options, loading model and book, output and error handling."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from tierform.core.book import AccountBook, read_book
from tierform.core.loader import DEFAULT_MODEL_FILE, load_model
from tierform.core.model import CoverageModel
from tierform.errors import BookError, Issue, TierformError

F = TypeVar("F", bound=Callable[..., Any])

console = Console(highlight=False, soft_wrap=True)
if not console.is_terminal:
    # Piped or captured output: wide enough that tables keep tier names whole.
    console = Console(highlight=False, soft_wrap=True, width=160)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def config_option(f: F) -> F:
    return click.option(
        "-c",
        "--config",
        "config",
        type=click.Path(dir_okay=False),
        default=None,
        help="Coverage model file (default: ./tierform.yaml, else the built-in default model).",
    )(f)


def accounts_option(required: bool = False) -> Callable[[F], F]:
    def decorate(f: F) -> F:
        return click.option(
            "--accounts",
            "accounts",
            type=click.Path(dir_okay=False),
            default=None,
            required=required,
            help="Account book: CSV, XLSX or JSON export (default: the model's accounts.path).",
        )(f)

    return decorate


def format_option(f: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="Output as rich text tables or as JSON for other tools.",
    )(f)


def handle_errors(f: F) -> F:
    """Turn expected errors into a message and exit code, never a traceback."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except TierformError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", markup=True)
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]


def model_path(config: str | None) -> Path | None:
    """The model file a command reads: ``-c``, else ``./tierform.yaml`` when present."""
    if config:
        return Path(config)
    return Path(DEFAULT_MODEL_FILE) if Path(DEFAULT_MODEL_FILE).exists() else None


def load(config: str | None, accounts: str | None) -> tuple[CoverageModel, AccountBook]:
    """The model and its book: ``--accounts`` wins over the model's ``accounts.path``."""
    model = load_model(config)
    path = accounts or model.accounts.path
    if not path:
        raise BookError(
            [Issue("no account book: pass --accounts FILE or set accounts.path in the model")]
        )
    book = read_book(Path(path), model.accounts)
    for warning in book.warnings:
        err_console.print(f"[yellow]warning:[/] {warning}", markup=True)
    if book.skipped:
        err_console.print(
            f"[yellow]warning:[/] skipped {len(book.skipped)} problem row(s):", markup=True
        )
        for issue in book.skipped:
            err_console.print(f"  {issue}", markup=False)
    return model, book


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


STATUS_STYLE = {"pass": "green", "warn": "yellow", "fail": "red", "info": "cyan"}


def print_checks(checks: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table(title="Checks", show_lines=False)
    table.add_column("status")
    table.add_column("check")
    table.add_column("figure", justify="right")
    table.add_column("finding / recovery")
    for c in checks:
        style = STATUS_STYLE.get(c["status"], "")
        text = c["message"] + (f"\n→ {c['recovery']}" if c.get("recovery") else "")
        figure = c.get("figure")
        table.add_row(
            f"[{style}]{c['status']}[/]",
            c["id"],
            ""
            if figure is None
            else f"{figure:,}"
            if isinstance(figure, (int, float))
            else str(figure),
            text,
        )
    console.print(table)


def money(value: float | None) -> str:
    return "—" if value is None else f"${value:,.0f}"
