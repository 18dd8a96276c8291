"""Commands ``sync``, ``history`` and ``adapters``: keep a platform aligned with the model."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from tierform.cli.common import (
    NumberRange,
    accounts_option,
    as_of_option,
    config_option,
    console,
    echo_text,
    emit_json,
    err_console,
    handle_errors,
    load,
    model_path,
    styled,
)
from tierform.cli.process import keep_until_exit
from tierform.errors import AdapterError, BuildStepsPending, DriftDetected

PROGRESS_FROM = 200  # changes; smaller applies finish before a bar is worth drawing


@click.command("sync")
@config_option
@accounts_option()
@click.option(
    "-t",
    "--target",
    "target",
    default=None,
    help="Target name under `targets:` in the model (default: the only one).",
)
@click.option("--apply", "do_apply", is_flag=True, help="Apply the plan (default: dry run).")
@click.option(
    "--checksum",
    default=None,
    metavar="SHA256",
    help="Apply only if the plan still has this checksum (the one you reviewed).",
)
@click.option(
    "--check",
    "check",
    is_flag=True,
    help="Exit 0 if aligned, 2 on data drift (something --apply would change), 3 if only "
    "build-sheet steps are pending.",
)
@click.option(
    "--wait",
    "wait",
    type=NumberRange(min=0),
    default=0.0,
    show_default=True,
    metavar="SECONDS",
    help="With --apply: wait this long for another apply of the target to finish "
    "(default: refuse at once).",
)
@click.option("--force", is_flag=True, help="Apply even past the safety thresholds.")
@click.option(
    "--previous",
    "previous",
    type=click.Path(dir_okay=False),
    default=None,
    help="The accounts' previous state (CSV/JSON/xlsx: account_id, tier, csm; or a file of "
    "`tierform export`) instead of the platform's own last tf_tier and CSM.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="How to print the plan.",
)
@as_of_option(
    help="Compute renewal windows, health and due tasks as of this date (default: today)."
)
@handle_errors
def sync_cmd(
    config: str | None,
    accounts: str | None,
    target: str | None,
    do_apply: bool,
    checksum: str | None,
    check: bool,
    force: bool,
    fmt: str,
    as_of: dt.datetime | None,
    wait: float,
    previous: str | None,
) -> None:
    """Plan the changes that align a platform with the model; apply them with --apply.

    Dry run by default: prints the plan (creates, updates, deletes, build-sheet steps) and its
    checksum. `--apply` applies it; `--checksum X` applies only if the plan is still the one with
    checksum X; `--check` exits 0 when aligned, 2 on data drift, 3 when only build-sheet steps
    are pending (for a nightly job or CI).

    History: the platform's own last tf_tier and CSM (or `--previous FILE`) are the accounts'
    previous state, so tier moves set tf_migration and create the warm-handoff tasks.
    """
    from tierform.sync.engine import Syncer
    from tierform.sync.journal import Journal
    from tierform.sync.render import RENDERERS
    from tierform.sync.targets import open_target

    model, book = load(config, accounts)
    path = model_path(config)
    adapter = open_target(model, target, model_path=path)
    journal = Journal.beside(path)
    try:
        with adapter:
            syncer = Syncer(adapter, journal)
            day = as_of.date() if as_of else dt.date.today()
            policy = _policy(model, adapter.settings, journal.go_live(adapter.context.target), day)
            plan = _plan_with_history(syncer, model, book, day, policy, previous)
            keep_until_exit(plan, book)  # a million objects: never freed one at a time
            plan.warnings.extend(policy.describe())
            rendered = RENDERERS[fmt](plan)
            if fmt == "json":
                click.echo(rendered)
            else:
                echo_text(rendered)  # platform values in it
            if check:
                _check(plan)
                return
            if not (do_apply or checksum):
                if not plan.is_empty:
                    err_console.print(
                        "dry run: nothing applied; re-run with --apply "
                        f"(or --checksum {plan.checksum()})"
                    )
                return
            if plan.is_empty:
                err_console.print("nothing to apply")
                return
            _apply(syncer, plan, force, checksum, wait)
    finally:
        journal.close()


def _plan_with_history(
    syncer: Any, model: Any, book: Any, day: dt.date, policy: Any, previous: str | None
) -> Any:
    """The plan, from the accounts' previous state: ``--previous FILE``, else the platform's
    own last tf_tier and CSM. The platform is read once: the read's scope comes from the
    design without history (same accounts, fields and people), the plan from the one with it.
    An adapter that reads everything whatever the scope (``reads_whole``) is read with an
    empty desired state, so the design and the desired state are made once, not twice."""
    from tierform.core.design import design
    from tierform.core.history import History, describe, read_history
    from tierform.sync.buildsheet import apply_marks
    from tierform.sync.desired import InFlight, coverage_warnings, desired_state, in_flight
    from tierform.sync.snapshot import Snapshot
    from tierform.sync.state import State

    adapter = syncer.adapter
    existing = None
    kept = InFlight()
    if previous is not None:
        history = read_history(previous, model)
        d = design(model, book, day, history=history)
    else:
        first = None if adapter.reads_whole else design(model, book, day)
        existing = syncer.read(State() if first is None else desired_state(first, policy))
        snap = Snapshot(
            adapter.context.target, adapter.platform, existing, dict(adapter.platform_owners())
        )
        history = snap.history(model) if snap.accounts else History()
        if first is not None and not history:
            d, first = first, None
            d.history = history  # the platform is the history, and it has none yet
        else:
            first = None  # the design without history goes before the one with it is made
            d = design(model, book, day, history=history)
        kept = in_flight(d, existing)
    desired = desired_state(d, policy, kept, like=existing)
    notes = [*history.notes, describe(history, book)] if history else []
    notes.extend(coverage_warnings(d))
    del d, history  # nothing of the design is needed past the desired state
    plan = syncer.plan(desired, existing)
    keep_until_exit(existing)  # the platform's million objects (the plan holds the desired)
    plan.warnings.extend(notes)
    apply_marks(plan.build_steps, syncer.journal.steps_done(syncer.target))  # buildsheet --done
    return plan


def from_target_option(f: Any) -> Any:
    """``--from-target NAME``: start from what a platform has today (see :func:`adopt`)."""
    return click.option(
        "--from-target",
        "from_target",
        default=None,
        metavar="NAME",
        help="Take the current CSM owners and previous tiers from this target of the model "
        "(the platform's CSM and last tf_tier), so books today, fewest handoffs and "
        "hysteresis start from what the client has.",
    )(f)


def adopt(model: Any, book: Any, config: str | None, target: str | None) -> Any:
    """``book`` with the CSM owners and previous tiers of platform ``target`` (one read); the
    book unchanged without a target."""
    if target is None:
        return book
    from tierform.core.history import describe, with_history
    from tierform.sync.snapshot import read_snapshot
    from tierform.sync.targets import open_target

    with open_target(model, target, model_path=model_path(config)) as adapter:
        snap = read_snapshot(adapter, model)
    history = snap.history(model)
    for note in history.notes:
        err_console.print(styled(("note:", "yellow"), f" {note}"))
    err_console.print(describe(history, book))
    return with_history(book, history)


def _policy(model: Any, settings: Any, go_live: dt.date | None, day: dt.date) -> Any:
    """Which work items this sync creates: none due before go-live unless ``backfill``, only
    the model's ``rollout`` tiers when it has one."""
    from tierform.sync.golive import WorkItemPolicy

    return WorkItemPolicy(
        not_before=None if settings.backfill else min(go_live or day, day),
        rollout=tuple(model.rollout) if model.rollout is not None else None,
    )


