"""Migration to and from Totango on its stateful fake, with an xlsx workbook on the other side.

Expectations are written out from the seeded data (states.py: accounts ACC-001..009, every third
Enterprise with Ana Ruiz, the rest SMB in the "Growth pod"; tasks on the even accounts; users
Ana Ruiz and Sam Lee). Totango's attributes exist only once defined in the Data Modeler: the
service is seeded with every field of the model's catalogue, except where a test leaves one out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fakes.migration import edit_cell, migrate, provision, replan, xlsx_rows
from tests.fakes.support import VirtualClock
from tierform.adapters.xlsx import XlsxAdapter, XlsxSettings
from tierform.core.loader import default_model
from tierform.core.model import CoverageModel, RosterEntry
from tierform.errors import TierformError
from tierform.sync.adapter import AdapterContext
from tierform.sync.compare import FieldDifference, compare
from tierform.sync.journal import Journal
from tierform.sync.migrate import People
from tierform.sync.snapshot import model_state, read_snapshot
from tierform.sync.state import Kind

from . import states
from .conftest import MakeAdapter, overrides
from .fake import TotangoFake

# The fake's users (states.seed), by the name and e-mail Totango holds for them.
ROSTER: dict[str, str | None] = {"Ana Ruiz": "ana@example.com", "Sam Lee": "sam@example.com"}
ACCOUNTS = [states.ext(i) for i in range(1, 10)]
TASKS = {states.task_key(i): states.ext(i) for i in (2, 4, 6, 8)}

Make = Any  # () -> Adapter


@pytest.fixture
def model() -> CoverageModel:
    roster = [RosterEntry(name=n, tier="Enterprise", email=e) for n, e in ROSTER.items()]
    return default_model().model_copy(update={"roster": roster})


@pytest.fixture
def tt(make_adapter: MakeAdapter) -> Make:
    return lambda: make_adapter(roster=dict(ROSTER))


@pytest.fixture
def book(tmp_path: Path, clock: VirtualClock) -> Make:
    made: list[XlsxAdapter] = []

    def _make() -> XlsxAdapter:
        ctx = AdapterContext(
            "book", tmp_path, tmp_path / ".tierform", overrides(clock), roster=dict(ROSTER)
        )
        made.append(XlsxAdapter(XlsxSettings(path="book.xlsx"), ctx))
        return made[-1]

    return _make


def seed(fake: TotangoFake, model: CoverageModel, leave_out: tuple[str, ...] = ()) -> None:
    """The CRM's accounts and users, and the Data Modeler attributes the model's catalogue
    needs (named as the fields are)."""
    states.seed(fake, define=False)
    fields = model_state(model).of(Kind.field)
    assert len(fields) == 15 and {"tf_tier", "tf_csm", "tf_health_band"} <= set(fields)
    fake.define(*(name for name in fields if name not in leave_out))


def task_keys(fake: TotangoFake) -> list[str]:
    """tierform's key of every open task, as the description carries it (one per task)."""
    return sorted(t["description"].rsplit("tierform key: ", 1)[1] for t in fake.live_tasks())


def test_xlsx_to_totango_carries_the_workbook_edits(
    fake: TotangoFake, tt: Make, book: Make, journal: Journal, model: CoverageModel, tmp_path: Path
) -> None:
    seed(fake, model)
    assert provision(book(), journal, states.desired()).ok
    edit_cell(tmp_path / "book.xlsx", "ACC-002", "CSM / pool", "sam@example.com")  # by e-mail
    edit_cell(tmp_path / "book.xlsx", "ACC-005", "Tier", "Enterprise")  # tier overridden
    m, report, v = migrate(book, tt, journal, model)
    assert report.ok, [f.error for f in report.failures]
    assert (v.read, v.written, v.verified, v.lost) == (9, 9, 9, 0)
    a2 = fake.attrs("ACC-002")
    assert (a2["tf_csm"], a2["Success Manager"]) == ("Sam Lee", "Sam Lee")
    assert fake.attrs("ACC-005")["tf_tier"] == "Enterprise"
    a6 = fake.attrs("ACC-006")
    assert (a6["tf_tier"], a6["tf_csm"], a6["Success Manager"]) == ("Enterprise",) + (
        "Ana Ruiz",
    ) * 2
    a4 = fake.attrs("ACC-004")
    # states.account_data(4): 50 + 4 + 0.5; gateway values are text; a pool is no user.
    assert (a4["tf_csm"], a4["tf_health_score"]) == ("Growth pod", "54.5")
    assert "Success Manager" not in a4 and a4["Sales Manager"] == "Jo Park"
    assert task_keys(fake) == sorted(TASKS)
    assert {t["account_id"] for t in fake.live_tasks()} == set(TASKS.values())
    assert any("'Growth pod'" in n and "not in the model's roster" in n for n in m.notes)
    assert replan(book, tt, journal, model).changes == []


