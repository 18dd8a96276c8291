"""Document sections for playbooks, health, rules and checks, plus the summary and assembly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from tierform.core.health.score import HealthResult
from tierform.core.health.spec import HealthSpec, Linear, Percentile, Thresholds
from tierform.core.model import LifecycleStage
from tierform.core.playbooks.library import CoverageMatrix
from tierform.core.playbooks.spec import Playbook, Step
from tierform.report import charts
from tierform.report.document import (
    Badge,
    Block,
    Chart,
    Document,
    Fig,
    Heading,
    Inline,
    KeyFigures,
    Notice,
    Paragraph,
    Section,
    Table,
)
from tierform.report.format import count, label, number, pct
from tierform.report.recipe import recipe_reference, recovery_for
from tierform.report.results import MISSING, ReportData
from tierform.report.sections_core import (
    books_of_business,
    capacity_plan,
    fig_count,
    fig_money,
    fig_pct,
    tier_definitions,
    tier_distribution,
)
from tierform.report.sections_plan import (
    boundary_blocks,
    choices,
    executive_blocks,
    growth_blocks,
    header_lines,
    platform_section,
    rollout_section,
)
from tierform.report.tabulate import compact, scalar_text


def touchpoint_matrix(data: ReportData) -> Table:
    """Lifecycle stage x tier from the tiers' touchpoints (recipe step 2)."""
    tiers = data.model.tiers
    return Table(
        ["Lifecycle stage", *[t.name for t in tiers]],
        [[label(s.value), *[t.touchpoints.get(s) or "GAP" for t in tiers]] for s in LifecycleStage],
        caption="Lifecycle coverage from the tiers' touchpoints",
    )


OWNERS = {"named_csm": "Named CSM", "pool": "Pool", "automation": "Automation"}


def steps_text(steps: list[Step], sep: str = "; ") -> str:
    return sep.join(f"Day {s.day}: {s.action} ({s.channel})" for s in steps)


def arrows(text: str | None) -> str:
    return "—" if not text else text.replace(" -> ", " → ")


def playbook_table(playbooks: list[Playbook]) -> Table:
    return Table(
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
        [
            [
                pb.name,
                label(pb.stage),
                ", ".join(pb.tiers),
                pb.trigger,
                OWNERS.get(pb.owner, label(pb.owner)),
                steps_text(pb.steps, "\n"),
                "\n".join(pb.success_criteria),
                arrows(pb.escalation),
            ]
            for pb in playbooks
        ],
        wide=frozenset({5}),
    )


def matrix_table(matrix: CoverageMatrix) -> Table:
    rows: list[list[Inline]] = []
    for stage in matrix.stages:
        row: list[Inline] = [label(stage)]
        for tier in matrix.tiers:
            cell = matrix.cell(stage, tier)
            if cell.playbooks:
                row.append("Playbook: " + ", ".join(cell.playbooks))
            elif cell.touchpoint:
                row.append("Touchpoint: " + cell.touchpoint)
            else:
                row.append(f"GAP: {cell.fix}" if cell.fix else "GAP")
        rows.append(row)
    return Table(["Lifecycle stage", *matrix.tiers], rows)


def playbook_library(data: ReportData, js: dict[str, Any]) -> Section:
    section = Section("playbooks", "Playbook library and lifecycle coverage")
    matrix = data.matrix
    if matrix is None:
        why = data.missing("playbooks") or MISSING["playbooks"] + "."
        return section.add(
            Notice(
                "missing",
                why + " The lifecycle coverage below comes from the tiers' touchpoints.",
            ),
            touchpoint_matrix(data),
        )
    grade = js["playbooks"]["grade"]
    gaps = len(matrix.gaps)
    section.add(
        Paragraph(
            [
                "Playbook coverage grade: ",
                Fig(grade, "playbooks.grade", grade),
                " (recipe benchmark: onboarding + renewal minimum; + adoption + expansion "
                "good; all stages + escalation paths excellent). Lifecycle gaps: ",
                fig_count(gaps, None),
                ".",
            ]
        ),
        Heading("Lifecycle coverage matrix"),
        matrix_table(matrix),
        Heading("Playbooks"),
        playbook_table(data.playbooks),
    )
    return section


