"""``platform: sheets``: the tracking workbook in Google Sheets, over the Sheets API v4.

A sync is a metadata read (a fields mask: sheet properties and developer metadata, no cells),
a ``values:batchGet`` of the managed sheets only (unformatted values, dates as serial numbers),
and one atomic ``batchUpdate`` (more, each atomic, past Google's recommended 2 MB payload).
Managed sheets carry developer metadata ``tierform.sheet`` naming the table and the columns
tierform owns; everything else in the spreadsheet is the user's and is never read or written.
When the metadata read lists no marker at all, they are looked up with
``developerMetadata:search`` (the documented lookup; metadata inside ``get`` is inferred).

The spreadsheet must exist: service accounts cannot create spreadsheets (they own no Drive
storage). Create it, share it with the service account's e-mail as Editor, and put its id in
``spreadsheet_id``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import httpx

from tierform.adapters.http.adapter import HttpAdapter
from tierform.adapters.http.batching import chunks_by_bytes
from tierform.adapters.http.body import json_body, json_loads
from tierform.adapters.http.classify import default_error_text
from tierform.adapters.sheets.api import SheetsApi
from tierform.adapters.sheets.auth import ServiceAccountAuth, load_key
from tierform.adapters.sheets.planner import (
    MARKER_KEY,
    ManagedSheet,
    Snapshot,
    marker_revision,
    plan_requests,
)
from tierform.adapters.sheets.settings import DEFAULT_BASE_URL, SheetsSettings
from tierform.adapters.tabular import layout, parse_sheet, table_from_marker
from tierform.sync.adapter import AdapterContext, ApplyContext
from tierform.sync.capabilities import FULL, Capabilities
from tierform.sync.change import Change, ChangeResult
from tierform.sync.state import Scope, State

MAX_BATCH_BYTES = 2_000_000  # Google's recommended maximum payload
# Room for the wrapper {"requests":[...],"includeSpreadsheetInResponse":false} and slack.
BATCH_MARGIN = 4_096
# Google's quota errors that arrive as 403: google-api-python-client retries these reasons.
RATE_LIMIT_REASONS = frozenset(
    {"RATE_LIMIT_EXCEEDED", "rateLimitExceeded", "userRateLimitExceeded"}
)

# A marker found: (revision, sheetId, parsed marker).
Found = tuple[int, int, dict[str, Any]]


class SheetsAdapter(HttpAdapter[SheetsSettings]):
    platform: ClassVar[str] = "sheets"
    summary: ClassVar[str] = "Google Sheets spreadsheet (service account, API v4)"
    capabilities: ClassVar[Capabilities] = FULL
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL
    rate_limit: ClassVar[float | None] = 60  # read requests per minute per user (documented)
    write_rate_limit: ClassVar[float | None] = 60  # write requests per minute per user
    Settings = SheetsSettings

    def __init__(self, settings: SheetsSettings, context: AdapterContext) -> None:
        super().__init__(settings, context)
        self.sheets_settings = settings
        self._auth: ServiceAccountAuth | None = None
        self._snapshot: Snapshot | None = None
        self.writes = 0

    # -- HTTP wiring ---------------------------------------------------------------------

    def make_auth(self) -> httpx.Auth:
        cred = self.sheets_settings.credentials
        info = load_key(cred.resolve(f"targets.{self.context.target}.credentials"), cred.env)
        self._auth = ServiceAccountAuth(
            info,
            token_url=self.sheets_settings.token_url,
            transport=self.context.http_overrides.get("transport"),
            timeout=self.sheets_settings.timeout,
        )
        return self._auth

    @property
    def api(self) -> SheetsApi:
        return SheetsApi(self.client, self.sheets_settings.spreadsheet_id)

    def error_text(self, response: httpx.Response) -> str:
        """Google's ``{"error": {"code", "message", "status"}}`` as ``STATUS: message``."""
        error = _error_body(response)
        if error.get("message"):
            status = error.get("status")
            return f"{status}: {error['message']}" if status else str(error["message"])
        return default_error_text(response)

    def error_hint(self, response: httpx.Response, text: str) -> str | None:
        sid = self.sheets_settings.spreadsheet_id
        email = self._auth.email if self._auth else "the service account's e-mail"
        status = response.status_code
        if status == 403 and ("SERVICE_DISABLED" in text or "has not been used" in text):
            return "enable the Google Sheets API for the service account's Cloud project"
        if status in (403, 429) and _is_rate_limit(response):
            return "Google's per-minute quota ran out (60 requests per user); try again later"
        if status == 403 and _has_reason(response, "storageQuotaExceeded"):
            return (
                "service accounts own no Drive storage: create the spreadsheet yourself, "
                f"share it with {email} as Editor and set spreadsheet_id"
            )
        if status == 403:
            return (
                f"share the spreadsheet with {email} as Editor (open it, Share, add that "
                "address, choose Editor). Service accounts cannot create spreadsheets: "
                "create it yourself, then share it"
            )
        if status == 404:
            return (
                f"no spreadsheet {sid}: check spreadsheet_id (the id between /d/ and /edit "
                "in the sheet's URL). The spreadsheet must exist: create it yourself and "
                f"share it with {email}; a service account cannot create one"
            )
        if status == 401:
            return "the access token was refused: check the service-account key is current"
        if status == 400 and response.request.url.path.endswith(":batchUpdate"):
            return "nothing was applied (the batch is atomic); please report this as a bug"
        return None

    def error_kind(self, response: httpx.Response, text: str) -> str | None:
        """Google's quota errors sent as 403 (Sheets' ``RESOURCE_EXHAUSTED`` /
        ``RATE_LIMIT_EXCEEDED``, Drive's ``rateLimitExceeded``) are rate limits and retried;
        ``storageQuotaExceeded`` is not (retrying it only looks like a hang)."""
        if response.status_code in (403, 429) and _is_rate_limit(response):
            return "rate_limited"
        return None

    # -- read ----------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        meta = self.api.metadata()
        snap = Snapshot()
        grids: dict[int, tuple[str, int, int]] = {}
        listed: list[tuple[Any, dict[str, Any]]] = []
        for sheet in meta.get("sheets", []) or []:
            props = sheet.get("properties", {}) or {}
            sid, title = int(props.get("sheetId", 0)), str(props.get("title", ""))
            grid = props.get("gridProperties", {}) or {}
            snap.sheet_ids.add(sid)
            snap.titles.add(title)
            grids[sid] = (title, int(grid.get("rowCount", 0)), int(grid.get("columnCount", 0)))
            listed += [(sid, md) for md in sheet.get("developerMetadata", []) or []]
        found = _latest_markers(listed, grids)
        if not found:
            searched = self.api.search_markers(MARKER_KEY)
            found = _latest_markers([(_sheet_of(md), md) for md in searched], grids)
        values = self.api.values([grids[f[1]] for f in found.values()])
        for (key, (rev, sid, marker)), rows in zip(found.items(), values, strict=True):
            title, row_count, column_count = grids[sid]
            table = table_from_marker(key, {**marker, "title": title})
            if table is None:
                continue
            snap.managed[key] = ManagedSheet(sid, title, table, rows, row_count, column_count, rev)
        return snap

    def read(self, scope: Scope) -> State:
        snap = self.snapshot()
        self._snapshot = snap
        state = State()
        for sheet in snap.managed.values():
            if set(sheet.table.kinds) & scope.kinds:
                parse_sheet(sheet.table, sheet.rows, state)
        return state

    # -- apply ---------------------------------------------------------------------------

    def apply(self, changes: Sequence[Change], ctx: ApplyContext) -> Iterator[ChangeResult]:
        if not changes:
            return
        # Row positions come from the read this plan was made from (moments ago); without one
        # (an adapter used for apply only) read now.
        snap = self._snapshot or self.snapshot()
        units = plan_requests(layout(ctx.desired), changes, ctx.desired, snap)
        chunked = chunks_by_bytes(units, MAX_BATCH_BYTES - BATCH_MARGIN)
        batches = [[r for unit in batch for r in unit] for batch in chunked]
        if len(batches) > 1:
            self.log.warning(
                "apply: %d requests exceed 2 MB; sending %d atomic batches",
                sum(map(len, batches)),
                len(batches),
            )
        for i, batch in enumerate(batches, 1):
            ctx.step(f"batchUpdate {i}/{len(batches)} ({len(batch)} requests)")
            self.api.batch_update(batch)
            self.writes += 1
        self._snapshot = None
        for change in changes:
            yield ChangeResult(change, ok=True)

    def plan_meta(self) -> dict[str, Any]:
        return {"spreadsheet_id": self.sheets_settings.spreadsheet_id}

    def close(self) -> None:
        super().close()
        if self._auth is not None:
            self._auth.close()


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        error = json_body(response).get("error")
    except (ValueError, AttributeError):
        return {}
    return error if isinstance(error, dict) else {}


