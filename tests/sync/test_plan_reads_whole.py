"""`tierform sync` against an xlsx target compiles the desired state once: the workbook is read
whole whatever the scope, so the read gets an empty desired state. The plan must be the one
the general path (desired state compiled for the read, then again for the plan) gives."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import tierform.sync.desired as desired_mod
from tierform.adapters.xlsx import XlsxAdapter
from tierform.cli.main import cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(EXAMPLES / "accounts.csv", tmp_path / "accounts.csv")
    text = (EXAMPLES / "tierform.yaml").read_text(encoding="utf-8")
    text = re.sub(
        r"targets:\n(?:  .*\n|    .*\n)*",
        "targets:\n  workbook:\n    platform: xlsx\n    path: tracking.xlsx\n",
        text,
    )
    (tmp_path / "tierform.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def _sync(project: Path, *args: str) -> Any:
    return CliRunner().invoke(
        cli,
        [
            "sync",
            "-c",
            str(project / "tierform.yaml"),
            "--accounts",
            str(project / "accounts.csv"),
            "--as-of",
            "2025-01-15",
            *args,
        ],
    )


def _raise_acv(path: Path, rows: int) -> None:
    """Multiply the ACV of the first ``rows`` accounts by 40 (tier moves: updates and tasks)."""
    with path.open(newline="", encoding="utf-8") as fh:
        table = list(csv.reader(fh))
    col = table[0].index("Annual Contract Value")
    for row in [r for r in table[1:] if r[col]][:rows]:
        value = float(row[col].replace("$", "").replace(",", ""))
        row[col] = f"{value * 40:.2f}"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(table)


def _plan(project: Path, monkeypatch: pytest.MonkeyPatch, whole: bool) -> tuple[dict, int]:
    calls = []
    real = desired_mod.desired_state

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(desired_mod, "desired_state", counted)
        m.setattr(XlsxAdapter, "reads_whole", whole)
        result = _sync(project, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout[result.stdout.index("{") :]), len(calls)


def test_plan_compiles_once_and_matches_the_general_path(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    applied = _sync(project, "--apply", "--force")
    assert applied.exit_code == 0, applied.output
    _raise_acv(project / "accounts.csv", 25)  # the workbook now lags the book

    fast, fast_calls = _plan(project, monkeypatch, whole=True)
    general, general_calls = _plan(project, monkeypatch, whole=False)

    assert (fast_calls, general_calls) == (1, 2)
    assert fast["changes"], "the edited book must give a non-empty plan"
    assert fast["changes"] == general["changes"]
    assert fast["checksum"] == general["checksum"]
    assert fast["warnings"] == general["warnings"]
