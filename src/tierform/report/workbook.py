"""The coverage model as a workbook spec a CS leader can change and re-read.

``Inputs`` holds every tunable (ratios, buffer, CSM cost, thresholds) as one value per row with
its model key; ``Tiers`` holds the tier definitions. ``Capacity`` computes from them with live,
portable formulas (COUNTIF/SUMIF over ``Assignments``, ``ROUNDUP`` rather than one-argument
``CEILING``), so editing a ratio recomputes the plan in Excel, LibreOffice or Sheets and gives
exactly the engine's figures. ``Model`` carries the rest of ``tierform.yaml`` so that reading the
workbook back (:mod:`tierform.report.readback`) gives the whole model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from tierform.core.book import AccountBook
from tierform.core.capacity import CapacityResult, tier_cost
from tierform.core.model import CoverageModel, LifecycleStage, Tier
from tierform.core.segment import Reason, SegmentResult
from tierform.report.format import label
from tierform.report.recipe import recipe_reference, recovery_for
from tierform.report.results import MISSING, ReportData
from tierform.report.sections_core import trigger_text
from tierform.report.sections_spec import VALIDATION_LABELS, steps_text
from tierform.report.tabulate import compact, is_scalar, plain_data
from tierform.report.workbook_scenarios import scenarios_sheet
from tierform.workbook.spec import (
    Column,
    ColumnRows,
    Formula,
    SheetSpec,
    Text,
    Validation,
    WorkbookSpec,
    column_letter,
)

INPUTS, TIERS, CAPACITY, ASSIGNMENTS = "Inputs", "Tiers", "Capacity", "Assignments"
PLAYBOOKS, HEALTH, RULES, CHECKS, MODEL = "Playbooks", "Health", "Rules", "Checks", "Model"
MONEY, DECIMAL, PERCENT = "#,##0", "0.00", "0.00"

TIER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Tier", "name"),
    ("Min ACV", "min_acv"),
    ("Max ACV", "max_acv"),
    ("Touch model", "touch_model"),
    ("Coverage layer", "layer"),
    ("Pool", "pool"),
    ("Score min", "score_min"),
    ("Hiring trigger note", "hiring_trigger.note"),
    *((f"Touchpoint: {s.value}", f"touchpoints.{s.value}") for s in LifecycleStage),
)
"""(header, model field) of the Tiers sheet's definition columns; read back by header."""

MODEL_SHEET_HEADER = "tierform.yaml: the sections not on the Inputs and Tiers sheets"
LABELS = {
    "name": "Model name",
    "currency": "Currency",
    "capacity.buffer": "Capacity buffer (PTO, ramp, attrition)",
    "capacity.csm_cost": "Fully loaded cost per CSM per year",
    "capacity.max_arr_per_csm": "ARR per CSM must stay below",
    "capacity.high_touch_reallocate_above": "High-touch accounts per CSM that call for "
    "re-allocation",
    "segmentation.method": "Segmentation method (acv or multi_factor)",
    "segmentation.strategic_override": "Strategic accounts go to the top tier",
    "segmentation.max_tier_arr_share": "Warn when one tier holds more than this % of ARR",
    "segmentation.min_coverage_pct": "Minimum % of accounts tiered",
    "accounts.missing_acv_warn_pct": "Warn when more than this % of accounts lack ACV",
    "segmentation.hysteresis.margin_pct": "Hysteresis: keep the previous tier within this % of "
    "a bound",
    "segmentation.hysteresis.margin_points": "Hysteresis (multi-factor): score points",
    "segmentation.arr_scale.floor": "ARR score 0 at this ACV (multi-factor)",
    "segmentation.arr_scale.ceiling": "ARR score 100 at this ACV (multi-factor)",
    **{
        f"segmentation.weights.{k}": f"Multi-factor weight: {k} (%)"
        for k in ("arr", "complexity", "growth", "strategic")
    },
    **{
        f"capacity.cost_benchmark.{band}.{end}": f"CSM cost % of ARR, {band} band: {end}"
        for band in ("minimum", "good", "excellent")
        for end in ("low", "high")
    },
}
NOTES = {
    "capacity.buffer": "1.15 = 15% on top of accounts / ratio (recipe step 3)",
    "capacity.csm_cost": "per CSM per year; Capacity multiplies it by the CSMs needed",
    "segmentation.method": "acv: tier bounds on ACV; multi_factor: weighted score",
    "segmentation.hysteresis.margin_pct": "blank both hysteresis rows to switch it off",
}
ACCOUNT_INPUTS = ("missing_acv_warn_pct",)


