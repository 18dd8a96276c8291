"""Shared CLI plumbing: the common options, loading model and book, output and error handling.

Only click, rich's console, the error tree and :mod:`tierform.core.printable` are imported
here: a command imports the engine inside its own body, so ``tierform --help`` and a small
command start fast.

User text is printed literally everywhere: both consoles have rich markup and emoji codes
*off*, so a CRM name, an id or a file path containing ``[/]``, ``[red]`` or ``:smile:`` is
shown as written, never parsed, and its control characters are shown as escapes. Style comes
only from code, through :func:`styled` (or ``style=``) and :class:`rich.text.Text` cells.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from rich.text import Text

from tierform.cli.process import settle
from tierform.core.printable import printable
from tierform.errors import BookError, ChecksFailed, Issue, TierformError

if TYPE_CHECKING:
    from tierform.core.book import AccountBook
    from tierform.core.model import CoverageModel

F = TypeVar("F", bound=Callable[..., Any])


class _Console(Console):
    """A console whose text, however it comes (a string, a table cell), shows control
    characters as escapes (:func:`printable`): no input can drive the terminal."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(printable(text), **kwargs)


console = _Console(highlight=False, soft_wrap=True, markup=False, emoji=False)
if not console.is_terminal:
    # Piped or captured output: wide enough that tables keep tier names whole.
    console = _Console(highlight=False, soft_wrap=True, width=160, markup=False, emoji=False)
err_console = _Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)


def styled(*parts: str | tuple[str, str]) -> Text:
    """Literal text with code-chosen styles: ``styled(("error:", "bold red"), " ", message)``;
    control characters in the text are shown as escapes (:func:`printable`)."""
    return Text.assemble(
        *(printable(p) if isinstance(p, str) else (printable(p[0]), p[1]) for p in parts)
    )


def echo_text(text: str, nl: bool = True) -> None:
    """A rendered text (a plan, a report: platform values in it) on stdout, its control
    characters shown as escapes as the consoles show them (:func:`printable`)."""
    click.echo(printable(text), nl=nl)


def command(name: str, **kwargs: Any) -> Callable[[Callable[..., Any]], click.Command]:
    """A click command whose expected errors become a message and an exit code."""

    def decorate(f: Callable[..., Any]) -> click.Command:
        return click.command(name, **kwargs)(handle_errors(f))

    return decorate


DATE = click.DateTime(["%Y-%m-%d"])


class NumberRange(click.FloatRange):
    """click's ``FloatRange`` that also refuses NaN, which no bound compares with."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if number != number:
            self.fail(f"{value!r} is not a number", param, ctx)
        return number


def as_of_option(required: bool = False, help: str | None = None) -> Callable[[F], F]:
    """``--as-of YYYY-MM-DD``, within the calendar (``help``: what the command does with it)."""
    default_help = "The date to evaluate on, YYYY-MM-DD" + (
        "." if required else " (default: today)."
    )

    def decorate(f: F) -> F:
        return click.option(
            "--as-of",
            "as_of",
            type=DATE,
            required=required,
            callback=_within_the_calendar,
            help=help or default_help,
        )(f)

    return decorate


def _within_the_calendar(
    ctx: click.Context, param: click.Parameter, value: dt.datetime | None
) -> dt.datetime | None:
    """``--as-of`` within the dates a model's rule offsets can be counted from."""
    from tierform.core.model import FIRST_DAY, LAST_DAY

    if value is not None and not FIRST_DAY <= value.date() <= LAST_DAY:
        raise click.BadParameter(f"give a date from {FIRST_DAY} to {LAST_DAY}")
    return value


