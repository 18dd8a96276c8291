"""The workbook: live formulas that recompute to the engine's figures, a lossless round trip,
user text that never becomes a formula, and safe writes."""

from __future__ import annotations

import csv
import math
import re
import shutil
import subprocess
import zipfile
from collections import Counter
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.formula import Tokenizer

from tierform.cli.main import cli
from tierform.core.book import read_book
from tierform.core.capacity import plan_capacity
from tierform.core.loader import default_model, load_model_text, starter_text
from tierform.core.model import CoverageModel
from tierform.core.segment import segment
from tierform.errors import ConfigError
from tierform.report import gather, read_model
from tierform.report.workbook import build_workbook
from tierform.workbook.xlsx import write_workbook

from .conftest import AS_OF, HOSTILE_NAMES, Engine, ExampleRun

PORTABLE = {
    "ROUNDUP",
    "ROUND",
    "COUNTIF",
    "COUNTIFS",
    "SUMIF",
    "SUM",
    "IF",
    "AND",
    "COUNTA",
    "SUBSTITUTE",
}


def evaluate(path: Path) -> dict[str, Any]:
    """Every cell's value as a formula evaluator computes it: {'CAPACITY!G2': 3, ...}."""
    import formulas

    solution = formulas.ExcelModel().loads(str(path)).finish().calculate()
    out: dict[str, Any] = {}
    for key, value in solution.items():
        found = re.fullmatch(r"'\[[^]]+\](.+)'!([A-Z]+[0-9]+)", key)
        if found:
            cell = value.value[0][0]
            out[f"{found.group(1).upper()}!{found.group(2)}"] = (
                cell.item() if hasattr(cell, "item") else cell
            )
    return out


def number_or_blank(value: Any) -> float | None:
    return None if value == "" or value is None or str(value) == "empty" else float(value)


def input_row(path: Path, key: str) -> int:
    ws = load_workbook(path)["Inputs"]
    for row in ws.iter_rows(min_row=2):
        if row[3].value == key:
            return row[0].row
    raise KeyError(key)


def edit_inputs(source: Path, target: Path, values: dict[str, Any]) -> None:
    wb = load_workbook(source)
    ws = wb["Inputs"]
    rows = {r[3].value: r[0].row for r in ws.iter_rows(min_row=2)}
    for key, value in values.items():
        ws.cell(row=rows[key], column=2).value = value
    wb.save(target)


@pytest.fixture(scope="module")
def evaluated(example_run: ExampleRun) -> dict[str, Any]:
    return evaluate(example_run.workbook)