HEADROOM = 1000  # rows below the last account that the live formulas already count
EXCEL_MAX_ROW = 1_048_576


@dataclass(frozen=True)
class Ranges:
    """Absolute references to Assignments columns, down to the last row the formulas count.

    Bounded (not whole-column) ranges keep recalculation fast; the headroom lets a leader add
    accounts below the last row, and rows inserted inside the range extend it.
    """

    sheet: SheetSpec
    last: int

    def __call__(self, header: str) -> str:
        col = self.sheet.column_letter(header)
        return f"{ASSIGNMENTS}!${col}$2:${col}${self.last}"

    def has(self, header: str) -> bool:
        return header in self.sheet.header


def assignment_ranges(sheet: SheetSpec) -> Ranges:
    n = len(sheet.rows)
    return Ranges(sheet, min(n + 1 + max(HEADROOM, n), EXCEL_MAX_ROW))


def criterion(cell: str, wildcards: bool) -> str:
    """An exact-match COUNTIF/SUMIF criterion for the text in ``cell``: a leading ``<``, ``>``
    or ``=`` is not read as a comparison, and ``*``, ``?``, ``~`` are escaped when any name
    has them (they are wildcards in criteria)."""
    if wildcards:
        cell = f'SUBSTITUTE(SUBSTITUTE(SUBSTITUTE({cell},"~","~~"),"*","~*"),"?","~?")'
    return f'"="&{cell}'


def has_wildcards(names: list[str]) -> bool:
    return any(ch in name for name in names for ch in "*?~")


class Inputs:
    """The Inputs sheet: one tunable per row; ``ref(key)`` is its absolute cell address."""

    def __init__(self) -> None:
        self.sheet = SheetSpec(
            "inputs", INPUTS, ["Input", "Value", "Note", "Key"], widths={1: 52, 2: 16, 3: 40, 4: 40}
        )
        self.rows: dict[str, int] = {}

    def add(self, key: str, value: Any, name: str | None = None, note: str = "") -> None:
        self.sheet.add(
            name or LABELS.get(key) or label(key.replace(".", " ")),
            value,
            note or NOTES.get(key),
            Text(key),
        )
        self.rows[key] = len(self.sheet.rows) + 1

    def ref(self, key: str) -> str:
        return f"{INPUTS}!$B${self.rows[key]}"

    def add_leaves(self, prefix: str, data: dict[str, Any]) -> None:
        for k, v in data.items():
            if isinstance(v, dict):
                self.add_leaves(f"{prefix}.{k}", v)
            else:
                self.add(f"{prefix}.{k}", v)


def inputs_sheet(model: CoverageModel) -> Inputs:
    inputs = Inputs()
    inputs.add("name", model.name)
    inputs.add("currency", model.currency)
    inputs.add_leaves("capacity", model.capacity.model_dump(mode="json"))
    seg = model.segmentation.model_dump(mode="json")
    if seg["hysteresis"] is None:  # keep the rows so a leader can switch it on
        from tierform.core.model import Hysteresis

        seg["hysteresis"] = dict.fromkeys(Hysteresis.model_fields)
    inputs.add_leaves("segmentation", seg)
    for k in ACCOUNT_INPUTS:
        inputs.add(f"accounts.{k}", getattr(model.accounts, k))
    for i, tier in enumerate(model.tiers):
        key, ratio = f"tiers.{i}", tier.ratio
        note = "blank = no CSM" if ratio is None else "Capacity sizes the tier with this"
        inputs.add(
            f"{key}.ratio.target",
            ratio and ratio.target,
            f"{tier.name}: accounts per CSM (target)",
            note,
        )
        inputs.add(
            f"{key}.ratio.min", ratio and ratio.min, f"{tier.name}: accounts per CSM, benchmark low"
        )
        inputs.add(
            f"{key}.ratio.max",
            ratio and ratio.max,
            f"{tier.name}: accounts per CSM, benchmark high",
        )
        inputs.add(
            f"{key}.csm_cost",
            tier.csm_cost,
            f"{tier.name}: cost per CSM override",
            "blank = the model's cost per CSM",
        )
        trigger = tier.hiring_trigger
        inputs.add(
            f"{key}.hiring_trigger.max_accounts",
            trigger and trigger.max_accounts,
            f"{tier.name}: hire when a CSM holds more accounts than",
        )
        inputs.add(
            f"{key}.hiring_trigger.max_arr",
            trigger and trigger.max_arr,
            f"{tier.name}: hire when a CSM holds more ARR than",
        )
        share = tier.benchmark_share
        inputs.add(
            f"{key}.benchmark_share.low",
            share and share[0],
            f"{tier.name}: benchmark share of accounts, low %",
        )
        inputs.add(
            f"{key}.benchmark_share.high",
            share and share[1],
            f"{tier.name}: benchmark share of accounts, high %",
        )
    return inputs


