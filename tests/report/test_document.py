"""The document: recipe order, the same figures in HTML and Markdown, self-contained, print-ready,
escaped user text, missing parts stated, churn validation."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from tierform.cli.main import cli
from tierform.core.book import read_book
from tierform.core.checks import Check
from tierform.core.health.score import score_health
from tierform.core.loader import load_model_text, starter_text
from tierform.core.segment import segment
from tierform.errors import TierformError
from tierform.report import prepare, write_report
from tierform.report.document import Fig
from tierform.report.html import render_html
from tierform.report.markdown import escape_md, render_markdown
from tierform.report.recipe import recovery_for
from tierform.report.sections_spec import build_document
from tierform.report.workbook import build_workbook

from .conftest import AS_OF, ExampleRun

RECIPE_ORDER = [
    "Tier definitions",
    "Tier distribution",
    "Capacity plan",
    "Books of business",
    "Playbook library and lifecycle coverage",
    "Health-score specification",
    "Automation rules",
    "Checks against the recipe's benchmarks",
]
SVG_NS = "http://www.w3.org/2000/svg"


def test_sections_follow_the_recipe(example_run: ExampleRun) -> None:
    html = example_run.html.read_text(encoding="utf-8")
    markdown = example_run.markdown.read_text(encoding="utf-8")
    assert re.findall(r"<h2>\d+\. ([^<]+)</h2>", html) == [
        t.replace("'", "&#x27;") for t in RECIPE_ORDER
    ]
    assert re.findall(r"^## \d+\. (.+)$", markdown, re.M) == RECIPE_ORDER


def test_markdown_carries_the_same_figures(example_run: ExampleRun) -> None:
    html = example_run.html.read_text(encoding="utf-8")
    markdown = example_run.markdown.read_text(encoding="utf-8")
    shown = set(re.findall(r'data-key="[^"]+" data-value="[^"]*">([^<]+)<', html))
    assert len(shown) > 40
    for text in shown:
        assert escape_md(text.replace("&#x27;", "'").replace("&amp;", "&")) in markdown, text
    for chart in ("chart-distribution", "chart-capacity", "chart-health"):
        assert f"](charts/{chart}.svg)" in markdown
        svg = (example_run.out / "charts" / f"{chart}.svg").read_text(encoding="utf-8")
        assert svg.startswith(f'<svg xmlns="{SVG_NS}"')


def test_html_is_self_contained_and_print_ready(example_run: ExampleRun) -> None:
    html = example_run.html.read_text(encoding="utf-8")
    for forbidden in ("<script", "<link", "<img", "@import", "@font-face", "<iframe"):
        assert forbidden not in html.lower(), forbidden
    assert set(re.findall(r"https?://[^\"' )]+", html)) == {SVG_NS}
    assert set(re.findall(r"url\(([^)]*)\)", html)) <= {
        f"#{c}-p{k}"
        for c in ("chart-distribution", "chart-capacity", "chart-health")
        for k in range(4)
    }
    assert "@media print" in html and "break-inside:avoid" in html
    # Every chart series has a fill pattern besides its colour, and every bar a text label.
    assert html.count("<pattern") >= 5
    for status in ("✓ pass", "! warn", "✗ fail"):
        assert status in html


def test_user_text_is_escaped(hostile_csv: Path, tmp_path: Path) -> None:
    text = starter_text().replace("SMB / Growth", 'SMB <b>&</b> "Growth" | *x*')
    model = load_model_text(text, "names.yaml")
    data = prepare(model, read_book(hostile_csv, model.accounts), as_of=AS_OF)
    files = write_report(data, tmp_path)
    html = files.html.read_text(encoding="utf-8")
    assert "<b>&</b>" not in html and "SMB &lt;b&gt;&amp;&lt;/b&gt; &quot;Growth&quot;" in html
    svg = files.charts[0].read_text(encoding="utf-8")
    assert "SMB &lt;b&gt;&amp;&lt;/b&gt;" in svg
    markdown = files.markdown.read_text(encoding="utf-8")
    assert 'SMB \\<b\\>&\\</b\\> "Growth" \\| \\*x\\*' in markdown


def test_missing_parts_are_stated(
    hostile_csv: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import tierform.core.design as design_module

    def failing(part: str) -> Any:
        def fail(*_args: Any, **_kwargs: Any) -> Any:
            raise TierformError(f"{part} input is unusable")

        return fail

    for name, part in (
        ("score_health", "health"),
        ("coverage_matrix", "playbooks"),
        ("run_rules", "rules"),
    ):
        monkeypatch.setattr(design_module, name, failing(part))
    model = load_model_text(starter_text(), "starter.yaml")
    data = prepare(model, read_book(hostile_csv, model.accounts), as_of=AS_OF)
    doc = build_document(data)
    assert [s.title for s in doc.sections] == RECIPE_ORDER
    assert len(doc.missing) == 2  # health and playbooks; the rules list stands, its run is a note
    html = render_html(doc)
    for part in ("health", "playbooks"):
        assert re.search(f"Missing:</strong>[^<]*{part} input is unusable", html)
    assert "Rule actions could not be computed: rules input is unusable" in html
    assert "Lifecycle coverage from the tiers&#x27; touchpoints" in html
    assert "Not checked, because the part is missing" in html
    assert "chart-health" not in html
    sheets = {s.title: s for s in build_workbook(data).sheets}
    for title in ("Playbooks", "Health"):
        first = sheets[title].rows[0][0]
        assert first is not None and str(getattr(first, "value", "")).startswith("Missing: ")
    assert "> **Missing:**" in render_markdown(doc)


def test_churn_history_file_validates_the_score(hostile_csv: Path, tmp_path: Path) -> None:
    """--churn: the validation figures are the score-retention correlation of that history."""
    with open(hostile_csv, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    book_csv, churn_csv = tmp_path / "book.csv", tmp_path / "churn.csv"
    with open(book_csv, "w", newline="", encoding="utf-8") as fh:
        fields = [f for f in rows[0] if f != "churned"]
        writer = csv.DictWriter(fh, fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    churned = [r["account_id"] for r in rows if r["churned"] == "true"]
    churn_csv.write_text("account_id\n" + "\n".join(churned) + "\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        [
            "report",
            "--accounts",
            str(book_csv),
            "--churn",
            str(churn_csv),
            "--out",
            str(tmp_path / "out"),
            "--as-of",
            AS_OF.isoformat(),
            "--format",
            "json",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "coverage-model.html").read_text(encoding="utf-8")
    shown = float(
        re.search(r'data-key="health.validation.correlation" data-value="([^"]+)"', html).group(1)
    )
    model = load_model_text(starter_text(), "starter.yaml")
    book = read_book(book_csv, model.accounts)
    score = score_health(model, book, segment(model, book), as_of=AS_OF).score
    retained = np.array([0.0 if a in set(churned) else 1.0 for a in book.ids()])
    ok = ~np.isnan(score)
    assert shown == pytest.approx(np.corrcoef(score[ok], retained[ok])[0, 1], abs=5e-5)


def test_cli_json_summary(example_run: ExampleRun, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "report",
            "--accounts",
            str(example_run.folder / "accounts.csv"),
            "-c",
            str(example_run.folder / "tierform.yaml"),
            "--out",
            str(tmp_path),
            "--as-of",
            AS_OF.isoformat(),
            "--format",
            "json",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert Path(data["files"]["workbook"]).exists() and Path(data["files"]["html"]).exists()
    assert sum(data["checks"].values()) > 10 and data["missing"] == {}


def test_readme_command_prints_the_files(example_run: ExampleRun) -> None:
    for name in ("coverage-model.html", "coverage-model.md", "coverage-model.xlsx"):
        assert name in example_run.stdout


def test_recovery_comes_from_the_check_or_the_recipe() -> None:
    own = Check("arr_concentration", "warn", 50.0, "x", "split the tier")
    assert recovery_for(own) == "split the tier"
    bare = Check("health_clustering", "warn", 62.0, "x")
    assert "usage weight to 45%" in (recovery_for(bare) or "")
    assert recovery_for(Check("tier_coverage", "pass", 100.0, "x")) is None


def test_figures_carry_their_keys() -> None:
    fig = Fig("$1,000", "capacity.total_cost", 1000.0)
    assert 'data-key="capacity.total_cost" data-value="1000.0"' in render_html(
        _one_figure_document(fig)
    )


def _one_figure_document(fig: Fig) -> Any:
    from tierform.report.document import Document, Paragraph, Section

    return Document("t", "s", sections=[Section("x", "X").add(Paragraph([fig]))])
