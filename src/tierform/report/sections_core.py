"""Document sections from the core engine: tier definitions, distribution, capacity, books."""

from __future__ import annotations

from typing import Any

import numpy as np

from tierform.core.model import CoverageLayer, CoverageModel, LifecycleStage, Tier
from tierform.report import charts
from tierform.report.columns import names_by_id, text_codes
from tierform.report.document import Chart, Fig, Heading, Inline, Notice, Paragraph, Section, Table
from tierform.report.format import acv_range, count, label, money, number, pct
from tierform.report.results import ReportData

MAX_MOVES = 30


def fig_money(value: float | None, key: str | None, currency: str) -> Fig:
    return Fig(money(value, currency), key, value)


def fig_pct(value: float | None, key: str | None, digits: int = 1) -> Fig:
    return Fig(pct(value, digits), key, value)


def fig_count(value: float | int | None, key: str | None) -> Fig:
    return Fig(count(value), key, value)


def fig_number(value: float | int | None, key: str | None, digits: int = 2) -> Fig:
    return Fig(number(value, digits), key, value)


def coverage_text(tier: Tier) -> str:
    return {
        CoverageLayer.named: "Named CSM",
        CoverageLayer.pooled: f"Pooled ({tier.pool_name})",
        CoverageLayer.digital: "Digital only",
    }[tier.layer]


def ratio_text(tier: Tier) -> str:
    if tier.ratio is None or not tier.has_csm:
        return "no CSM"
    r = tier.ratio
    return f"1:{number(r.min)}–{number(r.max)}, target 1:{number(r.target)}"


def trigger_text(tier: Tier, currency: str) -> str:
    trigger = tier.hiring_trigger
    if trigger is None:
        return "—"
    parts = []
    if trigger.max_accounts is not None:
        parts.append(f"any CSM above {trigger.max_accounts} accounts")
    if trigger.max_arr is not None:
        parts.append(f"any CSM above {money(trigger.max_arr, currency)} ARR")
    if trigger.note:
        parts.append(trigger.note)
    return " or ".join(parts) or "—"


def segmentation_text(model: CoverageModel) -> str:
    seg = model.segmentation
    if seg.method == "acv":
        text = (
            "Accounts are tiered by ACV. Bounds are half-open: an account exactly on a bound "
            "belongs to the higher tier."
        )
    else:
        w = seg.weights
        text = (
            f"Accounts are tiered by a multi-factor score: ARR {number(w.arr)}%, complexity "
            f"{number(w.complexity)}%, growth potential {number(w.growth)}%, strategic fit "
            f"{number(w.strategic)}%."
        )
    if seg.strategic_override:
        text += " Strategic accounts go to the top tier."
    if seg.hysteresis is not None:
        margin = (
            f"{number(seg.hysteresis.margin_pct)}% of the bound"
            if seg.method == "acv"
            else f"{number(seg.hysteresis.margin_points)} score points"
        )
        text += (
            f" An account keeps its previous tier until it crosses a bound by {margin}, "
            "so there is no cliff at a boundary."
        )
    return text


def tier_definitions(data: ReportData) -> Section:
    model, cur = data.model, data.model.currency
    rows: list[list[Inline]] = [
        [
            t.name,
            acv_range(t.min_acv, t.max_acv, cur),
            label(t.touch_model.value),
            coverage_text(t),
            ratio_text(t),
            "—"
            if t.benchmark_share is None
            else f"{number(t.benchmark_share[0])}–{number(t.benchmark_share[1])}%",
            trigger_text(t, cur),
        ]
        for t in model.tiers
    ]
    stages = sorted({s for t in model.tiers for s in t.touchpoints}, key=_stage_order)
    touch = Table(
        ["Lifecycle stage", *[t.name for t in model.tiers]],
        [[label(s.value), *[t.touchpoints.get(s, "—") for t in model.tiers]] for s in stages],
        caption="Touch model per lifecycle stage",
    )
    return Section("tiers", "Tier definitions").add(
        Paragraph([segmentation_text(model)]),
        Table(
            [
                "Tier",
                "ACV",
                "Touch model",
                "Coverage",
                "Accounts per CSM",
                "Benchmark share of accounts",
                "Hiring trigger",
            ],
            rows,
        ),
        touch,
    )


