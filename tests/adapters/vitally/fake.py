"""A stateful fake of Vitally's REST API (and the analytics ``/batch`` endpoint) for respx.

Built from Vitally's public API documentation and working open-source clients; each behaviour
notes its evidence: [DOC] Vitally's docs, [DOC*] a transcription of them, [CODE] open-source
clients, [3P] a weaker third-party claim, [INFERRED] stated nowhere (then the worst case):

* Auth [DOC]: ``Authorization: Basic base64("<secret token>:")``; missing or wrong -> 401
  ``{"error": ...}`` [3P body shape].
* Lists [DOC]: ``{"results": [...], "next": cursor|null}``, ``limit`` <= 100 (default 100),
  ``from``, ``sortBy=createdAt|updatedAt`` (default updatedAt), descending. Cursors are opaque
  base64 JSON ``{sortVal, id}`` [DOC example]; paging on ``updatedAt`` while records change skips
  or repeats rows, as the docs warn. ``GET /customFields`` is a bare array [DOC].
* Accounts: ``status=active|churned|activeOrChurned`` (default active) [DOC*]; id-or-externalId
  in paths [DOC]; create needs ``externalId`` and ``name``; traits MERGE and ``null`` deletes
  [DOC]; ``csmId``/``keyRoles``/``segments``/``healthScore`` are not writable and are refused
  with 400 (the doc's "return 400" option), ``accountOwnerId`` only to null. Re-POSTing an
  existing externalId is undocumented: ``account_post`` picks "duplicate" (the worst case, the
  default), "upsert" or "reject".
* Tasks [DOC*]: POST upserts by ``externalId``; DELETE archives (``archivedAt``) [DOC]; whether
  lists hide archived tasks is undocumented, so they are listed (the worst case) and an upsert
  revives one [INFERRED] (``upsert_restores_archived``: False keeps it archived).
* Projects [DOC]: only from a template; the account field is ``accountId`` or ``customerId``
  (sources disagree: both accepted).
* Rate limit [DOC]: 1000/min sliding window, ``RateLimit-*`` on every response, 429
  ``{"error": "Too Many Requests"}``. No ``Retry-After`` (not documented).
* Error bodies: 400 ``{"message": ...}``, 401/404/429 ``{"error": ...}`` (the doc's
  recommendation, since the evidence conflicts).
* Analytics ``POST /analytics/v1/batch`` [DOC]: a JSON array of <= 100 messages, each with
  ``timestamp`` or ``messageId`` (a dedupe key); ``account`` upserts by the account's
  externalId; a blocked message type answers 400; success ``{"message": "Success."}``. Its token
  is a separate integration's; null traits there are undocumented, so the fake ignores them.

Use it as ``with fake.mock(): ...`` (respx, ``assert_all_mocked``), with :class:`VirtualClock`
shared with the adapter's pacer and retries so nothing sleeps for real.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import httpx
import respx

from tests.fakes.support import (
    DROP,
    Fault,
    Logged,
    RealClock,
    RequestLog,
    SlidingWindow,
    VirtualClock,
    json_response,
)

# Vitally's rate-limit header and error bodies [DOC]; the shared fake pieces take them.
VITALLY_LIMIT_HEADER = "{limit}, {limit};window={window}"
VITALLY_ERRORS: dict[int, Any] = {
    400: {"message": "Bad Request"},
    401: {"error": "Invalid API key."},
    429: {"error": "Too Many Requests"},
    0: {"error": "Internal Server Error"},
}

READ_ONLY_ACCOUNT = (
    "csmId",
    "accountExecutiveId",
    "keyRoles",
    "segments",
    "healthScore",
    "npsScore",
    "usersCount",
)
TASK_FIELDS = (
    "name",
    "description",
    "dueDate",
    "assignedToId",
    "completedById",
    "completedAt",
    "categoryId",
    "tags",
)
PROJECT_FIELDS = (
    "name",
    "targetStartDate",
    "targetCompletionDate",
    "projectStatusId",
    "projectCategoryId",
    "ownedByVitallyUserId",
)
Handler = Callable[..., httpx.Response]


def basic_header(token: str) -> str:
    return "Basic " + base64.b64encode(f"{token}:".encode()).decode()


def _merge_traits(
    target: dict[str, Any], traits: dict[str, Any], nulls_delete: bool = True
) -> None:
    for key, value in traits.items():
        if value is None:
            if nulls_delete:
                target.pop(key, None)
        else:
            target[key] = value


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def _bad(message: str) -> ApiError:
    return ApiError(400, {"message": message})


def _missing(what: str) -> ApiError:
    return ApiError(404, {"error": f"{what} not found"})


class VitallyFake:
    """Dict-backed Vitally: accounts, tasks, projects, templates, custom fields, admins."""

    def __init__(
        self,
        *,
        api_key: str = "tk_test_fake_secret",
        subdomain: str = "acme",
        base_url: str | None = None,
        analytics_key: str | None = None,
        limit: int = 1000,
        window: float = 60.0,
        clock: VirtualClock | RealClock | None = None,
        delete_status: int = 200,
        account_post: str = "duplicate",
        latency: float = 0.0,
    ) -> None:
        self.api_key = api_key
        self.analytics_key = analytics_key
        self.rest_base = (base_url or f"https://{subdomain}.rest.vitally.io/resources").rstrip("/")
        self.analytics_base = f"https://{subdomain}.api.vitally.io/analytics/v1"
        self.clock = clock or VirtualClock()
        self.limiter = SlidingWindow(limit, window, VITALLY_LIMIT_HEADER)
        self.delete_status = delete_status
        self.account_post = account_post
        self.accounts: dict[str, dict[str, Any]] = {}
        self._by_ext: dict[str, list[str]] = {}  # externalId -> account ids (duplicates kept)
        self.tasks: dict[str, dict[str, Any]] = {}
        self.projects: dict[str, dict[str, Any]] = {}
        # Data traits are documented for accounts, users and organizations; the examples of
        # tasks and projects show only custom traits [DOC]. The kinds named here keep only
        # those ("tasks", "projects").
        self.custom_traits_only: set[str] = set()
        # DELETE archives a task [DOC]; whether a POST upsert on its externalId restores it is
        # not documented. False: the task stays archived (and the answer shows archivedAt).
        self.upsert_restores_archived = True
        # Data traits are documented for accounts, users and organizations only [DOC*]: the
        # kinds named here ("tasks", "projects") answer 400 to a body carrying one.
        self.data_traits_refused: set[str] = set()
        # Projects list templateId as editable "only on create" [DOC]; whether reads carry
        # it is not said. False: project reads leave it out.
        self.project_reads_template = True
        # GET /admins is known from clients only [CODE]; GET /admins/search?email= is the
        # documented call [DOC]. False: the list answers 404.
        self.admins_listed = True
        # The analytics API answers 200 "Success." on taking a batch [DOC]; whether (or when)
        # the traits land is not said. False: taken, and not (yet) applied.
        self.analytics_applies = True
        self.analytics_auth = "either"  # see handle_analytics
        self.templates: dict[str, dict[str, Any]] = {}
        self.admins: dict[str, dict[str, Any]] = {}
        self.custom_fields: list[dict[str, Any]] = []
        # Custom traits are written as "vitally.custom.<camelKey>" [DOC]; whether a customFields
        # definition lists its key with that prefix is not documented. False: the bare camelKey.
        self.field_keys_prefixed = True
        self.blocked_types: set[str] = set()
        self.project_account_field: str | None = None  # force one of accountId / customerId
        self.faults: list[Fault] = []
        self.log = RequestLog()
        self.rate_limited = 0
        self._seq = 0
        self._message_ids: set[str] = set()
        self._routes = self._route_table()
        # Requests may come from several threads (bounded concurrency): one at a time in here,
        # like a server's own consistency; ``latency`` seconds of round trip are spent outside.
        self.latency = latency
        self._lock = threading.Lock()
        self.ascii_json = False  # JSON with every non-ASCII character escaped (json_response)

    # -- seeding (tests) ------------------------------------------------------------------

    def _new_id(self) -> str:
        self._seq += 1
        return f"00000000-0000-4000-8000-{self._seq:012x}"

    def _stamp(self) -> str:
        # Millisecond ISO times like Vitally's; the sequence breaks ties on equal clocks.
        when = dt.datetime.fromtimestamp(self.clock(), tz=dt.UTC)
        return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"

    def add_account(
        self, external_id: str, name: str, traits: dict[str, Any] | None = None, **fields: Any
    ) -> dict[str, Any]:
        now = self._stamp()
        acc = {
            "id": self._new_id(),
            "createdAt": now,
            "updatedAt": now,
            "externalId": external_id,
            "name": name,
            "organizationId": None,
            "accountOwnerId": None,
            "traits": dict(traits or {}),
            "mrr": None,
            "nextRenewalDate": None,
            "churnedAt": None,
            "trialEndDate": None,
            "usersCount": 0,
            "npsScore": None,
            "healthScore": None,
            "csmId": None,
            "accountExecutiveId": None,
            "keyRoles": [],
            "segments": [],
            "_seq": self._seq,
        }
        acc.update(fields)
        self.accounts[acc["id"]] = acc
        self._by_ext.setdefault(external_id, []).append(acc["id"])
        return acc

    def add_admin(self, name: str, email: str) -> dict[str, Any]:
        admin = {
            "id": self._new_id(),
            "name": name,
            "email": email,
            "licenseStatus": "active",
            "createdAt": self._stamp(),
            "updatedAt": self._stamp(),
            "_seq": self._seq,
        }
        self.admins[admin["id"]] = admin
        return admin

    def add_template(self, name: str, duration_days: int = 30) -> dict[str, Any]:
        tpl = {
            "id": self._new_id(),
            "name": name,
            "durationInDays": duration_days,
            "createdAt": self._stamp(),
            "updatedAt": self._stamp(),
            "_seq": self._seq,
        }
        self.templates[tpl["id"]] = tpl
        return tpl

    def add_custom_field(
        self, model: str, key: str, label: str, type_: str = "string"
    ) -> dict[str, Any]:
        # The field object's shape is not documented [INFERRED]: id, key, label, type, model.
        cf = {
            "id": self._new_id(),
            "model": model,
            "key": key,
            "label": label,
            "type": type_,
            "createdAt": self._stamp(),
        }
        self.custom_fields.append(cf)
        return cf

    def inject(
        self,
        status: int,
        times: int = 1,
        *,
        methods: Iterable[str] | None = None,
        path_contains: str | None = None,
        after: int = 0,
        process: bool = False,
        body: dict[str, Any] | None = None,
        reset: int = 1,
        every: int = 1,
        chance: float = 1.0,
        seed: int = 0,
    ) -> Fault:
        """Fail matching requests with ``status`` (:data:`DROP`: the connection drops)."""
        fault = Fault(
            status,
            times,
            frozenset(methods) if methods else None,
            path_contains,
            after,
            process,
            body,
            reset,
            every,
            chance,
            seed,
            bodies=VITALLY_ERRORS,
        )
        self.faults.append(fault)
        return fault

    # -- views (assertions) ---------------------------------------------------------------

    def account(self, external_id: str) -> dict[str, Any]:
        found = self.accounts_with(external_id)
        assert len(found) == 1, f"{len(found)} accounts with externalId {external_id!r}"
        return found[0]

    def accounts_with(self, external_id: str) -> list[dict[str, Any]]:
        """Accounts with this externalId, oldest first (tests may delete from ``accounts``)."""
        return [self.accounts[i] for i in self._by_ext.get(external_id, []) if i in self.accounts]

    def live_tasks(self) -> list[dict[str, Any]]:
        return [t for t in self.tasks.values() if t.get("archivedAt") is None]

    # -- respx wiring ---------------------------------------------------------------------

    def mock(self) -> respx.MockRouter:
        """A respx router that fails any request outside this fake (``assert_all_mocked``)."""
        router = respx.mock(assert_all_mocked=True, assert_all_called=False)
        router.route(url__startswith=self.rest_base + "/").mock(side_effect=self.handle_rest)
        router.route(url__startswith=self.analytics_base + "/").mock(
            side_effect=self.handle_analytics
        )
        return router

    def handle_rest(self, request: httpx.Request) -> httpx.Response:
        return self._serve(request, self._rest, self._auth_ok(request, self.api_key))

    def handle_analytics(self, request: httpx.Request) -> httpx.Response:
        key = self.analytics_key
        header = request.headers.get("Authorization")
        # The analytics docs print "Authorization: Basic [your token]" and never say whether
        # that is the token as written or base64("<token>:") [DOC, ambiguous]:
        # ``analytics_auth`` picks "either" (the default), "encoded" or "as_written".
        forms = {"encoded": basic_header(key or ""), "as_written": f"Basic {key}"}
        accepted = (
            forms.values() if self.analytics_auth == "either" else [forms[self.analytics_auth]]
        )
        ok = key is not None and header in accepted
        return self._serve(request, self._analytics, ok)

    def _auth_ok(self, request: httpx.Request, key: str) -> bool:
        return request.headers.get("Authorization") == basic_header(key)

    def _serve(
        self, request: httpx.Request, handler: Callable[[httpx.Request], Any], auth_ok: bool
    ) -> httpx.Response:
        if self.latency:
            self.clock.sleep(self.latency / 2)  # the request on its way
        with self._lock:
            response = self._serve_locked(request, handler, auth_ok)
        if self.latency:
            self.clock.sleep(self.latency / 2)  # the response on its way back
        if response is None:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        return response

    def _serve_locked(
        self, request: httpx.Request, handler: Callable[[httpx.Request], Any], auth_ok: bool
    ) -> httpx.Response | None:
        now = self.clock()
        path = request.url.path
        method = request.method
        body = _json_or_none(request)
        fault = self._take_fault(method, path)
        if fault is not None and fault.status == 429:
            return self._reply(
                request,
                body,
                429,
                fault.default_body(),
                {
                    **self.limiter.headers(now),
                    "RateLimit-Remaining": "0",
                    "RateLimit-Reset": str(fault.reset),
                },
            )
        if not self.limiter.admit(now):
            self.rate_limited += 1
            return self._reply(
                request, body, 429, {"error": "Too Many Requests"}, self.limiter.headers(now)
            )
        headers = self.limiter.headers(now)
        if not auth_ok:
            err = (
                "Authorization header not present."
                if "Authorization" not in request.headers
                else "Invalid API key."
            )
            return self._reply(request, body, 401, {"error": err}, headers)
        if fault is not None and fault.status == DROP and not fault.process:
            self._log(request, body, DROP)
            return None
        if fault is not None and not fault.process:
            return self._reply(request, body, fault.status, fault.default_body(), headers)
        try:
            status, payload = handler(request)
        except ApiError as exc:
            status, payload = exc.status, exc.body
        if fault is not None and fault.status == DROP:  # processed, then the connection drops
            self._log(request, body, DROP)
            return None
        if fault is not None:  # processed, then the answer is lost
            status, payload = fault.status, fault.default_body()
        return self._reply(request, body, status, payload, headers)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        return next((f for f in self.faults if f.fires(method, path)), None)

    def _reply(
        self, request: httpx.Request, body: Any, status: int, payload: Any, headers: dict[str, str]
    ) -> httpx.Response:
        self._log(request, body, status)
        if status == 204 or payload is None:
            return httpx.Response(status, headers=headers)
        return json_response(status, _public(payload), headers, ascii_only=self.ascii_json)

    def _log(self, request: httpx.Request, body: Any, status: int) -> None:
        host = urlsplit(str(request.url)).netloc
        self.log.add(
            Logged(
                request.method,
                request.url.path,
                status,
                host,
                self.clock(),
                body,
                request.url.query.decode(),
            )
        )

    # -- REST routes ----------------------------------------------------------------------

    def _route_table(self) -> list[tuple[str, re.Pattern[str], Handler]]:
        r = re.compile
        return [
            ("GET", r(r"/accounts"), self._list_accounts),
            ("POST", r(r"/accounts"), self._create_account),
            ("GET", r(r"/accounts/(?P<ref>[^/]+)/tasks"), self._account_tasks),
            ("GET", r(r"/accounts/(?P<ref>[^/]+)/projects"), self._account_projects),
            ("GET", r(r"/accounts/(?P<ref>[^/]+)"), self._get_account),
            ("PUT", r(r"/accounts/(?P<ref>[^/]+)"), self._update_account),
            ("DELETE", r(r"/accounts/(?P<ref>[^/]+)"), self._delete_account),
            ("GET", r(r"/tasks"), self._list_tasks),
            ("POST", r(r"/tasks"), self._upsert_task),
            ("GET", r(r"/tasks/(?P<ref>[^/]+)"), self._get_task),
            ("PUT", r(r"/tasks/(?P<ref>[^/]+)"), self._update_task),
            ("DELETE", r(r"/tasks/(?P<ref>[^/]+)"), self._delete_task),
            ("GET", r(r"/projectTemplates"), self._list_templates),
            ("GET", r(r"/projects"), self._list_projects),
            ("POST", r(r"/projects"), self._create_project),
            ("PUT", r(r"/projects/(?P<ref>[^/]+)"), self._update_project),
            ("DELETE", r(r"/projects/(?P<ref>[^/]+)"), self._delete_project),
            ("GET", r(r"/customFields"), self._list_custom_fields),
            ("GET", r(r"/admins/search"), self._search_admin),
            ("GET", r(r"/admins"), self._list_admins),
        ]

    def _rest(self, request: httpx.Request) -> tuple[int, Any]:
        base_path = urlsplit(self.rest_base).path
        sub = request.url.path[len(base_path) :]
        for method, pattern, handler in self._routes:
            m = pattern.fullmatch(sub)
            if m and method == request.method:
                return handler(request, **m.groupdict())
        raise ApiError(404, {"error": "Not found"})

    # accounts

    def _find_account(self, ref: str) -> dict[str, Any]:
        if ref in self.accounts:
            return self.accounts[ref]
        found = self.accounts_with(ref)
        if found:
            return found[0]
        raise _missing("Account")

    def _list_accounts(self, request: httpx.Request) -> tuple[int, Any]:
        status = request.url.params.get("status", "active")
        if status not in ("active", "churned", "activeOrChurned"):
            raise _bad("status must be one of active, churned, activeOrChurned")

        def wanted(acc: dict[str, Any]) -> bool:
            churned = acc.get("churnedAt") is not None
            return status == "activeOrChurned" or (status == "churned") == churned

        return 200, _page(request, [a for a in self.accounts.values() if wanted(a)])

    def _get_account(self, request: httpx.Request, ref: str) -> tuple[int, Any]:
        return 200, self._find_account(ref)

    def _check_account_body(self, body: dict[str, Any]) -> None:
        for key in READ_ONLY_ACCOUNT:
            if key in body:
                raise _bad(f"{key} is not editable via the API")
        if body.get("accountOwnerId") is not None:
            raise _bad("accountOwnerId can only be set to null")
        traits = body.get("traits", {})
        if not isinstance(traits, dict):
            raise _bad("traits must be an object")

    def _create_account(self, request: httpx.Request) -> tuple[int, Any]:
        body = _body(request)
        for req in ("externalId", "name"):
            if not body.get(req):
                raise _bad(f"{req} is required")
        self._check_account_body(body)
        existing = self.accounts_with(body["externalId"])
        if existing and self.account_post == "reject":
            raise _bad("An account with this externalId already exists")
        if existing and self.account_post == "upsert":
            return self._apply_account_update(existing[0], body)
        traits: dict[str, Any] = {}
        _merge_traits(traits, body.get("traits") or {})
        acc = self.add_account(body["externalId"], body["name"], traits)
        if body.get("organizationId"):
            acc["organizationId"] = body["organizationId"]
        return 200, acc

    def _update_account(self, request: httpx.Request, ref: str) -> tuple[int, Any]:
        acc = self._find_account(ref)
        body = _body(request)
        self._check_account_body(body)
        return self._apply_account_update(acc, body)

    def _apply_account_update(self, acc: dict[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
        if "externalId" in body and body["externalId"] != acc["externalId"]:
            raise _bad("externalId can only be set on create")
        if "name" in body:
            acc["name"] = body["name"]
        if "organizationId" in body:
            acc["organizationId"] = body["organizationId"]
        if "accountOwnerId" in body:
            acc["accountOwnerId"] = None
        _merge_traits(acc["traits"], body.get("traits") or {})
        self._touch(acc)
        return 200, acc

    def _delete_account(self, request: httpx.Request, ref: str) -> tuple[int, Any]:
        acc = self._find_account(ref)
        del self.accounts[acc["id"]]
        return self.delete_status, (None if self.delete_status == 204 else acc)

    def _touch(self, obj: dict[str, Any]) -> None:
        self._seq += 1
        obj["updatedAt"] = self._stamp()
        obj["_useq"] = self._seq

    # tasks

    def _find_task(self, ref: str) -> dict[str, Any]:
        if ref in self.tasks:
            return self.tasks[ref]
        for task in self.tasks.values():
            if task.get("externalId") == ref:
                return task
        raise _missing("Task")

    def _list_tasks(self, request: httpx.Request) -> tuple[int, Any]:
        return 200, _page(request, list(self.tasks.values()))

    def _account_tasks(self, request: httpx.Request, ref: str) -> tuple[int, Any]:
        acc = self._find_account(ref)
        return 200, _page(request, [t for t in self.tasks.values() if t["accountId"] == acc["id"]])

    def _get_task(self, request: httpx.Request, ref: str) -> tuple[int, Any]:
        return 200, self._find_task(ref)

    def _check_task_refs(self, body: dict[str, Any]) -> None:
        if "accountId" in body and body["accountId"] not in self.accounts:
            raise _bad("accountId must be the id of an existing account")
        if body.get("assignedToId") and body["assignedToId"] not in self.admins:
            raise _bad("assignedToId must be the id of an admin")

    def _upsert_task(self, request: httpx.Request) -> tuple[int, Any]:
        body = _body(request)
        self._check_task_refs(body)
        self._check_traits("tasks", body)
        ext = body.get("externalId")
        existing = next(
            (t for t in self.tasks.values() if ext and t.get("externalId") == ext), None
        )
        if existing is not None:  # "Tasks are unique on externalId" [DOC*]
            if self.upsert_restores_archived:
                existing["archivedAt"] = None
            return self._apply_task_update(existing, body)
        for req in ("name", "accountId"):
            if not body.get(req):
                raise _bad(f"{req} is required")
        now = self._stamp()
        task = {
            "id": self._new_id(),
            "createdAt": now,
            "updatedAt": now,
            "externalId": ext,
            "accountId": body["accountId"],
            "organizationId": None,
            "name": body["name"],
            "description": None,
            "dueDate": None,
            "assignedToId": None,
            "completedById": None,
            "completedAt": None,
            "categoryId": None,
            "tags": [],
            "archivedAt": None,
            "traits": {},
            "_seq": self._seq,
        }
        self.tasks[task["id"]] = task
        return self._apply_task_update(task, body)

    def _update_task(self, request: httpx.Request, ref: str) -> tuple[int, Any]:
        task = self._find_task(ref)
        body = _body(request)
        self._check_task_refs(body)
        self._check_traits("tasks", body)
        if "externalId" in body and body["externalId"] != task["externalId"]:
            raise _bad("externalId can only be set on create")
        return self._apply_task_update(task, body)

    def _apply_task_update(self, task: dict[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
        for key in TASK_FIELDS:
            if key in body:
                task[key] = body[key]
        if "accountId" in body:
            task["accountId"] = body["accountId"]
        _merge_traits(task["traits"], self._traits("tasks", body))
        self._touch(task)
        return 200, task

    def _delete_task(self, request: httpx.Request, ref: str) -> tuple[int, Any]:
        task = self._find_task(ref)
        task["archivedAt"] = self._stamp()  # soft delete [DOC]
        self._touch(task)
        return self.delete_status, (None if self.delete_status == 204 else task)

    # projects

    def _list_templates(self, request: httpx.Request) -> tuple[int, Any]:
        return 200, _page(request, list(self.templates.values()))

    def _list_projects(self, request: httpx.Request) -> tuple[int, Any]:
        return 200, self._project_page(request, list(self.projects.values()))

    def _account_projects(self, request: httpx.Request, ref: str) -> tuple[int, Any]:
        acc = self._find_account(ref)
        return 200, self._project_page(
            request, [p for p in self.projects.values() if p["accountId"] == acc["id"]]
        )

    def _project_page(self, request: httpx.Request, items: list[dict[str, Any]]) -> Any:
        page = _page(request, items)
        if not self.project_reads_template:
            page["results"] = [_public(p) for p in page["results"]]
            for project in page["results"]:
                project.pop("templateId", None)
        return page

    def _create_project(self, request: httpx.Request) -> tuple[int, Any]:
        body = _body(request)
        self._check_traits("projects", body)
        tpl = self.templates.get(body.get("templateId") or "")
        if tpl is None:
            raise _bad("templateId must be the id of a project template")
        fields = (
            [self.project_account_field]
            if self.project_account_field
            else ["accountId", "customerId"]
        )
        account_id = next((body[f] for f in fields if body.get(f)), None)
        if account_id is None and not body.get("organizationId"):
            raise _bad(f"{' or '.join(fields)} or organizationId is required")
        if account_id is not None and account_id not in self.accounts:
            raise _bad("the account does not exist")
        now = self._stamp()
        project = {
            "id": self._new_id(),
            "createdAt": now,
            "updatedAt": now,
            "name": body.get("name") or tpl["name"],
            "accountId": account_id,
            "organizationId": body.get("organizationId"),
            "templateId": tpl["id"],
            "durationInDays": tpl["durationInDays"],
            "targetStartDate": None,
            "targetCompletionDate": None,
            "ownedByVitallyUserId": None,
            "projectCategoryId": None,
            "projectStatusId": None,
            "archivedAt": None,
            "traits": {},
            "_seq": self._seq,
        }
        self.projects[project["id"]] = project
        for key in PROJECT_FIELDS:
            if key in body:
                project[key] = body[key]
        _merge_traits(project["traits"], self._traits("projects", body))
        return 200, project

    def _check_traits(self, kind: str, body: dict[str, Any]) -> None:
        if kind not in self.data_traits_refused:
            return
        unknown = sorted(k for k in body.get("traits") or {} if not k.startswith("vitally.custom."))
        if unknown:
            raise _bad(f"Unknown trait(s): {', '.join(unknown)}")

    def _traits(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        traits = body.get("traits") or {}
        if kind in self.custom_traits_only:
            return {k: v for k, v in traits.items() if k.startswith("vitally.custom.")}
        return traits

    def _update_project(self, request: httpx.Request, ref: str) -> tuple[int, Any]:
        project = self.projects.get(ref)
        if project is None:
            raise _missing("Project")
        body = _body(request)
        self._check_traits("projects", body)
        for key in ("templateId", "accountId", "customerId", "organizationId"):
            if key in body:
                raise _bad(f"{key} can only be set on create")
        for key in PROJECT_FIELDS:
            if key in body:
                project[key] = body[key]
        _merge_traits(project["traits"], self._traits("projects", body))
        self._touch(project)
        return 200, project

    def _delete_project(self, request: httpx.Request, ref: str) -> tuple[int, Any]:
        project = self.projects.get(ref)
        if project is None:
            raise _missing("Project")
        project["archivedAt"] = self._stamp()
        return self.delete_status, (None if self.delete_status == 204 else project)

    # definitions and people

    def _list_custom_fields(self, request: httpx.Request) -> tuple[int, Any]:
        model = request.url.params.get("model")
        found = [cf for cf in self.custom_fields if model is None or cf["model"] == model]
        if not self.field_keys_prefixed:
            found = [{**cf, "key": cf["key"].removeprefix("vitally.custom.")} for cf in found]
        return 200, found

    def _list_admins(self, request: httpx.Request) -> tuple[int, Any]:
        if not self.admins_listed:
            raise ApiError(404, {"error": "Not found"})
        return 200, _page(request, list(self.admins.values()))

    def _search_admin(self, request: httpx.Request) -> tuple[int, Any]:
        email = request.url.params.get("email", "").lower()
        for admin in self.admins.values():
            if admin["email"].lower() == email:
                return 200, admin
        raise _missing("Admin")

    # -- analytics ------------------------------------------------------------------------

    def _analytics(self, request: httpx.Request) -> tuple[int, Any]:
        if request.url.path != "/analytics/v1/batch" or request.method != "POST":
            raise ApiError(404, {"error": "Not found"})
        messages = _body(request, expect=list)
        if len(messages) > 100:
            raise _bad("A batch may contain at most 100 messages")
        for msg in messages:
            if not isinstance(msg, dict) or not (msg.get("timestamp") or msg.get("messageId")):
                raise _bad("Every message needs a timestamp or a messageId")
            if msg.get("type") in self.blocked_types:
                raise _bad(f"Messages of type {msg.get('type')} are blocked for this workspace")
        for msg in messages:
            if msg.get("messageId"):
                if msg["messageId"] in self._message_ids:
                    continue
                self._message_ids.add(msg["messageId"])
            if msg.get("type") == "account" and self.analytics_applies:
                self._ingest_account(msg)
        return 200, {"message": "Success."}

    def _ingest_account(self, msg: dict[str, Any]) -> None:
        ext = msg.get("accountId")
        if not ext:
            raise _bad("accountId is required")
        traits = dict(msg.get("traits") or {})
        found = self.accounts_with(ext)
        if found:
            acc = found[0]
        else:
            acc = self.add_account(ext, traits.get("name") or ext)
        if "name" in traits:
            acc["name"] = traits.pop("name")
        _merge_traits(acc["traits"], traits, nulls_delete=False)
        self._touch(acc)


def _json_or_none(request: httpx.Request) -> Any:
    if not request.content:
        return None
    try:
        return json.loads(request.content)
    except ValueError:
        return None


def _body(request: httpx.Request, expect: type = dict) -> Any:
    if "json" not in request.headers.get("Content-Type", ""):
        raise _bad("Content-Type must be application/json")
    try:
        body = json.loads(request.content or b"null")
    except ValueError:
        raise _bad("The body of the request is not valid JSON") from None
    if not isinstance(body, expect):
        raise _bad(f"The body must be a JSON {'array' if expect is list else 'object'}")
    return body


def _public(obj: Any) -> Any:
    """Drop the fake's private bookkeeping keys (``_seq``) and copy, so callers cannot mutate."""
    if isinstance(obj, dict):
        return {k: _public(v) for k, v in obj.items() if not k.startswith("_")}
    if isinstance(obj, list):
        return [_public(v) for v in obj]
    return obj