def test_totango_to_xlsx_carries_the_platform_edit_and_compares(
    fake: TotangoFake, tt: Make, book: Make, journal: Journal, model: CoverageModel, tmp_path: Path
) -> None:
    seed(fake, model)
    assert provision(tt(), journal, states.desired()).ok
    # After provisioning, someone edits Totango: ACC-004's tier and ACC-007's band.
    fake.attrs("ACC-004")["tf_tier"] = "Enterprise"
    fake.attrs("ACC-007")["tf_health_band"] = "red"
    _, report, v = migrate(tt, book, journal, model)
    assert report.ok and (v.read, v.verified, v.lost) == (9, 9, 0)
    rows = xlsx_rows(tmp_path / "book.xlsx")
    assert set(rows) == set(ACCOUNTS)
    assert rows["ACC-004"]["Tier"] == "Enterprise"  # the override arrived
    assert rows["ACC-007"]["Health band"] == "red"
    assert rows["ACC-005"]["Tier"] == "SMB" and rows["ACC-009"]["CSM / pool"] == "Ana Ruiz"
    assert replan(tt, book, journal, model).changes == []
    people = People(model)
    assert compare(read_snapshot(tt(), model), read_snapshot(book(), model), people.same).agree
    fake.attrs("ACC-001")["tf_health_band"] = "orange"  # one more edit, in Totango
    diff = compare(read_snapshot(tt(), model), read_snapshot(book(), model), people.same)
    assert diff.differences == [FieldDifference("ACC-001", "tf_health_band", "orange", "green")]


def test_totango_success_manager_reassigned_in_the_ui_arrives_in_the_workbook(
    fake: TotangoFake, tt: Make, book: Make, journal: Journal, model: CoverageModel, tmp_path: Path
) -> None:
    """The Success Manager is the CSM where tf_csm names a user (ACC-003: Ana Ruiz); a pool's
    accounts keep a Success Manager someone else set (ACC-001: Sam Lee), not their CSM."""
    seed(fake, model)
    assert provision(tt(), journal, states.desired()).ok
    fake.attrs("ACC-003")["Success Manager"] = "Sam Lee"  # the UI sets the owner only
    fake.attrs("ACC-001")["Success Manager"] = "Sam Lee"  # on a pooled account
    _, report, v = migrate(tt, book, journal, model)
    assert report.ok and (v.read, v.verified, v.lost) == (9, 9, 0)
    rows = xlsx_rows(tmp_path / "book.xlsx")
    assert rows["ACC-003"]["CSM / pool"] == "Sam Lee"
    assert rows["ACC-006"]["CSM / pool"] == "Ana Ruiz"  # Success Manager and tf_csm agree
    assert rows["ACC-001"]["CSM / pool"] == "Growth pod"


def test_totango_open_tasks_arrive_in_the_workbook(
    fake: TotangoFake, tt: Make, book: Make, journal: Journal, model: CoverageModel, tmp_path: Path
) -> None:
    """Totango cannot list tasks: the ones tierform created are fetched by the journal's ids;
    one closed and one deleted in Totango since are not carried."""
    seed(fake, model)
    assert provision(tt(), journal, states.desired()).ok
    assert task_keys(fake) == sorted(TASKS)
    by_key = {k: t for t in fake.tasks.values() for k in TASKS if k in str(t["description"])}
    closed, deleted, *still_open = sorted(TASKS)
    by_key[closed]["status"] = "closed"
    del fake.tasks[by_key[deleted]["id"]]
    _, report, _ = migrate(tt, book, journal, model)
    assert report.ok
    rows = xlsx_rows(tmp_path / "book.xlsx", "Tasks")
    assert set(rows) == set(still_open)
    want = states.desired().of(Kind.work_item)
    for key in still_open:  # carried as written: account, title, due date, source, reason
        row = rows[key]
        got = (row["Account ID"], row["Task"], str(row["Due"])[:10], row["Source"], row["Reason"])
        w = want[key]
        assert got == (w["account_id"], w["title"], w["due"], w["source"], w["reason"])
    # Ana Ruiz is a Totango user, so her task was assigned to her e-mail and reads as her
    # name; a pool is no user, so its tasks carry no assignee in Totango (nor out of it).
    assignees = {k: rows[k]["Assignee"] for k in still_open}
    assert assignees == {states.task_key(6): "Ana Ruiz", states.task_key(8): None}


