"""The choices a leader signs off: tier boundaries, growth (hire or redesign), the platform and
the rollout, plus the header and the executive summary that puts them on page one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tierform import __version__
from tierform.core.recommend import Recommendation, recommend
from tierform.report.boundaries import (
    BoundsOption,
    EdgeCases,
    current_bounds,
    edge_cases,
    natural_bounds,
)
from tierform.report.document import (
    Approval,
    Badge,
    Block,
    Heading,
    Inline,
    ItemList,
    Notice,
    Paragraph,
    Section,
    Table,
)
from tierform.report.format import acv_range, count, money, number, pct
from tierform.report.results import ReportData
from tierform.report.rollout import Phase, rollout_plan

DEFAULT_GROWTH_PCT = 40.0
MAX_EDGE_ROWS = 25
SPREADSHEETS = ("xlsx", "sheets")


@dataclass(frozen=True)
class Choices:
    """Everything the plan sections and the summary share, computed once."""

    current: BoundsOption
    natural: BoundsOption | str
    edges: EdgeCases
    growth_pct: float
    growth: dict[str, Any]
    platform: Recommendation
    phases: list[Phase]


def existing_platform(data: ReportData) -> str | None:
    """The CS platform the model already targets (a spreadsheet target is not one)."""
    for target in data.model.targets.values():
        if target.platform not in SPREADSHEETS:
            return target.platform
    return None


def choices(data: ReportData, growth_pct: float | None) -> Choices:
    pct_ = DEFAULT_GROWTH_PCT if growth_pct is None else growth_pct
    add = round(len(data.book) * pct_ / 100)
    rec = recommend(len(data.book), existing_platform(data))
    return Choices(
        current_bounds(data),
        natural_bounds(data),
        edge_cases(data),
        pct_,
        data.growth(add),
        rec,
        rollout_plan(data.model, data.as_of, rec.speed),
    )


# --- header -----------------------------------------------------------------------------------


def header_lines(data: ReportData) -> list[tuple[str, str]]:
    p = data.provenance
    model_file = str(p.model_file) if p.model_file else "built-in default model (no file)"
    return [
        ("As of", data.as_of.isoformat()),
        ("Model", f"{data.model.name} (model format version {data.model.version})"),
        ("Model file", model_file),
        ("Model sha256", p.model_sha256 or "none: no model file"),
        ("Account book", str(p.book_file) if p.book_file else data.book.source),
        ("Account book sha256", p.book_sha256 or "none: no book file"),
        ("Generated on", p.generated_on.isoformat()),
        ("Written by", f"tierform {__version__}"),
    ]


# --- tier boundaries --------------------------------------------------------------------------


def bounds_table(option: BoundsOption, currency: str) -> Table:
    rows: list[list[Inline]] = []
    for t in option.tiers:
        bench = (
            "—" if t.benchmark is None else f"{number(t.benchmark[0])}–{number(t.benchmark[1])}%"
        )
        status = t.distribution_status
        rows.append(
            [
                t.tier,
                acv_range(t.min_acv, t.max_acv, currency),
                count(t.accounts),
                pct(t.share_accounts),
                bench,
                Badge(status) if status != "info" else "—",
                money(t.arr, currency),
                pct(t.share_arr),
                count(t.headcount),
                money(t.cost, currency),
            ]
        )
    top, share = option.concentration
    foot: list[list[Inline]] = [
        [
            "All tiers",
            "",
            count(sum(t.accounts for t in option.tiers)),
            "",
            "",
            f"{option.distribution_passes} of {len(option.tiers)} in band",
            money(option.arr, currency),
            f"largest {pct(share)} ({top})",
            count(option.headcount),
            money(option.cost, currency),
        ]
    ]
    return Table(
        [
            "Tier",
            "ACV",
            "Accounts",
            "% of accounts",
            "Benchmark",
            "Distribution",
            "ARR",
            "% of ARR",
            "CSMs needed",
            "CSM cost",
        ],
        rows,
        frozenset({2, 3, 6, 7, 8, 9}),
        foot,
        caption=option.name,
    )


def grades_table(options: list[BoundsOption]) -> Table:
    rows: list[list[Inline]] = []
    for o in options:
        top, share = o.concentration
        limit = number(o.concentration_limit)
        rows.append(
            [
                o.name,
                f"{o.distribution_passes} of {len(o.tiers)} tiers in their band",
                Badge(o.concentration_status),
                f"{pct(share)} of ARR in {top} (limit {limit}%)",
                count(o.headcount),
                pct(o.cost_pct_arr, 2),
                Badge(o.cost_status) if o.cost_status else "—",
                o.cost_grade or "not graded",
            ]
        )
    return Table(
        [
            "Bounds",
            "Distribution",
            "Concentration",
            "Largest ARR share",
            "CSMs needed",
            "Cost % of ARR",
            "Cost",
            "Cost grade",
        ],
        rows,
        frozenset({4, 5}),
        caption="Graded against the recipe (distribution bands; ≤ 40% of ARR in one tier; "
        "cost 5–12% of ARR minimum, 6–9% good, 7–8% excellent)",
    )


def edge_case_blocks(data: ReportData, edges: EdgeCases) -> list[Block]:
    cur = data.model.currency
    n = len(data.book)
    assigned = data.seg.assigned
    coverage = 100 * assigned / n if n else 100.0
    level = (
        "below the recipe's minimum (> 95%)"
        if coverage <= 95
        else "the recipe's minimum (> 95%)"
        if assigned < n
        else "100% with edge cases documented (the recipe's excellent level)"
    )
    blocks: list[Block] = [
        Heading("Edge cases"),
        Paragraph(
            [f"Tier coverage: {count(assigned)} of {count(n)} accounts ({pct(coverage)}): {level}."]
        ),
        Table(
            ["Edge case", "What it means", "Accounts"],
            [[kind, what, count(len(found))] for kind, what, found in edges.kinds()],
            frozenset({2}),
        ),
    ]
    for kind, _, found in edges.kinds():
        if not found:
            continue
        caption = (
            kind
            if len(found) <= MAX_EDGE_ROWS
            else (
                f"{kind}: first {MAX_EDGE_ROWS} of {len(found)} (all on the workbook's Assignments)"
            )
        )
        blocks.append(
            Table(
                ["Account", "Name", "ACV", "Tier", "Detail"],
                [
                    [e.account_id, e.name, money(e.acv, cur), e.tier or "none", e.detail]
                    for e in found[:MAX_EDGE_ROWS]
                ],
                frozenset({2}),
                caption=caption,
            )
        )
    return blocks


def boundary_blocks(data: ReportData, ch: Choices) -> list[Block]:
    """Tier boundaries: today's bounds beside the natural breaks, graded, then edge cases."""
    cur = data.model.currency
    blocks: list[Block] = [
        Heading("Tier boundaries: current bounds and natural breaks"),
        Paragraph(
            [
                "The natural breaks are the exact optimal clustering of the book's log ACV into "
                "as many groups as there are tiers (tierform segment --suggest-breaks); they "
                "count accounts by ACV alone, without strategic overrides or hysteresis. "
                "tierform segment --suggest-breaks --write adopts them, rounded to two "
                "significant figures, into the model file."
            ]
        ),
        bounds_table(ch.current, cur),
    ]
    options = [ch.current]
    if isinstance(ch.natural, str):
        blocks.append(Notice("note", f"No natural breaks: {ch.natural}."))
    else:
        blocks.append(bounds_table(ch.natural, cur))
        options.append(ch.natural)
    blocks.append(grades_table(options))
    return blocks + edge_case_blocks(data, ch.edges)