def _band_chart(data: ReportData) -> list[Block]:
    names = data.band_names()
    by_tier = data.health_by_tier()
    tiers = [t.name for t in data.model.tiers]
    rows: list[list[Inline]] = [
        [tiers[i], *[fig_count(counts[b], f"health_by_tier.{i}.{b}") for b in names]]
        for i, counts in enumerate(by_tier)
    ]
    table = Table(
        ["Tier", *[label(b) for b in names]],
        rows,
        frozenset(range(1, len(names) + 1)),
        caption="Accounts per health band",
    )
    styles = [
        charts.BAND_STYLES.get(b.lower(), charts.SERIES_STYLES[k % 4]) for k, b in enumerate(names)
    ]
    svg = charts.stacked_bars(
        "chart-health",
        "Health-band distribution per tier",
        tiers,
        [charts.Series(label(b), [c[b] for c in by_tier], styles[k]) for k, b in enumerate(names)],
    )
    return [table, Chart("chart-health", "Health-band distribution per tier", svg)]


def band_ranges(spec: HealthSpec) -> list[tuple[str, str]]:
    """(band, score range) with half-open ranges, highest band first."""
    bands = sorted(spec.bands or [], key=lambda b: -b.min)
    out, top = [], None
    for b in bands:
        out.append(
            (
                b.name,
                f"{number(b.min)}–100" if top is None else f"{number(b.min)} to < {number(top)}",
            )
        )
        top = b.min
    return out


def weights_table(result: HealthResult) -> Table:
    weights = result.weights
    default: dict[str, float] = weights.get("default", {})
    tiers: dict[str, dict[str, float]] = weights.get("tiers", {})
    dims = list(dict.fromkeys([*default, *(d for w in tiers.values() for d in w)]))
    return Table(
        ["Dimension", "Default weight", *tiers],
        [
            [label(d), pct(default.get(d), 0), *[pct(w.get(d), 0) for w in tiers.values()]]
            for d in dims
        ],
        frozenset(range(1, len(tiers) + 2)),
        caption="Dimension weights (% of the score) per tier",
    )


def normaliser_text(norm: Linear | Thresholds | Percentile) -> str:
    """How a signal becomes 0-100, in words."""
    if isinstance(norm, Linear):
        return f"linear: {number(norm.worst, 4)} scores 0, {number(norm.best, 4)} scores 100"
    if isinstance(norm, Thresholds):
        return "steps: " + ", ".join(f"from {number(v, 4)} → {number(sc)}" for v, sc in norm.steps)
    better = "higher" if norm.higher_is_better else "lower"
    return f"percentile within the {norm.within} ({better} is better)"


def signals_table(spec: HealthSpec, result: HealthResult) -> Table:
    absent = set(result.signals_absent)
    rows: list[list[Inline]] = []
    for name, sig in (spec.signals or {}).items():
        rows.append(
            [
                name,
                label(sig.dimension),
                sig.column or name,
                number(sig.weight),
                normaliser_text(sig.normalise),
                sig.missing or spec.missing.signal,
                "not in the book" if name in absent else "used",
            ]
        )
    return Table(
        ["Signal", "Dimension", "Column", "Weight", "Normaliser", "If blank", "In this book"],
        rows,
        caption="Signals and how each is put on a 0-100 scale",
    )


VALIDATION_LABELS = {
    "source": ("Churn history from", ""),
    "accounts": ("Accounts with a score and a known outcome", ""),
    "churned": ("Churned accounts", ""),
    "correlation": ("Score-retention correlation (benchmark > 0.4 / 0.6 / 0.75)", ""),
    "auc": ("AUC (a retained account outscores a churned one)", ""),
    "churned_below_60": ("Churned accounts scoring below 60", "%"),
    "retained_below_60": ("Retained accounts scoring below 60", "%"),
    "churn_threshold": ("Churn threshold (score)", ""),
    "churned_below_threshold": ("Churned accounts scoring below the threshold", "%"),
    "mean_score_churned": ("Mean score, churned", ""),
    "mean_score_retained": ("Mean score, retained", ""),
    "grade": ("Correlation grade", ""),
}