def _check(plan: Any) -> None:
    """Exit 2 on data drift, 3 when only build-sheet steps remain, else say it is aligned."""
    if plan.changes:
        raise DriftDetected(
            f"target {plan.target!r} differs from the model: {len(plan.changes)} data "
            "change(s) to apply (run with --apply)"
        )
    pending = [s for s in plan.build_steps if s.status.is_drift]
    if pending:
        raise BuildStepsPending(
            f"target {plan.target!r}: the data is aligned; only {len(pending)} build-sheet "
            "step(s) are pending (a person must do them in the platform's UI; see the build "
            "sheet above)"
        )
    err_console.print(f"target {plan.target!r} is aligned with the model")


class _Ticker:
    """Advances a progress bar every ``step`` results: one update per result costs seconds
    when a first apply yields a million of them."""

    def __init__(self, progress: Any, task: Any, step: int = 500) -> None:
        self.progress, self.task, self.step, self.pending = progress, task, step, 0

    def __call__(self, _result: object) -> None:
        self.pending += 1
        if self.pending >= self.step:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.progress.advance(self.task, self.pending)
            self.pending = 0


def _apply(syncer: Any, plan: Any, force: bool, checksum: str | None, wait: float) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    total = len(plan.changes)
    if total >= PROGRESS_FROM:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err_console,
            transient=True,
        ) as progress:
            task = progress.add_task("applying", total=total)
            tick = _Ticker(progress, task)
            try:
                report = syncer.apply(
                    plan,
                    force=force,
                    checksum=checksum,
                    on_result=tick,
                    on_step=lambda msg: progress.update(task, description=msg),
                    wait=wait,
                )
            finally:
                tick.flush()
    else:
        report = syncer.apply(plan, force=force, checksum=checksum, wait=wait)
    c = report.counts
    resumed = (
        f"; resumed run {report.resumed_from} ({c['skipped']} already applied)"
        if report.resumed_from
        else ""
    )
    console.print(
        f"applied: {c['create']} created, {c['update']} updated, {c['delete']} deleted, "
        f"{c['failed']} failed (run {report.run_id}){resumed}"
    )
    for failure in report.failures[:20]:
        err_console.print(
            f"  failed: {failure.change.kind.value} {failure.change.key}: {failure.error}"
        )
    if not report.ok:
        raise AdapterError(
            f"{len(report.failures)} change(s) failed; fix the cause and run "
            "`tierform sync --apply` again (applied changes are not repeated)"
        )