def test_an_undefined_attribute_is_reported_not_verified(
    fake: TotangoFake, tt: Make, book: Make, journal: Journal, model: CoverageModel
) -> None:
    """tf_health_band not yet defined in the Data Modeler: every account carries a band in the
    workbook, so none can be verified until it is; the other attributes land meanwhile."""
    seed(fake, model, leave_out=("tf_health_band",))
    assert provision(book(), journal, states.desired()).ok
    _, report, v = migrate(book, tt, journal, model)
    assert (v.read, v.verified, v.lost) == (9, 0, 9)
    assert v.mismatched == ACCOUNTS and v.missing == []
    assert all("tf_health_band" not in fake.attrs(a) for a in ACCOUNTS)
    assert fake.attrs("ACC-003")["tf_tier"] == "Enterprise"


def test_interrupted_migration_onto_totango_resumes_without_duplicates(
    fake: TotangoFake, tt: Make, book: Make, journal: Journal, model: CoverageModel
) -> None:
    seed(fake, model)  # Totango has the CRM's accounts, none of tierform's attributes yet
    assert provision(book(), journal, states.desired()).ok
    # The accounts and two tasks go through; creating the third task fails and stops the run.
    fake.inject(500, times=1000, methods={"POST"}, path_contains="/api/v3/tasks", after=2)
    with pytest.raises(TierformError):
        migrate(book, tt, journal, model)
    assert len(fake.live_tasks()) == 2
    fake.faults.clear()
    _, report, v = migrate(book, tt, journal, model)
    assert report.ok and report.resumed_from is not None
    assert report.counts["create"] == 2  # only the two tasks still missing
    assert (v.read, v.verified, v.lost) == (9, 9, 0)
    assert sorted(fake.accounts) == ACCOUNTS
    assert task_keys(fake) == sorted(TASKS)
    assert replan(book, tt, journal, model).changes == []


def test_failed_gateway_writes_are_retried_by_the_next_run(
    fake: TotangoFake, tt: Make, book: Make, journal: Journal, model: CoverageModel
) -> None:
    """Gateway failures do not stop the run: the accounts are failed changes, counted lost, and
    the next run writes exactly those."""
    seed(fake, model)
    assert provision(book(), journal, states.desired()).ok
    fake.inject(500, times=1000, methods={"GET"}, path_contains="/pixel.gif", after=4)
    _, report, v = migrate(book, tt, journal, model)
    assert not report.ok
    written = [a for a in ACCOUNTS if "tf_tier" in fake.attrs(a)]
    assert 0 < len(written) < 9
    assert v.written == v.verified == len(written) and v.lost == 9 - len(written)
    assert sorted(v.missing) == sorted(set(ACCOUNTS) - set(written))
    fake.faults.clear()
    _, report, v = migrate(book, tt, journal, model)
    assert report.ok and (v.read, v.verified, v.lost) == (9, 9, 0)
    assert task_keys(fake) == sorted(TASKS)
    assert replan(book, tt, journal, model).changes == []


@pytest.mark.xfail(
    strict=True,
    reason="a task create that Totango processed but answered 500 is created again by the next "
    "run: the API has no task list or search by key, and the journal has no id for it "
    "(documented in tierform.adapters.totango.tasks)",
)
def test_a_task_created_but_unanswered_is_not_created_twice(
    fake: TotangoFake, tt: Make, book: Make, journal: Journal, model: CoverageModel
) -> None:
    seed(fake, model)
    assert provision(book(), journal, states.desired()).ok
    fake.inject(
        500, times=1, methods={"POST"}, path_contains="/api/v3/tasks", after=2, process=True
    )
    with pytest.raises(TierformError):
        migrate(book, tt, journal, model)
    migrate(book, tt, journal, model)
    assert task_keys(fake) == sorted(TASKS)
