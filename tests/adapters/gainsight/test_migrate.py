"""Migration to and from Gainsight on its stateful fake, with an xlsx workbook on the other side.

Expectations are written out from the seeded data (states.py: Companies ACC-001..009, every third
Enterprise with Ana Ruiz, the rest SMB in the "Growth pod"; CTAs on the even accounts; users
Ana Ruiz and Sam Lee). Gainsight's custom fields are created by an admin in Data Management
(the API cannot): the tenant is seeded with every field of the model's catalogue, spelled out
the way the build sheet names them, except where a test leaves one out on purpose.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fakes.migration import edit_cell, migrate, provision, replan, xlsx_rows
from tierform.adapters.xlsx import XlsxAdapter, XlsxSettings
from tierform.core.loader import default_model
from tierform.core.model import CoverageModel, RosterEntry
from tierform.errors import TierformError
from tierform.sync.adapter import AdapterContext
from tierform.sync.compare import FieldDifference, compare
from tierform.sync.engine import Syncer
from tierform.sync.journal import Journal
from tierform.sync.migrate import People, migration_desired
from tierform.sync.snapshot import model_state, read_snapshot
from tierform.sync.state import Kind

from . import states
from .conftest import MakeAdapter, overrides
from .fake import GainsightFake, VirtualClock

# The fake's users (states.seed), by the name and e-mail Gainsight holds for them.
ROSTER: dict[str, str | None] = {"Ana Ruiz": "ana@example.com", "Sam Lee": "sam@example.com"}
ACCOUNTS = [states.ext(i) for i in range(1, 10)]
TASKS = {states.task_key(i): states.ext(i) for i in (2, 4, 6, 8)}

Make = Any  # () -> Adapter


@pytest.fixture
def model() -> CoverageModel:
    roster = [RosterEntry(name=n, tier="Enterprise", email=e) for n, e in ROSTER.items()]
    return default_model().model_copy(update={"roster": roster})


@pytest.fixture
def gs(make_adapter: MakeAdapter) -> Make:
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


def create_model_fields(
    fake: GainsightFake, model: CoverageModel, leave_out: tuple[str, ...] = ()
) -> None:
    """What the admin does from the build sheet: Field Name "Tf Health Score" gives the API name
    Tf_Health_Score__gc; numbers are Number fields, the rest String."""
    fields = model_state(model).of(Kind.field)
    assert len(fields) == 15 and {"tf_tier", "tf_csm", "tf_health_band"} <= set(fields)
    for name, data in fields.items():
        if name not in leave_out:
            api = "_".join(p.capitalize() for p in name.split("_")) + "__gc"
            fake.create_field(api, "NUMBER" if data["type"] == "number" else "STRING")


def seed(fake: GainsightFake, model: CoverageModel, leave_out: tuple[str, ...] = ()) -> None:
    states.seed(fake, fields=False)
    create_model_fields(fake, model, leave_out)


def user_id(fake: GainsightFake, name: str) -> str:
    return next(gsid for gsid, u in fake.users.items() if u["Name"] == name)


def open_ctas(fake: GainsightFake) -> dict[str, list[str]]:
    """tierform key -> the Gsids of the CTAs carrying it."""
    return {key: [c["Gsid"] for c in fake.ctas_with_key(key)] for key in TASKS}


def test_xlsx_to_gainsight_carries_the_workbook_edits(
    fake: GainsightFake,
    gs: Make,
    book: Make,
    journal: Journal,
    model: CoverageModel,
    tmp_path: Path,
) -> None:
    seed(fake, model)
    assert provision(book(), journal, states.desired()).ok
    edit_cell(tmp_path / "book.xlsx", "ACC-002", "CSM / pool", "sam@example.com")  # by e-mail
    edit_cell(tmp_path / "book.xlsx", "ACC-005", "Tier", "Enterprise")  # tier overridden
    m, report, v = migrate(book, gs, journal, model)
    assert report.ok, [f.error for f in report.failures]
    assert (v.read, v.written, v.verified, v.lost) == (9, 9, 9, 0)
    c2 = fake.company("ACC-002")
    assert c2["Tf_Csm__gc"] == "Sam Lee" and c2["Csm"] == user_id(fake, "Sam Lee")
    assert fake.company("ACC-005")["Tf_Tier__gc"] == "Enterprise"
    c6 = fake.company("ACC-006")
    assert (c6["Tf_Tier__gc"], c6["Tf_Csm__gc"]) == ("Enterprise", "Ana Ruiz")
    assert c6["Csm"] == user_id(fake, "Ana Ruiz")
    c4 = fake.company("ACC-004")
    assert (c4["Tf_Csm__gc"], c4["Csm"], c4["Tf_Health_Score__gc"]) == ("Growth pod", None, 54)
    assert c4["Arr"] == 120000.0  # the CRM's fields are left alone
    assert {k: len(v) for k, v in open_ctas(fake).items()} == dict.fromkeys(TASKS, 1)
    assert len(fake.ctas) == 4
    assert any("'Growth pod'" in n and "not in the model's roster" in n for n in m.notes)
    assert replan(book, gs, journal, model).changes == []


def test_gainsight_to_xlsx_carries_the_platform_edit_and_compares(
    fake: GainsightFake,
    gs: Make,
    book: Make,
    journal: Journal,
    model: CoverageModel,
    tmp_path: Path,
) -> None:
    seed(fake, model)
    assert provision(gs(), journal, states.desired()).ok
    # After provisioning, someone edits Gainsight: ACC-004's tier and ACC-007's band.
    fake.company("ACC-004")["Tf_Tier__gc"] = "Enterprise"
    fake.company("ACC-007")["Tf_Health_Band__gc"] = "red"
    _, report, v = migrate(gs, book, journal, model)
    assert report.ok and (v.read, v.verified, v.lost) == (9, 9, 0)
    rows = xlsx_rows(tmp_path / "book.xlsx")
    assert set(rows) == set(ACCOUNTS)
    assert rows["ACC-004"]["Tier"] == "Enterprise"  # the override arrived
    assert rows["ACC-007"]["Health band"] == "red"
    assert rows["ACC-005"]["Tier"] == "SMB" and rows["ACC-009"]["CSM / pool"] == "Ana Ruiz"
    assert set(xlsx_rows(tmp_path / "book.xlsx", "Tasks")) == set(TASKS)
    assert replan(gs, book, journal, model).changes == []
    people = People(model)
    assert compare(read_snapshot(gs(), model), read_snapshot(book(), model), people.same).agree
    fake.company("ACC-001")["Tf_Health_Band__gc"] = "orange"  # one more edit, in Gainsight
    diff = compare(read_snapshot(gs(), model), read_snapshot(book(), model), people.same)
    assert diff.differences == [FieldDifference("ACC-001", "tf_health_band", "orange", "green")]


def test_gainsight_csm_reassigned_in_the_ui_arrives_in_the_workbook(
    fake: GainsightFake,
    gs: Make,
    book: Make,
    journal: Journal,
    model: CoverageModel,
    tmp_path: Path,
) -> None:
    """The Csm lookup is the CSM where tf_csm names a user (ACC-003: Ana Ruiz); a pool's
    companies keep a Csm someone else set (ACC-001: Sam Lee), which is not their CSM."""
    seed(fake, model)
    assert provision(gs(), journal, states.desired()).ok
    fake.company("ACC-003")["Csm"] = user_id(fake, "Sam Lee")  # the UI sets the lookup only
    fake.company("ACC-001")["Csm"] = user_id(fake, "Sam Lee")  # on a pooled company
    _, report, v = migrate(gs, book, journal, model)
    assert report.ok and (v.read, v.verified, v.lost) == (9, 9, 0)
    rows = xlsx_rows(tmp_path / "book.xlsx")
    assert rows["ACC-003"]["CSM / pool"] == "Sam Lee"
    assert rows["ACC-006"]["CSM / pool"] == "Ana Ruiz"  # lookup and tf_csm agree
    assert rows["ACC-001"]["CSM / pool"] == "Growth pod"


def test_a_field_only_the_ui_can_create_is_reported_not_verified(
    fake: GainsightFake, gs: Make, book: Make, journal: Journal, model: CoverageModel
) -> None:
    """Tf_Health_Band__gc not created yet: every account carries a band in the workbook, so no
    account can be verified until the admin creates it; the other fields land meanwhile."""
    seed(fake, model, leave_out=("tf_health_band",))
    assert provision(book(), journal, states.desired()).ok
    _, report, v = migrate(book, gs, journal, model)
    assert report.ok
    assert (v.read, v.verified, v.lost) == (9, 0, 9)
    assert v.mismatched == ACCOUNTS and v.missing == []
    assert all("Tf_Health_Band__gc" not in fake.company(a) for a in ACCOUNTS)
    assert fake.company("ACC-003")["Tf_Tier__gc"] == "Enterprise"
    # Once the admin creates it, the next run writes the bands (every account: reviewed, so
    # past the safety limit on updates) and everything verifies.
    fake.create_field("Tf_Health_Band__gc", "STRING")
    _, report, v = migrate(book, gs, journal, model, force=True)
    assert report.ok and (v.read, v.verified, v.lost) == (9, 9, 0)
    assert fake.company("ACC-002")["Tf_Health_Band__gc"] == "yellow"


def test_interrupted_migration_onto_gainsight_resumes_without_duplicates(
    fake: GainsightFake, gs: Make, book: Make, journal: Journal, model: CoverageModel
) -> None:
    seed(fake, model)
    assert provision(book(), journal, states.desired()).ok
    m = migration_desired(read_snapshot(book(), model), model)
    syncer = Syncer(gs(), journal)
    plan = syncer.plan(m.desired)
    # The Company batch lands; creating the CTAs then fails (planned first, so only the apply
    # meets the fault).
    fake.inject(500, times=1000, methods={"POST"}, path_contains="/v2/cockpit/cta")
    with pytest.raises(TierformError):
        syncer.apply(plan)
    assert fake.company("ACC-003")["Tf_Tier__gc"] == "Enterprise" and fake.ctas == {}
    fake.faults.clear()
    _, report, v = migrate(book, gs, journal, model)
    assert report.ok and report.resumed_from is not None
    assert (v.read, v.verified, v.lost) == (9, 9, 0)
    assert all(
        sum(c.get("External_Id__gc") == a for c in fake.companies.values()) == 1 for a in ACCOUNTS
    )
    assert {k: len(v) for k, v in open_ctas(fake).items()} == dict.fromkeys(TASKS, 1)
    assert len(fake.ctas) == 4
    assert replan(book, gs, journal, model).changes == []