def as_date(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value is not None else None


def evaluation_date(model: CoverageModel, as_of: dt.datetime | None) -> dt.date:
    """The date a command evaluates on -- ``--as-of``, else the book's snapshot date
    (``accounts.as_of``), else today -- said on stderr, so every output names its date."""
    when, source = model.evaluation_date(as_date(as_of), dt.date.today())
    err_console.print(f"as of {when.isoformat()} ({source})")
    return when


def config_option(f: F) -> F:
    return click.option(
        "-c",
        "--config",
        "config",
        type=click.Path(dir_okay=False),
        default=None,
        help="Coverage model file (default: ./tierform.yaml, else the built-in default model).",
    )(f)


def accounts_option(required: bool = False, read_ahead: bool = True) -> Callable[[F], F]:
    """The ``--accounts`` option. With ``read_ahead`` (for a command that loads the book
    first thing), a CSV book starts being read as the command starts, while the engine is
    imported and the model loaded (see :mod:`tierform.core.book_ahead`)."""

    def decorate(f: F) -> F:
        if read_ahead:
            f = _reading_book_ahead(f)
        return click.option(
            "--accounts",
            "accounts",
            type=click.Path(dir_okay=False),
            default=None,
            required=required,
            help="Account book: CSV, XLSX or JSON export (default: the model's accounts.path).",
        )(f)

    return decorate


def _reading_book_ahead(f: F) -> F:
    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from tierform.core.book_ahead import reading_ahead

        with reading_ahead(kwargs.get("config"), kwargs.get("accounts")):
            return f(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


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
            err_console.print(styled(("error:", "bold red"), f" {exc}"))
            sys.exit(exc.exit_code)
        except BrokenPipeError:
            raise  # the reader of the output left: ended quietly where the output is flushed
        except OSError as exc:  # the system refused: a full disk, no permission...
            err_console.print(styled(("error:", "bold red"), f" {_os_error(exc)}"))
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def _os_error(exc: OSError) -> str:
    """An operating-system error as one line: what failed, and on which path."""
    what = exc.strerror or str(exc) or type(exc).__name__
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    return f"{what}: {' -> '.join(paths)}" if paths else what


def model_path(config: str | None) -> Path | None:
    """The model file a command reads: ``-c``, else ``./tierform.yaml`` when present."""
    from tierform.core.model_file import model_file

    return model_file(config)


def load(
    config: str | None, accounts: str | None, *, reuse_memory: bool = False
) -> tuple[CoverageModel, AccountBook]:
    """The model and its book: ``--accounts`` wins over the model's ``accounts.path``.
    ``reuse_memory``: an analysis command, which works on the book's columns and ends, keeps
    the memory it frees for reuse when the book is large (see :mod:`tierform.core.memory`;
    the report and sync go on to build large outputs, whose peak that would raise)."""
    from tierform.core.book import read_book
    from tierform.core.loader import load_model

    model = load_model(config)
    given = accounts or model.accounts.path
    if not given:
        raise BookError(
            [Issue("no account book: pass --accounts FILE or set accounts.path in the model")]
        )
    path = Path(given)
    if reuse_memory:
        _reuse_memory_for(path)
    book = read_book(path, model.accounts)
    for warning in book.warnings:
        err_console.print(styled(("warning:", "yellow"), f" {warning}"))
    if book.skipped:
        err_console.print(
            styled(("warning:", "yellow"), f" skipped {len(book.skipped)} problem row(s):")
        )
        for issue in book.skipped:
            err_console.print(f"  {issue}")
    settle()  # the engine is imported and the inputs read: what lives now stays to the end
    return model, book


def _reuse_memory_for(path: Path) -> None:
    from tierform.core.memory import LARGE_INPUT_BYTES, keep_freed_memory

    try:
        large = path.stat().st_size >= LARGE_INPUT_BYTES
    except OSError:
        return  # the read says what is wrong with the path
    if large:
        keep_freed_memory()


def emit_json(data: Any) -> None:
    """``data`` as indented JSON on stdout (see ``jsonout`` for the types and NaN)."""
    from tierform.cli.jsonout import write_json, written_behind

    out = getattr(sys.stdout, "buffer", None)
    if out is None:  # a text-only stdout (an embedding): click decodes for it
        write_json(data, lambda piece: click.echo(bytes(piece), nl=False))
        return
    sys.stdout.flush()  # text printed before goes first, as click.echo does
    with written_behind(out.write) as write:
        write_json(data, write)
    out.flush()


FAIL_ON = {"fail": ("fail",), "warn": ("warn", "fail")}
_CHECKS = "tierform.checks"


def fail_on_option(f: F) -> F:
    """``--fail-on warn|fail``: exit 1 when a check the command reports is at that level or
    worse. Without it, checks inform and never change the exit code."""

    @functools.wraps(f)
    def wrapper(*args: Any, fail_on: str | None = None, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        ctx.meta[_CHECKS] = []
        result = f(*args, **kwargs)
        if fail_on is not None:
            hits = [c for c in ctx.meta[_CHECKS] if c.get("status") in FAIL_ON[fail_on]]
            if hits:
                names = ", ".join(f"{c.get('id')} ({c.get('status')})" for c in hits[:8])
                raise ChecksFailed(
                    f"{len(hits)} check(s) at {fail_on} or worse (--fail-on {fail_on}): {names}"
                )
        return result

    option = click.option(
        "--fail-on",
        "fail_on",
        type=click.Choice(list(FAIL_ON)),
        default=None,
        help="Exit 1 when any check fails (fail) or warns or fails (warn); default: checks "
        "never change the exit code.",
    )
    return option(wrapper)  # type: ignore[return-value]


def note_checks(checks: Iterable[Mapping[str, Any]]) -> None:
    """Record the checks a command reports, for ``--fail-on`` (printing them does this)."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and _CHECKS in ctx.meta:
        ctx.meta[_CHECKS].extend(checks)


STATUS_STYLE = {"pass": "green", "warn": "yellow", "fail": "red", "info": "cyan"}


def print_checks(checks: list[dict[str, Any]]) -> None:
    note_checks(checks)
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
            Text(c["status"], style=style),
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
