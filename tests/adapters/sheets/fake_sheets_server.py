"""A stateful fake of the Google Sheets API v4 and Google's OAuth token endpoint, for respx.

Dict-backed and strict about the documented shapes (platforms/sheets.md): bearer tokens issued
only for a correctly signed service-account JWT, 401 without one, 404 for an unknown
spreadsheet, 403 PERMISSION_DENIED unless the spreadsheet is shared with the caller.

Endpoints: ``get`` (a required ``fields`` mask, responses pruned to it; properties and developer
metadata only, no grid data), ``values:batchGet`` (explicit A1 ranges inside the grid, answered
in request order with trailing empty cells and rows left out), ``developerMetadata:search``, and
``batchUpdate`` validated whole before anything is applied (atomic), accepting only the request
kinds the research lists and bodies up to 2 MB.

Faults can be queued: a status (429, 5xx, or a 403 with a Drive-style ``errors[].reason``) for
the next matching call, or a connection dropped after a write applied. A per-minute quota can be
spent (:meth:`FakeSheets.spend_quota`): every read ("get") or write ("batchUpdate") is then
refused with Google's 429 ``RESOURCE_EXHAUSTED`` (``RATE_LIMIT_EXCEEDED``, no ``Retry-After``, as
documented) until the window refills on the fake's clock.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

import httpx

from tests.fakes.support import json_response

TOKEN_URL = "https://oauth2.googleapis.com/token"
SCOPE = "https://www.googleapis.com/auth/spreadsheets"
VALUE_KEYS = {"stringValue", "numberValue", "boolValue", "formulaValue"}
# The batchUpdate request kinds the research lists (sheets.md 1.3, 1.7 [C]); any other kind
# fails the whole batch with 400 INVALID_ARGUMENT.
DOCUMENTED_KINDS = frozenset(
    {
        "addSheet",
        "updateSheetProperties",
        "deleteSheet",
        "repeatCell",
        "addProtectedRange",
        "deleteProtectedRange",
        "createDeveloperMetadata",
        "updateCells",
        "setDataValidation",
    }
)
# Google's recommended maximum payload (sheets.md 1.6 [C]). [I] what Google does past it is not
# documented; the fake refuses the request with 400 INVALID_ARGUMENT.
MAX_PAYLOAD = 2_000_000
A1_SPAN = re.compile(r"^([A-Z]+)([0-9]+):([A-Z]+)([0-9]+)$")
READ_ENDPOINTS = ("get", "values", "search")


class BadRequest(Exception):
    pass


def error(
    code: int, status: str, message: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(
        code, json={"error": {"code": code, "message": message, "status": status}}, headers=headers
    )


def quota_exceeded(endpoint: str) -> httpx.Response:
    """Google's 429 for a spent per-minute quota (sheets.md 1.5): no ``Retry-After``."""
    kind, limit = (
        ("Write", "WriteRequests") if endpoint == "batchUpdate" else ("Read", "ReadRequests")
    )
    message = (
        f"Quota exceeded for quota metric '{kind} requests' and limit '{kind} requests per "
        "minute per user' of service 'sheets.googleapis.com' for consumer 'project_number:1'."
    )
    detail = {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "RATE_LIMIT_EXCEEDED",
        "domain": "googleapis.com",
        "metadata": {
            "quota_limit": f"{limit}PerMinutePerUser",
            "quota_metric": f"sheets.googleapis.com/{kind.lower()}_requests",
            "service": "sheets.googleapis.com",
        },
    }
    body = {"code": 429, "message": message, "status": "RESOURCE_EXHAUSTED", "details": [detail]}
    return httpx.Response(429, json={"error": body})


def drive_style_403(reason: str) -> httpx.Response:
    """A 403 in the Drive API's older shape, ``error.errors[].{domain, reason}`` (sheets.md 1.5
    [C]: google-api-python-client retries ``rateLimitExceeded`` / ``userRateLimitExceeded``;
    ``storageQuotaExceeded`` is the full-Drive answer that must not be retried)."""
    message = {
        "rateLimitExceeded": "Rate Limit Exceeded",
        "userRateLimitExceeded": "User Rate Limit Exceeded",
        "storageQuotaExceeded": "The user's Drive storage quota has been exceeded.",
    }.get(reason, reason)
    domain = "usageLimits" if "RateLimit" in reason or "rateLimit" in reason else "global"
    body = {
        "code": 403,
        "message": message,
        "errors": [{"domain": domain, "reason": reason, "message": message}],
    }
    return httpx.Response(403, json={"error": body})