def _reasons(error: dict[str, Any]) -> set[str]:
    entries = [*(error.get("details") or []), *(error.get("errors") or [])]
    return {str(e.get("reason")) for e in entries if isinstance(e, dict) and e.get("reason")}


def _has_reason(response: httpx.Response, reason: str) -> bool:
    return reason in _reasons(_error_body(response))


def _is_rate_limit(response: httpx.Response) -> bool:
    """Whether Google's error body says a quota ran out: ``error.status``, the ErrorInfo
    ``details[].reason`` (Sheets) or the older ``errors[].reason`` (Drive)."""
    error = _error_body(response)
    reasons = _reasons(error)
    if "storageQuotaExceeded" in reasons or "storage quota" in str(error.get("message", "")):
        return False  # a full Drive does not refill: fail fast, whatever the status says
    return error.get("status") == "RESOURCE_EXHAUSTED" or bool(reasons & RATE_LIMIT_REASONS)


def _sheet_of(metadata: dict[str, Any]) -> Any:
    """The sheetId a searched marker is attached to (``location.sheetId``)."""
    location = metadata.get("location")
    return location.get("sheetId") if isinstance(location, dict) else None


def _latest_markers(
    entries: list[tuple[Any, dict[str, Any]]], grids: dict[int, tuple[str, int, int]]
) -> dict[str, Found]:
    """Per table key, the marker with the highest revision (the first of equals) among
    ``(sheetId, developerMetadata)`` entries on sheets that exist."""
    found: dict[str, Found] = {}
    for sid, md in entries:
        if md.get("metadataKey") != MARKER_KEY or not isinstance(sid, int) or sid not in grids:
            continue
        try:
            marker = json_loads(md.get("metadataValue") or "")
        except json.JSONDecodeError:
            continue
        if not isinstance(marker, dict) or "key" not in marker:
            continue
        key, rev = str(marker["key"]), marker_revision(marker)
        if key not in found or rev > found[key][0]:
            found[key] = (rev, sid, marker)
    return found