def _tier_value(tier: Tier, field: str) -> Any:
    if field == "hiring_trigger.note":
        return tier.hiring_trigger.note if tier.hiring_trigger else None
    if field.startswith("touchpoints."):
        return tier.touchpoints.get(LifecycleStage(field.split(".", 1)[1]))
    value = getattr(tier, field)
    return getattr(value, "value", value)


def tiers_sheet(
    model: CoverageModel, inputs: Inputs, ranges: Ranges, cap: CapacityResult | None = None
) -> SheetSpec:
    live = ["Accounts per CSM (target)", "Accounts", "ARR", "% of accounts", "% of ARR"]
    sheet = SheetSpec(
        "tiers",
        TIERS,
        [h for h, _ in TIER_COLUMNS] + live,
        widths={1: 18, 2: 12, 3: 12, 4: 14, 5: 14, 6: 16, 7: 10, 8: 30},
    )
    first = len(TIER_COLUMNS) + 1
    for c in range(9, first):
        sheet.widths[c] = 34
    n = len(model.tiers)
    arr_total = f"SUM({CAPACITY}!$C$2:$C${n + 1})"
    accounts = f"COUNTA({ranges('Account ID')})"
    rows = len(ranges.sheet.rows)
    total_arr = sum(t.arr for t in cap.tiers) if cap else 0.0
    for i, tier in enumerate(model.tiers):
        r, ratio = i + 2, inputs.ref(f"tiers.{i}.ratio.target")
        t = cap.tiers[i] if cap else None
        values: list[Any] = [_tier_value(tier, f) for _, f in TIER_COLUMNS]
        values += [
            Formula(f'=IF({ratio}="","",{ratio})', tier.ratio.target if tier.ratio else ""),
            Formula(f"={CAPACITY}!B{r}", t and t.accounts),
            Formula(f"={CAPACITY}!C{r}", t and t.arr),
            Formula(
                f"=IF({accounts}>0,{CAPACITY}!B{r}/{accounts}*100,0)",
                t and (t.accounts / rows * 100 if rows else 0),
            ),
            Formula(
                f"=IF({arr_total}>0,{CAPACITY}!C{r}/{arr_total}*100,0)",
                t and (t.arr / total_arr * 100 if total_arr > 0 else 0),
            ),
        ]
        sheet.add(*values)
    sheet.filter_rows = n
    sheet.number_formats.update(
        {2: MONEY, 3: MONEY, first + 2: MONEY, first + 3: PERCENT, first + 4: PERCENT}
    )
    return sheet


CAPACITY_HEADER = [
    "Tier",
    "Accounts",
    "ARR",
    "Accounts per CSM",
    "Buffer",
    "FTE",
    "CSMs needed",
    "Cost per CSM",
    "CSM cost",
    "ARR per CSM",
    "Cost % of ARR",
    "ARR per CSM check",
    "CSMs today",
    "Hiring trigger",
]


