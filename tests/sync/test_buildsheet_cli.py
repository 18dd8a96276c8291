"""`tierform buildsheet` end to end on an in-memory platform that reads fields but cannot
create them, and can neither read nor create segments, playbooks, rules or a health score."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from tierform.cli.main import cli
from tierform.sync.capabilities import Capabilities
from tierform.sync.change import Change, ChangeResult, Op
from tierform.sync.registry import Registry
from tierform.testing.fake import fake_adapter_class

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

FakeUi = fake_adapter_class(
    Capabilities.build(account="rcud", work_item="rcud", field="r"), name="fakeui"
)
PLAYBOOK = "playbook:enterprise_onboarding"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(EXAMPLES / "accounts.csv", tmp_path / "accounts.csv")
    text = (EXAMPLES / "tierform.yaml").read_text(encoding="utf-8")
    text = re.sub(
        r"targets:\n(?:  .*\n|    .*\n)*", "targets:\n  cs:\n    platform: fakeui\n", text
    )
    (tmp_path / "tierform.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setattr(Registry, "discover", classmethod(lambda cls: Registry.of([FakeUi])))
    return tmp_path


def _run(project: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli,
        [
            args[0],
            "-c",
            str(project / "tierform.yaml"),
            "--accounts",
            str(project / "accounts.csv"),
            "--as-of",
            "2025-01-15",
            *args[1:],
        ],
    )


def _rows(md: str) -> dict[str, list[str]]:
    """Table rows of the Markdown sheet: id -> [step, owner, status, date]."""
    out = {}
    for line in md.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) == 6 and cells[2].startswith("`"):
            out[cells[2].strip("`")] = [cells[1], cells[3], cells[4], cells[5]]
    return out


def test_statuses_owner_and_dates_then_a_mark_shows_in_later_plans(project: Path) -> None:
    md = project / "sheet.md"
    result = _run(project, "buildsheet", "--out", str(md))
    assert result.exit_code == 0, result.output
    rows = _rows(md.read_text(encoding="utf-8"))
    # Fields: readable, not creatable, absent on the empty platform -> missing, checked today.
    assert rows["field:tf_tier"][1:] == ["platform admin", "missing", "2025-01-15"]
    # A playbook the platform cannot read: unverified, no date.
    assert rows[PLAYBOOK][1:] == ["platform admin", "unverified", ""]

    refused = _run(project, "buildsheet", "--done", "field:tf_tier")
    assert (
        refused.exit_code == 1 and "verified from the platform (status missing)" in refused.output
    )
    unknown = _run(project, "buildsheet", "--done", "playbook:nope")
    assert unknown.exit_code == 1 and "no build-sheet step 'playbook:nope'" in unknown.output

    marked = _run(project, "buildsheet", "--done", PLAYBOOK, "--by", "Jo Admin", "--out", str(md))
    assert marked.exit_code == 0, marked.output
    row = _rows(md.read_text(encoding="utf-8"))[PLAYBOOK]
    assert row[2] == "done (marked by Jo Admin)" and re.fullmatch(r"\d{4}-\d\d-\d\d", row[3])

    # The next sync plan shows it done, with who marked it.
    plan = _run(project, "sync", "--format", "json")
    assert plan.exit_code == 0, plan.output
    steps = {f"{s['kind']}:{s['key']}": s for s in json.loads(plan.stdout)["build_steps"]}
    assert steps[PLAYBOOK]["status"] == "done"
    assert steps[PLAYBOOK]["marked"]["who"] == "Jo Admin"
    assert steps["playbook:mid_market_onboarding"]["status"] == "unverified"
    text = _run(project, "sync").output
    assert re.search(
        r"\[done, marked by Jo Admin on \d{4}-\d\d-\d\d\] playbook: Enterprise onb", text
    )


def test_html_and_xlsx_deliverables(project: Path) -> None:
    assert _run(project, "buildsheet", "--done", PLAYBOOK, "--by", "<b>Jo</b>").exit_code == 0
    html = project / "sheet.html"
    assert _run(project, "buildsheet", "--out", str(html)).exit_code == 0
    page = html.read_text(encoding="utf-8")
    assert "done (marked by &lt;b&gt;Jo&lt;/b&gt;)" in page and "<b>Jo" not in page
    assert "{'" not in page

    book = project / "sheet.xlsx"
    assert _run(project, "buildsheet", "--out", str(book)).exit_code == 0
    ws = openpyxl.load_workbook(book)["Build sheet"]
    assert [c.value for c in ws[1]][:6] == ["#", "step", "id", "owner", "status", "date"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == ws.dimensions
    cells = [c for row in ws.iter_rows(min_row=2) for c in row[1:] if c.value is not None]
    assert cells and all(c.data_type == "s" for c in cells)  # text stays text
    assert not any("{'" in str(c.value) for c in cells)


def test_unknown_suffix_is_refused(project: Path) -> None:
    result = _run(project, "buildsheet", "--out", str(project / "sheet.pdf"))
    assert result.exit_code == 1 and "use .md, .html or .xlsx" in result.output


CLOSE = "work_item:tf-closed-by-hand"


def test_a_close_marked_done_is_journaled_as_the_delete(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A step that closes an object the API cannot reach, marked done: the journal holds it
    as that delete, in a run of its own ("by hand"), and the step is gone from later plans."""
    from tierform.sync.buildsheet import BuildStep
    from tierform.sync.journal import BY_HAND, Journal
    from tierform.sync.state import Kind

    def build_steps(self, desired):  # the close a no-id task asks for, while it is journaled
        journal = Journal.beside(project / "tierform.yaml")
        try:
            held = journal.latest_writes("cs", Kind.work_item)[0]
        finally:
            journal.close()
        steps = FakeUi.build_steps(self, desired)
        if "tf-closed-by-hand" not in held:
            return steps
        close = BuildStep(Kind.work_item, "tf-closed-by-hand", "work_item: t", "r", ["Close it."])
        close.deletes = True
        return [*steps, close]

    Closing = type("Closing", (FakeUi,), {"build_steps": build_steps})
    monkeypatch.setattr(Registry, "discover", classmethod(lambda cls: Registry.of([Closing])))
    journal = Journal.beside(project / "tierform.yaml")
    journal.start("cs", "fakeui", "c", run_id="r1")
    created = Change(Op.create, Kind.work_item, "tf-closed-by-hand", {"title": "t"})
    journal.record("r1", "cs", [ChangeResult(created)])
    journal.finish("r1", "completed", {"create": 1})
    journal.close()

    md = project / "sheet.md"
    marked = _run(project, "buildsheet", "--done", CLOSE, "--by", "Jo", "--out", str(md))
    assert marked.exit_code == 0, marked.output
    assert _rows(md.read_text(encoding="utf-8"))[CLOSE][2] == "done (marked by Jo)"
    journal = Journal.beside(project / "tierform.yaml")
    [by_hand] = [r for r in journal.runs("cs") if r.status == BY_HAND]
    assert [(e["op"], e["key"]) for e in journal.entries(by_hand.run_id)] == [
        ("delete", "tf-closed-by-hand")
    ]
    journal.close()
    later = _run(project, "buildsheet", "--out", str(md))
    assert later.exit_code == 0 and CLOSE not in _rows(md.read_text(encoding="utf-8"))
