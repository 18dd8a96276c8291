"""The Sheets adapter speaks only the documented API (platforms/sheets.md): values:batchGet
reads, developerMetadata:search, absolute grid sizes, marker revisions, 2 MB batches, Google's
403 quota errors, replayable batches and a busy token endpoint."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
from fake_sheets_server import FakeSheets, Sheet
from sheets_support import SA_EMAIL, SHEET_ID

from tierform.errors import AuthError, PermanentApiError
from tierform.sync.engine import Syncer
from tierform.sync.journal import Journal
from tierform.sync.render import render_text
from tierform.testing import sample_desired


def syncer(make_adapter, tmp_path: Path) -> Syncer:
    return Syncer(make_adapter(), Journal(tmp_path / ".tierform" / "journal.sqlite"))


def sync(make_adapter, tmp_path: Path, desired) -> None:
    s = syncer(make_adapter, tmp_path)
    assert s.apply(s.plan(desired)).ok


def sheet(server: FakeSheets, title: str) -> Sheet:
    found = server.spreadsheets[SHEET_ID].by_title(title)
    assert found is not None, title
    return found


def markers(server: FakeSheets, title: str) -> list[dict]:
    return [json.loads(md["metadataValue"]) for md in sheet(server, title).metadata]


# -- 1. values:batchGet ---------------------------------------------------------------------


def test_values_are_read_with_batch_get_over_each_whole_grid(
    server: FakeSheets, make_adapter, tmp_path: Path
) -> None:
    server.create(SHEET_ID, shared_with=SA_EMAIL)
    desired = sample_desired(5)
    sync(make_adapter, tmp_path, desired)
    # The user renames the managed sheet to a title that needs quoting.
    sheet(server, "Accounts").title = "It's Accounts"
    server.calls.clear()
    assert syncer(make_adapter, tmp_path).plan(desired).is_empty
    [query] = [q for e, q in server.calls if e == "values"]
    params = parse_qs(urlsplit(query.split(" ", 1)[1]).query)
    accounts = sheet(server, "It's Accounts")
    # 17 columns: A..Q; the grid is 1 header + 5 rows.
    assert (accounts.cols, accounts.rows) == (17, 6)
    assert "'It''s Accounts'!A1:Q6" in params["ranges"]
    assert len(params["ranges"]) == 5  # every managed sheet, no user sheet
    assert params["majorDimension"] == ["ROWS"]
    assert params["valueRenderOption"] == ["UNFORMATTED_VALUE"]
    assert not [q for e, q in server.calls if e == "get" and "rowData" in unquote(q)]


def test_a_managed_sheet_emptied_by_the_user_is_rewritten(
    server: FakeSheets, make_adapter, tmp_path: Path
) -> None:
    server.create(SHEET_ID, shared_with=SA_EMAIL)
    desired = sample_desired(4)
    sync(make_adapter, tmp_path, desired)
    sheet(server, "Segments").cells.clear()  # its value range comes back without "values"
    plan = syncer(make_adapter, tmp_path).plan(desired)
    assert not plan.is_empty
    syncer(make_adapter, tmp_path).apply(plan)
    assert syncer(make_adapter, tmp_path).plan(desired).is_empty


def test_an_empty_cell_inside_a_row_reads_as_none(
    server: FakeSheets, make_adapter, tmp_path: Path
) -> None:
    server.create(SHEET_ID, shared_with=SA_EMAIL)
    sync(make_adapter, tmp_path, sample_desired(3))
    accounts = sheet(server, "Accounts")
    del accounts.cells[(1, 1)]  # Google sends "" for it: cells to its right hold values
    rows = make_adapter().snapshot().managed["accounts"].rows
    assert rows[1][1] is None and rows[1][0] == "ACC-0000" and rows[1][2] is not None


# -- 2. developerMetadata:search ------------------------------------------------------------


def test_markers_are_found_by_search_when_get_lists_none(
    server: FakeSheets, make_adapter, tmp_path: Path
) -> None:
    server.create(SHEET_ID, shared_with=SA_EMAIL)
    server.metadata_in_get = False
    desired = sample_desired(5)
    sync(make_adapter, tmp_path, desired)
    server.calls.clear()
    again = syncer(make_adapter, tmp_path).plan(desired)
    assert again.is_empty, render_text(again)
    assert server.count("search") == 1
    assert [s.title for s in server.spreadsheets[SHEET_ID].sheets].count("Accounts") == 1


def test_search_is_skipped_when_get_lists_the_markers(
    server: FakeSheets, make_adapter, tmp_path: Path
) -> None:
    server.create(SHEET_ID, shared_with=SA_EMAIL)
    desired = sample_desired(3)
    sync(make_adapter, tmp_path, desired)
    server.calls.clear()
    assert syncer(make_adapter, tmp_path).plan(desired).is_empty
    assert server.count("search") == 0


# -- 3. grid growth -------------------------------------------------------------------------


def test_rows_are_added_by_setting_the_grid_size(
    server: FakeSheets, make_adapter, tmp_path: Path
) -> None:
    server.create(SHEET_ID, shared_with=SA_EMAIL)
    sync(make_adapter, tmp_path, sample_desired(4))
    assert sheet(server, "Accounts").rows == 5
    cols = sheet(server, "Accounts").cols
    more = sample_desired(9)
    sync(make_adapter, tmp_path, more)
    accounts = sheet(server, "Accounts")
    assert (accounts.rows, accounts.cols) == (10, cols)  # columns left as they were
    assert [r[0] for r in accounts.grid()[1:]] == [f"ACC-{i:04d}" for i in range(9)]
    assert syncer(make_adapter, tmp_path).plan(more).is_empty


def test_the_fake_refuses_undocumented_request_kinds_atomically(
    server: FakeSheets, make_adapter
) -> None:
    server.create(SHEET_ID, shared_with=SA_EMAIL, user_sheets={"Sheet1": [["keep"]]})
    adapter = make_adapter()
    write = {
        "updateCells": {
            "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1},
            "rows": [{"values": [{"userEnteredValue": {"stringValue": "changed"}}]}],
            "fields": "userEnteredValue",
        }
    }
    grow = {"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 1}}
    with pytest.raises(PermanentApiError, match="INVALID_ARGUMENT"):
        adapter.api.batch_update([write, grow])
    assert sheet(server, "Sheet1").grid() == [["keep"]]
    assert sheet(server, "Sheet1").rows == 1000


# -- 4. marker revisions --------------------------------------------------------------------


def test_a_renamed_sheet_keeps_its_single_marker(
    server: FakeSheets, make_adapter, tmp_path: Path
) -> None:
    server.create(SHEET_ID, shared_with=SA_EMAIL, user_sheets={"Accounts": [["mine"]]})
    sync(make_adapter, tmp_path, sample_desired(5))
    changed = sample_desired(5, variant=1)
    sync(make_adapter, tmp_path, changed)
    # Managed sheets whose title is not the default (here "Accounts (tierform)") get no new
    # marker when only their rows change.
    assert len(sheet(server, "Accounts (tierform)").metadata) == 1
    assert all(len(s.metadata) <= 1 for s in server.spreadsheets[SHEET_ID].sheets)


def test_changed_columns_add_a_marker_one_revision_up(
    server: FakeSheets, make_adapter, tmp_path: Path
) -> None:
    server.create(SHEET_ID, shared_with=SA_EMAIL)
    desired = sample_desired(4)
    sync(make_adapter, tmp_path, desired)
    # The sheet as an older release left it: the Tier column was labelled "Tier (old)".
    accounts = sheet(server, "Accounts")
    [md] = accounts.metadata
    old = json.loads(md["metadataValue"])
    field = next(f for f, h in old["columns"].items() if h == "Tier")
    old["columns"][field] = "Tier (old)"
    md["metadataValue"] = json.dumps(old)
    tier_col = accounts.grid()[0].index("Tier")
    accounts.cells[(0, tier_col)] = {"userEnteredValue": {"stringValue": "Tier (old)"}}

    changed = sample_desired(4, variant=1)  # a data change: the sheet is edited
    sync(make_adapter, tmp_path, changed)
    accounts = sheet(server, "Accounts")
    assert accounts.value(0, tier_col) == "Tier"  # renamed in place
    values = markers(server, "Accounts")
    assert len(values) == 2  # the old marker stays
    assert values[0]["columns"][field] == "Tier (old)" and "revision" not in values[0]
    assert values[1]["columns"][field] == "Tier" and values[1]["revision"] == 1
    assert syncer(make_adapter, tmp_path).plan(changed).is_empty
    # The reader takes the highest revision, wherever it sits.
    accounts.metadata.reverse()
    assert syncer(make_adapter, tmp_path).plan(changed).is_empty
    # Another column change builds on the highest revision.
    md = accounts.metadata[0]
    newest = json.loads(md["metadataValue"])
    newest["columns"][field] = "Tier (older)"
    md["metadataValue"] = json.dumps(newest)
    accounts.cells[(0, tier_col)] = {"userEnteredValue": {"stringValue": "Tier (older)"}}
    back = syncer(make_adapter, tmp_path)
    assert back.apply(back.plan(desired), force=True).ok
    assert [m.get("revision", 0) for m in markers(server, "Accounts")] == [1, 0, 2]
    assert syncer(make_adapter, tmp_path).plan(desired).is_empty


# -- 5. 2 MB payloads -----------------------------------------------------------------------


def test_a_large_first_write_is_split_under_two_megabytes(
    server: FakeSheets, make_adapter, tmp_path: Path
) -> None:
    server.create(SHEET_ID, shared_with=SA_EMAIL)
    desired = sample_desired(3600)  # about 600 bytes per Accounts row: ~2.2 MB in all
    sync(make_adapter, tmp_path, desired)
    assert sum(server.payload_sizes) > 2_000_000
    assert len(server.payload_sizes) >= 2
    assert max(server.payload_sizes) <= 2_000_000
    ids = [r[0] for r in sheet(server, "Accounts").grid()[1:]]
    assert ids == [f"ACC-{i:04d}" for i in range(3600)]


def test_a_new_sheets_setup_is_never_split_across_batches() -> None:
    """A cut between addSheet and its marker could leave a sheet without the marker, which the
    next run would take for the user's: the setup travels as one unit, whatever the limit."""
    from tierform.adapters.http.batching import chunks_by_bytes
    from tierform.adapters.sheets.planner import Snapshot, plan_requests
    from tierform.adapters.tabular import layout
    from tierform.sync.change import Change, Op

    desired = sample_desired(3)
    changes = [
        Change(Op.create, kind, key, data)
        for kind in desired.kinds()
        for key, data in desired.of(kind).items()
    ]
    units = plan_requests(layout(desired), changes, desired, Snapshot())
    requests = [r for unit in units for r in unit]
    assert sum("addSheet" in r for r in requests) >= 2
    for limit in range(500, 20_000, 257):
        batches = [[r for u in b for r in u] for b in chunks_by_bytes(units, limit)]
        assert [r for b in batches for r in b] == requests
        for batch in batches:
            for i, request in enumerate(batch):
                if "addSheet" in request:
                    assert "createDeveloperMetadata" in batch[i + 1]


