"""The workbook stores each formula's result, has a Scenarios sheet, filters and validation, and
writes its per-account sheet from columns exactly as XlsxWriter writes cells."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import zipfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from openpyxl import load_workbook

from tierform.core.book import read_book
from tierform.core.capacity import grade_cost
from tierform.core.loader import default_model
from tierform.report import gather
from tierform.report.workbook import build_workbook
from tierform.workbook.spec import Column, ColumnRows, SheetSpec, WorkbookSpec
from tierform.workbook.xlsxwriter_sink import write_xlsx

from .conftest import AS_OF, Engine, ExampleRun


def _ceil(accounts: int, ratio: float | None, buffer: float) -> int:
    if ratio is None or accounts == 0:
        return 0
    return math.ceil(Fraction(accounts) / Fraction(str(ratio)) * Fraction(str(buffer)))


def test_cached_capacity_figures_are_the_engine(example_run: ExampleRun, engine: Engine) -> None:
    ws = load_workbook(example_run.workbook, data_only=True)["Capacity"]
    cap, model = engine.cap, engine.model
    for i, t in enumerate(cap.tiers):
        row = [c.value for c in ws[i + 2]]
        tier = model.tiers[i]
        ratio = tier.ratio.target if tier.has_csm and tier.ratio else None
        assert row[0] == t.name
        assert row[1] == t.accounts
        assert row[2] == pytest.approx(t.arr, rel=1e-12)
        assert row[5] == pytest.approx(t.fte, rel=1e-12)
        assert row[6] == t.headcount == _ceil(t.accounts, ratio, model.capacity.buffer)
        assert row[8] == pytest.approx(t.cost)
        assert row[9] == (None if t.arr_per_csm is None else pytest.approx(t.arr_per_csm))
        assert row[10] == (None if t.cost_pct_arr is None else pytest.approx(t.cost_pct_arr))
    total = [c.value for c in ws[len(cap.tiers) + 2]]
    assert total[6] == cap.total_headcount
    assert total[8] == pytest.approx(cap.total_cost)
    assert total[10] == pytest.approx(cap.cost_pct_arr)
    assert total[11] == grade_cost(model, cap.cost_pct_arr)[1]


def test_every_formula_has_a_cached_value(example_run: ExampleRun) -> None:
    """Each ``<f>`` in the sheets' XML is followed by its stored result ``<v>``."""
    with zipfile.ZipFile(example_run.workbook) as zf:
        sheets = [zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/worksheets/")]
    formulas = sum(x.count("<f>") for x in sheets)
    with_value = sum(len(re.findall(r"<f>[^<]*</f><v>", x)) for x in sheets)
    assert formulas > 100 and with_value == formulas


def _scenario_rows(path: Path, name: str) -> list[list[Any]]:
    ws = load_workbook(path, data_only=True)["Scenarios"]
    return [list(r) for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == name]


def test_natural_breaks_match_a_hand_count(example_run: ExampleRun, engine: Engine) -> None:
    rows = _scenario_rows(example_run.workbook, "Natural breaks")
    model = engine.model
    tiers = rows[:-1]
    assert [r[1] for r in tiers] == [t.name for t in model.tiers]
    acv = engine.book.acv[np.isfinite(engine.book.acv)]
    bounds = sorted(r[2] for r in tiers)
    assert bounds[0] == 0
    for r in tiers:
        lo = r[2]
        hi = min((b for b in bounds if b > lo), default=math.inf)
        members = acv[(acv >= lo) & (acv < hi)]
        assert r[3] == len(members)
        assert r[5] == pytest.approx(float(members.sum()), abs=0.01)
        tier = model.tiers[model.tier_index(r[1])]
        ratio = tier.ratio.target if tier.has_csm and tier.ratio else None
        assert r[8] == _ceil(len(members), ratio, model.capacity.buffer)
    # the breaks are the optimum of the within-cluster squares of log10 ACV: moving any one
    # break to a neighbouring ACV does not lower it
    positive = acv[acv > 0]

    def cost(edges: list[float]) -> float:
        total = 0.0
        for lo, hi in zip(edges, [*edges[1:], math.inf], strict=True):
            part = np.log10(positive[(positive >= lo) & (positive < hi)])
            total += float(((part - part.mean()) ** 2).sum()) if part.size else 0.0
        return total

    best = cost(bounds)
    uniq = np.unique(acv[acv > 0])
    for k in range(1, len(bounds)):
        at = int(np.searchsorted(uniq, bounds[k]))
        for step in (-1, 1):
            if 0 < at + step < len(uniq):
                moved = bounds.copy()
                moved[k] = float(uniq[at + step])
                assert cost(sorted(moved)) >= best - 1e-9
    total = rows[-1]
    assert total[3] == len(acv[acv >= 0])


def test_growth_hire_and_redesign(example_run: ExampleRun, engine: Engine) -> None:
    model, buffer = engine.model, engine.model.capacity.buffer
    n = len(engine.book)
    add = round(n * 40 / 100)
    hire = _scenario_rows(example_run.workbook, "Growth: hire")
    redesign = _scenario_rows(example_run.workbook, "Growth: redesign")
    assert hire[-1][3] == n - int((engine.seg.tier < 0).sum()) + add
    hires, cost = 0, 0.0
    for r in hire[:-1]:
        tier = model.tiers[model.tier_index(r[1])]
        ratio = tier.ratio.target if tier.has_csm and tier.ratio else None
        need = _ceil(r[3], ratio, buffer)
        assert r[8] == need
        assert r[10] == max(0, need - r[9])
        unit = tier.csm_cost if tier.csm_cost is not None else model.capacity.csm_cost
        assert r[11] == pytest.approx(max(need, r[9]) * unit)
        hires += r[10]
        cost += r[11]
    assert hire[-1][10] == hires and hire[-1][11] == pytest.approx(cost)
    # redesign: headcount per tier stays at today's unless even the demotions cannot hold it
    assert sum(r[3] for r in redesign[:-1]) == hire[-1][3]
    for r in redesign[:-1]:
        tier = model.tiers[model.tier_index(r[1])]
        ratio = tier.ratio.target if tier.has_csm and tier.ratio else None
        assert r[8] == _ceil(r[3], ratio, buffer)
    if redesign[-1][10] == 0:
        assert "holds headcount flat" in redesign[-1][13] or hires == 0


def test_filters_frozen_headers_and_validation(example_run: ExampleRun, engine: Engine) -> None:
    wb = load_workbook(example_run.workbook)
    for title in ("Inputs", "Tiers", "Capacity", "Scenarios", "Assignments", "Rules", "Checks"):
        ws = wb[title]
        assert ws.freeze_panes == "A2", title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), title
    inputs = wb["Inputs"]
    rows = {r[3].value: r[0].row for r in inputs.iter_rows(min_row=2)}
    rules = {str(dv.sqref): dv for dv in inputs.data_validations.dataValidation}
    buffer = rules[f"B{rows['capacity.buffer']}"]
    assert (buffer.operator, buffer.formula1) == ("greaterThanOrEqual", "1")
    for i, _tier in enumerate(engine.model.tiers):
        dv = rules[f"B{rows[f'tiers.{i}.ratio.target']}"]
        assert dv.type == "decimal" and dv.operator in (None, "between")
        assert dv.formula1 == f"$B${rows[f'tiers.{i}.ratio.min']}"
        assert dv.formula2 == f"$B${rows[f'tiers.{i}.ratio.max']}"
    (tier_list,) = wb["Assignments"].data_validations.dataValidation
    assert tier_list.type == "list"
    assert tier_list.formula1 == f"Tiers!$A$2:$A${len(engine.model.tiers) + 1}"
    assert str(tier_list.sqref).startswith("C2:")


