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
    "Recorded in the journal with the date and who; for steps the platform cannot verify.",
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
    (mark those done with --done STEP once they are).
    """
    from pathlib import Path

    from tierform.cli.sync_cmds import _plan_with_history, _policy
    from tierform.sync.buildsheet_doc import rows_of, write_sheet
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
        known = {s.id for s in plan.build_steps}
        unknown = [s for s in done if s not in known]
        if unknown:
            raise ConfigError(
                [Issue(f"no build-sheet step {s!r} on target {name!r}") for s in unknown],
                "the steps are: " + ", ".join(sorted(known)),
            )
        who = by or getpass.getuser()
        for step in done:
            journal.mark_done(name, step, who)
        rows = rows_of(plan.build_steps, journal.steps_done(name))
    finally:
        journal.close()
    title = f"Build sheet: target {name} ({plan.platform})"
    if out is None:
        from tierform.sync.buildsheet_doc import markdown

        console.print(markdown(rows, title), end="")
        return
    write_sheet(rows, title, Path(out))
    console.print(f"wrote {out}: {len(rows)} step(s)")
