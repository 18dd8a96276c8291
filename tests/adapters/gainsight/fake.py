"""A stateful fake of Gainsight CS's public REST API (the parts tierform uses), for respx.

Modelled on the research file's facts (tags as there: [C] confirmed, [S] secondary, [I]
inferred): the 6-key envelope with a fresh ``requestId`` on every answer [C]; failures as 4xx or,
with ``errors_at_200``, as HTTP 200 + ``result: false`` [S]; ``accesskey`` header
(case-insensitive) or a bearer token from ``POST /v1/users/m2m/oauth/token`` [S]; MDA query
(``select`` required, ``limit`` <= 5000, ``offset``, ``where``/``orderBy``) with ``read_shape``
``records`` (``data.records``, default [S]) or ``flat`` (``data: [...]`` [C]) and ``empty``
``records`` | ``nodata200`` | ``400`` (the three documented empty answers [C]); describe by POST [C]
and GET [S] (``describe`` picks which the tenant serves); Company insert (all-or-nothing [C]) and
``PUT ?keys=`` update (<= 50 records, <= 3 keys, no create [I]); custom fields exist only once a
test "creates them in the UI" (:meth:`create_field`); Cockpit CTA create/update/list
(``requests[].record``, results keyed by ``referenceId`` [I], ``pageSize`` <= 1000, ISO dates,
``COCKPIT_5101`` on a bad select [C]), playbooks whose tasks are created when attached [C/S], and
picklists [S]. Limits [C]: a fixed 60 s window of 100 requests and 50,000 a day per tenant;
past either, 429 ``GS_APIG_2404`` without ``Retry-After`` (no rate-limit headers are documented
for these APIs, so none are sent). A wrong access key gets 401 ``GS_APIG_2401`` [S], or with
``bad_key = "GSOBJ_1024"`` the Error Codes page's 400 "Invalid authorization headers" [C].
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import itertools
import json
import re
import uuid
from collections.abc import Iterable
from typing import Any

import httpx
import respx

from tests.fakes.support import DROP, Fault, Logged, RequestLog, VirtualClock, json_response

__all__ = ["DROP", "GainsightFake", "VirtualClock"]

STANDARD_FIELDS = {
    "Gsid": "GSID",
    "Name": "STRING",
    "Csm": "GSID",
    "Arr": "CURRENCY",
    "Stage": "GSID",
    "CreatedDate": "DATETIME",
    "ModifiedDate": "DATETIME",
}
CTA_FIELDS = {
    "Gsid",
    "Name",
    "CompanyId",
    "DueDate",
    "IsClosed",
    "Comments",
    "OwnerId",
    "StatusId",
    "TypeId",
    "PriorityId",
    "ReasonId",
    "EntityType",
    "IsImportant",
    "PlaybookId",
    "CompanyId__gr.Name",
    "TypeId__gr.Name",
    "StatusId__gr.Name",
    "PriorityId__gr.Name",
}
CLOSED = {"closed success", "closed lost"}


class Fail(Exception):
    def __init__(self, status: int, code: str, desc: str, data: Any = None) -> None:
        super().__init__(code)
        self.status, self.code, self.desc, self.data = status, code, desc, data


class GainsightFake:
    def __init__(
        self,
        *,
        access_key: str = "gs_test_access_key",
        oauth_clients: dict[str, str] | None = None,
        host: str = "https://acme.gainsightcloud.com",
        clock: VirtualClock | None = None,
        per_minute: int = 100,
        per_day: int = 50_000,
        errors_at_200: bool = False,
        read_shape: str = "records",
        empty: str = "records",
        describe: str = "both",
        picklist_shape: str = "grouped",
        match_field: str = "External_Id__gc",
    ) -> None:
        self.access_key = access_key
        self.oauth_clients = dict(oauth_clients or {})
        self.host = host.rstrip("/")
        self.clock = clock or VirtualClock()
        self.per_minute, self.per_day = per_minute, per_day
        self.errors_at_200 = errors_at_200
        self.read_shape, self.empty, self.describe_mode = read_shape, empty, describe
        self.picklist_shape = picklist_shape
        # Describe returns `company` where query samples use `Company` [S]: "lower" knows only
        # `company` (OBJECT_NOT_FOUND otherwise [C]), "lower-empty" answers `Company` with no
        # fields; "any" takes either case.
        self.describe_case = "any"
        self.fields: dict[str, str] = {**STANDARD_FIELDS, match_field: "STRING"}
        self.companies: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.playbooks: dict[str, dict[str, Any]] = {}
        self.ctas: dict[str, dict[str, Any]] = {}
        self.tasks: dict[str, dict[str, Any]] = {}
        self.picklists: dict[str, dict[str, str]] = {}  # category -> name -> id
        self.tokens: dict[str, float] = {}
        self.token_lifetime = 86400
        self.ip_blocked = False
        self.bad_key = "GS_APIG_2401"  # or "GSOBJ_1024": how a wrong access key is refused
        self.refuse_cta_named: str | None = None  # a CTA create with this Name is refused
        # The sources ask for CTA_STATUS, CTA_PRIORITY and CTA_TYPE [S]; CTA_REASON is served
        # unless a test takes it away.
        self.picklist_categories = {"CTA_TYPE", "CTA_STATUS", "CTA_PRIORITY", "CTA_REASON"}
        # The CTA create reply is not documented [I]: per-record success / failure lists, or
        # (True) the whole request refused at the first bad record, those before it created.
        self.cta_batch_refused_whole = False
        # The published create sample carries reason and OwnerId [S]: with this set, a create
        # without a reason or an owner is refused as missing mandatory fields.
        self.strict_cta_create = False
        # A misbehaving tenant: every query answers its first page, whatever `offset` or
        # `pageNumber` asks for [I: the research only warns that paging can skip or repeat].
        self.ignore_paging = False
        # GsUser fields answered in lower case, as lookups spell them (`csm__gr.email` [C]);
        # their case in a query answer is not documented [I].
        self.user_keys_lower = False
        # Picklist items an admin deactivated; served with "active": false (the flag's name
        # is not documented [I]).
        self.inactive_picklist_items: set[str] = set()
        # How the CTA list writes dates: "iso" as its sample does [C], or the forms the filter
        # samples use, "datetime" (yyyy-MM-dd HH:mm:ss) and "us" (MM-dd-yyyy) [S].
        self.cta_date_format = "iso"
        # No source names the CTA's playbook field [C/S: "a playbook field at CTA create"]:
        # with this set, a create drops `PlaybookId` as a field the tenant does not know,
        # without an error [I], and the CTA gets no playbook and no tasks.
        self.cta_ignores_playbook = False
        # CTA fields this tenant refuses in a list `select`: COCKPIT_5101 [C], and its rows
        # carry none of them.
        self.cta_unselectable: set[str] = set()
        self.drop_company_writes = False  # accept writes without applying them (honesty tests)
        self.faults: list[Fault] = []
        self.log = RequestLog()
        self.ascii_json = False  # JSON with every non-ASCII character escaped (json_response)
        self.rate_limited = 0
        self._seq = itertools.count(1)
        self._window: tuple[int, int] = (-1, 0)
        self._day: tuple[int, int] = (-1, 0)
        for cat, names in {
            "CTA_TYPE": ["Risk", "Lifecycle", "Expansion"],
            "CTA_STATUS": ["New", "Work In Progress", "Closed Success", "Closed Lost"],
            "CTA_PRIORITY": ["High", "Medium", "Low"],
            "CTA_REASON": ["Onboarding", "Health drop"],
        }.items():
            self.picklists[cat] = {n: self._gsid("1I00") for n in names}

    # -- seeding ----------------------------------------------------------------------

    def _gsid(self, prefix: str) -> str:
        return f"{prefix}{next(self._seq):032d}"

    def create_field(self, name: str, data_type: str = "STRING") -> None:
        """What an admin does in Data Management (the API cannot)."""
        self.fields[name] = data_type

    def add_company(self, name: str, **values: Any) -> dict[str, Any]:
        gsid = self._gsid("1P02")
        row = {"Gsid": gsid, "Name": name, "Csm": None, **values}
        self.companies[gsid] = row
        return row

    def add_user(self, name: str, email: str) -> str:
        gsid = self._gsid("1P01")
        self.users[gsid] = {"Gsid": gsid, "Name": name, "Email": email}
        return gsid

    def add_playbook(self, name: str, tasks: list[str]) -> str:
        gsid = self._gsid("1P0B")
        self.playbooks[gsid] = {"Gsid": gsid, "Name": name, "tasks": list(tasks)}
        return gsid

    def inject(
        self,
        status: int,
        times: int = 1,
        *,
        methods: Iterable[str] | None = None,
        path_contains: str | None = None,
        after: int = 0,
        body: dict[str, Any] | None = None,
        process: bool = False,
    ) -> Fault:
        """``status`` :data:`DROP` drops the connection; ``process`` handles the request first
        (the write happened, its answer is lost)."""
        fault = Fault(
            status,
            times,
            frozenset(methods) if methods else None,
            path_contains,
            after,
            process=process,
            body=body,
        )
        self.faults.append(fault)
        return fault

    # -- views ------------------------------------------------------------------------

    def company(self, match: str, field: str = "External_Id__gc") -> dict[str, Any]:
        found = [c for c in self.companies.values() if c.get(field) == match]
        assert len(found) == 1, f"{len(found)} companies with {field}={match!r}"
        return found[0]

    def ctas_with_key(self, key: str) -> list[dict[str, Any]]:
        return [c for c in self.ctas.values() if f'"key": "{key}"' in html.unescape(c["Comments"])]

    # -- wiring -----------------------------------------------------------------------

    def mock(self) -> respx.MockRouter:
        router = respx.mock(assert_all_mocked=True, assert_all_called=False)
        router.route(url__startswith=self.host + "/").mock(side_effect=self.handle)
        return router

    def _envelope(
        self,
        data: Any = None,
        *,
        ok: bool = True,
        code: str | None = None,
        desc: str | None = None,
        message: str | None = None,
    ) -> dict[str, Any]:
        return {
            "result": ok,
            "errorCode": code,
            "errorDesc": desc,
            "requestId": str(uuid.uuid4()),
            "data": data,
            "message": message,
        }

    def _reply(
        self, request: httpx.Request, status: int, payload: Any, body: Any
    ) -> httpx.Response:
        self._record(request, status, body)
        return json_response(status, payload, ascii_only=self.ascii_json)

    def _record(self, request: httpx.Request, status: int, body: Any) -> None:
        self.log.add(
            Logged(
                request.method,
                request.url.path,
                status,
                request.url.host,
                self.clock(),
                body,
                request.url.query.decode(),
            )
        )

    def _fail(self, request: httpx.Request, exc: Fail, body: Any) -> httpx.Response:
        status = 200 if self.errors_at_200 else exc.status
        payload = self._envelope(
            exc.data,
            ok=False,
            code=exc.code,
            desc=exc.desc,
            message=exc.desc if exc.code == "GS_APIG_2401" else None,
        )
        return self._reply(request, status, payload, body)

    def _admit(self) -> bool:
        now = self.clock()
        minute, day = int(now // 60), int(now // 86400)
        w = self._window if self._window[0] == minute else (minute, 0)
        d = self._day if self._day[0] == day else (day, 0)
        if w[1] >= self.per_minute or d[1] >= self.per_day:
            self._window, self._day = w, d
            return False
        self._window, self._day = (minute, w[1] + 1), (day, d[1] + 1)
        return True

    def spend(self, count: int) -> None:
        """Requests someone else made today (another integration)."""
        day = int(self.clock() // 86400)
        have = self._day[1] if self._day[0] == day else 0
        self._day = (day, have + count)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        try:
            body = json.loads(request.content) if request.content else None
        except ValueError:
            body = None
        fault = next((f for f in self.faults if f.fires(method, path)), None)
        if fault is not None and not fault.process:
            return self._fault(request, fault, body)
        response = self._serve(request, method, path, body)
        if fault is not None:  # processed, then the answer is lost
            return self._fault(request, fault, body)
        return response

    def _fault(self, request: httpx.Request, fault: Fault, body: Any) -> httpx.Response:
        """The injected answer; :data:`DROP` closes the connection without one."""
        if fault.status == DROP:
            self._record(request, DROP, body)  # logged as status 0
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        payload = fault.body or self._envelope(
            ok=False,
            code="GS_APIG_2404" if fault.status == 429 else "GS_500",
            desc="Rate limit reached" if fault.status == 429 else "Internal error",
        )
        return self._reply(request, fault.status, payload, body)

    def _serve(self, request: httpx.Request, method: str, path: str, body: Any) -> httpx.Response:
        if not self._admit():
            self.rate_limited += 1
            return self._fail(request, Fail(429, "GS_APIG_2404", "Rate limit reached"), body)
        try:
            if path == "/v1/users/m2m/oauth/token" and method == "POST":
                return self._reply(request, 200, self._token(request), body)
            self._auth(request)
            data = self._route(method, path, request, body)
        except Fail as exc:
            return self._fail(request, exc, body)
        return self._reply(request, 200, self._envelope(data), body)

    # -- auth -------------------------------------------------------------------------

    def _token(self, request: httpx.Request) -> dict[str, Any]:
        header = request.headers.get("Authorization", "")
        pair = ""
        if header.startswith("Basic "):
            pair = base64.b64decode(header[6:]).decode()
        cid, _, secret = pair.partition(":")
        if self.ip_blocked:
            raise Fail(403, "GS_APIG_2402", "IP Address does not lie in range of whitelisted ips")
        if not cid or self.oauth_clients.get(cid) != secret:
            raise Fail(401, "GS_APIG_2401", "Unauthorized")
        token = f"tok-{next(self._seq)}-{uuid.uuid4().hex}"
        self.tokens[token] = self.clock() + self.token_lifetime
        return {"access_token": token, "token_type": "Bearer", "expires_in": self.token_lifetime}

    def _auth(self, request: httpx.Request) -> None:
        key = request.headers.get("accesskey")
        if key is not None and key == self.access_key:
            return
        bearer = request.headers.get("Authorization", "")
        if bearer.startswith("Bearer "):
            expiry = self.tokens.get(bearer[7:])
            if expiry is not None and expiry > self.clock():
                return
        if key is not None and self.bad_key == "GSOBJ_1024":
            raise Fail(400, "GSOBJ_1024", "Invalid authorization headers")
        raise Fail(401, "GS_APIG_2401", "Unauthorized")

    # -- routes -----------------------------------------------------------------------

    def _route(self, method: str, path: str, request: httpx.Request, body: Any) -> Any:
        m = re.fullmatch(r"/v1/data/objects/query/(\w+)", path)
        if m and method == "POST":
            return self._query(m.group(1), body)
        if path == "/v1/meta/services/objects/describe" and method == "POST":
            if self.describe_mode == "get":
                raise Fail(404, "GS_APIG_1000", "Route does not exist")
            return [self._describe(o) for o in (body or {}).get("objectNames", [])]
        m = re.fullmatch(r"/v1/meta/services/objects/(\w+)/describe", path)
        if m and method == "GET":
            if self.describe_mode == "post":
                raise Fail(404, "GS_APIG_1000", "Route does not exist")
            return [self._describe(m.group(1))]
        if path == "/v1/data/objects/Company" and method == "PUT":
            return self._update(request, body)
        if path == "/v1/data/objects/Company" and method == "POST":
            return self._insert(body)
        if path == "/v2/cockpit/admin/picklist/lite" and method == "GET":
            return self._picklist(request.url.params.get("category"))
        if path == "/v2/cockpit/cta" and method in ("POST", "PUT"):
            return self._cta_write(body, create=method == "POST")
        if path == "/v2/cockpit/cta/list" and method == "POST":
            return self._cta_list(body)
        raise Fail(404, "GS_APIG_1000", "Route does not exist")

    def _describe(self, obj: str) -> dict[str, Any]:
        known = obj == "company" if self.describe_case != "any" else obj.lower() == "company"
        if not known and self.describe_case == "lower-empty" and obj.lower() == "company":
            return {"objectName": "company", "label": "Company", "fields": []}
        if not known:
            raise Fail(400, "OBJECT_NOT_FOUND", "Requested object not found")
        return {
            "objectName": "company",
            "label": "Company",
            "objectType": "STANDARD",
            "fields": [
                {
                    "fieldName": name,
                    "label": name.replace("__gc", "").replace("_", " "),
                    "dataType": typ,
                    "objectName": "company",
                    "meta": {
                        "fieldGroupType": "CUSTOM" if name.endswith("__gc") else "STANDARD",
                        "updateable": name != "Gsid",
                    },
                }
                for name, typ in self.fields.items()
            ],
        }

    # -- MDA query --------------------------------------------------------------------

    def _table(self, obj: str) -> tuple[dict[str, dict[str, Any]], set[str]]:
        if obj == "Company":
            return self.companies, set(self.fields)
        if obj in ("gsuser", "GsUser"):
            return self.users, {"Gsid", "Name", "Email"}
        if obj == "playbook":
            return self.playbooks, {"Gsid", "Name"}
        raise Fail(400, "GSOBJ_1023", "Invalid API path")

    def _query(self, obj: str, body: Any) -> Any:
        rows, known = self._table(obj)
        select = (body or {}).get("select")
        if not isinstance(select, list) or not select:
            raise Fail(400, "GSOBJ_1002", "Invalid field, please re-check data mapping (select)")
        bad = [f for f in select if f not in known]
        if bad:
            raise Fail(400, "GSOBJ_1002", "Invalid field, please re-check data mapping")
        limit, offset = int(body.get("limit", 100)), int(body.get("offset", 0))
        if limit > 5000 or limit < 1 or offset < 0:
            raise Fail(400, "GSOBJ_1008", "limit must be 1..5000")
        offset = 0 if self.ignore_paging else offset
        found = [r for r in rows.values() if self._where(r, body.get("where"))]
        for field, direction in reversed(list((body.get("orderBy") or {}).items())):
            found.sort(
                key=lambda r: (r.get(field) is None, str(r.get(field))), reverse=direction == "desc"
            )
        page = [{f: r.get(f) for f in select} for r in found[offset : offset + limit]]
        if self.user_keys_lower and obj in ("gsuser", "GsUser"):
            page = [{k if k == "Gsid" else k.lower(): v for k, v in r.items()} for r in page]
        if not page:
            if self.empty == "nodata200":
                raise _NoData200()
            if self.empty == "400":
                raise Fail(400, "GSOBJ_1011", "No entity matches the given criteria")
        return page if self.read_shape == "flat" else {"records": page}

    @staticmethod
    def _where(row: dict[str, Any], where: Any, key: str = "name") -> bool:
        if not where:
            return True
        results = {}
        for cond in where.get("conditions", []):
            value, want, op = row.get(cond.get(key)), cond.get("value") or [], cond.get("operator")
            if op == "EQ":
                ok = value == want[0]
            elif op == "IN":
                ok = value in (cond.setdefault("_set", set(want)))
            elif op == "IS_NOT_NULL":
                ok = value not in (None, "")
            elif op == "IS_NULL":
                ok = value in (None, "")
            elif op == "CONTAINS":
                ok = isinstance(value, str) and str(want[0]) in html.unescape(value)
            else:
                raise Fail(400, "GSOBJ_1008", f"unsupported operator {op}")
            results[cond.get("alias")] = ok
        expression = where.get("expression") or " AND ".join(results)
        if " OR " in expression:
            return any(results.get(a.strip(), False) for a in expression.split(" OR "))
        return all(results.get(a.strip(), False) for a in expression.split(" AND "))

    # -- MDA writes -------------------------------------------------------------------

    def _check_record(self, rec: dict[str, Any]) -> None:
        for field, value in rec.items():
            typ = self.fields.get(field)
            if typ is None:
                raise Fail(400, "GSOBJ_1002", "Invalid field, please re-check data mapping")
            if value is None:
                continue
            if typ == "NUMBER" and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise Fail(400, "GSOBJ_1008", f"{field}= {value}: invalid number")
            if typ == "DATE" and not _is_date(value):
                # the Error Codes page's template, which echoes the value [C]
                raise Fail(400, "GSOBJ_1006", f"Invalid date format ({field}= {value})")
            if field == "Csm" and value not in self.users:
                raise Fail(400, "GSOBJ_1008", f"Csm= {value}: no such user")

    def _records(self, body: Any) -> list[dict[str, Any]]:
        records = (body or {}).get("records")
        if not isinstance(records, list) or not records:
            raise Fail(400, "GSOBJ_1008", "records are required")
        if len(records) > 50:
            raise Fail(400, "GSOBJ_1008", "at most 50 records per call")
        return records

    def _update(self, request: httpx.Request, body: Any) -> Any:
        keys = [k for k in request.url.params.get("keys", "").split(",") if k]
        if not keys or len(keys) > 3:
            raise Fail(400, "GSOBJ_1008", "keys: 1 to 3 key fields are required")
        records = self._records(body)
        targets = []
        for rec in records:  # validate everything first: the batch is all-or-nothing
            self._check_record({k: v for k, v in rec.items() if k != "Gsid"})
            if any(k not in rec for k in keys):
                raise Fail(400, "GSOBJ_1004", "Either the Gainsight ID is invalid or missing")
            if keys == ["Gsid"]:  # the system id: a direct lookup (same result, faster)
                one = self.companies.get(rec["Gsid"])
                hit = [one] if one is not None else []
            else:
                hit = [c for c in self.companies.values() if all(c.get(k) == rec[k] for k in keys)]
            if not hit:
                raise Fail(400, "GSOBJ_1011", "No entity matches the given criteria")
            targets.append((hit, rec))
        if not self.drop_company_writes:
            for hit, rec in targets:
                for c in hit:
                    c.update({k: v for k, v in rec.items() if k not in keys and k != "Gsid"})
        return {
            "count": len(records),
            "errors": None,
            "records": [{"Gsid": h[0]["Gsid"]} for h, _ in targets],
        }

    def _insert(self, body: Any) -> Any:
        records = self._records(body)
        for rec in records:
            self._check_record(rec)
        out = []
        for rec in records:
            out.append(
                {
                    "Gsid": self.add_company(
                        str(rec.get("Name")), **{k: v for k, v in rec.items() if k != "Name"}
                    )["Gsid"]
                }
            )
        return {"count": len(out), "errors": None, "records": out}

    # -- Cockpit ----------------------------------------------------------------------

    def _picklist(self, category: str | None) -> Any:
        """The asked-for categories (all without ``category``); one this tenant does not
        serve (``picklist_categories``) refuses the request."""
        asked = category.split(",") if category else list(self.picklists)
        unknown = [c for c in asked if c not in self.picklist_categories]
        if unknown:
            raise Fail(400, "COCKPIT_9001", f"Invalid category {unknown[0]}")
        lists = {cat: items for cat, items in self.picklists.items() if cat in asked}
        off = self.inactive_picklist_items
        if self.picklist_shape == "grouped":
            return {
                cat: [{"Gsid": i, "Name": n, "active": n not in off} for n, i in items.items()]
                for cat, items in lists.items()
            }
        return [
            {"category": cat, "id": i, "label": n, "active": n not in off}
            for cat, items in lists.items()
            for n, i in items.items()
        ]

    def _pick(self, rec: dict[str, Any], cat: str, name_key: str, id_key: str) -> str | None:
        items = self.picklists[cat]
        if rec.get(id_key):
            if rec[id_key] not in items.values():
                raise Fail(400, "COCKPIT_9700", f"invalid {id_key}")
            return str(rec[id_key])
        if rec.get(name_key):
            hit = {n.lower(): i for n, i in items.items()}.get(str(rec[name_key]).lower())
            if hit is None:
                raise Fail(400, "COCKPIT_9700", f"invalid {name_key}")
            return hit
        return None

    def _cta_fields(self, rec: dict[str, Any], cta: dict[str, Any]) -> None:
        for name_key, cat, id_key in (
            ("type", "CTA_TYPE", "TypeId"),
            ("status", "CTA_STATUS", "StatusId"),
            ("priority", "CTA_PRIORITY", "PriorityId"),
            ("reason", "CTA_REASON", "ReasonId"),
        ):
            ident = self._pick(rec, cat, name_key, id_key)
            if ident is not None:
                cta[id_key] = ident
        for k in ("Name", "DueDate", "OwnerId", "CompanyId"):
            if k in rec:
                cta[k] = rec[k]
        if "Comments" in rec:  # rich text: stored escaped inside a paragraph
            cta["Comments"] = f"<p>{html.escape(str(rec['Comments']))}</p>"
        for k, v in rec.items():
            if k.endswith("__gc"):
                cta[k] = v
        status = {i: n for n, i in self.picklists["CTA_STATUS"].items()}.get(cta.get("StatusId"))
        cta["IsClosed"] = str(status).lower() in CLOSED

    def _cta_write(self, body: Any, *, create: bool) -> Any:
        requests = (body or {}).get("requests")
        if not isinstance(requests, list) or not requests or len(requests) > 50:
            raise Fail(400, "COCKPIT_9701", "requests: 1 to 50 records")
        success, failure = [], []
        for entry in requests:
            rec = (entry or {}).get("record") or {}
            ref = str(rec.get("referenceId") or "")
            try:
                if create and rec.get("Name") == self.refuse_cta_named:
                    raise Fail(400, "COCKPIT_9700", "Invalid field value")
                if create:
                    gsid = self._cta_create(rec)
                else:
                    gsid = self._cta_update(rec)
            except Fail as exc:
                if self.cta_batch_refused_whole:
                    raise  # the records before it stay created [I: the shape is not found]
                failure.append({ref: f"{exc.code}: {exc.desc}"})
                continue
            success.append({ref: gsid})
        return {"success": success, "failure": failure}

    def _cta_create(self, rec: dict[str, Any]) -> str:
        missing = [k for k in ("CompanyId", "Name") if not rec.get(k)]
        if missing or not (rec.get("type") or rec.get("TypeId")):
            raise Fail(400, "COCKPIT_9700", "Missing mandatory fields")
        if self.strict_cta_create and not (
            (rec.get("reason") or rec.get("ReasonId")) and rec.get("OwnerId")
        ):
            raise Fail(400, "COCKPIT_9700", "Missing mandatory fields: reason, OwnerId")
        if rec["CompanyId"] not in self.companies:
            raise Fail(400, "COCKPIT_9700", "Invalid CompanyId")
        gsid = self._gsid("1S01")
        cta = {"Gsid": gsid, "EntityType": "COMPANY", "IsImportant": False, "Comments": ""}
        self._cta_fields(rec, cta)
        if rec.get("PlaybookId") and not self.cta_ignores_playbook:
            playbook = self.playbooks.get(rec["PlaybookId"])
            if playbook is None:
                raise Fail(400, "COCKPIT_9700", "Invalid PlaybookId")
            cta["PlaybookId"] = playbook["Gsid"]
            for name in playbook["tasks"]:
                tid = self._gsid("1T01")
                self.tasks[tid] = {"Gsid": tid, "CtaId": gsid, "Name": name}
        self.ctas[gsid] = cta
        return gsid

    def _cta_update(self, rec: dict[str, Any]) -> str:
        cta = self.ctas.get(str(rec.get("Gsid")))
        if cta is None:
            raise Fail(400, "COCKPIT_9702", "CTA not found")
        self._cta_fields(rec, cta)
        return str(cta["Gsid"])

    def _cta_list(self, body: Any) -> Any:
        body = body or {}
        size, number = int(body.get("pageSize", 100)), int(body.get("pageNumber", 1))
        if size > 1000 or size < 1 or number < 1:
            raise Fail(400, "COCKPIT_5102", "pageSize 1..1000, pageNumber from 1")
        number = 1 if self.ignore_paging else number
        select = body.get("select") or []
        bad = [
            f
            for f in select
            if (f not in CTA_FIELDS and not f.endswith("__gc")) or f in self.cta_unselectable
        ]
        if bad:
            raise Fail(
                400, "COCKPIT_5101", "Invalid fields in select clause - " + ",".join(bad), data={}
            )
        found = [c for c in self.ctas.values() if self._where(c, body.get("where"), "fieldName")]
        page = found[(number - 1) * size : number * size]
        rows = []
        for c in page:
            row = {k: v for k, v in c.items() if k != "DueDate" and k not in self.cta_unselectable}
            if c.get("DueDate"):
                row["DueDate"] = self._cta_date(str(c["DueDate"]))
            rows.append(row)
        return rows  # the doc sample's flat list

    def _cta_date(self, iso: str) -> str:
        year, month, day = iso[:10].split("-")
        if self.cta_date_format == "us":
            return f"{month}-{day}-{year}"
        if self.cta_date_format == "datetime":
            return f"{iso[:10]} 00:00:00"
        return f"{iso[:10]}T00:00:00Z"


class _NoData200(Fail):
    """The documented "No data found" answer: result false at HTTP 200, code GSOBJ_1XXX."""

    def __init__(self) -> None:
        super().__init__(200, "GSOBJ_1XXX", "No data found for given criteria")


def _is_date(value: Any) -> bool:
    """Date input as the samples send it: ISO ``yyyy-MM-dd`` or epoch ms [S]."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return True
    try:
        dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return False
    return True


def today(clock: VirtualClock) -> str:
    return dt.datetime.fromtimestamp(clock(), tz=dt.UTC).date().isoformat()
