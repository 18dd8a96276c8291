"""``platform: sheets``: the tracking workbook in Google Sheets, over the Sheets API v4.

A sync is a metadata read (a fields mask: sheet properties and developer metadata, no cells),
a read of the entered values of the managed sheets only, and one atomic ``batchUpdate``.
Managed sheets carry developer metadata ``tierform.sheet`` naming the table and the columns
tierform owns; everything else in the spreadsheet is the user's and is never read or written.

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
    plan_requests,
)
from tierform.adapters.sheets.settings import DEFAULT_BASE_URL, SheetsSettings
from tierform.adapters.tabular import layout, parse_sheet, table_from_marker
from tierform.sync.adapter import AdapterContext, ApplyContext
from tierform.sync.capabilities import FULL, Capabilities
from tierform.sync.change import Change, ChangeResult
from tierform.sync.state import Scope, State
from tierform.workbook.sheets import value_of

MAX_BATCH_BYTES = 2_000_000  # Google's recommended maximum payload


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
        try:
            error = json_body(response).get("error")
        except (ValueError, AttributeError):
            error = None
        if isinstance(error, dict) and error.get("message"):
            status = error.get("status")
            return f"{status}: {error['message']}" if status else str(error["message"])
        return default_error_text(response)

    def error_hint(self, response: httpx.Response, text: str) -> str | None:
        sid = self.sheets_settings.spreadsheet_id
        email = self._auth.email if self._auth else "the service account's e-mail"
        status = response.status_code
        if status == 403 and ("SERVICE_DISABLED" in text or "has not been used" in text):
            return "enable the Google Sheets API for the service account's Cloud project"
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

    # -- read ----------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        meta = self.api.metadata()
        snap = Snapshot()
        found: dict[str, tuple[int, str, Any, int | None, int, int]] = {}
        for sheet in meta.get("sheets", []) or []:
            props = sheet.get("properties", {})
            sid, title = int(props.get("sheetId", 0)), str(props.get("title", ""))
            grid = props.get("gridProperties", {}) or {}
            snap.sheet_ids.add(sid)
            snap.titles.add(title)
            for md in sheet.get("developerMetadata", []) or []:
                if md.get("metadataKey") != MARKER_KEY:
                    continue
                try:
                    marker = json_loads(md.get("metadataValue") or "")
                except json.JSONDecodeError:
                    continue
                if isinstance(marker, dict) and "key" in marker and marker["key"] not in found:
                    found[str(marker["key"])] = (
                        sid,
                        title,
                        marker,
                        md.get("metadataId"),
                        int(grid.get("rowCount", 0)),
                        int(grid.get("columnCount", 0)),
                    )
        values = self.api.values([f[1] for f in found.values()])
        for key, (sid, title, marker, mid, rows, cols) in found.items():
            table = table_from_marker(key, {**marker, "title": title})
            if table is None:
                continue
            grid_rows = [[value_of(c) for c in row] for row in values.get(sid, [])]
            snap.managed[key] = ManagedSheet(sid, title, table, mid, grid_rows, rows, cols)
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
        requests = plan_requests(layout(ctx.desired), changes, ctx.desired, snap)
        batches = list(chunks_by_bytes(requests, MAX_BATCH_BYTES))
        if len(batches) > 1:
            self.log.warning(
                "apply: %d requests exceed 2 MB; sending %d atomic batches",
                len(requests),
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