def health_spec(data: ReportData, js: dict[str, Any]) -> Section:
    section = Section("health", "Health-score specification")
    result = data.health
    if result is None:
        return section.add(Notice("missing", data.missing("health") or MISSING["health"] + "."))
    spec = data.health_spec
    section.add(
        Paragraph(
            [
                "Score = weighted mean of the dimension scores (0-100) with the weights of "
                "the account's tier; a dimension is the weighted mean of its signals. "
                f"Missing data: a blank signal is handled by '{spec.missing.signal}', a "
                f"dimension with no signal by '{spec.missing.dimension}' (neutral score "
                f"{number(spec.missing.neutral_score)}), never as zero."
            ]
        ),
        weights_table(result),
        signals_table(spec, result),
        Table(["Band", "Score"], [[label(n), r] for n, r in band_ranges(spec)], caption="Bands"),
    )
    responses: dict[str, dict[str, str]] = spec.responses or {}
    names = [b.name for b in spec.bands or []]
    section.add(
        Table(
            ["Tier", *[label(b) for b in names]],
            [[t, *[alerts.get(b, "—") for b in names]] for t, alerts in responses.items()],
            caption="Response rules: who is alerted at each band",
        )
    )
    validation = js["health"].get("validation")
    section.add(Heading("Validation against churn history"))
    if validation:
        rows: list[list[Inline]] = []
        for k, v in validation.items():
            name, unit = VALIDATION_LABELS.get(k, (label(k), ""))
            if isinstance(v, int | float) and not isinstance(v, bool):
                text = pct(v, 1) if unit == "%" else number(v, 4)
                rows.append([name, Fig(text, f"health.validation.{k}", v)])
            else:
                rows.append([name, scalar_text(v)])
        section.add(Table(["Figure", "Value"], rows, frozenset({1})))
    else:
        section.add(
            Notice(
                "note",
                "No churn history: pass --churn FILE or add a churned column "
                "to the account book to validate the score.",
            )
        )
    section.add(Heading("Health bands per tier"), *_band_chart(data))
    return section


def spec_text(obj: BaseModel) -> str:
    """A rule part in one line, without its default settings: ``type: key value; ...``."""
    data = obj.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
    kind = data.pop("type", None)
    body = "; ".join(f"{label(k).lower()} {compact(v)}" for k, v in data.items())
    return f"{kind}: {body}" if kind and body else str(kind or body or "always")


def automation_rules(data: ReportData) -> Section:
    section = Section("rules", "Automation rules")
    run, tests = data.rule_run, data.rule_tests
    due = run.by_rule() if run is not None else {}
    cases: dict[str, list[bool]] = {}
    for case in tests.cases if tests is not None else []:
        cases.setdefault(case.rule, []).append(bool(case.passed))
    rows: list[list[Inline]] = []
    for rule in data.rules:
        results = cases.get(rule.name, [])
        rows.append(
            [
                rule.name,
                rule.description or "—",
                spec_text(rule.trigger),
                spec_text(rule.condition),
                "\n".join(spec_text(a) for a in rule.actions),
                "yes" if rule.enabled else "no",
                f"{sum(results)} of {len(results)}" if results else "—",
                fig_count(due.get(rule.name, 0), None) if run is not None else "—",
            ]
        )
    if tests is not None:
        rate = tests.pass_rate
        section.add(
            Paragraph(
                [
                    "Rule tests (the model's cases and five generated accounts per "
                    "rule, recipe step 6): ",
                    Fig(pct(rate, 1), "rules.pass_rate", rate),
                    " passed (",
                    tests.grade,
                    "; benchmark > 80% minimum, > 95% good, 100% excellent).",
                ]
            )
        )
    note = data.rules_note()
    if note:
        section.add(Notice("note", note))
    as_of = run.as_of if run is not None else None
    return section.add(
        Table(
            [
                "Rule",
                "Purpose",
                "Trigger",
                "Condition",
                "Actions",
                "Enabled",
                "Tests passed",
                f"Due {as_of.isoformat()}" if as_of else "Due now",
            ],
            rows,
            frozenset({6, 7}),
        )
    )