def capacity_sheet(data: ReportData, inputs: Inputs, ranges: Ranges) -> SheetSpec:
    """Headcount per tier from live formulas; the total row carries the cost grade."""
    model = data.model
    sheet = SheetSpec(
        "capacity",
        CAPACITY,
        list(CAPACITY_HEADER),
        widths={1: 18.0, 14: 44.0} | {c: 14.0 for c in range(2, 14)},
    )
    tiers_col, acv = ranges("Tier"), ranges("ACV")
    wild = has_wildcards([t.name for t in model.tiers])
    buffer, cost, max_arr = (
        inputs.ref("capacity.buffer"),
        inputs.ref("capacity.csm_cost"),
        inputs.ref("capacity.max_arr_per_csm"),
    )
    current = data.current.per_tier
    cap = data.cap
    for i, tier in enumerate(model.tiers):
        r, t = i + 2, cap.tiers[i]
        ratio, override = inputs.ref(f"tiers.{i}.ratio.target"), inputs.ref(f"tiers.{i}.csm_cost")
        ratio_cell = (
            Formula(f'=IF({ratio}="","",{ratio})', "" if t.target_ratio is None else t.target_ratio)
            if tier.has_csm
            else None
        )
        check = next((c for c in cap.checks if c.id == f"arr_per_csm:{t.name}"), None)
        sheet.add(
            Formula(f"={TIERS}!$A${r}", tier.name),
            Formula(f"=COUNTIF({tiers_col},{criterion(f'$A{r}', wild)})", t.accounts),
            Formula(f"=SUMIF({tiers_col},{criterion(f'$A{r}', wild)},{acv})", t.arr),
            ratio_cell,
            Formula(f"={buffer}", model.capacity.buffer),
            Formula(f'=IF(D{r}="",0,B{r}/D{r}*E{r})', t.fte),
            Formula(f'=IF(D{r}="",0,ROUNDUP(ROUND(B{r}/D{r}*E{r},9),0))', t.headcount),
            Formula(f'=IF({override}="",{cost},{override})', tier_cost(model, tier)),
            Formula(f"=G{r}*H{r}", t.cost),
            Formula(f'=IF(G{r}>0,C{r}/G{r},"")', t.arr_per_csm),
            Formula(f'=IF(C{r}>0,I{r}/C{r}*100,"")', t.cost_pct_arr),
            Formula(f'=IF(J{r}="","",IF(J{r}<{max_arr},"pass","fail"))', check and check.status),
            None if current is None else current[i],
            trigger_text(tier, model.currency),
        )
    last, t_row = len(model.tiers) + 1, len(model.tiers) + 2
    grade = next((c.grade for c in cap.checks if c.id == "cost_pct_arr"), None)
    sheet.add(
        "Total",
        Formula(f"=SUM(B2:B{last})", sum(t.accounts for t in cap.tiers)),
        Formula(f"=SUM(C2:C{last})", sum(t.arr for t in cap.tiers)),
        None,
        None,
        Formula(f"=SUM(F2:F{last})", sum(t.fte for t in cap.tiers)),
        Formula(f"=SUM(G2:G{last})", cap.total_headcount),
        None,
        Formula(f"=SUM(I2:I{last})", cap.total_cost),
        None,
        Formula(f'=IF(C{t_row}>0,I{t_row}/C{t_row}*100,"")', cap.cost_pct_arr),
        Formula(grade_formula(f"K{t_row}", inputs), grade),
        None if current is None else Formula(f"=SUM(M2:M{last})", sum(current)),
        "Total row: the cost grade sits under ARR per CSM check",
    )
    sheet.filter_rows = len(model.tiers)
    sheet.number_formats.update({3: MONEY, 6: DECIMAL, 8: MONEY, 9: MONEY, 10: MONEY, 11: PERCENT})
    sheet.note = (
        f"Required CSMs = ROUNDUP(accounts / ratio x buffer). Counts re-read "
        f"{ASSIGNMENTS}; ratios, buffer and costs come from {INPUTS}."
    )
    return sheet


def grade_formula(cell: str, inputs: Inputs) -> str:
    """The recipe's cost-% grade, best band first (as the engine grades it)."""

    def band(name: str) -> str:
        lo = inputs.ref(f"capacity.cost_benchmark.{name}.low")
        hi = inputs.ref(f"capacity.cost_benchmark.{name}.high")
        return f"AND({cell}>={lo},{cell}<={hi})"

    return (
        f'=IF({cell}="","",IF({band("excellent")},"excellent",IF({band("good")},"good",'
        f'IF({band("minimum")},"minimum acceptable","below minimum"))))'
    )


