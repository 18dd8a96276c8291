"""The Sheets adapter against the stateful fake: round trips, ownership, drift, faults."""

from __future__ import annotations

import datetime as dt
import logging
import random
from pathlib import Path
from typing import Any

import pytest
from fake_sheets_server import FakeSheets, Sheet
from sheets_support import ENV, SA_EMAIL, SHEET_ID, FakeClock

from tests.fakes.half_character import plans_and_rewrites_a_half_character
from tierform.adapters.http.retry import RetryPolicy
from tierform.errors import AuthError, ConfigError, TransientApiError
from tierform.sync.change import Op
from tierform.sync.engine import Syncer
from tierform.sync.journal import Journal
from tierform.sync.render import render_json, render_text
from tierform.sync.state import Kind
from tierform.testing import sample_desired


def syncer(make_adapter, tmp_path: Path) -> Syncer:
    return Syncer(make_adapter(), Journal(tmp_path / ".tierform" / "journal.sqlite"))


def test_plan_apply_replan_is_empty_with_one_batch(
    server: FakeSheets, make_adapter, tmp_path: Path
) -> None:
    server.create(SHEET_ID, shared_with=SA_EMAIL)
    desired = sample_desired(8)
    s = syncer(make_adapter, tmp_path)
    plan = s.plan(desired)
    assert plan.counts()["create"] == desired.count()
    assert server.count("batchUpdate") == 0
    s.apply(plan)
    assert server.count("batchUpdate") == 1  # one atomic write for the whole sync
    again = syncer(make_adapter, tmp_path).plan(desired)
    assert again.is_empty, render_text(again)
    # A second apply of the (empty) plan writes nothing.
    syncer(make_adapter, tmp_path).apply(again)
    assert server.count("batchUpdate") == 1


def test_cells_are_typed_and_user_text_stays_text(
    server: FakeSheets, make_adapter, tmp_path: Path
) -> None:
    sp = server.create(SHEET_ID, shared_with=SA_EMAIL)
    desired = sample_desired(4)
    s = syncer(make_adapter, tmp_path)
    s.apply(s.plan(desired))
    accounts = next(x for x in server.spreadsheets[SHEET_ID].sheets if x.title == "Accounts")
    header = accounts.grid()[0]
    name_col = header.index("Account")
    evil = next(r for r in range(1, 5) if accounts.value(r, 0) == "ACC-0001")
    cell = accounts.cells[(evil, name_col)]["userEnteredValue"]
    assert cell == {"stringValue": '=HYPERLINK("http://x")'}  # never a formulaValue
    score_col = header.index("Health score")
    first = accounts.cells[(1, score_col)]["userEnteredValue"]
    assert set(first) == {"numberValue"}
    assert sp.sheets[0].title == "Sheet1"  # the user's sheet is untouched


def test_marked_sheets_and_unmanaged_data_survive(
    server: FakeSheets, make_adapter, tmp_path: Path
) -> None:
    server.create(
        SHEET_ID,
        shared_with=SA_EMAIL,
        user_sheets={
            "Notes": [["mine", 1], ["keep", 2]],
            "Accounts": [["user's own Accounts sheet"]],
        },
    )
    s = syncer(make_adapter, tmp_path)
    s.apply(s.plan(sample_desired(6)))
    sp = server.spreadsheets[SHEET_ID]
    assert sp.by_title("Notes").grid() == [["mine", 1], ["keep", 2]]
    assert sp.by_title("Accounts").grid() == [["user's own Accounts sheet"]]
    ours = sp.by_title("Accounts (tierform)")
    assert ours is not None and ours.metadata[0]["metadataKey"] == "tierform.sheet"
    assert ours.metadata[0]["visibility"] == "PROJECT"
    # The user adds a column and a cell beside our rows, then the model changes.
    col = len(ours.grid()[0])
    ours.cells[(0, col)] = {"userEnteredValue": {"stringValue": "My notes"}}
    ours.cells[(1, col)] = {"userEnteredValue": {"stringValue": "call back Friday"}}
    first_key = ours.value(1, 0)
    changed = sample_desired(6, variant=1)
    s2 = syncer(make_adapter, tmp_path)
    s2.apply(s2.plan(changed))
    ours = server.spreadsheets[SHEET_ID].by_title("Accounts (tierform)")
    assert ours.value(0, col) == "My notes"
    assert ours.value(1, col) == "call back Friday" and ours.value(1, 0) == first_key
    assert syncer(make_adapter, tmp_path).plan(changed).is_empty
    # Reads of cell data named only managed sheets.
    reads = [q for e, q in server.calls if e == "values"]
    assert reads and all("Notes" not in q for q in reads)


