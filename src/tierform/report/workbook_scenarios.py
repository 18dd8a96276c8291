"""The workbook's Scenarios sheet: the choices a leader makes, side by side, as live formulas.

Four blocks in one table: today's bounds (read from Capacity), the natural breaks of the book's
own ACV distribution (``segment --suggest-breaks``: counts and ARR re-read Assignments with
COUNTIF/SUMIF, so editing a break recomputes), and a growth scenario answered by hiring or by
redesign (``capacity --growth``: headcount from the Inputs ratios and buffer). Every formula also
carries the value the engine computed, so the sheet reads before any recalculation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tierform.core.capacity import grade_cost, headcount_for, tier_cost
from tierform.core.model import CoverageModel
from tierform.report.results import ReportData
from tierform.workbook.spec import Formula, SheetSpec

Refs = Callable[[str], str]  # an Inputs key -> its cell reference
SCENARIOS = "Scenarios"
DEFAULT_GROWTH_PCT = 40.0
HEADER = [
    "Scenario",
    "Tier",
    "Min ACV",
    "Accounts",
    "% of accounts",
    "ARR",
    "% of ARR",
    "Accounts per CSM",
    "CSMs needed",
    "CSMs today",
    "Hires",
    "CSM cost",
    "Cost % of ARR",
    "Note",
]
CURRENT, BREAKS, HIRE, REDESIGN = (
    "Current bounds",
    "Natural breaks",
    "Growth: hire",
    "Growth: redesign",
)


def _pct(part: float, whole: float) -> float | str:
    return part / whole * 100 if whole > 0 else ""


class _Block:
    """Rows of one scenario: the per-tier rows, then a total row with the cost grade."""

    def __init__(self, sheet: SheetSpec, name: str, model: CoverageModel, refs: Refs) -> None:
        self.sheet, self.name, self.model, self.refs = sheet, name, model, refs
        self.first = len(sheet.rows) + 2
        self.n = len(model.tiers)
        self.total = self.first + self.n

    def row(self, i: int) -> int:
        return self.first + i

    def headcount(self, i: int, accounts: int) -> tuple[Formula, Formula, int]:
        """(accounts per CSM, CSMs needed) formulas for tier ``i``, and the engine's needed."""
        tier = self.model.tiers[i]
        r = self.row(i)
        ratio = tier.ratio.target if tier.has_csm and tier.ratio else None
        need = headcount_for(float(accounts), ratio, self.model.capacity.buffer)[1]
        ref = self.refs(f"tiers.{i}.ratio.target")
        h = Formula(f'=IF({ref}="","",{ref})', "" if ratio is None else ratio)
        if not tier.has_csm:
            h = Formula('=""', "")
        needed = Formula(
            f'=IF(H{r}="",0,ROUNDUP(ROUND(D{r}/H{r}*{self.refs("capacity.buffer")},9),0))', need
        )
        return h, needed, need

    def cost_ref(self, i: int) -> str:
        override = self.refs(f"tiers.{i}.csm_cost")
        return f'IF({override}="",{self.refs("capacity.csm_cost")},{override})'

    def shares(self, i: int, accounts: float, arr: float, totals: tuple[float, float]) -> tuple:
        r, t = self.row(i), self.total
        return (
            Formula(f'=IF(D${t}>0,D{r}/D${t}*100,"")', _pct(accounts, totals[0])),
            Formula(f'=IF(F${t}>0,F{r}/F${t}*100,"")', _pct(arr, totals[1])),
        )

    def add_total(
        self,
        accounts: float,
        arr: float | None,
        needed: int,
        today: int | None,
        hires: int,
        cost: float,
        note: str = "",
    ) -> None:
        a, b, t = self.first, self.total - 1, self.total
        pct: Any = _pct(cost, arr) if arr is not None else ""
        grade = grade_cost(self.model, pct)[1] if isinstance(pct, float) else ""
        self.sheet.add(
            self.name,
            "Total",
            None,
            Formula(f"=SUM(D{a}:D{b})", accounts),
            None,
            Formula(f"=SUM(F{a}:F{b})", arr if arr is not None else 0) if arr is not None else None,
            None,
            None,
            Formula(f"=SUM(I{a}:I{b})", needed),
            None if today is None else Formula(f"=SUM(J{a}:J{b})", today),
            Formula(f"=SUM(K{a}:K{b})", hires),
            Formula(f"=SUM(L{a}:L{b})", cost),
            Formula(f'=IF(F{t}>0,L{t}/F{t}*100,"")', pct) if arr is not None else None,
            note or (grade and f"cost grade: {grade}"),
        )