def _stage_order(stage: LifecycleStage) -> int:
    return list(LifecycleStage).index(stage)


def tier_distribution(data: ReportData, js: dict[str, Any]) -> Section:
    model, cur = data.model, data.model.currency
    tiers = js["segment"]["tiers"]
    summary = js["segment"]["summary"]
    rows: list[list[Inline]] = []
    for i, (t, row) in enumerate(zip(model.tiers, tiers, strict=True)):
        key = f"segment.tiers.{i}"
        band = (
            "—"
            if t.benchmark_share is None
            else f"{number(t.benchmark_share[0])}–{number(t.benchmark_share[1])}%"
        )
        rows.append(
            [
                t.name,
                fig_count(row["accounts"], f"{key}.accounts"),
                fig_pct(row["share_accounts"], f"{key}.share_accounts"),
                band,
                fig_money(row["arr"], f"{key}.arr", cur),
                fig_pct(row["share_arr"], f"{key}.share_arr"),
            ]
        )
    total_arr = sum(r["arr"] for r in tiers)
    n = summary["accounts"]
    foot: list[list[Inline]] = [
        [
            "All tiers",
            fig_count(summary["assigned"], "segment.summary.assigned"),
            fig_pct(100 * summary["assigned"] / n if n else None, None),
            "",
            fig_money(total_arr, None, cur),
            fig_pct(100.0 if total_arr else None, None),
        ]
    ]
    limit = model.segmentation.max_tier_arr_share
    svg = charts.grouped_bars(
        "chart-distribution",
        "Tier distribution: share of accounts and of ARR",
        [t.name for t in model.tiers],
        [
            charts.Series(
                "% of accounts", [r["share_accounts"] for r in tiers], charts.SERIES_STYLES[0]
            ),
            charts.Series("% of ARR", [r["share_arr"] for r in tiers], charts.SERIES_STYLES[1]),
        ],
        lambda v: pct(v, 1 if v % 1 else 0),
        bands=[t.benchmark_share for t in model.tiers],
        band_name="Benchmark share of accounts",
        ref=(limit, f"ARR concentration limit {number(limit)}%"),
    )
    section = Section("distribution", "Tier distribution").add(
        Table(
            ["Tier", "Accounts", "% of accounts", "Benchmark", "ARR", "% of ARR"],
            rows,
            frozenset({1, 2, 4, 5}),
            foot,
        ),
        Chart("chart-distribution", "Tier distribution: accounts vs ARR", svg),
    )
    notes = []
    if summary["missing_acv"]:
        notes.append(f"{summary['missing_acv']} account(s) have no ACV and are not tiered.")
    if summary["proxied_acv"]:
        notes.append(
            f"{summary['proxied_acv']} account(s) took their ACV from the product-tier proxy."
        )
    if notes:
        section.add(Notice("note", " ".join(notes)))
    return section