def test_check_detects_outside_edit_then_resync_aligns(
    server: FakeSheets, make_adapter, tmp_path: Path
) -> None:
    server.create(SHEET_ID, shared_with=SA_EMAIL)
    desired = sample_desired(6)
    s = syncer(make_adapter, tmp_path)
    s.apply(s.plan(desired))
    accounts = server.spreadsheets[SHEET_ID].by_title("Accounts")
    tier_col = accounts.grid()[0].index("Tier")
    accounts.cells[(2, tier_col)] = {"userEnteredValue": {"stringValue": "Platinum"}}
    drift = syncer(make_adapter, tmp_path).plan(desired)
    assert drift.has_drift
    [change] = drift.changes
    assert change.op is Op.update and change.kind is Kind.account
    assert [(d.field, d.old) for d in change.diffs] == [("tf_tier", "Platinum")]
    syncer(make_adapter, tmp_path).apply(drift)
    assert not syncer(make_adapter, tmp_path).plan(desired).has_drift


def test_deleted_accounts_keep_their_rows_marked_removed(
    server: FakeSheets, make_adapter, tmp_path: Path
) -> None:
    server.create(SHEET_ID, shared_with=SA_EMAIL)
    s = syncer(make_adapter, tmp_path)
    s.apply(s.plan(sample_desired(8)))
    fewer = sample_desired(5)
    plan = syncer(make_adapter, tmp_path).plan(fewer)
    assert {c.key for c in plan.changes if c.op is Op.delete and c.kind is Kind.account} == {
        "ACC-0005",
        "ACC-0006",
        "ACC-0007",
    }
    syncer(make_adapter, tmp_path).apply(plan, force=True)
    grid = server.spreadsheets[SHEET_ID].by_title("Accounts").grid()
    ids = [r[0] for r in grid[1:]]
    # No row moved: rows 1-8 hold the same accounts, the last three marked removed with
    # tierform's cells cleared (a user formula beside a row still means that account).
    assert ids == [f"ACC-{i:04d}" for i in range(5)] + [
        f"removed: ACC-{i:04d}" for i in range(5, 8)
    ]
    tier = grid[0].index("Tier")
    assert all(r[tier] in (None, "") for r in grid[6:9])
    assert syncer(make_adapter, tmp_path).plan(fewer).is_empty


def test_429_and_5xx_are_retried_honouring_retry_after_and_paced(
    server: FakeSheets, make_adapter, tmp_path: Path, clock: FakeClock
) -> None:
    server.create(SHEET_ID, shared_with=SA_EMAIL)
    server.fail("get", 500)
    server.fail("get", 429, headers={"Retry-After": "7"})
    server.fail("batchUpdate", 503)
    server.fail("batchUpdate", 429, headers={"Retry-After": "11"})
    desired = sample_desired(5)
    s = syncer(make_adapter, tmp_path)
    s.apply(s.plan(desired))
    assert syncer(make_adapter, tmp_path).plan(desired).is_empty
    assert server.applied_batches == 1  # retried writes were not applied twice
    assert 7.0 in clock.slept and 11.0 in clock.slept  # the server's Retry-After, honoured
    # Writes are paced to 60/min: the 3 batchUpdate attempts are >= 1 s apart on the clock.
    assert server.count("batchUpdate") == 3