def assignments_sheet(data: ReportData) -> SheetSpec:
    """One row per account, held as columns (:class:`ColumnRows`): a million accounts are a
    dozen arrays, not a million row lists."""
    book, seg = data.book, data.seg
    health = data.health
    assign = data.books
    header = [
        "Account ID",
        "Account name",
        "Tier",
        "ACV",
        "ACV source",
        "Reason",
        "Owner today",
        "Proposed owner",
    ]
    n = len(book)
    acv = book.acv
    source = np.where(np.isnan(acv), 0, np.where(book.acv_proxied, 1, 2))
    proposed = pa.nulls(n, pa.string()) if assign is None else pa.array(assign.owner, pa.string())
    columns = [
        Column("text", book.table.column("account_id")),
        Column("text", pc.fill_null(_text_column(book, "name"), "")),
        Column("text", _tier_names(seg)),
        Column("number", acv),
        Column("text", _coded(source, ["", "product-tier proxy", "export"])),
        Column("text", _reasons(seg)),
        Column("text", pc.dictionary_encode(_text_column(book, "owner"))),
        Column("text", pc.dictionary_encode(proposed)),
    ]
    if health is not None:
        header += ["Health score", "Health band"]
        names = [str(b) for b in health.band_names]
        columns += [
            Column("number", np.asarray(health.score, dtype=np.float64)),
            Column("text", _coded(np.asarray(health.band_index), names)),
        ]
    return SheetSpec(
        "assignments",
        ASSIGNMENTS,
        header,
        rows=ColumnRows(columns),
        widths={1: 14, 2: 30, 3: 16, 4: 12, 5: 16, 6: 44, 7: 16, 8: 16},
        number_formats={4: MONEY},
        filter_rows=n,
    )


def _text_column(book: AccountBook, name: str) -> pa.Array:
    col = book.column(name)
    if col is None:
        return pa.nulls(len(book), pa.string())
    arr = col.combine_chunks() if col.num_chunks else pa.array([], pa.string())
    return arr if pa.types.is_string(arr.type) else arr.cast(pa.string())


def _coded(index: np.ndarray, texts: list[str]) -> pa.DictionaryArray:
    """One of ``texts`` per account by its index (blank where the index is negative), as a
    dictionary array: each distinct text is escaped and written once."""
    codes = pa.array(np.asarray(index, dtype=np.int32), mask=np.asarray(index) < 0)
    return pa.DictionaryArray.from_arrays(codes, pa.array(texts, pa.string()))


def _tier_names(seg: SegmentResult) -> pa.DictionaryArray:
    return _coded(np.asarray(seg.tier), [t.name for t in seg.model.tiers])


def _reasons(seg: SegmentResult) -> pa.DictionaryArray:
    """Each account's reason text, as :meth:`SegmentResult.assignments` words it, built once per
    distinct (reason, tier, proxied) and spread by index."""
    tiers = [t.name for t in seg.model.tiers]
    tier = np.asarray(seg.tier, dtype=np.int64)
    reason = np.asarray(seg.reason, dtype=np.int64)
    proxied = np.asarray(seg.book.acv_proxied, dtype=np.int64)
    key = (reason * (len(tiers) + 1) + (tier + 1)) * 2 + proxied
    uniq, inverse = np.unique(key, return_inverse=True)
    texts = []
    for k in uniq.tolist():
        rest, px = divmod(k, 2)
        r, t = divmod(rest, len(tiers) + 1)
        texts.append(Reason(r).describe(tiers[t - 1] if t else "", bool(px)))
    return _coded(inverse.reshape(-1), texts)


def _missing_sheet(key: str, title: str, missing: str, width: int = 6) -> SheetSpec:
    sheet = SheetSpec(
        key, title, [title] + [""] * (width - 1), widths={c: 28.0 for c in range(1, width + 1)}
    )
    sheet.add(Text("Missing: " + missing))
    return sheet