def test_a_user_sheet_named_in_another_case_is_not_taken(
    server: FakeSheets, make_adapter, tmp_path: Path
) -> None:
    """Sheet names are unique whatever their case: beside the user's "accounts", tierform's
    sheet is added as "Accounts (tierform)", and the batch is not refused."""
    server.create(SHEET_ID, shared_with=SA_EMAIL, user_sheets={"accounts": [["my", "notes"]]})
    desired = sample_desired(3)
    sync(make_adapter, tmp_path, desired)
    assert sheet(server, "accounts").grid() == [["my", "notes"]]
    assert [r[0] for r in sheet(server, "Accounts (tierform)").grid()[1:]] == [
        "ACC-0000",
        "ACC-0001",
        "ACC-0002",
    ]
    assert syncer(make_adapter, tmp_path).plan(desired).is_empty


# -- 6. quota errors sent as 403 ------------------------------------------------------------


@pytest.mark.parametrize("reason", ["rateLimitExceeded", "userRateLimitExceeded"])
def test_a_403_rate_limit_is_retried(
    server: FakeSheets, make_adapter, tmp_path: Path, reason: str
) -> None:
    server.create(SHEET_ID, shared_with=SA_EMAIL)
    server.fail("batchUpdate", 403, reason=reason)
    desired = sample_desired(4)
    sync(make_adapter, tmp_path, desired)
    assert server.count("batchUpdate") == 2 and server.applied_batches == 1
    assert syncer(make_adapter, tmp_path).plan(desired).is_empty