def scenarios_sheet(
    data: ReportData, refs: Refs, acv_range: str, growth_pct: float | None
) -> SheetSpec:
    """The Scenarios sheet; ``refs(key)`` is an Inputs cell, ``acv_range`` the Assignments ACVs."""
    sheet = SheetSpec(
        "scenarios",
        SCENARIOS,
        list(HEADER),
        widths={1: 20, 2: 18, 14: 60} | {c: 14.0 for c in range(3, 14)},
        number_formats={3: "#,##0", 5: "0.00", 6: "#,##0", 7: "0.00", 12: "#,##0", 13: "0.00"},
    )
    current = data.current.per_tier
    _current_block(sheet, data, refs, current)
    _breaks_block(sheet, data, refs, acv_range, current)
    _growth_blocks(sheet, data, refs, growth_pct)
    sheet.filter_rows = len(sheet.rows)
    sheet.note = (
        "Natural breaks count accounts by ACV alone (no strategic override, no hysteresis). "
        "Edit a break in Min ACV, a ratio or the buffer on Inputs, and the figures recompute."
    )
    return sheet


def _current_block(
    sheet: SheetSpec, data: ReportData, refs: Refs, current: list[int] | None
) -> None:
    model, cap = data.model, data.cap
    block = _Block(sheet, CURRENT, model, refs)
    totals = (float(sum(t.accounts for t in cap.tiers)), float(sum(t.arr for t in cap.tiers)))
    for i, (tier, t) in enumerate(zip(model.tiers, cap.tiers, strict=True)):
        r, c = block.row(i), i + 2
        e, g = block.shares(i, t.accounts, t.arr, totals)
        heads = None if current is None else current[i]
        hires = 0 if heads is None else max(0, t.headcount - heads)
        sheet.add(
            CURRENT,
            Formula(f"=Capacity!$A${c}", tier.name),
            Formula(f"=Tiers!$B${c}", tier.min_acv),
            Formula(f"=Capacity!$B${c}", t.accounts),
            e,
            Formula(f"=Capacity!$C${c}", t.arr),
            g,
            Formula(
                f'=IF(Capacity!$D${c}="","",Capacity!$D${c})',
                "" if t.target_ratio is None else t.target_ratio,
            ),
            Formula(f"=Capacity!$G${c}", t.headcount),
            heads,
            None if heads is None else Formula(f"=IF(I{r}>J{r},I{r}-J{r},0)", hires),
            Formula(f"=Capacity!$I${c}", t.cost),
            Formula(f'=IF(F{r}>0,L{r}/F{r}*100,"")', _pct(t.cost, t.arr)),
            None,
        )
    block.add_total(
        totals[0],
        totals[1],
        cap.total_headcount,
        None if current is None else sum(current),
        0
        if current is None
        else sum(max(0, t.headcount - h) for t, h in zip(cap.tiers, current, strict=True)),
        cap.total_cost,
    )