def capacity_plan(data: ReportData, js: dict[str, Any]) -> Section:
    model, cur = data.model, data.model.currency
    cap = js["capacity"]
    current = data.current.per_tier
    rows: list[list[Inline]] = []
    for i, row in enumerate(cap["tiers"]):
        key = f"capacity.tiers.{i}"
        rows.append(
            [
                row["name"],
                fig_count(row["accounts"], f"{key}.accounts"),
                "—"
                if row["target_ratio"] is None
                else fig_number(row["target_ratio"], f"{key}.target_ratio"),
                Fig(f"{row['fte']:.2f}", f"{key}.fte", row["fte"]),
                fig_count(row["headcount"], f"{key}.headcount"),
                "—"
                if current is None
                else fig_count(current[i], f"current_headcount.per_tier.{i}"),
                fig_money(row["arr_per_csm"], f"{key}.arr_per_csm", cur),
                fig_money(row["cost"], f"{key}.cost", cur),
                fig_pct(row["cost_pct_arr"], f"{key}.cost_pct_arr", 2),
            ]
        )
    grade = next((c.grade for c in data.cap.checks if c.id == "cost_pct_arr"), None)
    foot: list[list[Inline]] = [
        [
            "Total",
            fig_count(sum(r["accounts"] for r in cap["tiers"]), None),
            "",
            Fig(f"{sum(r['fte'] for r in cap['tiers']):.2f}"),
            fig_count(cap["total_headcount"], "capacity.total_headcount"),
            "—" if current is None else fig_count(sum(current), None),
            "",
            fig_money(cap["total_cost"], "capacity.total_cost", cur),
            fig_pct(cap["cost_pct_arr"], "capacity.cost_pct_arr", 2),
        ]
    ]
    buffer = model.capacity.buffer
    section = Section("capacity", "Capacity plan").add(
        Paragraph(
            [
                f"Required CSMs per tier = accounts ÷ target ratio × {number(buffer)} buffer "
                "(PTO, ramp and attrition), rounded up. Cost uses ",
                fig_money(model.capacity.csm_cost, None, cur),
                " per CSM per year, fully loaded. ARR per CSM must stay below ",
                fig_money(model.capacity.max_arr_per_csm, None, cur),
                ".",
            ]
        ),
        Table(
            [
                "Tier",
                "Accounts",
                "Accounts per CSM",
                "FTE",
                "CSMs needed",
                "CSMs today",
                "ARR per CSM",
                "CSM cost",
                "Cost % of ARR",
            ],
            rows,
            frozenset(range(1, 9)),
            foot,
        ),
        Paragraph(
            [
                "CSM cost is ",
                fig_pct(cap["cost_pct_arr"], "capacity.cost_pct_arr", 2),
                " of ARR: ",
                Fig(grade or "not graded", None, grade),
                " against the recipe's benchmark (5–12% minimum, 6–9% good, 7–8% excellent).",
            ]
        ),
    )
    section.add(_capacity_chart(data, cap))
    section.add(Heading("Hiring triggers"), _hiring_table(data))
    return section


def _capacity_chart(data: ReportData, cap: dict[str, Any]) -> Chart | Notice:
    names = [r["name"] for r in cap["tiers"]]
    needed = [r["headcount"] for r in cap["tiers"]]
    labels = [
        f"{h}" if t.has_csm else "0: digital only"
        for h, t in zip(needed, data.model.tiers, strict=True)
    ]
    series = [charts.Series("CSMs needed", needed, charts.SERIES_STYLES[0], labels)]
    current = data.current.per_tier
    source = {"roster": "CSMs today (roster)", "book owners": "CSMs today (owners in the book)"}
    if current is not None:
        series.append(charts.Series(source[data.current.source], current, charts.SERIES_STYLES[1]))
    svg = charts.grouped_bars(
        "chart-capacity", "CSMs needed vs CSMs today per tier", names, series, lambda v: f"{v:,.0f}"
    )
    return Chart("chart-capacity", "Capacity vs current headcount", svg)


def _hiring_table(data: ReportData) -> Table:
    cur = data.model.currency
    tripped: dict[str, list[str]] = {}
    tier_of = {c.name: c.tier for c in data.cap.csms}
    for check in data.cap.checks:
        kind, _, who = check.id.partition(":")
        if kind in ("hiring_trigger", "hiring_trigger_arr") and check.status == "fail":
            tripped.setdefault(tier_of.get(who, ""), []).append(check.message)
    rows: list[list[Inline]] = []
    for t in data.model.tiers:
        if t.hiring_trigger is None:
            continue
        if tripped.get(t.name):
            now = "; ".join(tripped[t.name])
        elif t.hiring_trigger.max_accounts is None and t.hiring_trigger.max_arr is None:
            now = "not measurable from the account book"
        elif not data.model.roster:
            now = "no roster in the model: per-CSM books unknown"
        else:
            now = "not triggered"
        rows.append([t.name, trigger_text(t, cur), now])
    return Table(["Tier", "Hire when", "Today"], rows)