# --- growth -----------------------------------------------------------------------------------


def growth_blocks(data: ReportData, ch: Choices) -> list[Block]:
    g, cur = ch.growth, data.model.currency
    hire, redesign = g["hire"], g["redesign"]
    redesign_rows = {r["tier"]: r for r in redesign["tiers"]}
    rows: list[list[Inline]] = []
    for r in hire["tiers"]:
        d = redesign_rows[r["tier"]]
        rows.append(
            [
                r["tier"],
                count(r["current"]),
                count(r["accounts"]),
                count(r["needed"]),
                count(r["hires"]),
                count(d["accounts"]),
                count(d["headcount"]),
                count(d["demoted_to_next_tier"]),
            ]
        )
    foot: list[list[Inline]] = [
        [
            "Total",
            count(g["current_headcount"]),
            count(g["accounts_after"]),
            count(hire["headcount"]),
            count(hire["hires"]),
            count(g["accounts_after"]),
            count(redesign["headcount"]),
            count(redesign["demoted"]),
        ]
    ]
    sign = "+" if ch.growth_pct >= 0 else ""
    grades: list[list[Inline]] = [
        [Badge(c["status"]), c["message"], c.get("recovery") or "—"] for c in g["checks"]
    ]
    return [
        Heading(f"Growth: hire or redesign ({sign}{number(ch.growth_pct)}% accounts)"),
        Paragraph(
            [
                f"{sign}{count(g['add_accounts'])} accounts ({sign}{number(ch.growth_pct)}%), "
                "arriving in today's tier mix. Hire keeps the target ratios; redesign keeps "
                f"today's headcount ({g['current_basis']}) and demotes the smallest "
                "non-strategic accounts of an overloaded tier to the next tier down. "
                f"Verdict: {g['verdict']}."
            ]
        ),
        Table(
            [
                "Tier",
                "CSMs today",
                "Accounts (hire)",
                "CSMs needed",
                "Hires",
                "Accounts (redesign)",
                "CSMs (redesign)",
                "Demoted",
            ],
            rows,
            frozenset(range(1, 8)),
            foot,
        ),
        Table(
            ["Option", "CSMs", "CSM cost", "Cost % of grown ARR"],
            [
                [
                    "Hire",
                    count(hire["headcount"]),
                    money(hire["cost"], cur),
                    pct(hire["cost_pct_arr"], 2),
                ],
                [
                    "Redesign",
                    count(redesign["headcount"]),
                    money(redesign["cost"], cur),
                    pct(redesign["cost_pct_arr"], 2),
                ],
            ],
            frozenset({1, 2, 3}),
        ),
        Table(["Status", "Finding", "Recovery"], grades, caption="Both options graded"),
    ]


