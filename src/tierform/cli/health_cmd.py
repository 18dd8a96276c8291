"""``tierform health``: score every account (recipe step 5), validate the score against churn
history, and calibrate the weights (written back into the model with ``--write``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tierform.cli.common import (
    NumberRange,
    accounts_option,
    as_of_option,
    config_option,
    console,
    emit_json,
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

if TYPE_CHECKING:
    from tierform.core.health.calibrate import Calibration
    from tierform.core.health.score import HealthResult


@click.command("health")
@config_option
@accounts_option()
@format_option
@as_of_option(required=False)
@click.option(
    "--churn",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="Churn history: account_id (+ churned) file; default: the book's churned column.",
)
@click.option(
    "--calibrate",
    "do_calibrate",
    is_flag=True,
    help="Fit the dimension weights to the churn history (held-out validation).",
)
@click.option(
    "--holdout",
    type=NumberRange(0.05, 0.9),
    default=0.3,
    show_default=True,
    help="Share of the history kept out of the fit to measure it.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed of the held-out split.",
)
@click.option(
    "--write",
    "write",
    is_flag=True,
    help="With --calibrate: write the accepted weights back into the model file.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=15,
    show_default=True,
    help="Text output: how many of the lowest-scoring accounts to list.",
)
@handle_errors
@fail_on_option
def health_cmd(
    config: str | None,
    accounts: str | None,
    fmt: str,
    as_of: dt.datetime | None,
    churn: str | None,
    do_calibrate: bool,
    holdout: float,
    seed: int,
    write: bool,
    limit: int,
) -> None:
    """Score account health 0-100 with bands, and validate it against churn history."""
    from tierform.core.health.churn_validation import read_churn
    from tierform.core.health.score import score_health
    from tierform.core.segment import segment

    if write and not do_calibrate:
        raise click.UsageError("--write needs --calibrate")
    model, book = load(config, accounts, reuse_memory=True)
    seg = segment(model, book, with_checks=False)  # the tiers: health shows its own checks
    when = evaluation_date(model, as_of)
    kwargs: dict[str, Any] = {"as_of": when}
    if churn:
        kwargs |= {"churn": read_churn(churn, book), "churn_source": churn}
    if fmt == "json" and not do_calibrate:
        _emit_validating(score_health(model, book, seg, validate=False, **kwargs), kwargs)
        return
    result = score_health(model, book, seg, **kwargs)
    cal = None
    if do_calibrate:
        history = kwargs.get("churn")
        if history is None:
            from tierform.core.health.churn_validation import churn_outcome

            history = churn_outcome(book)
        if history is None:
            raise ConfigError(
                [
                    Issue(
                        "--calibrate needs churn history: pass --churn FILE or add a "
                        "churned column to the book"
                    )
                ]
            )
        from tierform.core.health.calibrate import calibrate

        cal = calibrate(result, history, holdout=holdout, seed=seed)
        result.checks.extend(cal.checks)
    written = None
    if cal is not None and write:
        written = _write_back(config, cal)
    if fmt == "json":
        data = result.to_dict(columnar=True, consume=True)  # the result is not used after
        if cal is not None:
            data["calibration"] = cal.to_dict() | {"written": written}
        note_checks(c.to_dict() for c in result.checks)
        emit_json(data)
        return
    _print_health(result, limit)
    if cal is not None:
        _print_calibration(cal, written)
    print_checks([c.to_dict() for c in result.checks])


def _emit_validating(result: HealthResult, kwargs: dict[str, Any]) -> None:
    """``result`` (scored with ``validate=False``) as the JSON of a validated result: the churn
    validation is worked out on a second thread while the accounts are written, so its sorts
    of every score add no time to a large book's run."""
    from tierform.cli.jsonout import Later
    from tierform.core.background import Background
    from tierform.core.health.churn_validation import (
        BOOK_CHURN_SOURCE,
        churn_outcome,
        validate_scores,
    )

    history = kwargs.get("churn")
    if history is None:
        history = churn_outcome(result.book)
    checks = [c.to_dict() for c in result.checks]
    if history is None:  # nothing to validate against
        emit_json(result.to_dict(columnar=True, consume=True))
        note_checks(checks)
        return
    scores = result.score.copy()  # the result's own are rounded in place as they are written
    source = kwargs.get("churn_source", BOOK_CHURN_SOURCE)
    spec = result.spec.validation
    job = Background(lambda: validate_scores(scores, history, spec, source))

    def all_checks() -> list[dict[str, Any]]:
        return checks + [c.to_dict() for c in job.result()[1]]

    data = result.to_dict(columnar=True, consume=True)
    data["validation"] = Later(lambda: job.result()[0])
    data["checks"] = Later(all_checks)
    emit_json(data)
    note_checks(all_checks())