def test_control_characters_are_replaced_and_noted(hostile_csv: Path, tmp_path: Path) -> None:
    model = default_model()
    book = read_book(hostile_csv, model.accounts)
    names = book.table.column("name").to_pylist()
    names[3] = "Bell\x07 & <Co>"
    import pyarrow as pa

    book.table = book.table.set_column(
        book.table.column_names.index("name"), "name", pa.array(names)
    )
    path = tmp_path / "w.xlsx"
    notes = write_xlsx(build_workbook(gather(model, book, as_of=AS_OF)), path)
    assert notes.replaced == {"Assignments": 1}
    ws = load_workbook(path)["Assignments"]
    assert ws["B5"].value == "Bell\ufffd & <Co>" and ws["B5"].data_type == "s"
    assert "replaced" in ws["A1"].comment.text


def _sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read("xl/worksheets/sheet1.xml").decode()


def test_column_rows_are_written_as_xlsxwriter_writes_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    columns = [
        Column("text", ["a", None, " lead", "=1+1", "x_x0041_y", "<&>"]),
        Column("number", [1.0, 2.5, None, 3000.0, float("nan"), 16022.65]),
        Column("text", [None, None, "", "b", "c", "d"]),
    ]
    sheet = SheetSpec(
        "s", "S", ["A", "B", "C"], rows=ColumnRows(columns), number_formats={2: "#,##0"}
    )
    fast = tmp_path / "fast.xlsx"
    write_xlsx(WorkbookSpec([sheet]), fast)
    import tierform.workbook.xlsxwriter_rows as rows_module

    monkeypatch.setattr(rows_module, "_has_row_stream", lambda ws: False)
    slow = tmp_path / "slow.xlsx"
    write_xlsx(WorkbookSpec([sheet]), slow)
    assert _sheet_xml(fast) == _sheet_xml(slow)
    values = [list(r) for r in load_workbook(fast).active.iter_rows(min_row=2, values_only=True)]
    assert values[3] == ["=1+1", 3000, "b"]
    assert load_workbook(fast).active["A5"].data_type == "s"
    # a literal _xHHHH_ is escaped as Excel escapes it, so Excel shows the text unchanged
    assert "<t>x_x005F_x0041_y</t>" in _sheet_xml(fast)


@pytest.mark.skipif(
    shutil.which("soffice") is None and shutil.which("libreoffice") is None,
    reason="LibreOffice is not installed",
)
def test_libreoffice_recalculation_equals_the_cached_values(
    example_run: ExampleRun, tmp_path: Path
) -> None:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    done = subprocess.run(
        [
            str(exe),
            "--headless",
            "--norestore",
            f"-env:UserInstallation={tmp_path.as_uri()}/lo",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path / "lo"),
            str(example_run.workbook),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    again = load_workbook(tmp_path / "lo" / example_run.workbook.name, data_only=True)
    cached = load_workbook(example_run.workbook, data_only=True)
    for title in ("Capacity", "Scenarios"):
        for a, b in zip(
            cached[title].iter_rows(values_only=True),
            again[title].iter_rows(values_only=True),
            strict=False,
        ):
            for x, y in zip(a, b, strict=False):
                if isinstance(x, int | float) and isinstance(y, int | float):
                    assert y == pytest.approx(x, rel=1e-9, abs=1e-9)