# --- platform and rollout ---------------------------------------------------------------------


def platform_section(data: ReportData, ch: Choices) -> Section:
    rec = ch.platform
    section = Section("platform", "Platform")
    section.add(
        Paragraph(
            [
                f"Recommended: path {rec.path}, {rec.name}, provisioned by the {rec.adapter} "
                f"adapter (tierform sync). Why: {rec.reason}."
            ]
        ),
        Table(
            ["Path", "Platform", "Adapter", "Alternatives", "Cost", "Set-up time"],
            [
                [
                    rec.path,
                    rec.name,
                    rec.adapter,
                    ", ".join(rec.alternatives) or "—",
                    rec.cost,
                    rec.speed,
                ]
            ],
        ),
        Paragraph(
            [
                "The recipe's tree: fewer than 100 customers and no platform, A (spreadsheet); "
                "100–500 with a tooling budget, B (Vitally or ChurnZero); 500–5,000, C "
                "(Gainsight or Totango); 5,000+ with a PLG motion, D (Gainsight with product "
                "analytics). No budget is given here: tierform recommend --budget N applies one."
            ]
        ),
    )
    support = data.platform
    if support is not None and support.adapter == rec.adapter:
        section.add(
            Paragraph(
                [
                    f"The {rec.adapter} adapter writes through the platform's API: "
                    + (", ".join(support.writes) or "nothing")
                    + ". What its API cannot create stays on the build sheet (tierform sync "
                    "prints it as numbered steps, marked done when the platform shows them):"
                ]
            ),
            Table(
                ["On the build sheet", "Why"],
                [[kind, why] for kind, why in support.build_sheet]
                or [["nothing", "the adapter creates every object"]],
            ),
        )
    else:
        section.add(
            Notice(
                "note",
                "Every sync writes the coverage data (tf_ fields) and the work items the API "
                "allows; segments, playbooks, rules and health setups a platform's API cannot "
                f"create stay on its build sheet. tierform adapters lists what {rec.adapter} "
                "can create.",
            )
        )
    return section