def playbooks_sheet(data: ReportData) -> SheetSpec:
    model, matrix = data.model, data.matrix
    if matrix is None:
        why = data.missing("playbooks") or MISSING["playbooks"]
        sheet = _missing_sheet("playbooks", PLAYBOOKS, why, len(model.tiers) + 1)
        sheet.add(None)
        sheet.add(Text("Lifecycle coverage from the tiers' touchpoints"))
        sheet.add("Lifecycle stage", *[t.name for t in model.tiers])
        for s in LifecycleStage:
            sheet.add(label(s.value), *[t.touchpoints.get(s) or "GAP" for t in model.tiers])
        return sheet
    sheet = SheetSpec(
        "playbooks",
        PLAYBOOKS,
        [
            "Playbook",
            "Stage",
            "Tiers",
            "Trigger",
            "Owner",
            "Day 0-90 actions",
            "Success criteria",
            "Escalation",
        ],
        widths={1: 30, 2: 14, 3: 24, 4: 36, 5: 12, 6: 70, 7: 44, 8: 30},
    )
    for pb in data.playbooks:
        sheet.add(
            Text(pb.name),
            pb.stage,
            Text(", ".join(pb.tiers)),
            Text(pb.trigger),
            pb.owner,
            Text(steps_text(pb.steps)),
            Text("; ".join(pb.success_criteria)),
            None if pb.escalation is None else Text(pb.escalation),
        )
    sheet.filter_rows = len(sheet.rows)
    sheet.add(None)
    sheet.add(Text(f"Lifecycle coverage matrix (grade: {matrix.grade})"))
    sheet.add("Lifecycle stage", *matrix.tiers)
    for stage in matrix.stages:
        cells = [matrix.cell(stage, t) for t in matrix.tiers]
        sheet.add(
            label(stage),
            *[
                Text(", ".join(c.playbooks))
                if c.playbooks
                else Text(f"touchpoint: {c.touchpoint}")
                if c.touchpoint
                else Text(f"GAP: {c.fix or ''}")
                for c in cells
            ],
        )
    return sheet


def health_sheet(data: ReportData, ranges: Ranges) -> SheetSpec:
    result = data.health
    tiers = [t.name for t in data.model.tiers]
    if result is None:
        return _missing_sheet("health", HEALTH, data.missing("health") or MISSING["health"])
    spec = data.health_spec
    names = data.band_names()
    width = max(len(tiers), len(names)) + 2
    sheet = SheetSpec(
        "health",
        HEALTH,
        ["Health score"] + [""] * (width - 1),
        widths={1: 30.0} | {c: 18.0 for c in range(2, width + 1)},
    )
    weights = result.weights
    sheet.add(Text("Dimension weights (% of the score)"))
    sheet.add("Dimension", "Default", *weights["tiers"])
    default = weights["default"]
    dims = list(dict.fromkeys([*default, *(d for w in weights["tiers"].values() for d in w)]))
    for d in dims:
        sheet.add(d, default.get(d), *[w.get(d) for w in weights["tiers"].values()])
    sheet.add(None)
    sheet.add(Text("Bands (lowest score of each band)"))
    for band in spec.bands or []:
        sheet.add(Text(band.name), band.min)
    sheet.add(None)
    sheet.add(Text("Response rules: who is alerted at each band"))
    sheet.add("Tier", *names)
    for tier, alerts in (spec.responses or {}).items():
        sheet.add(Text(tier), *[None if alerts.get(b) is None else Text(alerts[b]) for b in names])
    sheet.add(None)
    sheet.add(Text("Validation against churn history"))
    if result.validation:
        for k, v in result.validation.items():
            sheet.add(
                Text(VALIDATION_LABELS.get(k, (label(k), ""))[0]), v if is_scalar(v) else compact(v)
            )
    else:
        sheet.add(Text("no churn history given (--churn FILE or a churned column)"))
    if not ranges.has("Health band") or not names:
        return sheet
    sheet.add(None)
    sheet.add(Text("Accounts per health band and tier (live: COUNTIFS over Assignments)"))
    sheet.add("Tier", *names)
    head = len(sheet.rows) + 1
    wild = has_wildcards(tiers + names)
    by_tier = data.health_by_tier()
    for i in range(len(tiers)):
        r = len(sheet.rows) + 2
        sheet.add(
            Formula(f"={TIERS}!$A${i + 2}", tiers[i]),
            *[
                Formula(
                    f"=COUNTIFS({ranges('Tier')},{criterion(f'$A{r}', wild)},"
                    f"{ranges('Health band')},"
                    f"{criterion(f'{column_letter(k + 2)}${head}', wild)})",
                    by_tier[i].get(names[k], 0),
                )
                for k in range(len(names))
            ],
        )
    return sheet


def rules_sheet(data: ReportData) -> SheetSpec:
    sheet = SheetSpec(
        "rules",
        RULES,
        ["Rule", "Purpose", "Trigger", "Condition", "Actions", "Enabled", "Test cases"],
        widths={1: 28, 2: 40, 3: 50, 4: 40, 5: 60, 6: 9, 7: 10},
        filter_rows=len(data.rules),
    )
    for rule in data.rules:
        sheet.add(
            Text(rule.name),
            Text(rule.description or ""),
            Text(compact(plain_data(rule.trigger))),
            Text(compact(plain_data(rule.condition))),
            Text(compact(plain_data(rule.actions))),
            rule.enabled,
            len(rule.tests),
        )
    return sheet