def test_a_sheets_style_403_resource_exhausted_is_a_rate_limit(make_adapter) -> None:
    body = {
        "error": {
            "code": 403,
            "message": "Quota exceeded for quota metric 'Write requests'",
            "status": "PERMISSION_DENIED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "RATE_LIMIT_EXCEEDED",
                }
            ],
        }
    }
    request = httpx.Request("POST", "https://sheets.googleapis.com/v4/spreadsheets/x:batchUpdate")
    adapter = make_adapter()
    assert adapter.error_kind(httpx.Response(403, json=body, request=request), "") == "rate_limited"
    exhausted = {"error": {"code": 403, "message": "Quota", "status": "RESOURCE_EXHAUSTED"}}
    response = httpx.Response(403, json=exhausted, request=request)
    assert adapter.error_kind(response, "") == "rate_limited"
    denied = {"error": {"code": 403, "message": "no", "status": "PERMISSION_DENIED"}}
    assert adapter.error_kind(httpx.Response(403, json=denied, request=request), "") is None


def test_a_full_drive_403_fails_at_once(server: FakeSheets, make_adapter, tmp_path: Path) -> None:
    server.create(SHEET_ID, shared_with=SA_EMAIL)
    server.fail("batchUpdate", 403, reason="storageQuotaExceeded")
    s = syncer(make_adapter, tmp_path)
    plan = s.plan(sample_desired(3))
    with pytest.raises(AuthError, match="own no Drive storage"):
        s.apply(plan)
    assert server.count("batchUpdate") == 1  # not retried