def _cursor(sort_val: str, seq: int) -> str:
    return base64.b64encode(json.dumps({"sortVal": sort_val, "id": seq}).encode()).decode()


def _page(request: httpx.Request, items: list[dict[str, Any]]) -> dict[str, Any]:
    """``{results, next}`` sorted descending by ``sortBy`` (ties by creation order)."""
    params = request.url.params
    try:
        limit = int(params.get("limit", "100"))
    except ValueError:
        raise _bad("limit must be a number") from None
    if not 1 <= limit <= 100:
        raise _bad("limit must be between 1 and 100")
    sort_by = params.get("sortBy", "updatedAt")
    if sort_by not in ("createdAt", "updatedAt"):
        raise _bad("sortBy must be createdAt or updatedAt")

    def key(obj: dict[str, Any]) -> tuple[str, int]:
        seq = obj["_seq"] if sort_by == "createdAt" else obj.get("_useq", obj["_seq"])
        return (obj[sort_by], seq)

    ordered = sorted(items, key=key, reverse=True)
    start = params.get("from")
    if start:
        try:
            pos = json.loads(base64.b64decode(start))
            after = (str(pos["sortVal"]), int(pos["id"]))
        except (ValueError, KeyError, TypeError):
            raise _bad("from is not a valid cursor") from None
        ordered = [o for o in ordered if key(o) < after]
    page = ordered[:limit]
    more = len(ordered) > limit
    return {"results": page, "next": _cursor(*key(page[-1])) if more and page else None}
