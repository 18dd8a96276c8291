"""The coverage-design commands: ``segment`` (tiers), ``capacity`` (team size and cost),
``assign`` (books of business) and ``recommend`` (the platform path A-D)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from tierform.cli.common import (
    NumberRange,
    accounts_option,
    command,
    config_option,
    console,
    emit_json,
    fail_on_option,
    format_option,
    load,
    money,
    note_checks,
    print_checks,
    styled,
)
from tierform.cli.plain_table import print_table
from tierform.cli.sync_cmds import adopt, from_target_option
from tierform.errors import ConfigError, Issue

if TYPE_CHECKING:
    from tierform.core.model import CoverageModel


def roster_option(f: Any) -> Any:
    return click.option(
        "--roster",
        type=click.Path(dir_okay=False, exists=True),
        default=None,
        help="CSM roster (CSV, YAML or JSON: name, tier or pool, capacity, email); replaces the "
        "model's roster.",
    )(f)


def _apply_roster(model: CoverageModel, roster: str | None) -> CoverageModel:
    from tierform.core.roster import read_roster, with_roster

    return with_roster(model, read_roster(roster), roster) if roster else model


@command("segment")
@accounts_option()
@config_option
@format_option
@click.option(
    "--suggest-breaks",
    is_flag=True,
    help="Also suggest tier bounds from natural breaks in the ACV distribution.",
)
@click.option(
    "--k",
    "k",
    type=int,
    default=None,
    help="Number of clusters for --suggest-breaks (default: the number of tiers).",
)
@click.option("--no-assignments", is_flag=True, help="Leave the per-account list out of JSON.")
@click.option(
    "--write",
    "write",
    is_flag=True,
    help="With --suggest-breaks: adopt the suggested bounds (two significant figures) into "
    "the model file, keeping its comments.",
)
@from_target_option
@fail_on_option
def segment_cmd(
    accounts: str | None,
    config: str | None,
    fmt: str,
    suggest_breaks: bool,
    k: int | None,
    no_assignments: bool,
    write: bool,
    from_target: str | None,
) -> None:
    """Assign every account to exactly one tier and check the distribution (recipe step 1)."""
    from rich.table import Table

    from tierform.core.segment import segment

    if write and not suggest_breaks:
        raise click.UsageError("--write needs --suggest-breaks")
    model, book = load(config, accounts, reuse_memory=True)
    book = adopt(model, book, config, from_target)
    result = segment(model, book)
    data = result.to_dict(include_assignments=not no_assignments, columnar=True)
    if suggest_breaks:
        from tierform.core.breaks import suggest_breaks as natural_breaks

        data["suggested_breaks"] = natural_breaks(model, book.acv, k)
    if write:
        data["suggested_breaks"]["written"] = _write_bounds(config, model, book.acv, k)
    if fmt == "json":
        note_checks(data["checks"])
        emit_json(data)
        return
    table = Table(
        title=f"Tiers ({data['summary']['assigned']} of {data['summary']['accounts']} "
        "accounts assigned)"
    )
    bounds = _bounds_cells(result)
    for col in (*bounds[0], "accounts", "% accounts", "ARR", "% ARR"):
        table.add_column(col, justify="left" if col == "tier" else "right")
    for t, cells in zip(data["tiers"], bounds[1], strict=True):
        table.add_row(
            *cells,
            f"{t['accounts']:,}",
            f"{t['share_accounts']:.1f}",
            money(t["arr"]),
            f"{t['share_arr']:.1f}",
        )
    console.print(table)
    if suggest_breaks:
        sb = data["suggested_breaks"]
        console.print(
            f"Natural breaks (k={sb['k']}): "
            + ", ".join(
                f"{money(b)} (≈{money(s)})"
                for b, s in zip(sb.get("breaks", []), sb.get("suggested", []), strict=True)
            )
        )
        if write:
            console.print(f"bounds written to {sb['written']} (comments kept)")
    print_checks(data["checks"])


def _write_bounds(config: str | None, model: CoverageModel, acv: Any, k: int | None) -> str:
    """Adopt the suggested bounds into the model file; the built-in model has no file."""
    from tierform.cli.common import model_path
    from tierform.core.model_edit import write_suggested_bounds

    path = model_path(config)
    if path is None or not path.exists():
        raise ConfigError(
            [
                Issue(
                    "no model file to write the bounds to: pass -c FILE "
                    "(the built-in default model is read-only)"
                )
            ]
        )
    if k is not None and k != len(model.tiers):
        raise ConfigError(
            [
                Issue(
                    "--write needs one cluster per tier: leave out --k or pass "
                    f"--k {len(model.tiers)}"
                )
            ]
        )
    write_suggested_bounds(path, model, acv)
    return str(path)


def _bounds_cells(result: Any) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """The tier-bound columns: ACV bounds, or for multi-factor the score bounds and the mean
    segment score of each tier (so a bound is never read as dollars)."""
    from tierform.core.segment import score_bound_rows

    tiers = result.model.tiers
    if result.score is None:
        head = ("tier", "ACV from", "ACV below")
        cells: list[tuple[str, ...]] = [
            (t.name, money(t.min_acv), money(t.max_acv) if t.max_acv else "∞") for t in tiers
        ]
        return head, cells
    rows: list[tuple[str, ...]] = [
        (
            str(b["tier"]),
            f"{b['score_from']:.1f}",
            f"{b['score_below']:.1f}" if b["score_below"] < 100 else "100",
            "—" if b["mean_score"] is None else f"{b['mean_score']:.1f}",
        )
        for b in score_bound_rows(result)
    ]
    return ("tier", "score from", "score below", "mean score"), rows


@command("capacity")
@accounts_option()
@config_option
@format_option
@roster_option
@click.option("--add-accounts", type=int, default=None, help="Growth scenario: N new accounts.")
@click.option("--growth", default=None, help="Growth scenario as a share, e.g. 40%.")
@fail_on_option
def capacity_cmd(
    accounts: str | None,
    config: str | None,
    fmt: str,
    roster: str | None,
    add_accounts: int | None,
    growth: str | None,
) -> None:
    """Size the CSM team per tier, grade cost against ARR, and read current books."""
    from rich.table import Table

    from tierform.core.capacity import plan_capacity
    from tierform.core.scenario import growth_scenario, parse_growth
    from tierform.core.segment import segment

    model, book = load(config, accounts, reuse_memory=True)
    model = _apply_roster(model, roster)
    seg = segment(model, book)
    result = plan_capacity(model, seg)
    try:
        extra = parse_growth(add_accounts, growth, len(book))
    except ValueError as exc:
        raise ConfigError([Issue(str(exc))]) from None
    if extra is not None:
        result.scenario = growth_scenario(model, seg, extra)
    data = result.to_dict()
    if fmt == "json":
        note_checks(data["checks"])
        emit_json(data)
        return
    table = Table(
        title=f"Capacity: {data['total_headcount']} CSMs, {money(data['total_cost'])} "
        f"({data['cost_pct_arr'] or 0:.2f}% of ARR)"
    )
    for col in (
        "tier",
        "accounts",
        "ARR",
        "ratio",
        "FTE",
        "headcount",
        "current",
        "ARR/CSM",
        "cost",
        "% ARR",
    ):
        table.add_column(col, justify="left" if col == "tier" else "right")
    for t in data["tiers"]:
        table.add_row(
            t["name"],
            f"{t['accounts']:,}",
            money(t["arr"]),
            f"1:{t['target_ratio']:g}" if t["target_ratio"] else "digital",
            f"{t['fte']:.2f}",
            str(t["headcount"]),
            "" if t["current_headcount"] is None else str(t["current_headcount"]),
            money(t["arr_per_csm"]),
            money(t["cost"]),
            "" if t["cost_pct_arr"] is None else f"{t['cost_pct_arr']:.2f}",
        )
    console.print(table)
    if "csms" in data:
        loads = Table(title="Current books")
        for col in ("CSM", "tier", "accounts", "ARR", "capacity", "utilisation"):
            loads.add_column(col)
        for c in data["csms"]:
            loads.add_row(
                c["name"],
                c["tier"],
                str(c["accounts"]),
                money(c["arr"]),
                "" if c["capacity"] is None else f"{c['capacity']:g}",
                "" if c["utilisation"] is None else f"{100 * c['utilisation']:.0f}%",
            )
        console.print(loads)
    if "scenario" in data:
        _print_scenario(data["scenario"])
    print_checks(data["checks"])


def _print_scenario(s: dict[str, Any]) -> None:
    from rich.table import Table

    console.print(
        styled(
            "\n",
            (
                f"{'Shrink' if s['add_accounts'] < 0 else 'Growth'}: "
                f"{s['add_accounts']:+d} accounts → {s['accounts_after']}",
                "bold",
            ),
            f" (current headcount {s['current_headcount']}, from the {s['current_basis']})",
        )
    )
    table = Table()
    for col in (
        "tier",
        "hire: needed",
        "hire: +CSMs",
        "surplus",
        "redesign: accounts",
        "redesign: demoted",
        "redesign: headcount",
    ):
        table.add_column(col)
    for h, r in zip(s["hire"]["tiers"], s["redesign"]["tiers"], strict=True):
        table.add_row(
            h["tier"],
            str(h["needed"]),
            str(h["hires"]),
            str(h.get("surplus", 0)),
            str(r["accounts"]),
            str(r["demoted_to_next_tier"]),
            str(r["headcount"]),
        )
    console.print(table)
    console.print(
        f"hire: {s['hire']['headcount']} CSMs, {money(s['hire']['cost'])}; redesign: "
        f"{s['redesign']['headcount']} CSMs, {money(s['redesign']['cost'])}"
    )
    console.print(f"→ {s['verdict']}", style="bold")
    if s.get("checks"):
        print_checks(s["checks"])


@command("assign")
@accounts_option()
@config_option
@format_option
@roster_option
@from_target_option
@fail_on_option
def assign_cmd(
    accounts: str | None, config: str | None, fmt: str, roster: str | None, from_target: str | None
) -> None:
    """Balance books of business per tier, keeping current owners where the balance allows."""
    from rich.table import Table

    from tierform.core.assign import assign_books
    from tierform.core.segment import segment

    model, book = load(config, accounts, reuse_memory=True)
    model = _apply_roster(model, roster)
    book = adopt(model, book, config, from_target)
    seg = segment(model, book)
    result = assign_books(model, seg)
    if fmt == "json":
        data = result.to_dict(book.id_column(), columnar=True)
        note_checks(data["checks"])
        emit_json(data)
        return
    # The text shows the books, the moves' count and first rows, and the checks: read from
    # the result as it is, with no column built per account or per move.
    books = [
        [
            str(b["tier"]),
            b["owner"],
            str(b["accounts"]),
            money(b["arr"]),
            str(b.get("capacity", b.get("members", ""))),
        ]
        for b in result.books
    ]
    # One row per CSM book, tens of thousands on a large book: written plainly where it can be.
    print_table(
        console, "Books of business", ["tier", "owner", "accounts", "ARR", "capacity"], books
    )
    console.print(f"{len(result.moves)} reassignment(s)")
    if result.moves:
        moves = Table()
        for col in ("account", "from", "to", "why"):
            moves.add_column(col)
        for m in result.moves[:200]:
            moves.add_row(m.account_id, m.from_owner or "—", m.to_owner or "—", m.reason)
        console.print(moves)
        if len(result.moves) > 200:
            console.print(f"... {len(result.moves) - 200} more (use --format json)")
    checks = [c.to_dict() for c in result.checks]
    if checks:
        print_checks(checks)


@command("recommend")
@accounts_option(read_ahead=False)  # the book is read only without --customers
@config_option
@format_option
@click.option(
    "--customers",
    type=click.IntRange(min=0),
    default=None,
    help="Customer count (default: the book's).",
)
@click.option("--existing", default=None, help="The CS platform already in use, if any.")
@click.option(
    "--budget",
    type=NumberRange(min=0),
    default=None,
    help="Monthly tooling budget in dollars (0 or more).",
)
@click.option("--plg", is_flag=True, help="The company runs a product-led growth motion.")
def recommend_cmd(
    accounts: str | None,
    config: str | None,
    fmt: str,
    customers: int | None,
    existing: str | None,
    budget: float | None,
    plg: bool,
) -> None:
    """Recommend a platform path (A-D) and adapter by the recipe's decision tree."""
    from tierform.core.recommend import recommend

    if customers is None:
        _, book = load(config, accounts)
        customers = len(book)
    rec = recommend(customers, existing, budget, plg)
    if fmt == "json":
        emit_json(rec.to_dict())
        return
    console.print(
        styled(
            (f"Path {rec.path}: {rec.name}", "bold"),
            " → adapter ",
            (rec.adapter, "bold"),
            f" (or {', '.join(rec.alternatives)})" if rec.alternatives else "",
        )
    )
    console.print(f"because {rec.reason}")
    console.print(f"typical cost {rec.cost}, set-up {rec.speed}")