def _write_back(config: str | None, cal: Calibration) -> str | None:
    from tierform.core.health.write_weights import write_weights
    from tierform.core.model_file import DEFAULT_MODEL_FILE

    path = Path(config) if config else Path(DEFAULT_MODEL_FILE)
    if not path.exists():
        raise ConfigError(
            [
                Issue(
                    "no model file to write the weights to: pass -c FILE "
                    "(the built-in default model is read-only)"
                )
            ]
        )
    if not cal.changed:
        return None
    write_weights(path, cal.weights, cal.tier_weights)
    return str(path)


def _print_health(result: HealthResult, limit: int) -> None:
    import numpy as np
    from rich.table import Table

    weights = result.weights
    table = Table(title="Health dimensions: weights (%)")
    table.add_column("dimension")
    table.add_column("default", justify="right")
    for tier in weights["tiers"]:
        table.add_column(tier, justify="right")
    dims = list(
        dict.fromkeys([*weights["default"], *(d for w in weights["tiers"].values() for d in w)])
    )
    for d in dims:
        table.add_row(
            d,
            f"{weights['default'].get(d, 0):g}",
            *[f"{w.get(d, 0):g}" for w in weights["tiers"].values()],
        )
    console.print(table)
    names = result.band_names
    bands = Table(title="Accounts per band")
    bands.add_column("tier")
    for name in names:
        bands.add_column(name, justify="right")
    bands.add_column("no score", justify="right")
    tiers = [t.name for t in result.model.tiers]
    rows: list[str | None] = [*tiers, None]
    for i, tier in enumerate(rows):
        member = result.tier == (i if tier is not None else -1)
        if tier is None and not member.any():
            continue
        counts = np.bincount(
            result.band_index[member & (result.band_index >= 0)], minlength=len(names)
        )
        none = int((member & (result.band_index < 0)).sum())
        bands.add_row(tier or "(no tier)", *[f"{c:,}" for c in counts], f"{none:,}")
    console.print(bands)
    spec = result.spec
    if spec.responses:
        resp = Table(title="Who is alerted")
        resp.add_column("tier")
        for name in names:
            resp.add_column(name)
        for tier, alerts in spec.responses.items():
            resp.add_row(tier, *[alerts.get(n, "—") for n in names])
        console.print(resp)
    if limit > 0 and len(result.score):
        order = np.argsort(np.nan_to_num(result.score, nan=np.inf), kind="stable")[:limit]
        low = Table(title=f"Lowest {min(limit, len(order))} scores")
        for col in ("account", "tier", "score", "band", *result.dimensions):
            low.add_column(col, justify="left" if col in ("account", "tier", "band") else "right")
        ids = result.book.ids()
        band = result.band
        for i in order.tolist():
            t = int(result.tier[i])
            low.add_row(
                ids[i],
                tiers[t] if t >= 0 else "—",
                _fmt(result.score[i]),
                band[i] or "—",
                *[_fmt(v[i]) for v in result.dimensions.values()],
            )
        console.print(low)
    if result.validation:
        v = result.validation
        console.print(
            f"Validation ({v['source']}, {v['accounts']:,} accounts, {v['churned']:,} churned): "
            f"correlation {v['correlation']}, AUC {v['auc']}, churned below 60: "
            f"{v['churned_below_60']}%, grade: {v['grade']}"
        )


def _fmt(value: float) -> str:
    return "—" if value != value else f"{value:.1f}"


def _print_calibration(cal: Calibration, written: str | None) -> None:
    from rich.table import Table

    table = Table(
        title=f"Calibration (fit on {100 * (1 - cal.holdout):.0f}%, "
        f"measured on the held-out {100 * cal.holdout:.0f}%)"
    )
    for col in (
        "group",
        "weights before",
        "weights after",
        "held-out corr",
        "held-out AUC",
        "note",
    ):
        table.add_column(col)
    for g in cal.groups:
        table.add_row(
            g.group,
            _weights(g.before),
            _weights(g.after) if g.accepted else "(kept)",
            f"{g.test_before['correlation']} -> {g.test_after['correlation']}",
            f"{g.test_before['auc']} -> {g.test_after['auc']}",
            g.note or "",
        )
    console.print(table)
    if written:
        console.print(styled(("wrote", "green"), f" the calibrated weights to {written}"))
    elif cal.changed:
        console.print("weights not written (add --write to save them in the model file)")


def _weights(w: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in w.items())