def books_of_business(data: ReportData, js: dict[str, Any]) -> Section:
    cur = data.model.currency
    section = Section("books", "Books of business")
    if data.cap.csms:
        rows: list[list[Inline]] = []
        for i, c in enumerate(js["capacity"].get("csms", [])):
            key = f"capacity.csms.{i}"
            rows.append(
                [
                    c["name"],
                    c["tier"],
                    fig_count(c["accounts"], f"{key}.accounts"),
                    fig_money(c["arr"], f"{key}.arr", cur),
                    "—" if c["capacity"] is None else fig_count(c["capacity"], None),
                    fig_pct(None if c["utilisation"] is None else 100 * c["utilisation"], None, 0),
                ]
            )
        section.add(
            Heading("Books today (the book's owners, against the roster)"),
            Table(
                ["CSM", "Tier", "Accounts", "ARR", "Capacity", "Utilisation"],
                rows,
                frozenset({2, 3, 4, 5}),
            ),
        )
    else:
        section.add(Heading("Books today (the book's owners)"), _owner_table(data))
    result = data.books
    if result is None:
        section.add(Notice("missing", data.missing("books") or "Balanced books are missing."))
        return section
    books = js["assign"]["books"]
    rows = []
    for i, b in enumerate(books):
        key = f"assign.books.{i}"
        size = (
            f"{b['members']} pool member(s)"
            if "members" in b
            else f"{count(b.get('capacity'))} accounts max"
        )
        rows.append(
            [
                b["owner"],
                b["tier"],
                fig_count(b["accounts"], f"{key}.accounts"),
                fig_money(b["arr"], f"{key}.arr", cur),
                size,
            ]
        )
    section.add(
        Heading("Balanced books (proposed)"),
        Table(["Owner", "Tier", "Accounts", "ARR", "Capacity"], rows, frozenset({2, 3})),
    )
    moves = result.moves
    names = names_by_id(data.book, [m.account_id for m in moves[:MAX_MOVES]])
    section.add(
        Paragraph(
            [fig_count(len(moves), None), " account(s) change owner under the proposed books."]
        )
    )
    if moves:
        caption = None if len(moves) <= MAX_MOVES else f"First {MAX_MOVES} of {len(moves)} moves"
        section.add(
            Table(
                ["Account", "Name", "From", "To", "Why"],
                [
                    [
                        m.account_id,
                        names.get(m.account_id) or "",
                        m.from_owner or "unowned",
                        m.to_owner or "digital programs",
                        m.reason,
                    ]
                    for m in moves[:MAX_MOVES]
                ],
                caption=caption,
            )
        )
    return section


def _owner_table(data: ReportData) -> Table | Notice:
    tally = _owner_tally(data)
    if not tally:
        return Notice("note", "The account book has no owner column: no current books to show.")
    cur = data.model.currency
    return Table(
        ["Owner", "Accounts", "ARR"],
        [[o, count(n), money(a, cur)] for o, (n, a) in sorted(tally.items())],
        frozenset({1, 2}),
    )


def _owner_tally(data: ReportData) -> dict[str, list[float]]:
    """Accounts and ARR (a blank ACV counts 0) per owner in the book, blank owners left out."""
    acv = data.book.acv
    codes = text_codes(data.book, "owner")
    if codes is None:
        tally: dict[str, list[float]] = {}
        for owner, value in zip(data.book.text("owner"), acv.tolist(), strict=True):
            if owner:
                entry = tally.setdefault(owner, [0, 0.0])
                entry[0] += 1
                entry[1] += 0.0 if value != value else value
        return tally
    owned = codes.codes >= 0
    code = codes.codes[owned]
    size = len(codes.names)
    accounts = np.bincount(code, minlength=size)
    arr = np.bincount(code, weights=np.nan_to_num(acv[owned], nan=0.0), minlength=size)
    return {
        codes.names[k]: [int(accounts[k]), float(arr[k])] for k in np.flatnonzero(accounts).tolist()
    }