def parse_mask(mask: str) -> dict[str, Any]:
    """'a,b(c,d.e),f.g' -> {'a': {}, 'b': {'c': {}, 'd': {'e': {}}}, 'f': {'g': {}}}."""
    tree: dict[str, Any] = {}
    i = 0

    def parse(level: dict[str, Any]) -> None:
        nonlocal i
        while i < len(mask):
            start = i
            while i < len(mask) and mask[i] not in ",()":
                i += 1
            path = mask[start:i].strip()
            node = level
            for part in [p for p in path.split(".") if p]:
                node = node.setdefault(part, {})
            if i < len(mask) and mask[i] == "(":
                i += 1
                parse(node)
                i += 1  # ')'
            if i < len(mask) and mask[i] == ",":
                i += 1
                continue
            if i < len(mask) and mask[i] == ")":
                return

    parse(tree)
    return tree


def prune(value: Any, tree: dict[str, Any]) -> Any:
    if not tree:
        return value
    if isinstance(value, list):
        return [prune(v, tree) for v in value]
    if isinstance(value, dict):
        return {k: prune(v, tree[k]) for k, v in value.items() if k in tree}
    return value


@dataclass
class Sheet:
    sheet_id: int
    title: str
    index: int
    rows: int = 1000
    cols: int = 26
    frozen: int = 0
    metadata: list[dict[str, Any]] = field(default_factory=list)
    cells: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)

    def value(self, r: int, c: int) -> Any:
        ev = self.cells.get((r, c), {}).get("userEnteredValue", {})
        return next(iter(ev.values()), None)

    def grid(self) -> list[list[Any]]:
        if not self.cells:
            return []
        height = max(r for r, _ in self.cells) + 1
        width = max(c for _, c in self.cells) + 1
        return [[self.value(r, c) for c in range(width)] for r in range(height)]


@dataclass
class Spreadsheet:
    spreadsheet_id: str
    title: str
    sheets: list[Sheet] = field(default_factory=list)
    shared_with: set[str] = field(default_factory=set)

    def sheet(self, sheet_id: int) -> Sheet:
        for s in self.sheets:
            if s.sheet_id == sheet_id:
                return s
        raise BadRequest(f"No grid with id: {sheet_id}")

    def by_title(self, title: str) -> Sheet | None:
        return next((s for s in self.sheets if s.title == title), None)


@dataclass
class Fault:
    endpoint: str  # "get" | "values" | "search" | "batchUpdate" | "token"
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    drop_after_apply: bool = False
    reason: str | None = None  # a 403 in Drive's shape with this errors[].reason


