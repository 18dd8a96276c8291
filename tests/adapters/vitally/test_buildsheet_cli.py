"""`tierform buildsheet` on a Vitally target: the deliverable file, exact steps, --done."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from tierform.cli.main import cli

from .test_cli import project  # noqa: F401 -- the fixture: example model + Vitally workspace


def _buildsheet(project: Path, *args: str):  # noqa: F811
    return CliRunner().invoke(
        cli,
        [
            "buildsheet",
            "-c",
            str(project / "tierform.yaml"),
            "--accounts",
            str(project / "accounts.csv"),
            "--as-of",
            "2025-01-15",
            *args,
        ],
    )


def test_files_are_exact_and_unverified_steps_can_be_marked_done(project, fake):  # noqa: F811
    md = project / "build.md"
    result = _buildsheet(project, "--out", str(md))
    assert result.exit_code == 0, result.output
    text = md.read_text(encoding="utf-8")
    # Exact steps: no Python reprs of per-tier thresholds, no placeholder responder.
    assert "{'" not in text and "responder" not in text
    assert re.search(r"Trigger for tier Enterprise \(filter .*tf_tier.* is `Enterprise`\)", text)
    # A playbook: Vitally cannot read playbooks, so it is unverified until marked.
    step = "playbook:enterprise_onboarding"
    assert re.search(rf"`{step}` \| platform admin \| unverified \|", text)

    marked = _buildsheet(project, "--done", step, "--by", "Jo Admin", "--out", str(md))
    assert marked.exit_code == 0, marked.output
    again = md.read_text(encoding="utf-8")
    marked_row = rf"`{step}` \| platform admin \| done \(marked by Jo Admin\) \| \d{{4}}-"
    assert re.search(marked_row, again)

    html = project / "build.html"
    assert _buildsheet(project, "--out", str(html)).exit_code == 0
    assert "done (marked by Jo Admin)" in html.read_text(encoding="utf-8")
    xlsx = project / "build.xlsx"
    assert _buildsheet(project, "--out", str(xlsx)).exit_code == 0
    ws = openpyxl.load_workbook(xlsx)["Build sheet"]
    header = [c.value for c in ws[1]]
    assert header[:6] == ["#", "step", "id", "owner", "status", "date"]
    statuses = {r[2]: r[4] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert statuses[step] == "done (marked by Jo Admin)"
    assert not any("{'" in str(c) for r in ws.iter_rows(values_only=True) for c in r if c)


def test_unknown_step_is_refused_with_the_list(project, fake):  # noqa: F811
    result = _buildsheet(project, "--done", "playbook:nope")
    assert result.exit_code == 1
    assert "no build-sheet step 'playbook:nope'" in result.output
    assert "playbook:enterprise_onboarding" in result.output
    assert fake.log.writes() == []  # a build sheet never writes to the platform