@pytest.mark.parametrize("endpoint", ["get", "batchUpdate"])
def test_a_spent_per_minute_quota_is_outlasted(
    server: FakeSheets, make_adapter, tmp_path: Path, clock: FakeClock, endpoint: str
) -> None:
    """Another client spent the minute's read or write quota: Google sends 429 with no
    Retry-After and refills the quota a minute later. The default retries (Google's backoff)
    outlast the minute, and the write lands once."""
    server.create(SHEET_ID, shared_with=SA_EMAIL)
    desired = sample_desired(5)
    retry = RetryPolicy(max_attempts=7, sleep=clock.sleep, rng=random.Random(5))
    s = Syncer(make_adapter(retry=retry), Journal(tmp_path / ".tierform" / "journal.sqlite"))
    plan = s.plan(desired)
    server.spend_quota(endpoint, clock.now)
    start = clock.now()
    if endpoint == "get":
        plan = s.plan(desired)
    assert s.apply(plan).ok
    # 1, 2, 4, 8, 16 and 32 s, each plus up to a second: refused six times, the seventh try
    # (the last the policy allows) after the minute
    assert server.refused == 6 and clock.now() - start >= 63.0
    assert server.applied_batches == 1
    assert syncer(make_adapter, tmp_path).plan(desired).is_empty


def test_pacing_spaces_writes_one_second_apart(
    server: FakeSheets, make_adapter, tmp_path: Path, clock: FakeClock
) -> None:
    server.create(SHEET_ID, shared_with=SA_EMAIL)
    adapter = make_adapter()
    adapter.client  # noqa: B018 - build the client (and its pacers)
    pacer = adapter.client.write_pacer
    assert pacer is not None and pacer.interval == pytest.approx(1.0)  # 60 writes per minute
    start = clock.now()
    for _ in range(4):
        pacer.acquire()
    assert clock.now() - start == pytest.approx(3.0)  # 4 writes: 3 one-second gaps


def test_dropped_connection_after_write_resumes_without_duplicates(
    server: FakeSheets, make_adapter, tmp_path: Path
) -> None:
    server.create(SHEET_ID, shared_with=SA_EMAIL)
    desired = sample_desired(6)
    server.fail("batchUpdate", drop_after_apply=True)
    s = syncer(make_adapter, tmp_path)
    with pytest.raises(TransientApiError):
        s.apply(s.plan(desired))
    assert server.applied_batches == 1  # Google applied it; the answer was lost
    journal = Journal(tmp_path / ".tierform" / "journal.sqlite")
    assert journal.runs("gsheet")[0].status == "failed"
    retry = syncer(make_adapter, tmp_path)
    plan = retry.plan(desired)
    assert plan.is_empty  # re-read shows it applied: nothing is sent twice
    sp = server.spreadsheets[SHEET_ID]
    assert [s.title for s in sp.sheets].count("Accounts") == 1
    ids = [r[0] for r in sp.by_title("Accounts").grid()[1:]]
    assert len(ids) == len(set(ids)) == 6


def test_not_shared_403_explains_sharing_and_writes_nothing(
    server: FakeSheets, make_adapter, tmp_path: Path
) -> None:
    server.create(SHEET_ID, shared_with=None)
    with pytest.raises(AuthError) as err:
        syncer(make_adapter, tmp_path).plan(sample_desired(3))
    message = str(err.value)
    assert "PERMISSION_DENIED" in message and SA_EMAIL in message
    assert "as Editor" in message and "cannot create spreadsheets" in message
    assert server.count("batchUpdate") == 0


def test_missing_spreadsheet_404_says_create_it_yourself(
    server: FakeSheets, make_adapter, tmp_path: Path
) -> None:
    with pytest.raises(Exception) as err:
        syncer(make_adapter, tmp_path).plan(sample_desired(3))
    assert "spreadsheet_id" in str(err.value) and "cannot create one" in str(err.value)


