"""``tierform rules run`` (the actions due on a book) and ``tierform rules test`` (each rule's
cases, recipe step 6)."""

from __future__ import annotations

import datetime as dt
import sys

import click

from tierform.cli.common import (
    accounts_option,
    as_of_option,
    config_option,
    console,
    emit_json,
    err_console,
    evaluation_date,
    fail_on_option,
    format_option,
    handle_errors,
    load,
    note_checks,
    print_checks,
    styled,
)
from tierform.errors import ConfigError, Issue


@click.group("rules")
def rules_group() -> None:
    """Automation rules: list the actions due on a book, or test the rules."""


@rules_group.command("run")
@config_option
@accounts_option()
@format_option
@as_of_option(required=False)
@click.option(
    "--previous",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="The previous account book: rules also see what changed since.",
)
@click.option("--rule", "only", multiple=True, help="Only this rule (repeatable).")
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="Text output: how many actions to list.",
)
@handle_errors
def rules_run_cmd(
    config: str | None,
    accounts: str | None,
    fmt: str,
    as_of: dt.datetime | None,
    previous: str | None,
    only: tuple[str, ...],
    limit: int,
) -> None:
    """Evaluate every rule on the book and list the actions due, with rule and reason."""
    from rich.table import Table

    from tierform.core.book import read_book
    from tierform.core.rules.engine import run_rules

    model, book = load(config, accounts, reuse_memory=True)
    before = read_book(previous, model.accounts) if previous else None
    rules = None
    if only:
        from tierform.core.rules.engine import effective_rules

        known = {r.name: r for r in effective_rules(model)}
        unknown = [n for n in only if n not in known]
        if unknown:
            raise ConfigError(
                [Issue(f"unknown rule {n!r} (rules: {', '.join(known)})") for n in unknown]
            )
        rules = [known[n] for n in only]
    when = evaluation_date(model, as_of)
    run = run_rules(model, book, when, before, rules=rules)
    for note in run.notes:
        err_console.print(styled(("note:", "yellow"), f" {note}"))
    if fmt == "json":
        emit_json(run.to_dict(columnar=True))
        return
    summary = Table(title=f"Actions due as of {run.as_of} ({run.count():,})")
    summary.add_column("rule")
    summary.add_column("actions", justify="right")
    for rule, count in run.by_rule().items():
        summary.add_row(rule, f"{count:,}")
    console.print(summary)
    table = Table(title=f"First {min(limit, run.count())} by due date")
    for col in ("due", "account", "rule", "action", "reason"):
        table.add_column(col)
    for a in run.first(limit):
        table.add_row(a.due.isoformat(), a.account_id, a.rule, a.action, a.reason)
    console.print(table)


@rules_group.command("test")
@config_option
@format_option
@click.option("--no-generated", is_flag=True, help="Only the test cases written in the model.")
@click.option(
    "--strict",
    is_flag=True,
    help="Exit 1 when any case fails (default: when the pass rate is below the 80% minimum).",
)
@handle_errors
@fail_on_option
def rules_test_cmd(config: str | None, fmt: str, no_generated: bool, strict: bool) -> None:
    """Run the rules' test cases (and five generated sample accounts per rule)."""
    from rich.table import Table

    from tierform.core.loader import load_model
    from tierform.core.rules.testing import run_rule_tests

    model = load_model(config)
    result = run_rule_tests(model, generated=not no_generated)
    if fmt == "json":
        note_checks(c.to_dict() for c in result.checks)
        emit_json(result.to_dict())
    else:
        table = Table(title=f"Rule tests: {result.pass_rate:g}% passed ({result.grade})")
        for col in ("", "rule", "case", "expected", "got"):
            table.add_column(col)
        for c in result.cases:
            mark = styled(("pass", "green")) if c.passed else styled(("FAIL", "red"))
            table.add_row(
                mark,
                c.rule,
                c.case,
                "\n".join(c.expected) or "(nothing)",
                "" if c.passed else "\n".join(c.got) or "(nothing)",
            )
        console.print(table)
        print_checks([c.to_dict() for c in result.checks])
    failing = any(not c.passed for c in result.cases)
    if result.grade == "below minimum" or (strict and failing):
        sys.exit(1)
