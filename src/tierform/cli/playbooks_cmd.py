"""``tierform playbooks``: the playbook library (recipe step 4) and the lifecycle coverage matrix
(stage x tier, step 2), graded."""

from __future__ import annotations

import click

from tierform.cli.common import (
    config_option,
    console,
    emit_json,
    fail_on_option,
    format_option,
    handle_errors,
    note_checks,
    print_checks,
    styled,
)


@click.command("playbooks")
@config_option
@format_option
@handle_errors
@fail_on_option
def playbooks_cmd(config: str | None, fmt: str) -> None:
    """The playbook library and the lifecycle coverage matrix (stage x tier), graded."""
    from rich.table import Table

    from tierform.core.loader import load_model
    from tierform.core.playbooks.library import coverage_matrix, effective_playbooks

    model = load_model(config)
    playbooks = effective_playbooks(model)
    matrix = coverage_matrix(model, playbooks)
    if fmt == "json":
        note_checks(c.to_dict() for c in matrix.checks)
        emit_json(
            {"playbooks": [pb.model_dump(mode="json") for pb in playbooks]} | matrix.to_dict()
        )
        return
    library = Table(
        title=f"Playbook library ({'model' if model.playbooks is not None else 'built-in'})"
    )
    for col in (
        "playbook",
        "stage",
        "tiers",
        "owner",
        "trigger",
        "day: action (channel)",
        "success",
        "escalation",
    ):
        library.add_column(col)
    for pb in playbooks:
        steps = "\n".join(f"{s.day}: {s.action} ({s.channel})" for s in pb.steps)
        library.add_row(
            pb.name,
            pb.stage,
            ", ".join(pb.tiers),
            pb.owner,
            pb.trigger,
            steps,
            "; ".join(pb.success_criteria),
            pb.escalation or "—",
        )
    console.print(library)
    grid = Table(title=f"Lifecycle coverage (grade: {matrix.grade})", show_lines=True)
    grid.add_column("stage")
    for tier in matrix.tiers:
        grid.add_column(tier)
    for stage in matrix.stages:
        cells = []
        for tier in matrix.tiers:
            c = matrix.cell(stage, tier)
            cells.append(
                ", ".join(c.playbooks)
                if c.playbooks
                else styled(("touchpoint:", "dim"), f" {c.touchpoint}")
                if c.touchpoint
                else styled(("GAP", "red"))
            )
        grid.add_row(stage, *cells)
    console.print(grid)
    print_checks([c.to_dict() for c in matrix.checks])
