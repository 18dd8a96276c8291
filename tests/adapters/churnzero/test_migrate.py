"""Migration to and from ChurnZero on its stateful fake, with an xlsx workbook on the other side.

Expectations are written out from the seeded data (states.py: accounts ACC-001..006, every third
Enterprise with Ana Ruiz, the rest SMB in the "Growth pod"; items on the even accounts; every
account's Account Owner seeded as ``sam.lee``; users ``ana.ruiz`` / ``sam.lee``).
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
from tierform.sync.journal import Journal
from tierform.sync.migrate import People
from tierform.sync.snapshot import read_snapshot

from . import states
from .conftest import MakeAdapter, overrides
from .fake import ChurnZeroFake
from .fake_support import VirtualClock

# The fake's users (states.seed), by the name and e-mail ChurnZero holds for them.
ROSTER: dict[str, str | None] = {"Ana Ruiz": "ana@acme.com", "Sam Lee": "sam@acme.com"}
ACCOUNTS = [states.ext(i) for i in range(1, 7)]
ITEM_ACCOUNTS = {states.ext(i): states.item_key(i) for i in (2, 4, 6)}

Make = Any  # () -> Adapter


@pytest.fixture
def model() -> CoverageModel:
    roster = [RosterEntry(name=n, tier="Enterprise", email=e) for n, e in ROSTER.items()]
    return default_model().model_copy(update={"roster": roster})


@pytest.fixture
def cz(make_adapter: MakeAdapter) -> Make:
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


def test_xlsx_to_churnzero_carries_the_workbook_edits(
    fake: ChurnZeroFake,
    cz: Make,
    book: Make,
    journal: Journal,
    model: CoverageModel,
    tmp_path: Path,
) -> None:
    states.seed(fake)
    assert provision(book(), journal, states.desired()).ok
    edit_cell(tmp_path / "book.xlsx", "ACC-002", "CSM / pool", "ana@acme.com")  # by e-mail
    edit_cell(tmp_path / "book.xlsx", "ACC-005", "Tier", "Enterprise")  # tier overridden
    m, report, v = migrate(book, cz, journal, model)
    assert report.ok, [f.error for f in report.failures]
    assert (v.read, v.written, v.verified, v.lost) == (6, 6, 6, 0)
    # The edits, as ChurnZero holds them: the e-mail became Ana's name and her UserName.
    assert fake.cf("ACC-002")["tf_csm"] == "Ana Ruiz"
    assert fake.owner("ACC-002") == "ana.ruiz"
    assert fake.cf("ACC-005")["tf_tier"] == "Enterprise"
    # Untouched rows arrive as seeded; a pool leaves the seeded owner alone.
    assert fake.cf("ACC-001")["tf_tier"] == "SMB" and fake.cf("ACC-001")["tf_csm"] == "Growth pod"
    assert fake.owner("ACC-001") == "sam.lee"
    assert fake.cf("ACC-006")["tf_csm"] == "Ana Ruiz" and fake.owner("ACC-006") == "ana.ruiz"
    assert fake.cf("ACC-004")["tf_health_band"] == "yellow"
    # The open items went over as one event each, carrying their key.
    for account, key in ITEM_ACCOUNTS.items():
        events = fake.events_of(account)
        assert len(events) == 1 and key in events[0]["Description"]
    assert len(fake.events) == 3
    assert any("'Growth pod'" in n and "not in the model's roster" in n for n in m.notes)
    assert replan(book, cz, journal, model).changes == []


def reassign_tier_in_churnzero_ui(fake: ChurnZeroFake) -> None:
    """After provisioning, someone overrides ACC-004's tier and ACC-001's band in ChurnZero."""
    fake.account("ACC-004")["_cf"]["tf_tier"] = "Enterprise"
    fake.account("ACC-001")["_cf"]["tf_health_band"] = "red"


def test_churnzero_to_xlsx_carries_the_platform_edit_and_compares(
    fake: ChurnZeroFake,
    cz: Make,
    book: Make,
    journal: Journal,
    model: CoverageModel,
    tmp_path: Path,
) -> None:
    states.seed(fake)
    assert provision(cz(), journal, states.desired()).ok
    reassign_tier_in_churnzero_ui(fake)
    _, report, v = migrate(cz, book, journal, model)
    assert report.ok and (v.read, v.verified, v.lost) == (6, 6, 0)
    rows = xlsx_rows(tmp_path / "book.xlsx")
    assert set(rows) == set(ACCOUNTS)
    assert rows["ACC-004"]["Tier"] == "Enterprise"  # the override arrived
    assert rows["ACC-001"]["Health band"] == "red"
    assert rows["ACC-005"]["Tier"] == "SMB" and rows["ACC-006"]["CSM / pool"] == "Ana Ruiz"
    assert replan(cz, book, journal, model).changes == []
    people = People(model)
    assert compare(read_snapshot(cz(), model), read_snapshot(book(), model), people.same).agree
    edit_cell(tmp_path / "book.xlsx", "ACC-003", "Tier", "Mid-Market")
    diff = compare(read_snapshot(cz(), model), read_snapshot(book(), model), people.same)
    assert diff.differences == [FieldDifference("ACC-003", "tf_tier", "Enterprise", "Mid-Market")]


@pytest.mark.parametrize(
    "fake_options", [{"owner_form": f} for f in ("expand", "id", "name")], ids=str
)
def test_churnzero_owner_reassigned_in_the_ui_arrives_in_the_workbook(
    fake: ChurnZeroFake,
    cz: Make,
    book: Make,
    journal: Journal,
    model: CoverageModel,
    tmp_path: Path,
) -> None:
    """The Account Owner is the CSM where tf_csm names a user (ACC-003: Ana Ruiz); a pool's
    accounts keep the CRM's owner (sam.lee, seeded on all), which is not their CSM."""
    states.seed(fake)
    assert provision(cz(), journal, states.desired()).ok
    fake.account("ACC-003")["_owner"] = "sam.lee"  # the UI sets the owner, not tf_csm
    assert fake.cf("ACC-003")["tf_csm"] == "Ana Ruiz"
    _, report, v = migrate(cz, book, journal, model)
    assert report.ok and (v.read, v.verified, v.lost) == (6, 6, 0)
    rows = xlsx_rows(tmp_path / "book.xlsx")
    assert rows["ACC-003"]["CSM / pool"] == "Sam Lee"
    assert rows["ACC-006"]["CSM / pool"] == "Ana Ruiz"  # owner and tf_csm agree
    for pooled in ("ACC-001", "ACC-002", "ACC-004", "ACC-005"):
        assert rows[pooled]["CSM / pool"] == "Growth pod"


def test_interrupted_migration_onto_churnzero_resumes_without_duplicates(
    fake: ChurnZeroFake, cz: Make, book: Make, journal: Journal, model: CoverageModel
) -> None:
    states.seed(fake)  # ChurnZero has the CRM's accounts, none of tierform's fields yet
    assert provision(book(), journal, states.desired()).ok
    # The first push request (a few accounts' fields) lands; the push API fails from then on.
    fake.inject(500, times=1000, path_contains="/i", after=1)
    with pytest.raises(TierformError):
        migrate(book, cz, journal, model)
    written_before = sum(1 for a in ACCOUNTS if "tf_tier" in fake.cf(a))
    assert 0 < written_before < 6
    assert fake.events == []
    fake.faults.clear()
    _, report, v = migrate(book, cz, journal, model)
    assert report.ok and report.resumed_from is not None
    assert (v.read, v.verified, v.lost) == (6, 6, 0)
    assert all(sum(a["ExternalId"] == e for a in fake.accounts.values()) == 1 for e in ACCOUNTS)
    for account, key in ITEM_ACCOUNTS.items():
        assert [key in e["Description"] for e in fake.events_of(account)] == [True]
    assert len(fake.events) == 3
    assert replan(book, cz, journal, model).changes == []