class FakeSheets:
    """The fake server. ``router(respx_mock)`` installs its routes."""

    def __init__(self, public_pems: dict[str, bytes] | None = None) -> None:
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self.public_pems = dict(public_pems or {})
        self.tokens: dict[str, str] = {}  # token -> service-account e-mail
        self.faults: list[Fault] = []
        self.calls: list[tuple[str, str]] = []  # (endpoint, method + path + query)
        self.applied_batches = 0
        self.next_metadata_id = 100
        self.ascii_json = False  # JSON with every non-ASCII character escaped (json_response)
        self.clock: Callable[[], float] = lambda: 0.0
        self.spent_until: dict[str, float] = {}  # endpoint -> when its quota window refills
        self.refused = 0  # calls refused for a spent quota
        # Whether ``get`` answers sheets[].developerMetadata (the research infers it, sheets.md
        # 1.3 [I]); when False only developerMetadata:search (documented, [C]) finds markers.
        self.metadata_in_get = True
        self.payload_sizes: list[int] = []  # bytes of every batchUpdate body received

    # -- setup ---------------------------------------------------------------------------

    def create(
        self,
        spreadsheet_id: str,
        shared_with: str | None = None,
        user_sheets: dict[str, list[list[Any]]] | None = None,
    ) -> Spreadsheet:
        sp = Spreadsheet(spreadsheet_id, "Client CS")
        for i, (title, rows) in enumerate((user_sheets or {"Sheet1": []}).items()):
            sheet = Sheet(sheet_id=i, title=title, index=i)
            for r, row in enumerate(rows):
                for c, v in enumerate(row):
                    if v is not None:
                        sheet.cells[(r, c)] = {"userEnteredValue": _ev(v)}
            sp.sheets.append(sheet)
        if shared_with:
            sp.shared_with.add(shared_with)
        self.spreadsheets[spreadsheet_id] = sp
        return sp

    def fail(
        self,
        endpoint: str,
        status: int | None = None,
        times: int = 1,
        headers: dict[str, str] | None = None,
        drop_after_apply: bool = False,
        reason: str | None = None,
    ) -> None:
        for _ in range(times):
            self.faults.append(
                Fault(endpoint, status, dict(headers or {}), drop_after_apply, reason)
            )

    def spend_quota(self, endpoint: str, clock: Callable[[], float], seconds: float = 60.0) -> None:
        """Another client spent this minute's quota of ``endpoint`` ("get" for every read:
        get, values:batchGet, search; "batchUpdate" for writes): refused until ``seconds``
        have passed on ``clock``."""
        self.clock = clock
        self.spent_until[endpoint] = clock() + seconds

    def count(self, endpoint: str) -> int:
        return sum(1 for e, _ in self.calls if e == endpoint)

    def router(self, mock: Any) -> None:
        mock.post(TOKEN_URL).mock(side_effect=self.token)
        mock.route(host="sheets.googleapis.com").mock(side_effect=self.handle)

    def _fault(self, endpoint: str) -> Fault | None:
        for i, f in enumerate(self.faults):
            if f.endpoint == endpoint:
                return self.faults.pop(i)
        return None

    # -- OAuth ---------------------------------------------------------------------------

    def token(self, request: httpx.Request) -> httpx.Response:
        from google.auth import jwt

        self.calls.append(("token", "POST /token"))
        fault = self._fault("token")
        if fault is not None and fault.status is not None:
            # OAuth error body; google-auth treats 429/5xx as retryable (sheets.md 2 [C])
            return httpx.Response(fault.status, json={"error": "internal_failure"})
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return httpx.Response(400, json={"error": "unsupported_grant_type"})
        try:
            unverified = jwt.decode(form.get("assertion", ""), verify=False)
            pem = self.public_pems[unverified["iss"]]
            claims = jwt.decode(form["assertion"], certs=pem, audience=TOKEN_URL)
        except Exception:  # noqa: BLE001 - any bad assertion is invalid_grant, as Google says
            return httpx.Response(
                400, json={"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
            )
        if SCOPE not in str(claims.get("scope", "")).split():
            return httpx.Response(400, json={"error": "invalid_scope"})
        token = "ya29." + secrets.token_urlsafe(24)
        self.tokens[token] = str(claims["iss"])
        return httpx.Response(
            200, json={"access_token": token, "expires_in": 3600, "token_type": "Bearer"}
        )

    # -- Sheets --------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = unquote(request.url.path)
        endpoint = _endpoint(request.method, path)
        self.calls.append((endpoint, f"{request.method} {path}?{request.url.query.decode()}"))
        auth = request.headers.get("Authorization", "")
        email = (
            self.tokens.get(auth.removeprefix("Bearer ")) if auth.startswith("Bearer ") else None
        )
        if email is None:
            return error(
                401,
                "UNAUTHENTICATED",
                "Request had invalid authentication credentials. Expected OAuth 2 access token.",
            )
        quota = "get" if endpoint in READ_ENDPOINTS else endpoint
        if self.clock() < self.spent_until.get(quota, float("-inf")):
            self.refused += 1
            return quota_exceeded(quota)
        fault = self._fault(endpoint)
        if fault is not None and fault.status == 403 and fault.reason:
            return drive_style_403(fault.reason)
        if fault is not None and fault.status == 429 and not fault.headers:
            return quota_exceeded(quota)
        if fault is not None and fault.status is not None:
            return error(
                fault.status,
                {429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}.get(
                    fault.status, "UNKNOWN"
                ),
                "Quota exceeded for quota metric 'Write requests'"
                if fault.status == 429
                else "The service is currently unavailable.",
                fault.headers,
            )
        parts = path.split("/")
        if len(parts) < 4 or parts[1:3] != ["v4", "spreadsheets"]:
            return error(404, "NOT_FOUND", "Not found")
        sid = parts[3].split(":")[0]
        sp = self.spreadsheets.get(sid)
        if sp is None:
            return error(404, "NOT_FOUND", "Requested entity was not found.")
        if email not in sp.shared_with:
            return error(403, "PERMISSION_DENIED", "The caller does not have permission")
        try:
            if endpoint == "get" and len(parts) == 4 and ":" not in parts[3]:
                return self.get(sp, request)
            if endpoint == "values" and parts[4:] == ["values:batchGet"]:
                return self.values_batch_get(sp, request)
            if endpoint == "search" and parts[4:] == ["developerMetadata:search"]:
                return self.search(sp, request)
            if endpoint == "batchUpdate" and request.method == "POST":
                response = self.batch_update(sp, request)
                if fault is not None and fault.drop_after_apply:
                    raise httpx.ReadError("connection reset by peer", request=request)
                return response
        except BadRequest as exc:
            return error(400, "INVALID_ARGUMENT", str(exc))
        return error(404, "NOT_FOUND", f"no such method {request.method} {path}")

    def get(self, sp: Spreadsheet, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        fields = params.get("fields")
        if not fields:
            raise BadRequest("this fake requires a fields mask on every read")
        mask = parse_mask(fields)
        if "data" in mask.get("sheets", {}) or params.get_list("ranges"):
            # Cell values are read through values:batchGet (sheets.md 1.2 [C]); grid data in
            # get is not in the research, so this fake does not serve it.
            raise BadRequest("this fake serves cell values through values:batchGet only")
        sheets = []
        for s in sorted(sp.sheets, key=lambda s: s.index):
            out: dict[str, Any] = {
                "properties": {
                    "sheetId": s.sheet_id,
                    "title": s.title,
                    "index": s.index,
                    "sheetType": "GRID",
                    "gridProperties": {
                        "rowCount": s.rows,
                        "columnCount": s.cols,
                        "frozenRowCount": s.frozen,
                    },
                },
            }
            if self.metadata_in_get:
                out["developerMetadata"] = copy.deepcopy(s.metadata)
            sheets.append(out)
        body = {
            "spreadsheetId": sp.spreadsheet_id,
            "properties": {"title": sp.title},
            "sheets": sheets,
        }
        return json_response(200, prune(body, mask), ascii_only=self.ascii_json)

    def values_batch_get(self, sp: Spreadsheet, request: httpx.Request) -> httpx.Response:
        """``values:batchGet`` (sheets.md 1.2 [C]): one ValueRange per ``ranges=``, in request
        order; trailing empty cells and rows left out, "" for an empty cell inside a row, and
        no ``values`` at all for an empty range."""
        params = request.url.params
        ranges = params.get_list("ranges")
        if not ranges:
            raise BadRequest("ranges is required")
        major = params.get("majorDimension", "ROWS")
        if major != "ROWS":
            raise BadRequest("this fake answers majorDimension=ROWS only")
        render = params.get("valueRenderOption", "FORMATTED_VALUE")
        if render not in ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"):
            raise BadRequest(f"Invalid value at 'value_render_option' ({render})")
        value_ranges = []
        for text in ranges:
            sheet, (r0, r1, c0, c1) = self._a1(sp, text)
            rows = [
                [_rendered(sheet.cells.get((r, c)), render) for c in range(c0, c1)]
                for r in range(r0, r1)
            ]
            rows = [_trim(row) for row in rows]
            while rows and not rows[-1]:
                rows.pop()
            vr: dict[str, Any] = {"range": text, "majorDimension": "ROWS"}
            if rows:
                vr["values"] = rows
            value_ranges.append(vr)
        body = {"spreadsheetId": sp.spreadsheet_id, "valueRanges": value_ranges}
        return json_response(200, body, ascii_only=self.ascii_json)

    def _a1(self, sp: Spreadsheet, text: str) -> tuple[Sheet, tuple[int, int, int, int]]:
        """A range as ``'Title'!A1:D10`` or a bare (quoted) title -> sheet, 0-based half-open
        (r0, r1, c0, c1). [I] a span past the grid is refused as Google refuses updates."""
        title, _, span = text.partition("!")
        if title.startswith("'") and title.endswith("'") and len(title) > 1:
            title = title[1:-1].replace("''", "'")
        sheet = sp.by_title(title)
        if sheet is None:
            raise BadRequest(f"Unable to parse range: {text}")
        if not span:
            return sheet, (0, sheet.rows, 0, sheet.cols)
        m = A1_SPAN.match(span)
        if m is None:
            raise BadRequest(f"Unable to parse range: {text}")
        c0, r0 = _col_index(m.group(1)), int(m.group(2)) - 1
        c1, r1 = _col_index(m.group(3)) + 1, int(m.group(4))
        if not (0 <= r0 < r1 and 0 <= c0 < c1):
            raise BadRequest(f"Unable to parse range: {text}")
        if r1 > sheet.rows or c1 > sheet.cols:
            raise BadRequest(
                f"Range ({text}) exceeds grid limits. Max rows: {sheet.rows}, "
                f"max columns: {sheet.cols}"
            )
        return sheet, (r0, r1, c0, c1)

    def search(self, sp: Spreadsheet, request: httpx.Request) -> httpx.Response:
        """``developerMetadata:search`` (sheets.md 1.3 [C]): each ``developerMetadataLookup``
        matches the intersection of the fields it gives; matches of all filters, once each."""
        body = json.loads(request.content or b"{}")
        filters = body.get("dataFilters")
        if not isinstance(filters, list) or not filters:
            raise BadRequest("dataFilters must be a non-empty list")
        matched: list[dict[str, Any]] = []
        seen: set[int] = set()
        for data_filter in filters:
            lookup = data_filter.get("developerMetadataLookup")
            if not isinstance(lookup, dict) or not lookup:
                raise BadRequest("this fake supports developerMetadataLookup filters only")
            for s in sp.sheets:
                for md in s.metadata:
                    if md["metadataId"] not in seen and _lookup_matches(lookup, md):
                        seen.add(md["metadataId"])
                        matched.append(
                            {"developerMetadata": copy.deepcopy(md), "dataFilters": [data_filter]}
                        )
        # An empty search answers {} (proto3 JSON leaves out empty repeated fields).
        out = {"matchedDeveloperMetadata": matched} if matched else {}
        return json_response(200, out, ascii_only=self.ascii_json)

    def batch_update(self, sp: Spreadsheet, request: httpx.Request) -> httpx.Response:
        self.payload_sizes.append(len(request.content))
        if len(request.content) > MAX_PAYLOAD:
            raise BadRequest(f"Request payload size exceeds the limit: {MAX_PAYLOAD} bytes.")
        body = json.loads(request.content)
        requests = body.get("requests")
        if not isinstance(requests, list) or not requests:
            raise BadRequest("requests must be a non-empty list")
        work = copy.deepcopy(sp)  # validate + apply on a copy: all or nothing
        replies = []
        for i, req in enumerate(requests):
            if len(req) != 1:
                raise BadRequest(f"Invalid requests[{i}]: exactly one request kind expected")
            kind, args = next(iter(req.items()))
            if kind not in DOCUMENTED_KINDS:
                raise BadRequest(f"Invalid requests[{i}]: unknown request kind {kind}")
            handler = getattr(self, f"_{kind}", None)
            if handler is None:
                raise BadRequest(f"Invalid requests[{i}]: this fake does not implement {kind}")
            try:
                replies.append(handler(work, args) or {})
            except BadRequest as exc:
                raise BadRequest(f"Invalid requests[{i}].{kind}: {exc}") from None
        self.spreadsheets[sp.spreadsheet_id] = work
        self.applied_batches += 1
        return httpx.Response(200, json={"spreadsheetId": sp.spreadsheet_id, "replies": replies})

    # request kinds -------------------------------------------------------------------

    def _addSheet(self, sp: Spreadsheet, args: dict[str, Any]) -> dict[str, Any]:
        props = args["properties"]
        sid = props.get("sheetId", max([s.sheet_id for s in sp.sheets] + [0]) + 1)
        if not isinstance(sid, int) or sid < 0 or any(s.sheet_id == sid for s in sp.sheets):
            raise BadRequest(f"A sheet with id {sid} already exists")
        title = props.get("title", f"Sheet{len(sp.sheets) + 1}")
        # Sheet names are unique whatever their case [I: the research is silent; Google's UI
        # refuses "accounts" beside "Accounts"].
        if any(s.title.casefold() == title.casefold() for s in sp.sheets):
            raise BadRequest(f'A sheet with the name "{title}" already exists.')
        grid = props.get("gridProperties", {})
        sheet = Sheet(
            sid,
            title,
            props.get("index", len(sp.sheets)),
            grid.get("rowCount", 1000),
            grid.get("columnCount", 26),
            grid.get("frozenRowCount", 0),
        )
        sp.sheets.append(sheet)
        return {"addSheet": {"properties": {"sheetId": sid, "title": title}}}

    def _deleteSheet(self, sp: Spreadsheet, args: dict[str, Any]) -> None:
        sp.sheets.remove(sp.sheet(args["sheetId"]))

    def _createDeveloperMetadata(self, sp: Spreadsheet, args: dict[str, Any]) -> dict[str, Any]:
        md = copy.deepcopy(args["developerMetadata"])
        if not md.get("metadataKey"):
            raise BadRequest("metadataKey is required")
        if md.get("visibility") not in ("DOCUMENT", "PROJECT"):
            raise BadRequest("visibility must be DOCUMENT or PROJECT")
        sheet = sp.sheet(md.get("location", {}).get("sheetId"))
        self.next_metadata_id += 1
        md["metadataId"] = self.next_metadata_id
        md["location"] = {"locationType": "SHEET", "sheetId": sheet.sheet_id}
        sheet.metadata.append(md)
        return {"createDeveloperMetadata": {"developerMetadata": md}}

    def _check_range(self, sheet: Sheet, rng: dict[str, Any]) -> tuple[int, int, int, int]:
        r0, r1 = rng.get("startRowIndex", 0), rng.get("endRowIndex", sheet.rows)
        c0, c1 = rng.get("startColumnIndex", 0), rng.get("endColumnIndex", sheet.cols)
        if not (0 <= r0 <= r1 <= sheet.rows and 0 <= c0 <= c1 <= sheet.cols):
            raise BadRequest(
                f"Range ({sheet.title}!R{r0}C{c0}:R{r1}C{c1}) exceeds grid limits. "
                f"Max rows: {sheet.rows}, max columns: {sheet.cols}"
            )
        return r0, r1, c0, c1

    def _updateCells(self, sp: Spreadsheet, args: dict[str, Any]) -> None:
        if "fields" not in args:
            raise BadRequest("fields is required")
        sheet = sp.sheet(args["range"]["sheetId"])
        r0, r1, c0, c1 = self._check_range(sheet, args["range"])
        rows = args.get("rows", [])
        if len(rows) > r1 - r0:
            raise BadRequest("more rows than the range holds")
        for r in range(r0, r1):  # fields not covered by the data are cleared
            values = rows[r - r0].get("values", []) if r - r0 < len(rows) else []
            if len(values) > c1 - c0:
                raise BadRequest("more values than the range holds")
            for c in range(c0, c1):
                data = values[c - c0] if c - c0 < len(values) else {}
                ev = data.get("userEnteredValue")
                if ev is not None and (len(ev) != 1 or next(iter(ev)) not in VALUE_KEYS):
                    raise BadRequest(f"invalid ExtendedValue {ev}")
                if ev is None and not data:
                    sheet.cells.pop((r, c), None)
                else:
                    sheet.cells[(r, c)] = copy.deepcopy(data)

    def _repeatCell(self, sp: Spreadsheet, args: dict[str, Any]) -> None:
        sheet = sp.sheet(args["range"]["sheetId"])
        self._check_range(sheet, args["range"])
        if "fields" not in args:
            raise BadRequest("fields is required")

    def _updateSheetProperties(self, sp: Spreadsheet, args: dict[str, Any]) -> None:
        """Fields named in the mask are set from ``properties``; one named but absent is
        cleared (field-masks guide, sheets.md 1.3 [C]). [I] a grid cleared to 0 rows or
        columns, or an empty title, is refused."""
        props = args.get("properties") or {}
        sheet = sp.sheet(props.get("sheetId"))
        fields = args.get("fields")
        if not fields:
            raise BadRequest("fields is required")
        grid = props.get("gridProperties") or {}
        for path in _leaves(parse_mask(fields)):
            if path == "title":
                sheet.title = str(props.get("title", ""))
            elif path == "index":
                sheet.index = int(props.get("index", 0))
            elif path in ("gridProperties.rowCount", "gridProperties.columnCount"):
                name = path.split(".")[1]
                value = int(grid.get(name, 0))
                if name == "rowCount":
                    sheet.rows = value
                else:
                    sheet.cols = value
            elif path == "gridProperties.frozenRowCount":
                sheet.frozen = int(grid.get("frozenRowCount", 0))
            else:
                raise BadRequest(f"this fake does not update {path}")
        if sheet.rows < 1 or sheet.cols < 1:
            raise BadRequest("a sheet needs at least one row and one column")
        if not sheet.title or any(
            s.title == sheet.title for s in sp.sheets if s.sheet_id != sheet.sheet_id
        ):
            raise BadRequest(f'Invalid sheet name "{sheet.title}"')
        sheet.cells = {
            (r, c): v for (r, c), v in sheet.cells.items() if r < sheet.rows and c < sheet.cols
        }


def _endpoint(method: str, path: str) -> str:
    if path.endswith(":batchUpdate"):
        return "batchUpdate"
    if path.endswith("/values:batchGet"):
        return "values"
    if path.endswith("/developerMetadata:search"):
        return "search"
    return method.lower()


def _leaves(tree: dict[str, Any], prefix: str = "") -> list[str]:
    out: list[str] = []
    for name, sub in tree.items():
        path = f"{prefix}{name}"
        out += _leaves(sub, path + ".") if sub else [path]
    return out


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - ord("A") + 1
    return n - 1


def _trim(row: list[Any]) -> list[Any]:
    while row and row[-1] == "":
        row.pop()
    return row


def _rendered(cell: dict[str, Any] | None, render: str) -> Any:
    """A cell's value as values:batchGet renders it. [I] the fake evaluates no formulas: a
    formula reads as its text (as FORMULA would), unless the test set an ``effectiveValue``."""
    if not cell:
        return ""
    entered = cell.get("userEnteredValue") or {}
    if "formulaValue" in entered:
        if render == "FORMULA" or "effectiveValue" not in cell:
            return entered["formulaValue"]
        entered = cell["effectiveValue"]
    if not entered:
        return ""
    kind, value = next(iter(entered.items()))
    if render != "FORMATTED_VALUE" or kind == "stringValue":
        return value
    if kind == "boolValue":
        return "TRUE" if value else "FALSE"
    number_format = (cell.get("userEnteredFormat") or {}).get("numberFormat") or {}
    if number_format.get("type") == "DATE":
        return (dt.date(1899, 12, 30) + dt.timedelta(days=int(value))).isoformat()
    return f"{value:g}" if isinstance(value, float) else str(value)


def _lookup_matches(lookup: dict[str, Any], md: dict[str, Any]) -> bool:
    location = md.get("location") or {}
    checks = {
        "metadataId": md.get("metadataId"),
        "metadataKey": md.get("metadataKey"),
        "metadataValue": md.get("metadataValue"),
        "visibility": md.get("visibility"),
        "locationType": location.get("locationType"),
    }
    for name, wanted in lookup.items():
        if name not in checks:
            raise BadRequest(f"this fake does not look up by {name}")
        if checks[name] != wanted:
            return False
    return True


def _ev(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int | float):
        return {"numberValue": v}
    if isinstance(v, str) and v.startswith("="):
        return {"formulaValue": v}
    return {"stringValue": str(v)}