def checks_section(data: ReportData) -> Section:
    rows: list[list[Inline]] = []
    for area, prefix, check in data.checks():
        figure = check.figure
        shown: Inline = (
            "—"
            if figure is None
            else Fig(
                number(figure, 2) if isinstance(figure, int | float) else str(figure),
                f"{prefix}.figure",
                figure,
            )
        )
        reference = recipe_reference(check)[0] or "—"
        rows.append(
            [
                Badge(check.status),
                area,
                check.id,
                shown,
                check.message
                + (f" ({check.grade})" if check.grade and check.grade not in check.message else ""),
                recovery_for(check) or "—",
                reference,
            ]
        )
    section = Section("checks", "Checks against the recipe's benchmarks")
    section.add(
        Paragraph(
            ["Every check with its status and, for a warning or failure, the recovery action."]
        ),
        Table(
            ["Status", "Area", "Check", "Figure", "Finding", "Recovery action", "Recipe"],
            rows,
            frozenset({3}),
            wide=frozenset({4, 5}),
        ),
    )
    missing = data.missing_parts()
    if missing:
        section.add(
            Notice(
                "missing",
                "Not checked, because the part is missing: " + "; ".join(missing.values()),
            )
        )
    return section


def summary(data: ReportData, js: dict[str, Any]) -> list[Block]:
    cap, seg = js["capacity"], js["segment"]
    cur = data.model.currency
    checks = [c for _, _, c in data.checks()]
    tally = {s: sum(1 for c in checks if c.status == s) for s in ("pass", "warn", "fail")}
    grade = next((c.grade for c in data.cap.checks if c.id == "cost_pct_arr"), None)
    blocks: list[Block] = [
        KeyFigures(
            [
                ("Accounts", fig_count(seg["summary"]["accounts"], "segment.summary.accounts")),
                ("Tiered", fig_count(seg["summary"]["assigned"], "segment.summary.assigned")),
                ("ARR", fig_money(sum(t["arr"] for t in seg["tiers"]), None, cur)),
                ("CSMs needed", fig_count(cap["total_headcount"], "capacity.total_headcount")),
                ("CSM cost", fig_money(cap["total_cost"], "capacity.total_cost", cur)),
                (
                    "Cost % of ARR" + (f" ({grade})" if grade else ""),
                    fig_pct(cap["cost_pct_arr"], "capacity.cost_pct_arr", 2),
                ),
            ]
        )
    ]
    blocks.append(
        Paragraph(
            [
                "Checks: ",
                Badge("pass"),
                " ",
                fig_count(tally["pass"], None),
                "   ",
                Badge("warn"),
                " ",
                fig_count(tally["warn"], None),
                "   ",
                Badge("fail"),
                " ",
                fig_count(tally["fail"], None),
                " (details in the last section).",
            ]
        )
    )
    for text in data.missing_parts().values():
        blocks.append(Notice("missing", text))
    return blocks


def build_document(data: ReportData, growth_pct: float | None = None) -> Document:
    """The whole coverage-model document: header, executive summary and approval, the recipe's
    sections in its order, then the platform and rollout plan (``growth_pct``: the growth
    scenario, default 40 %)."""
    js = data.to_dict()
    book = data.book
    ch = choices(data, growth_pct)
    subtitle = (
        f"{count(len(book))} accounts from {Path(book.source).name}; "
        f"{len(data.model.tiers)} tiers; currency {data.model.currency}"
    )
    distribution = tier_distribution(data, js).add(*boundary_blocks(data, ch))
    capacity = capacity_plan(data, js).add(*growth_blocks(data, ch))
    return Document(
        title=data.model.name,
        subtitle=subtitle,
        summary=summary(data, js) + executive_blocks(data, ch),
        sections=[
            tier_definitions(data),
            distribution,
            capacity,
            books_of_business(data, js),
            playbook_library(data, js),
            health_spec(data, js),
            automation_rules(data),
            checks_section(data),
        ],
        missing=list(data.missing_parts().values()),
        header=header_lines(data),
        plan=[platform_section(data, ch), rollout_section(data, ch)],
    )
