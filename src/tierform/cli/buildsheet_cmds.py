"""``tierform buildsheet``: the target's build sheet as a file for the client's admin."""

from __future__ import annotations

import datetime as dt
import getpass

import click

from tierform.cli.common import (
    accounts_option,
    as_of_option,
    command,
    config_option,
    console,
    load,
    model_path,
)
from tierform.errors import ConfigError, Issue


@command("buildsheet")
@config_option
@accounts_option()
@click.option("-t", "--target", "target", default=None, help="Target name under `targets:`.")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write it to this file: .md, .html or .xlsx (default: print it as Markdown).",
)
@click.option(
    "--done",
    "done",
    multiple=True,
    metavar="STEP",
    help="Mark a step done, by its id (e.g. playbook:enterprise_onboarding); repeatable. "
    "Recorded in the journal with the date and who; for steps the platform cannot verify. "
    "A task closed by hand is journaled as closed: due again, it is created anew.",
)
@click.option("--by", "by", default=None, help="Who did the steps marked --done (default: you).")
@as_of_option()
def buildsheet_cmd(
    config: str | None,
    accounts: str | None,
    target: str | None,
    out: str | None,
    done: tuple[str, ...],
    by: str | None,
    as_of: dt.datetime | None,
) -> None:
    """The steps a person must do in the platform's UI, with who, status and date.

    Runs a dry plan (nothing is written to the platform) to read each step's status: done,
    missing or different where the platform can show the object, unverified where it cannot
    (mark those done with --done STEP once they are; later plans and `sync` show them done).
    """
    from pathlib import Path

    from tierform.cli.sync_cmds import _plan_with_history, _policy
    from tierform.sync.buildsheet import StepStatus, apply_marks
    from tierform.sync.buildsheet_doc import markdown, rows_of, write_sheet
    from tierform.sync.change import Change, Op
    from tierform.sync.engine import Syncer
    from tierform.sync.journal import Journal
    from tierform.sync.targets import open_target

    model, book = load(config, accounts)
    path = model_path(config)
    journal = Journal.beside(path)
    try:
        with open_target(model, target, model_path=path) as adapter:
            name = adapter.context.target
            day = as_of.date() if as_of else dt.date.today()
            policy = _policy(model, adapter.settings, journal.go_live(name), day)
            plan = _plan_with_history(Syncer(adapter, journal), model, book, day, policy, None)
        by_id = {s.id: s for s in plan.build_steps}
        problems = [
            Issue(f"no build-sheet step {s!r} on target {name!r}") for s in done if s not in by_id
        ]
        unverifiable = {i for i, st in by_id.items() if st.status is StepStatus.unverified}
        unverifiable |= {i for i, st in by_id.items() if st.marked is not None}
        problems += [
            Issue(
                f"step {s!r} is verified from the platform (status {by_id[s].status.value}): "
                "do it in the platform and run again; only unverified steps are marked by hand"
            )
            for s in done
            if s in by_id and s not in unverifiable
        ]
        if problems:
            raise ConfigError(problems, "the steps are: " + ", ".join(sorted(by_id)))
        who = by or getpass.getuser()
        for step in done:
            journal.mark_done(name, step, who, by_id[step].digest)
        apply_marks(plan.build_steps, journal.steps_done(name))
        for step in done:
            made = by_id[step]
            if made.deletes:  # a close done by hand: the object is gone from now on
                change = Change(Op.delete, made.kind, made.key, None)
                journal.record_by_hand(name, plan.platform, change, step)
    finally:
        journal.close()
    rows = rows_of(plan.build_steps, day)
    title = f"Build sheet: target {name} ({plan.platform})"
    if out is None:
        console.print(markdown(rows, title), end="")
        return
    write_sheet(rows, title, Path(out))
    console.print(f"wrote {out}: {len(rows)} step(s)")