def rollout_section(data: ReportData, ch: Choices) -> Section:
    rows: list[list[Inline]] = [
        [
            p.name,
            ", ".join(p.tiers) or "—",
            p.scope,
            p.start.isoformat(),
            p.end.isoformat(),
        ]
        for p in ch.phases
    ]
    live = [t for p in ch.phases for t in p.tiers]
    return Section("rollout", "Rollout plan").add(
        Paragraph(
            [
                "The recipe's phasing: start with the highest-value tier and its onboarding "
                "playbook only, stabilise for 30 days, then Mid-Market, then the SMB digital "
                f"touch. Dates run from the as-of date, {data.as_of.isoformat()}, after the "
                f"platform's set-up time ({ch.platform.speed})."
            ]
        ),
        Table(["Phase", "Tiers", "Scope", "Starts", "Stabilised by"], rows),
        Paragraph(
            [
                "At the start of each phase, add its tiers to the model's rollout: list "
                f"(finally rollout: [{', '.join(live)}]) so tierform sync creates their work "
                "items; the coverage data is written for every account from the first sync."
            ]
        ),
    )


# --- executive summary ------------------------------------------------------------------------


def decisions(data: ReportData, ch: Choices) -> ItemList:
    cur = data.model.currency
    items: list[list[Inline]] = []
    if isinstance(ch.natural, BoundsOption):
        now, nat = ch.current, ch.natural
        bounds = ", ".join(
            f"{t.tier} from {money(t.min_acv, cur)}" for t in nat.tiers if t.min_acv > 0
        )
        items.append(
            [
                "Tier bounds: keep today's (",
                f"{now.distribution_passes} of {len(now.tiers)} tiers in their band, "
                f"{count(now.headcount)} CSMs, cost {pct(now.cost_pct_arr, 2)} of ARR) or adopt "
                f"the natural breaks ({bounds}: {nat.distribution_passes} of {len(nat.tiers)} "
                f"in band, {count(nat.headcount)} CSMs, {pct(nat.cost_pct_arr, 2)} of ARR).",
            ]
        )
    g = ch.growth
    items.append(
        [
            f"Growth of {number(ch.growth_pct)}%: hire {count(g['hire']['hires'])} CSM(s) "
            f"({pct(g['hire']['cost_pct_arr'], 2)} of grown ARR) or redesign "
            f"({count(g['redesign']['demoted'])} account(s) demoted, "
            f"{pct(g['redesign']['cost_pct_arr'], 2)}): {g['verdict']}."
        ]
    )
    rec = ch.platform
    items.append(
        [f"Platform: path {rec.path} ({rec.name}, {rec.adapter}), {rec.cost}, set-up {rec.speed}."]
    )
    first = next((p for p in ch.phases if p.tiers), None)
    if first is not None:
        items.append(
            [
                f"Rollout: start {', '.join(first.tiers)} with onboarding on "
                f"{first.start.isoformat()}; the next tier from {first.end.isoformat()}."
            ]
        )
    fails = [c for _, _, c in data.checks() if c.status == "fail"]
    if fails:
        items.append([f"Resolve or accept the {len(fails)} failing check(s) listed above."])
    items.append(["Approve the model: sign below."])
    return ItemList(items, ordered=True)


def executive_blocks(data: ReportData, ch: Choices) -> list[Block]:
    """Page one after the key figures: tiers, failing checks, decisions, approval."""
    cur = data.model.currency
    tiers: list[list[Inline]] = []
    for t in ch.current.tiers:
        bench = (
            "—" if t.benchmark is None else f"{number(t.benchmark[0])}–{number(t.benchmark[1])}%"
        )
        tiers.append(
            [
                t.tier,
                acv_range(t.min_acv, t.max_acv, cur),
                count(t.accounts),
                pct(t.share_accounts),
                bench,
                count(t.headcount),
                money(t.cost, cur),
            ]
        )
    blocks: list[Block] = [
        Table(
            ["Tier", "ACV", "Accounts", "% of accounts", "Benchmark", "CSMs needed", "CSM cost"],
            tiers,
            frozenset({2, 3, 5, 6}),
            caption="Tiers",
        )
    ]
    fails = [(area, c) for area, _, c in data.checks() if c.status == "fail"]
    blocks.append(Heading("Failing checks"))
    if fails:
        blocks.append(
            ItemList([[Badge("fail"), f" {area}: {c.id}: {c.message}"] for area, c in fails])
        )
    else:
        blocks.append(Paragraph(["No check fails (warnings are in the last section)."]))
    blocks += [Heading("Decisions asked of you"), decisions(data, ch)]
    blocks.append(
        Approval(
            [
                ("Prepared by", data.provenance.prepared_by or ""),
                ("Approved by", ""),
            ]
        )
    )
    return blocks