def hand_count(folder: Path, model: CoverageModel) -> tuple[Counter[str], dict[str, float]]:
    """Accounts and ARR per tier straight from the CSV: ACV bounds, the product-tier proxy for
    a blank ACV, strategic accounts to the top tier (the example has no previous_tier)."""
    cols = model.accounts.columns
    top = max(model.tiers, key=lambda t: t.min_acv).name
    counts: Counter[str] = Counter()
    arr: dict[str, float] = {}
    with open(folder / "accounts.csv", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert "previous_tier" not in (reader.fieldnames or [])
        for row in reader:
            text = row[cols.get("acv", "acv")].replace("$", "").replace(",", "").strip()
            acv = float(text) if text else model.accounts.product_tier_acv[row["product_tier"]]
            tier = next(t.name for t in model.tiers if t.min_acv <= acv < (t.max_acv or math.inf))
            if row["strategic"].strip().lower() == "true":
                tier = top
            counts[tier] += 1
            arr[tier] = arr.get(tier, 0.0) + acv
    return counts, arr


def test_capacity_formulas_give_the_engine_figures(
    evaluated: dict[str, Any], engine: Engine
) -> None:
    cap = engine.cap
    for i, t in enumerate(cap.tiers):
        r = i + 2
        assert evaluated[f"CAPACITY!A{r}"] == t.name
        assert evaluated[f"CAPACITY!B{r}"] == t.accounts
        assert evaluated[f"CAPACITY!C{r}"] == pytest.approx(t.arr, rel=1e-12)
        assert evaluated[f"CAPACITY!F{r}"] == pytest.approx(t.fte, rel=1e-12)
        assert evaluated[f"CAPACITY!G{r}"] == t.headcount
        assert evaluated[f"CAPACITY!I{r}"] == pytest.approx(t.cost)
        assert number_or_blank(evaluated[f"CAPACITY!J{r}"]) == (
            None if t.arr_per_csm is None else pytest.approx(t.arr_per_csm, rel=1e-12)
        )
        assert number_or_blank(evaluated[f"CAPACITY!K{r}"]) == (
            None if t.cost_pct_arr is None else pytest.approx(t.cost_pct_arr, rel=1e-12)
        )
        check = next((c for c in cap.checks if c.id == f"arr_per_csm:{t.name}"), None)
        assert (evaluated[f"CAPACITY!L{r}"] or None) == (check.status if check else None)
    total = len(cap.tiers) + 2
    assert evaluated[f"CAPACITY!G{total}"] == cap.total_headcount
    assert evaluated[f"CAPACITY!I{total}"] == pytest.approx(cap.total_cost)
    assert evaluated[f"CAPACITY!K{total}"] == pytest.approx(cap.cost_pct_arr, rel=1e-12)
    grade = next(c.grade for c in cap.checks if c.id == "cost_pct_arr")
    assert evaluated[f"CAPACITY!L{total}"] == grade


def test_capacity_matches_a_hand_count_of_the_csv(
    example_run: ExampleRun, evaluated: dict[str, Any], engine: Engine
) -> None:
    model = engine.model
    counts, arr = hand_count(example_run.folder, model)
    buffer = Fraction(str(model.capacity.buffer))
    for i, tier in enumerate(model.tiers):
        needed = 0
        if tier.has_csm and tier.ratio and counts[tier.name]:
            needed = math.ceil(
                Fraction(counts[tier.name]) / Fraction(str(tier.ratio.target)) * buffer
            )
        assert evaluated[f"CAPACITY!B{i + 2}"] == counts[tier.name]
        assert evaluated[f"CAPACITY!C{i + 2}"] == pytest.approx(arr.get(tier.name, 0.0))
        assert evaluated[f"CAPACITY!G{i + 2}"] == needed == engine.cap.tiers[i].headcount


def test_tier_shares_and_health_counts_are_live(evaluated: dict[str, Any], engine: Engine) -> None:
    header = [evaluated.get(f"TIERS!{c}1") for c in "ABCDEFGHIJKLMNOPQRST"]
    share_col = "ABCDEFGHIJKLMNOPQRST"[header.index("% of accounts")]
    arr_col = "ABCDEFGHIJKLMNOPQRST"[header.index("% of ARR")]
    for i, row in enumerate(engine.json["segment"]["tiers"]):
        assert evaluated[f"TIERS!{share_col}{i + 2}"] == pytest.approx(
            row["share_accounts"], abs=0.005
        )
        assert evaluated[f"TIERS!{arr_col}{i + 2}"] == pytest.approx(row["share_arr"], abs=0.005)
    cells = {k: v for k, v in evaluated.items() if k.startswith("HEALTH!")}
    first = next(
        int(k.removeprefix("HEALTH!A"))
        for k, v in cells.items()
        if re.fullmatch(r"HEALTH!A\d+", k) and str(v).startswith("Accounts per health")
    )
    bands = [cells[f"HEALTH!{c}{first + 1}"] for c in "BCDE"]
    counts = Counter((a["tier"], a["band"]) for a in engine.json["health"]["accounts"])
    for i, tier in enumerate(engine.model.tiers):
        for c, band in zip("BCDE", bands, strict=True):
            assert cells[f"HEALTH!{c}{first + 2 + i}"] == counts[(tier.name, band)]


def test_changing_a_ratio_recomputes(
    example_run: ExampleRun, engine: Engine, tmp_path: Path
) -> None:
    edited = tmp_path / "edited.xlsx"
    edit_inputs(example_run.workbook, edited, {"tiers.1.ratio.target": 40, "capacity.buffer": 1.2})
    values = evaluate(edited)
    model = read_model(edited)
    assert model.tiers[1].ratio is not None and model.tiers[1].ratio.target == 40
    plan = plan_capacity(model, segment(model, engine.book))
    mid = engine.cap.tiers[1].accounts
    assert values["CAPACITY!G3"] == math.ceil(Fraction(mid, 40) * Fraction("1.2"))
    for i, t in enumerate(plan.tiers):
        assert values[f"CAPACITY!G{i + 2}"] == t.headcount
    assert values[f"CAPACITY!G{len(plan.tiers) + 2}"] == plan.total_headcount


def test_formulas_use_portable_functions(example_run: ExampleRun) -> None:
    wb = load_workbook(example_run.workbook)
    used: set[str] = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    used |= {
                        t.value.rstrip("(").upper()
                        for t in Tokenizer(c.value).items
                        if t.type == "FUNC" and t.subtype == "OPEN"
                    }
    assert used and used <= PORTABLE, used - PORTABLE
    assert "ROUNDUP" in used and "COUNTIF" in used


def _libreoffice(path: Path, tmp_path: Path) -> Any:
    """The workbook as LibreOffice recalculates it (converted headless, values only)."""
    done = subprocess.run(
        [
            "soffice",
            "--headless",
            "--norestore",
            f"-env:UserInstallation={tmp_path.as_uri()}/lo",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path / "lo"),
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return load_workbook(tmp_path / "lo" / path.name, data_only=True)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_recalculates_to_the_engine(
    example_run: ExampleRun, engine: Engine, tmp_path: Path
) -> None:
    ws = _libreoffice(example_run.workbook, tmp_path)["Capacity"]
    for i, t in enumerate(engine.cap.tiers):
        assert ws.cell(row=i + 2, column=7).value == t.headcount
        assert ws.cell(row=i + 2, column=2).value == t.accounts
    assert ws.cell(row=len(engine.cap.tiers) + 2, column=7).value == engine.cap.total_headcount


def test_example_workbook_reads_back_as_the_model(example_run: ExampleRun, engine: Engine) -> None:
    assert read_model(example_run.workbook) == engine.model


def _edge_model() -> CoverageModel:
    data = yaml.safe_load(starter_text())
    data["segmentation"] = {
        "method": "multi_factor",
        "hysteresis": None,
        "strategic_override": False,
        "max_tier_arr_share": 55,
    }
    data["tiers"][0] |= {"csm_cost": 150000, "score_min": 70, "pool": None}
    data["tiers"][1] |= {"benchmark_share": None, "hiring_trigger": None}
    data["tiers"][3]["ratio"] = {"min": 500, "max": 2000, "target": 1000}  # digital, no CSM
    data["roster"] = [
        {"name": "Ana Ruiz", "tier": "Enterprise", "capacity": 12},
        {"name": "=Sam Lee", "pool": "SMB / Growth pool"},
    ]
    data["capacity"]["cost_benchmark"] = {"good": {"low": 6.5, "high": 9}}
    data["accounts"]["product_tier_acv"] = {"Starter": 3000}
    data["name"] = "+Edge model"
    data["health"] = {
        "weights": {"usage": 45, "engagement": 15, "support": 20, "financial": 20},
        "missing": {"signal": "neutral"},
    }
    return load_model_text(yaml.safe_dump(data, sort_keys=False), "edge.yaml")


@pytest.mark.parametrize("make", [default_model, _edge_model], ids=["default", "edge"])
def test_round_trip_gives_the_same_model(make: Any, hostile_csv: Path, tmp_path: Path) -> None:
    model = make()
    book = read_book(hostile_csv, model.accounts)
    path = tmp_path / "model.xlsx"
    write_workbook(build_workbook(gather(model, book, as_of=AS_OF)), path)
    assert read_model(path) == model


def test_edited_inputs_and_tiers_are_read(example_run: ExampleRun, tmp_path: Path) -> None:
    edited = tmp_path / "edited.xlsx"
    edit_inputs(
        example_run.workbook,
        edited,
        {
            "capacity.buffer": 1.25,
            "segmentation.hysteresis.margin_pct": None,
            "segmentation.hysteresis.margin_points": None,
        },
    )
    wb = load_workbook(edited)
    wb["Tiers"]["B3"] = 30000  # Mid-Market from $30K
    wb["Tiers"]["C4"] = 30000  # SMB / Growth up to $30K
    wb.save(edited)
    model = read_model(edited)
    assert model.capacity.buffer == 1.25
    assert model.segmentation.hysteresis is None
    assert model.tiers[1].min_acv == 30000 and model.tiers[2].max_acv == 30000


def test_a_bad_edit_names_its_cell(example_run: ExampleRun, tmp_path: Path) -> None:
    edited = tmp_path / "edited.xlsx"
    edit_inputs(example_run.workbook, edited, {"capacity.buffer": None})
    row = input_row(edited, "capacity.buffer")
    with pytest.raises(ConfigError) as err:
        read_model(edited)
    assert any(
        issue.key and issue.key.startswith(f"Inputs!B{row} ") for issue in err.value.issues
    ), err.value.issues


def test_a_file_that_is_not_a_readable_workbook_is_named(
    example_run: ExampleRun, tmp_path: Path
) -> None:
    """import-workbook on a CSV, or on a report workbook whose sheet XML was damaged (a
    reference to U+D800, which XML does not allow): one error line, exit 1, nothing written."""
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(example_run.workbook) as src, zipfile.ZipFile(damaged, "w") as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                at = data.index(b"<v>") + 3
                data = data[:at] + b"&#xD800;" + data[at:]
            out.writestr(info, data)
    csv_file = tmp_path / "accounts.csv"
    csv_file.write_text("account_id,acv\nA1,10\n")
    for path in (csv_file, damaged):
        model = tmp_path / "m.yaml"
        result = CliRunner().invoke(cli, ["import-workbook", str(path), "--out", str(model)])
        assert result.exit_code == 1, result.output
        assert result.exception.__class__ is SystemExit
        assert f"error: {path}: not a readable .xlsx workbook" in " ".join(result.output.split())
        assert not model.exists()


def test_user_text_is_never_a_formula(hostile_csv: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "report",
            "--accounts",
            str(hostile_csv),
            "--out",
            str(tmp_path),
            "--as-of",
            AS_OF.isoformat(),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    path = tmp_path / "coverage-model.xlsx"
    ws = load_workbook(path)["Assignments"]
    names = {}
    for row in ws.iter_rows(min_row=2):
        names[row[1].value] = row[1].data_type
    for text in HOSTILE_NAMES:
        assert names[text] == "s", text
    with zipfile.ZipFile(path) as zf:
        sheets = {n: zf.read(n).decode() for n in zf.namelist() if "worksheets/sheet" in n}
    assignments = next(x for x in sheets.values() if "HYPERLINK" in x)
    assert "<f>" not in assignments and "<f " not in assignments


@pytest.mark.parametrize(
    "lock", ["~$coverage-model.xlsx", ".~lock.coverage-model.xlsx#"], ids=["excel", "libreoffice"]
)
def test_a_workbook_open_elsewhere_is_reported(
    example_run: ExampleRun, tmp_path: Path, lock: str
) -> None:
    out = tmp_path / "out"
    shutil.copytree(example_run.out, out)
    before = (out / "coverage-model.xlsx").read_bytes(), (out / "coverage-model.html").read_text()
    (out / lock).write_text("lock")
    result = CliRunner().invoke(
        cli,
        [
            "report",
            "--accounts",
            str(example_run.folder / "accounts.csv"),
            "-c",
            str(example_run.folder / "tierform.yaml"),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 1
    assert "open in another program" in result.output and "close it" in result.output
    after = (out / "coverage-model.xlsx").read_bytes(), (out / "coverage-model.html").read_text()
    assert after == before
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["charts", "coverage-model.html", "coverage-model.md", "coverage-model.xlsx", lock]
    )


def _awkward(hostile_csv: Path, tmp_path: Path, growth: str) -> tuple[Path, Any]:
    text = starter_text().replace("SMB / Growth", growth).replace("Self-Serve", "<5K self-serve")
    model = load_model_text(text, "awkward.yaml")
    data = gather(model, read_book(hostile_csv, model.accounts), as_of=AS_OF)
    path = tmp_path / "awkward.xlsx"
    write_workbook(build_workbook(data), path)
    assert read_model(path) == model
    return path, data


def test_awkward_tier_names_still_count(hostile_csv: Path, tmp_path: Path) -> None:
    """A leading '<' is not a comparison and '*', '?' are not wildcards in the counts."""
    path, data = _awkward(hostile_csv, tmp_path, "SMB* growth?")
    values = evaluate(path)
    for i, t in enumerate(data.cap.tiers):
        assert values[f"CAPACITY!A{i + 2}"] == t.name
        assert values[f"CAPACITY!B{i + 2}"] == t.accounts
        assert values[f"CAPACITY!G{i + 2}"] == t.headcount


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_awkward_tier_names_in_libreoffice(hostile_csv: Path, tmp_path: Path) -> None:
    """The same with '~' too (the formula evaluator above does not implement '~~')."""
    path, data = _awkward(hostile_csv, tmp_path, "SMB* ~growth?")
    ws = _libreoffice(path, tmp_path)["Capacity"]
    for i, t in enumerate(data.cap.tiers):
        assert (ws.cell(row=i + 2, column=2).value, ws.cell(row=i + 2, column=7).value) == (
            t.accounts,
            t.headcount,
        )