def _breaks_block(
    sheet: SheetSpec, data: ReportData, refs: Refs, acv_range: str, current: list[int] | None
) -> None:
    model = data.model
    found = data.breaks()
    clusters = found.get("clusters") or []
    if len(clusters) != len(model.tiers):
        sheet.add(
            BREAKS,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            found.get("message") or "no natural breaks for this many tiers",
        )
        return
    block = _Block(sheet, BREAKS, model, refs)
    ordered = [model.tier_index(t.name) for t in model.tiers_low_to_high]
    position = {tier: pos for pos, tier in enumerate(ordered)}
    totals = (
        float(sum(c["accounts"] for c in clusters)),
        float(sum(c["arr"] for c in clusters)),
    )
    accounts_total, needed_total, cost_total, hires_total = 0, 0, 0.0, 0
    for i, tier in enumerate(model.tiers):
        pos = position[i]
        cluster = clusters[pos]
        r = block.row(i)
        above = ordered[pos + 1] if pos + 1 < len(ordered) else None
        lo = f'">="&C{r}'
        count = f"COUNTIF({acv_range},{lo})"
        arr_f = f"SUMIF({acv_range},{lo},{acv_range})"
        if above is not None:
            hi = f'">="&C{block.row(above)}'
            count += f"-COUNTIF({acv_range},{hi})"
            arr_f += f"-SUMIF({acv_range},{hi},{acv_range})"
        accounts, arr = int(cluster["accounts"]), float(cluster["arr"])
        e, g = block.shares(i, accounts, arr, totals)
        h, needed, need = block.headcount(i, accounts)
        heads = None if current is None else current[i]
        cost = need * tier_cost(model, tier)
        accounts_total += accounts
        needed_total += need
        cost_total += cost
        hires_total += 0 if heads is None else max(0, need - heads)
        sheet.add(
            BREAKS,
            Formula(f"=Capacity!$A${i + 2}", tier.name),
            cluster["min_acv"],
            Formula(f"={count}", accounts),
            e,
            Formula(f"={arr_f}", arr),
            g,
            h,
            needed,
            heads,
            None if heads is None else Formula(f"=IF(I{r}>J{r},I{r}-J{r},0)", max(0, need - heads)),
            Formula(f"=I{r}*{block.cost_ref(i)}", cost),
            Formula(f'=IF(F{r}>0,L{r}/F{r}*100,"")', _pct(cost, arr)),
            f"suggested bound ≈ {cluster['suggested_min_acv']:,.0f} (two significant figures)",
        )
    block.add_total(
        accounts_total,
        totals[1],
        needed_total,
        None if current is None else sum(current),
        hires_total,
        cost_total,
    )


def _growth_blocks(
    sheet: SheetSpec, data: ReportData, refs: Refs, growth_pct: float | None
) -> None:
    model = data.model
    pct = DEFAULT_GROWTH_PCT if growth_pct is None else growth_pct
    add = round(len(data.book) * pct / 100)
    found = data.growth(add)
    label = f"+{pct:g}% ({add:,} new accounts)" + (
        "" if growth_pct is not None else "; the default growth, report --growth sets it"
    )
    for name, part, rows_key in ((HIRE, "hire", "tiers"), (REDESIGN, "redesign", "tiers")):
        result = found[part]
        rows = {r["tier"]: r for r in result[rows_key]}
        block = _Block(sheet, name, model, refs)
        today_total, need_total, hires, cost_total, accounts_total = 0, 0, 0, 0.0, 0
        hire_rows = {r["tier"]: r for r in found["hire"]["tiers"]}
        for i, tier in enumerate(model.tiers):
            r = block.row(i)
            row = rows[tier.name]
            accounts = int(row["accounts"])
            h, needed, need = block.headcount(i, accounts)
            heads = int(hire_rows[tier.name]["current"])
            cost = max(need, heads) * tier_cost(model, tier)
            today_total += heads
            need_total += need
            hires += max(0, need - heads)
            cost_total += cost
            accounts_total += accounts
            note = (
                f"{row['demoted_to_next_tier']:,} demoted to the next tier down"
                if part == "redesign" and row.get("demoted_to_next_tier")
                else ""
            )
            sheet.add(
                name,
                Formula(f"=Capacity!$A${i + 2}", tier.name),
                None,
                accounts,
                Formula(
                    f'=IF(D${block.total}>0,D{r}/D${block.total}*100,"")',
                    _pct(accounts, found["accounts_after"]),
                ),
                None,
                None,
                h,
                needed,
                heads,
                Formula(f"=IF(I{r}>J{r},I{r}-J{r},0)", max(0, need - heads)),
                Formula(f"=IF(I{r}>J{r},I{r},J{r})*{block.cost_ref(i)}", cost),
                None,
                note or None,
            )
        verdict = found["verdict"] if part == "redesign" else label
        block.add_total(
            accounts_total,
            None,
            need_total,
            today_total,
            hires,
            cost_total,
            f"{verdict}; cost {result['cost_pct_arr']}% of the grown ARR",
        )