def test_bad_key_is_a_clear_error(
    server: FakeSheets, make_adapter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.create(SHEET_ID, shared_with=SA_EMAIL)
    monkeypatch.setenv(ENV, '{"type": "authorized_user"}')
    with pytest.raises(ConfigError) as err:
        syncer(make_adapter, tmp_path).plan(sample_desired(3))
    assert ENV in str(err.value) and "service-account key" in str(err.value)
    monkeypatch.delenv(ENV)
    with pytest.raises(ConfigError, match=f"{ENV} is not set"):
        syncer(make_adapter, tmp_path).plan(sample_desired(3))


def test_secrets_appear_nowhere(
    server: FakeSheets,
    make_adapter,
    tmp_path: Path,
    sa_key: tuple[dict[str, str], bytes],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    server.create(SHEET_ID, shared_with=SA_EMAIL)
    server.fail("batchUpdate", 429, headers={"Retry-After": "1"})
    s = syncer(make_adapter, tmp_path)
    plan = s.plan(sample_desired(4))
    s.apply(plan)
    adapter = make_adapter()
    issued = list(server.tokens)
    key_body = sa_key[0]["private_key"].split("-----")[2].strip().splitlines()[3]
    texts = [
        render_text(plan),
        render_json(plan),
        caplog.text,
        repr(adapter),
        repr(adapter.settings),
        str(adapter.settings.model_dump()),
    ]
    journal = (tmp_path / ".tierform" / "journal.sqlite").read_bytes().decode("latin-1")
    for secret in [*issued, key_body]:
        assert issued, "a token was issued"
        for text in [*texts, journal]:
            assert secret not in text


def test_fields_mask_and_auth_header_are_enforced(
    server: FakeSheets, make_adapter, tmp_path: Path
) -> None:
    server.create(SHEET_ID, shared_with=SA_EMAIL)
    syncer(make_adapter, tmp_path).plan(sample_desired(3))
    gets = [q for e, q in server.calls if e == "get"]
    assert gets and all("fields=" in q for q in gets)
    assert server.count("token") == 1  # one token, reused


def test_renewal_dates_written_as_dates(server: FakeSheets, make_adapter, tmp_path: Path) -> None:
    server.create(SHEET_ID, shared_with=SA_EMAIL)
    s = syncer(make_adapter, tmp_path)
    desired = sample_desired(6)
    s.apply(s.plan(desired))
    tasks = server.spreadsheets[SHEET_ID].by_title("Tasks")
    grid = tasks.grid()
    if len(grid) > 1:
        due_col = grid[0].index("Due")
        cell = tasks.cells[(1, due_col)]
        assert cell["userEnteredFormat"]["numberFormat"]["type"] == "DATE"
        serial = cell["userEnteredValue"]["numberValue"]
        day = dt.date(1899, 12, 30) + dt.timedelta(days=serial)
        key = grid[1][0]
        assert desired.of(Kind.work_item)[key]["due"] == day.isoformat()


def test_a_cell_holding_half_a_character_is_read_as_u_fffd_and_rewritten(
    server: FakeSheets, make_adapter, tmp_path: Path
) -> None:
    server.create(SHEET_ID, shared_with=SA_EMAIL)
    desired = sample_desired(4)
    syncer(make_adapter, tmp_path).apply(syncer(make_adapter, tmp_path).plan(desired))

    def accounts() -> Sheet:  # looked up each time: the fake replaces its sheets on a write
        return next(x for x in server.spreadsheets[SHEET_ID].sheets if x.title == "Accounts")

    def tier_cell() -> dict[str, Any]:
        sheet = accounts()
        cell: dict[str, Any] = sheet.cells[(1, sheet.grid()[0].index("Tier"))]
        return cell.setdefault("userEnteredValue", {})

    key = accounts().value(1, 0)
    plans_and_rewrites_a_half_character(
        server, lambda: syncer(make_adapter, tmp_path), desired, key, tier_cell, "stringValue"
    )


@pytest.mark.parametrize(
    "sid, ok", [("s1", True), ("sheet-1_A", True), ("a/b", False), ("", False)]
)
def test_spreadsheet_id_is_any_url_safe_id(sid: str, ok: bool) -> None:
    """Google's ids are URL-safe; their length is not documented, so a short one is taken and
    only what could not sit in the request path is refused."""
    from pydantic import ValidationError

    from tierform.adapters.sheets import SheetsSettings

    raw = {"platform": "sheets", "spreadsheet_id": sid, "credentials": {"env": ENV}}
    if ok:
        assert SheetsSettings.model_validate(raw).spreadsheet_id == sid
    else:
        with pytest.raises(ValidationError):
            SheetsSettings.model_validate(raw)