def checks_sheet(data: ReportData) -> SheetSpec:
    sheet = SheetSpec(
        "checks",
        CHECKS,
        ["Status", "Area", "Check", "Figure", "Grade", "Finding", "Recovery action", "Recipe"],
        widths={1: 8, 2: 11, 3: 28, 4: 14, 5: 18, 6: 70, 7: 70, 8: 20},
    )
    for area, _, check in data.checks():
        figure = check.figure
        sheet.add(
            check.status,
            area,
            Text(check.id),
            figure
            if isinstance(figure, int | float)
            else (None if figure is None else Text(str(figure))),
            check.grade,
            check.message,
            recovery_for(check),
            recipe_reference(check)[0],
        )
    for text in data.missing_parts().values():
        sheet.add("missing", None, None, None, None, text)
    sheet.filter_rows = len(sheet.rows)
    return sheet


def rest_of_model(model: CoverageModel) -> dict[str, Any]:
    """The model's sections that are not on Inputs or Tiers, as plain data (settings equal to
    their default are left out: reading them back gives the default again)."""
    data = model.model_dump(mode="json", exclude_defaults=True)
    for key in ("name", "currency", "tiers", "segmentation", "capacity"):
        data.pop(key, None)
    for key in ACCOUNT_INPUTS:
        data.get("accounts", {}).pop(key, None)
    if data.get("accounts") == {}:
        del data["accounts"]
    return data


def model_sheet(model: CoverageModel) -> SheetSpec:
    text = yaml.safe_dump(rest_of_model(model), sort_keys=False, allow_unicode=True, width=1000)
    sheet = SheetSpec("model", MODEL, [MODEL_SHEET_HEADER], widths={1: 100})
    for line in text.splitlines():
        sheet.add(Text(line))
    return sheet


def validate_inputs(inputs: Inputs, model: CoverageModel) -> None:
    """Data validation on Inputs: each target ratio within its benchmark min and max, the
    buffer at least 1 (as ``tierform validate`` requires)."""
    sheet = inputs.sheet
    row = inputs.rows["capacity.buffer"]
    sheet.validations.append(
        Validation(row, 2, row, "minimum", low=1, message="the buffer is at least 1 (1.15 = 15%)")
    )
    for i, tier in enumerate(model.tiers):
        key = f"tiers.{i}.ratio"
        lo, hi, target = (inputs.rows[f"{key}.{end}"] for end in ("min", "max", "target"))
        sheet.validations.append(
            Validation(
                target,
                2,
                target,
                "between",
                low=f"=$B${lo}",
                high=f"=$B${hi}",
                message=f"{tier.name}: the target ratio lies within its benchmark min and max",
            )
        )
        for end in (lo, hi):
            sheet.validations.append(
                Validation(end, 2, end, "minimum", low=1, message="accounts per CSM: at least 1")
            )
    sheet.filter_rows = len(sheet.rows)


def build_workbook(data: ReportData, growth_pct: float | None = None) -> WorkbookSpec:
    """Every sheet of the coverage-model workbook, in the order a leader reads them
    (``growth_pct``: the Scenarios sheet's growth, default 40 %)."""
    model = data.model
    inputs = inputs_sheet(model)
    validate_inputs(inputs, model)
    assignments = assignments_sheet(data)
    ranges = assignment_ranges(assignments)
    n = len(model.tiers)
    assignments.validations.append(
        Validation(
            2,
            assignments.header.index("Tier") + 1,
            ranges.last,
            "list",
            source=f"={TIERS}!$A$2:$A${n + 1}",
            message="pick one of the tiers on the Tiers sheet",
        )
    )
    return WorkbookSpec(
        [
            inputs.sheet,
            tiers_sheet(model, inputs, ranges, data.cap),
            capacity_sheet(data, inputs, ranges),
            scenarios_sheet(data, inputs.ref, ranges("ACV"), growth_pct),
            assignments,
            playbooks_sheet(data),
            health_sheet(data, ranges),
            rules_sheet(data),
            checks_sheet(data),
            model_sheet(model),
        ]
    )