@click.command("history")
@config_option
@click.option("-t", "--target", "target", default=None, help="Only runs of this target.")
@click.option("--run", "run_id", default=None, help="Show the changes recorded for one run.")
@click.option(
    "--limit",
    type=click.IntRange(min=0, max=10**9),
    default=20,
    show_default=True,
    help="How many runs to list.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@handle_errors
def history_cmd(
    config: str | None, target: str | None, run_id: str | None, limit: int, fmt: str
) -> None:
    """List past sync runs from the journal (or the changes of one run with --run)."""
    from rich.table import Table

    from tierform.errors import TierformError
    from tierform.sync.journal import Journal

    journal = Journal.beside(model_path(config))
    try:
        journal.reap(target)  # runs whose process died show as interrupted, not running
        if run_id:
            run = journal.run(run_id)
            if run is None:
                raise TierformError(f"no run {run_id!r} in {journal.path}")
            entries = journal.entries(run_id)
            if fmt == "json":
                emit_json({"run": run.to_dict(), "entries": entries})
                return
            table = Table(title=f"Run {run_id} ({run.target}, {run.status})")
            for col in ("#", "op", "kind", "key", "result", "remote id", "error"):
                table.add_column(col)
            for e in entries:
                table.add_row(
                    str(e["seq"]),
                    e["op"],
                    e["kind"],
                    e["key"],
                    e["result"],
                    e["remote_id"] or "",
                    e["error"] or "",
                )
            console.print(table)
            return
        runs = journal.runs(target, limit)
        if fmt == "json":
            emit_json([r.to_dict() for r in runs])
            return
        if not runs:
            console.print(f"no sync runs recorded yet ({journal.path})")
            return
        table = Table(title="Sync runs")
        for col in (
            "run",
            "target",
            "platform",
            "started",
            "status",
            "created",
            "updated",
            "deleted",
            "failed",
            "note",
        ):
            table.add_column(col)
        for r in runs:
            table.add_row(
                r.run_id,
                r.target,
                r.platform,
                r.started,
                r.status,
                str(r.created),
                str(r.updated),
                str(r.deleted),
                str(r.failed),
                (f"resumes {r.resumed_from}; " if r.resumed_from else "") + (r.error or ""),
            )
        console.print(table)
    finally:
        journal.close()


@click.command("adapters")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@handle_errors
def adapters_cmd(fmt: str) -> None:
    """List installed platform adapters and what each can read, create, update and delete."""
    from rich.table import Table

    from tierform.sync.registry import Registry
    from tierform.sync.state import Kind

    found = Registry.discover().available()
    if fmt == "json":
        emit_json(
            {
                name: (
                    a
                    if isinstance(a, str)
                    else {
                        "summary": a.summary,
                        "capabilities": a.capabilities.matrix(),
                        "notes": {k.value: v for k, v in a.capabilities.notes.items()},
                    }
                )
                for name, a in found.items()
            }
        )
        return
    for name, adapter in found.items():
        if isinstance(adapter, str):
            console.print(styled((name, "bold"), f": not loadable: {adapter}"))
            continue
        table = Table(title=f"{name}: {adapter.summary}", title_justify="left")
        for col in ("object", "read", "create", "update", "delete", "note"):
            table.add_column(col)
        matrix = adapter.capabilities.matrix()
        for kind in Kind:
            ops = matrix[kind.value]
            table.add_row(
                kind.value,
                *("yes" if ops[o] else "-" for o in ("read", "create", "update", "delete")),
                adapter.capabilities.notes.get(kind, ""),
            )
        console.print(table)


COMMANDS: list[click.Command] = [sync_cmd, history_cmd, adapters_cmd]