# -- 7. replayable batches ------------------------------------------------------------------


def test_a_500_on_a_batch_without_add_sheet_is_retried(
    server: FakeSheets, make_adapter, tmp_path: Path
) -> None:
    server.create(SHEET_ID, shared_with=SA_EMAIL)
    sync(make_adapter, tmp_path, sample_desired(5))
    changed = sample_desired(7, variant=1)  # updates and new rows: no new sheet
    server.fail("batchUpdate", 500)
    sync(make_adapter, tmp_path, changed)
    assert server.count("batchUpdate") == 3 and server.applied_batches == 2
    assert syncer(make_adapter, tmp_path).plan(changed).is_empty


def test_a_500_on_a_batch_adding_sheets_is_not_replayed(
    server: FakeSheets, make_adapter, tmp_path: Path
) -> None:
    server.create(SHEET_ID, shared_with=SA_EMAIL)
    server.fail("batchUpdate", 500)
    s = syncer(make_adapter, tmp_path)
    plan = s.plan(sample_desired(3))
    with pytest.raises(Exception, match="500"):
        s.apply(plan)
    assert server.count("batchUpdate") == 1


# -- 8. token endpoint ----------------------------------------------------------------------


def test_a_busy_token_endpoint_is_retried(
    server: FakeSheets, make_adapter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import google.auth._exponential_backoff as backoff

    monkeypatch.setattr(backoff.time, "sleep", lambda _s: None)  # google-auth's own retries
    server.create(SHEET_ID, shared_with=SA_EMAIL)
    server.fail("token", 503, times=3)  # google-auth tries 3 times per refresh
    desired = sample_desired(3)
    sync(make_adapter, tmp_path, desired)
    assert server.count("token") == 4
    assert server.applied_batches == 1
