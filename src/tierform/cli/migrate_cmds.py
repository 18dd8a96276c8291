"""``export``, ``compare`` and ``migrate``: a client's coverage data read out of one platform,
compared with another, and carried across (octoDNS's dump and compare)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tierform.cli.common import (
    as_of_option,
    command,
    config_option,
    console,
    echo_text,
    emit_json,
    err_console,
    model_path,
    styled,
)
from tierform.errors import AdapterError, DriftDetected, TierformError

if TYPE_CHECKING:
    from tierform.core.model import CoverageModel
    from tierform.sync.snapshot import Snapshot


def _model(config: str | None) -> CoverageModel:
    from tierform.core.loader import load_model

    return load_model(config)


def _snapshot(model: CoverageModel, target: str, config: str | None) -> Snapshot:
    """A full read of ``target``, with the journal's ids of what tierform wrote there (a
    platform that cannot list its tasks gives them by id)."""
    from tierform.sync.journal import Journal
    from tierform.sync.snapshot import read_snapshot
    from tierform.sync.state import Kind
    from tierform.sync.targets import open_target

    path = model_path(config)
    known: dict[tuple[Kind, str], str] = {}
    if Journal.path_beside(path).exists():
        journal = Journal.beside(path)  # only read: a read-only command creates no journal
        try:
            known = journal.remote_ids(target)
        finally:
            journal.close()
    with open_target(model, target, model_path=model_path(config)) as adapter:
        return read_snapshot(adapter, model, known)


@command("export")
@config_option
@click.option("-t", "--target", "target", required=True, help="Target name under `targets:`.")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    required=True,
    help="File to write: .csv or .xlsx (accounts) or .json (accounts, work items, fields).",
)
def export_cmd(config: str | None, target: str, out: str) -> None:
    """Write everything tierform manages on a platform, as read, to a file.

    One row per account with every coverage field and the CSM as the platform has it (its own
    owner field where it keeps one, so a reassignment made in its UI shows). No account book is
    needed: the platform is the source.
    """
    from tierform.sync.export import write_export

    model = _model(config)
    snap = _snapshot(model, target, config)
    count = write_export(snap, Path(out))
    for warning in snap.state.warnings:
        err_console.print(styled(("warning:", "yellow"), f" {warning}"))
    console.print(f"exported {count} account(s) from {target} ({snap.platform}) to {out}")


@command("compare")
@config_option
@click.argument("a")
@click.argument("b")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
)
def compare_cmd(config: str | None, a: str, b: str, fmt: str) -> None:
    """Where two targets disagree, per account and field; exit 0 when they agree, 2 when not."""
    from tierform.sync.compare import compare, render_markdown, render_text
    from tierform.sync.migrate import People

    model = _model(config)
    people = People(model)
    result = compare(_snapshot(model, a, config), _snapshot(model, b, config), people.same)
    if fmt == "json":
        emit_json(result.to_dict())
    elif fmt == "markdown":
        echo_text(render_markdown(result), nl=False)
    else:
        echo_text(render_text(result))
    if not result.agree:
        raise DriftDetected(f"{a} and {b} differ")


@command("migrate")
@config_option
@click.option("--from", "source", required=True, help="The target to migrate from (A).")
@click.option("--to", "dest", required=True, help="The target to migrate to (B).")
@click.option(
    "--accounts",
    "accounts",
    type=click.Path(dir_okay=False),
    default=None,
    help="Account book: fills fields A has no values for from the model (optional).",
)
@click.option("--apply", "do_apply", is_flag=True, help="Apply the migration (default: dry run).")
@click.option("--checksum", default=None, metavar="SHA256", help="Apply only this reviewed plan.")
@click.option("--force", is_flag=True, help="Apply even past B's safety thresholds.")
@as_of_option()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
)
def migrate_cmd(
    config: str | None,
    source: str,
    dest: str,
    accounts: str | None,
    do_apply: bool,
    checksum: str | None,
    force: bool,
    as_of: dt.datetime | None,
    fmt: str,
) -> None:
    """Carry a client's coverage data from target A to target B, verified.

    Reads A (with every change people made there), plans B against those values (not a
    recomputation from the book), and with --apply writes B with the usual safety, journal and
    resume, then reads B back and prints verified counts. Open work items on A are carried with
    their due dates. The plan includes B's build sheet and a cut-over checklist.
    """
    from tierform.core.book import read_book
    from tierform.sync.desired import compile_desired
    from tierform.sync.engine import Syncer
    from tierform.sync.journal import Journal
    from tierform.sync.migrate import (
        accounts_written,
        cutover_checklist,
        migration_desired,
        verify,
    )
    from tierform.sync.render import RENDERERS
    from tierform.sync.snapshot import read_snapshot
    from tierform.sync.targets import open_target

    if source == dest:
        raise TierformError("--from and --to name the same target: choose two targets")
    model = _model(config)
    path = model_path(config)
    a = _snapshot(model, source, config)
    from_model = None
    if accounts:
        book = read_book(Path(accounts), model.accounts)
        day = as_of.date() if as_of else dt.date.today()
        from_model = compile_desired(model, book, day)
    migration = migration_desired(a, model, from_model)
    checklist = cutover_checklist(source, dest)
    with open_target(model, dest, model_path=path) as adapter:
        syncer = Syncer(adapter, Journal.beside(path))
        plan = syncer.plan(migration.desired)
        plan.warnings.extend(migration.notes)
        if fmt == "json":
            doc = json.loads(RENDERERS["json"](plan))
            doc["migration"] = {"from": source, "to": dest, "accounts_read": len(a.accounts)}
            doc["cutover_checklist"] = checklist
        else:
            echo_text(RENDERERS[fmt](plan))
            click.echo(f"\n{len(a.accounts)} account(s) read from {source}.")
            click.echo("Cut-over checklist:")
            for i, step in enumerate(checklist, start=1):
                echo_text(f"  {i}. {step}")
        if not (do_apply or checksum):
            if fmt == "json":
                emit_json(doc)
            elif not plan.is_empty:
                err_console.print(
                    f"dry run: nothing written to {dest}. Apply with --apply "
                    f"(or --checksum {plan.checksum()})"
                )
            return
        report = syncer.apply(plan, force=force, checksum=checksum)
        written = accounts_written(migration, report.failures)
        result = verify(migration, read_snapshot(adapter, model), model, written)
    if fmt == "json":
        doc["verification"] = result.to_dict()
        emit_json(doc)
    else:
        console.print(result.summary(source, dest))
        for key in result.missing[:20]:
            err_console.print(f"  not in {dest}: {key}")
        for key in result.mismatched[:20]:
            err_console.print(f"  different in {dest}: {key}")
    if result.lost or not report.ok:
        raise AdapterError(
            f"{result.lost} account(s) not verified in {dest} and {len(report.failures)} "
            "change(s) failed: fix the cause and run the migration again (it resumes)"
        )
