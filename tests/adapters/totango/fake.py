"""A stateful fake of Totango's public APIs for respx, built from the platform research.

Evidence tags: [C] an official Totango article, [C-code] working public clients, [I] inferred
(the fake can then be switched between the forms the adapter must accept):

* REST auth [C]: header ``app-token``; missing or wrong -> 401 (body shape unknown: a JSON
  ``{"message": "Unauthorized"}``).
* Rate limit [C]: 100 requests/min per token, ``RateLimit-Limit``/``-Remaining``/``-Reset`` on
  every REST response (200, 4xx, 429, 5xx alike); 429 body is the JSON string
  "Too many requests". ``retry_after=True`` adds the ``Retry-After: 60`` the prose mentions.
* Search API [C]: ``POST /api/v1/search/accounts``, form field ``query`` (JSON): ``terms`` and
  ``fields`` mandatory, ``count`` <= 1000, record ``offset``; at most 10,000 records reachable
  (past it: an empty page or an error [I], ``past_reach``). Reply envelope [C-code] with
  positional ``selected_fields``. Refusals ``{"status": "failed", "_error": ...}`` at the HTTP
  status ``refusal_status`` (unknown [C-code]: 200, 400, 404 or 409 in the tests).
  An unknown attribute as a field is refused or answered with nulls (``unknown_attribute``
  [I]). Terms: ``string_attribute`` (``in_list``/``eq``/
  ``contains``), ``string`` on ``search_name`` (``contains``), ``status_group`` and the account
  id term (``id_term``, ``in_list``; the name is [I]); any other term is refused, or ignored
  (``unknown_terms="ignore"``: then the filter silently returns everything). No documented
  term filters by account id, so a service may have none: ``id_filter`` "refuse" or "ignore"
  [I]. ``sort_order`` ASC/DESC [C] orders by display name (then id). ``total_hits`` may be
  capped at the reach (``cap_total`` [I]: the docs say only that no more is reachable).
  ``desc_empty``: a descending query answers no hits (a service without that order [I]).
* Users [C-code]: ``POST /api/v1/search/users/internal`` (form ``query`` + ``team_id``); its
  reply shape is not given (``users_block`` [I]) and a service may not offer it at all
  (``users_status``: answered with that status [I]).
* HTTP gateway [C]: ``pixel.gif`` (with or without a trailing slash), GET or POST, no auth,
  a GET's query decoded as the docs' examples encode it (``%20`` a space, ``+`` a plus [I]),
  always 200 ``image/gif``, no validation; writes are applied ``apply_delay`` seconds later
  (asynchronous), accounts are upserted, ids are case-sensitive, a wrong ``sdr_s`` or an
  attribute missing from the Data Modeler is dropped silently (``auto_define`` [I] defines it
  instead), an empty value clears (``empty_clears`` [I]). ``drop_writes`` loses writes silently.
  ``gateway_redirect`` [I] answers ``/pixel.gif`` with a 301: to ``/pixel.gif/`` on the same
  host, query kept ("slash") or dropped ("slash-bare"), or to another host ("elsewhere").
* Tasks [C]: ``POST /api/v3/tasks`` (JSON; ``activity_type_id`` required; unknown account ->
  400 "Account not found"); reply JSON with ``id`` [C-code] or the text "Success" and no id
  [C] (``task_reply="text"``); ``PUT /api/v3/tasks/{id}`` partial, 404 for a task deleted in
  Totango (``delete_task``; shape [I]); ``GET /api/v3/tasks?id=`` [C-code];
  ``GET /api/v3/activity-types/`` [C-code]: a list of ``{activity_type_id, display_name}``,
  its reply shape undocumented (``flows_shape="envelope"``: ``{"activityTypes": [{
  "activityTypeId", "name"}]}`` [I]).
* SuccessPlay runs [C]: ``POST /api/v2/automations/run-manual-successplay``; manual and active
  only (refusal shape [I]: 400 with a message); success is the text "Success".
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

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

GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
# Totango's error bodies [REST]: the Search API's failed envelope, a plain-text 429.
TOTANGO_ERRORS: dict[int, Any] = {
    400: {"status": "failed", "_error": "Bad Request"},
    429: "Too many requests",
    0: {"message": "Internal Server Error"},
}
BUILT_IN = {"Success Manager", "Sales Manager", "Contract Value", "Contract Renewal Date"}
HOSTS = {
    "us": ("https://api.totango.com", "https://sdr.totango.com"),
    "eu": ("https://api-eu1.totango.com", "https://sdr-eu1.totango.com"),
}


class ApiError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


class Refused(Exception):
    """A Search API refusal (the failed envelope)."""


def _bad(message: str) -> ApiError:
    return ApiError(400, {"message": message})


class TotangoFake:
    def __init__(
        self,
        *,
        app_token: str = "tt_fake_token",
        service_id: str = "SP-1234-01",
        region: str = "us",
        clock: VirtualClock | RealClock | None = None,
        limit: int = 100,
        window: float = 60.0,
        apply_delay: float = 5.0,
        unknown_attribute: str = "error",
        refusal_status: int = 200,
        task_reply: str = "json",
        empty_clears: bool = True,
        auto_define: bool = False,
        past_reach: str = "empty",
        retry_after: bool = False,
        id_term: str = "account_id",
        unknown_terms: str = "refuse",
        latency: float = 0.0,
        page_max: int = 1000,
        reach: int = 10_000,
        id_filter: str = "works",
        cap_total: bool = False,
        desc_empty: bool = False,
    ) -> None:
        self.app_token = app_token
        self.service_id = service_id
        self.rest_base, self.gateway_base = HOSTS[region]
        self.clock = clock or VirtualClock()
        self.limiter = SlidingWindow(limit, window)
        self.apply_delay = apply_delay
        self.unknown_attribute = unknown_attribute
        self.refusal_status = refusal_status
        self.task_reply = task_reply
        self.empty_clears = empty_clears
        self.auto_define = auto_define
        self.past_reach = past_reach
        self.retry_after = retry_after
        self.id_term = id_term
        self.unknown_terms = unknown_terms
        self.latency = latency
        self.page_max = page_max
        self.reach = reach
        self.id_filter = id_filter
        self.cap_total = cap_total
        self.desc_empty = desc_empty
        self.accounts: dict[str, dict[str, Any]] = {}
        self.attributes: set[str] = set(BUILT_IN)
        self.users: list[dict[str, Any]] = []
        self.users_block = "users"  # where the users listing puts its hits ("unknown": nowhere)
        self.users_status: int | None = None  # e.g. 404/403: the listing is not offered [I]
        self.tasks: dict[str, dict[str, Any]] = {}
        self._task_seq = 0
        self.flows: list[dict[str, Any]] = [
            {"activity_type_id": "flow-general", "display_name": "General"},
            {"activity_type_id": "flow-onboarding", "display_name": "Onboarding"},
        ]
        self.gateway_redirect: str | None = None  # "slash", "slash-bare" or "elsewhere"
        self.flows_shape = "list"  # or "envelope" (the reply's shape is not documented [I])
        self.plays: dict[str, dict[str, Any]] = {}
        self.runs: list[tuple[str, str]] = []
        self.pending: list[tuple[float, dict[str, str]]] = []
        self.drop_for: set[str] = set()
        self.drop_next = 0
        self.dropped = 0
        self.faults: list[Fault] = []
        self.log = RequestLog()
        self.ascii_json = False  # JSON with every non-ASCII character escaped (json_response)
        self.rate_limited = 0
        self._lock = threading.Lock()

    # -- seeding and views (tests) ----------------------------------------------------

    def add_account(
        self, account_id: str, name: str, attributes: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        acc = {"id": account_id, "display_name": name, "attributes": dict(attributes or {})}
        self.accounts[account_id] = acc
        return acc

    def define(self, *names: str) -> None:
        """Attributes created in the Data Modeler."""
        self.attributes.update(names)

    def add_user(self, full_name: str, email: str) -> None:
        self.users.append({"name": email, "display_name": full_name, "selected_fields": []})

    def add_play(
        self, play_id: str, name: str, *, manual: bool = True, active: bool = True
    ) -> None:
        self.plays[play_id] = {"id": play_id, "name": name, "manual": manual, "active": active}

    def attrs(self, account_id: str) -> dict[str, Any]:
        self.settle()
        return self.accounts[account_id]["attributes"]

    def drop_writes(self, account_ids: Iterable[str] = (), count: int = 0) -> None:
        """Gateway writes for these accounts (or the next ``count``) vanish after their 200."""
        self.drop_for.update(account_ids)
        self.drop_next += count

    def inject(
        self,
        status: int,
        times: int = 1,
        *,
        methods: Iterable[str] | None = None,
        path_contains: str | None = None,
        after: int = 0,
        process: bool = False,
        body: Any = None,
        reset: int = 1,
        every: int = 1,
        chance: float = 1.0,
        seed: int = 0,
    ) -> Fault:
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
            bodies=TOTANGO_ERRORS,
        )
        self.faults.append(fault)
        return fault

    def rest_requests(self) -> list[Logged]:
        return [e for e in self.log.entries if e.host == urlsplit(self.rest_base).netloc]

    def gateway_requests(self) -> list[Logged]:
        return [e for e in self.log.entries if e.host == urlsplit(self.gateway_base).netloc]

    def delete_task(self, task_id: str) -> None:
        """A person deletes the task in Totango: its id then answers 404 [I]."""
        del self.tasks[task_id]

    def live_tasks(self) -> list[dict[str, Any]]:
        return [t for t in self.tasks.values() if t["status"] == "open"]

    # -- respx ------------------------------------------------------------------------

    def mock(self) -> respx.MockRouter:
        router = respx.mock(assert_all_mocked=True, assert_all_called=False)
        router.route(url__startswith=self.rest_base + "/").mock(side_effect=self.handle_rest)
        router.route(url__startswith=self.gateway_base + "/").mock(side_effect=self.handle_gateway)
        return router

    def _serve(self, request: httpx.Request, fn: Callable[[], httpx.Response | None]) -> Any:
        if self.latency:
            self.clock.sleep(self.latency / 2)
        with self._lock:
            response = fn()
        if self.latency:
            self.clock.sleep(self.latency / 2)
        if response is None:
            raise httpx.RemoteProtocolError("Server disconnected", request=request)
        return response

    def _log(self, request: httpx.Request, status: int, body: Any = None) -> None:
        self.log.add(
            Logged(
                request.method,
                request.url.path,
                status,
                urlsplit(str(request.url)).netloc,
                self.clock(),
                body,
                request.url.query.decode(),
            )
        )

    def _fault(self, request: httpx.Request) -> Fault | None:
        return next((f for f in self.faults if f.fires(request.method, request.url.path)), None)

    # -- gateway ----------------------------------------------------------------------

    def handle_gateway(self, request: httpx.Request) -> Any:
        return self._serve(request, lambda: self._gateway(request))

    def _gateway(self, request: httpx.Request) -> httpx.Response | None:
        params = _unquoted(request.url.query.decode())
        if request.method == "POST":
            form = parse_qs(request.content.decode(), keep_blank_values=True)
            params.update({k: v[-1] for k, v in form.items()})
        fault = self._fault(request)
        if fault is not None and not fault.process:
            self._log(request, fault.status, params)
            return None if fault.status == DROP else httpx.Response(fault.status)
        if request.url.path.rstrip("/") != "/pixel.gif":
            self._log(request, 404, params)
            return httpx.Response(404, text="Not Found")
        if self.gateway_redirect and request.url.path == "/pixel.gif":
            self._log(request, 301, params)
            return httpx.Response(301, headers={"Location": self._redirect(request)})
        account = params.get("sdr_o")
        if self.drop_next > 0:
            self.drop_next -= 1
            self.dropped += 1
        elif account is not None and account in self.drop_for:
            self.dropped += 1
        else:
            self.pending.append((self.clock() + self.apply_delay, params))
        self._log(request, 200, params)
        if fault is not None:
            return None if fault.status == DROP else httpx.Response(fault.status)
        return httpx.Response(200, content=GIF, headers={"Content-Type": "image/gif"})

    def _redirect(self, request: httpx.Request) -> str:
        query = request.url.query.decode()
        if self.gateway_redirect == "elsewhere":
            return f"https://www.totango.com/pixel.gif?{query}"
        if self.gateway_redirect == "slash-bare":
            return "/pixel.gif/"
        return f"{self.gateway_base}/pixel.gif/?{query}"

    def settle(self, everything: bool = False) -> None:
        """Apply the gateway writes that are due (``everything``: all of them)."""
        now = self.clock()
        due = [p for p in self.pending if everything or p[0] <= now]
        self.pending = [p for p in self.pending if not (everything or p[0] <= now)]
        for _, params in due:
            self._ingest(params)

    def _ingest(self, params: dict[str, str]) -> None:
        if params.get("sdr_s") != self.service_id or not params.get("sdr_o"):
            self.dropped += 1
            return
        aid = params["sdr_o"]
        acc = self.accounts.get(aid)
        if acc is None:
            name = params.get("sdr_o.account_name") or params.get("sdr_odn") or aid
            acc = self.add_account(aid, name)
        for key, value in params.items():
            if not key.startswith("sdr_o."):
                continue
            attr = key[len("sdr_o.") :]
            if attr == "account_name":
                acc["display_name"] = value
                continue
            if attr not in self.attributes:
                if not self.auto_define:
                    continue  # dropped: not in the Data Modeler
                self.attributes.add(attr)
            if value == "":
                if self.empty_clears:
                    acc["attributes"].pop(attr, None)
            else:
                acc["attributes"][attr] = value

    # -- REST -------------------------------------------------------------------------

    def handle_rest(self, request: httpx.Request) -> Any:
        return self._serve(request, lambda: self._rest(request))

    def _headers(self) -> dict[str, str]:
        return self.limiter.headers(self.clock())

    def _reply(
        self, request: httpx.Request, status: int, payload: Any, body: Any = None, **extra: str
    ) -> httpx.Response:
        self._log(request, status, body)
        headers = {**self._headers(), **extra}
        if isinstance(payload, str) and status < 300:
            return httpx.Response(status, text=payload, headers=headers)
        return json_response(status, payload, headers, ascii_only=self.ascii_json)

    def _rest(self, request: httpx.Request) -> httpx.Response | None:
        now = self.clock()
        self.settle()
        body = _body_of(request)
        fault = self._fault(request)
        if fault is not None and fault.status == 429:
            return self._reply_429(request, body, fault.reset)
        if not self.limiter.admit(now):
            self.rate_limited += 1
            return self._reply_429(request, body, None)
        if request.headers.get("app-token") != self.app_token:
            return self._reply(request, 401, {"message": "Unauthorized"}, body)
        if fault is not None and fault.status == DROP and not fault.process:
            self._log(request, DROP, body)
            return None
        if fault is not None and not fault.process:
            return self._reply(request, fault.status, fault.default_body(), body)
        try:
            status, payload = self._route(request)
        except ApiError as exc:
            status, payload = exc.status, exc.body
        except Refused as exc:
            status = self.refusal_status
            payload = {
                "status": "failed",
                "_error": str(exc),
                "service_id": self.service_id,
                "_type": "accounts",
                "_revision": "1",
                "_version": 1,
            }
        if fault is not None and fault.status == DROP:
            self._log(request, DROP, body)
            return None
        if fault is not None:
            status, payload = fault.status, fault.default_body()
        return self._reply(request, status, payload, body)

    def _reply_429(self, request: httpx.Request, body: Any, reset: int | None) -> httpx.Response:
        headers = self._headers()
        if reset is not None:
            headers |= {"RateLimit-Remaining": "0", "RateLimit-Reset": str(reset)}
        if self.retry_after:
            headers["Retry-After"] = headers["RateLimit-Reset"]
        self._log(request, 429, body)
        return httpx.Response(429, json="Too many requests", headers=headers)

    def _route(self, request: httpx.Request) -> tuple[int, Any]:
        path, method = request.url.path, request.method
        if path == "/api/v1/search/accounts" and method == "POST":
            return 200, self._search_accounts(request)
        if path == "/api/v1/search/users/internal" and method == "POST":
            if self.users_status is not None:
                raise ApiError(self.users_status, {"message": "Not allowed"})
            return 200, self._search_users(request)
        if path.rstrip("/") == "/api/v3/activity-types" and method == "GET":
            return 200, self._flows_reply()
        if path == "/api/v3/tasks" and method == "POST":
            return self._create_task(request)
        if path == "/api/v3/tasks" and method == "GET":
            tid = request.url.params.get("id")
            return 200, [dict(self.tasks[tid])] if tid in self.tasks else []
        if path.startswith("/api/v3/tasks/") and method == "PUT":
            return self._update_task(request, path.rsplit("/", 1)[1])
        if path == "/api/v2/automations/run-manual-successplay" and method == "POST":
            return self._run_play(request)
        raise ApiError(404, {"message": "Not found"})

    def _flows_reply(self) -> Any:
        if self.flows_shape == "list":
            return list(self.flows)
        items = [
            {"activityTypeId": f["activity_type_id"], "name": f["display_name"]} for f in self.flows
        ]
        return {"status": "success", "activityTypes": items}

    # search

    def _form_query(self, request: httpx.Request) -> dict[str, Any]:
        if "x-www-form-urlencoded" not in request.headers.get("Content-Type", ""):
            raise Refused("the query must be sent form-encoded")
        form = parse_qs(request.content.decode())
        if "query" not in form:
            raise Refused("query is missing")
        try:
            q = json.loads(form["query"][-1])
        except ValueError:
            raise Refused("query is not valid JSON") from None
        if not isinstance(q, dict) or not isinstance(q.get("terms"), list):
            raise Refused("terms is mandatory")
        if not isinstance(q.get("fields"), list):
            raise Refused("fields is mandatory")
        count, offset = q.get("count", 1000), q.get("offset", 0)
        if not isinstance(count, int) or not 0 <= count <= self.page_max:
            raise Refused(f"count must be between 0 and {self.page_max}")
        if not isinstance(offset, int) or offset < 0:
            raise Refused("offset must be a non-negative number")
        return q

    def _term(self, term: Any) -> Callable[[dict[str, Any]], bool]:
        if not isinstance(term, dict):
            raise Refused("a term must be an object")
        kind = term.get("type")
        if kind == "string_attribute":
            attr = str(term.get("attribute"))
            if attr not in self.attributes and self.unknown_attribute == "error":
                raise Refused(f"Unknown attribute: {attr}")
            return _matcher(term, lambda a: a["attributes"].get(attr))
        if kind == "string" and term.get("term") == self.id_term and self.id_filter == "works":
            return _matcher(term, lambda a: a["id"])
        if kind == "string" and term.get("term") == self.id_term and self.id_filter == "ignore":
            return lambda a: True
        if kind == "string" and term.get("term") == self.id_term:
            raise Refused(f"Unknown term: {self.id_term}")
        if kind == "string" and term.get("term") == "search_name":
            return _matcher(term, lambda a: a["display_name"])
        if kind == "string" and term.get("term") == "status_group":
            return lambda a: True
        if self.unknown_terms == "ignore":
            return lambda a: True
        raise Refused(f"Unknown term: {term.get('term') or kind}")

    def _cell(self, field: Any, acc: dict[str, Any]) -> Any:
        if isinstance(field, dict) and field.get("type") == "string_attribute":
            attr = str(field.get("attribute"))
            if attr not in self.attributes:
                if self.unknown_attribute == "error":
                    raise Refused(f"Unknown attribute: {attr}")
                return None
            return acc["attributes"].get(attr)
        return None

    def _envelope(self, kind: str, total: int, hits: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "status": "success",
            "service_id": self.service_id,
            "_type": kind,
            "_revision": "1",
            "_version": 1,
            "took": 3,
            "response": {kind: {"total_hits": total, "hits": hits, "stats": {}}},
        }

    def _search_accounts(self, request: httpx.Request) -> dict[str, Any]:
        q = self._form_query(request)
        tests = [self._term(t) for t in q["terms"]]
        fields = q["fields"]
        matching = [a for a in self.accounts.values() if all(t(a) for t in tests)]
        reverse = str(q.get("sort_order", "ASC")).upper() == "DESC"
        matching.sort(key=lambda a: (a["display_name"], a["id"]), reverse=reverse)
        offset, count = q.get("offset", 0), q.get("count", 1000)
        if offset >= self.reach and self.past_reach == "error":
            raise Refused(f"only the first {self.reach} records can be reached")
        window = matching[offset : max(offset, min(offset + count, self.reach))]
        if reverse and self.desc_empty:
            window = []
        hits = [
            {
                "name": a["id"],
                "display_name": a["display_name"],
                "selected_fields": [self._cell(f, a) for f in fields],
            }
            for a in window
        ]
        if not window:
            for f in fields:  # a refused field is refused even on an empty page
                self._cell(f, {"attributes": {}})
        total = min(len(matching), self.reach) if self.cap_total else len(matching)
        return self._envelope("accounts", total, hits)

    def _search_users(self, request: httpx.Request) -> dict[str, Any]:
        q = self._form_query(request)
        if "team_id" not in parse_qs(request.content.decode()):
            raise Refused("team_id is missing")
        offset, count = q.get("offset", 0), q.get("count", 1000)
        users = sorted(self.users, key=lambda u: u["display_name"])
        page = [dict(u) for u in users[offset : offset + count]]
        reply = self._envelope("users", len(users), page)
        if self.users_block != "users":  # the reply's shape is not documented [I]
            block = reply["response"].pop("users")
            if self.users_block != "unknown":
                reply["response"][self.users_block] = block
            else:
                reply["response"]["people"] = page  # a list: no hits block tierform knows
        return reply

    # tasks

    def _create_task(self, request: httpx.Request) -> tuple[int, Any]:
        body = _json_body(request)
        if not body.get("title"):
            raise _bad("title is required")
        if body.get("activity_type_id") not in {f["activity_type_id"] for f in self.flows}:
            raise _bad("activity_type_id is required and must be an existing Flow")
        self._check_task(body)
        self._task_seq += 1  # never an id seen before, even after a delete
        tid = str(uuid.UUID(int=self._task_seq))
        task = {
            "id": tid,
            "title": body["title"],
            "description": body.get("description"),
            "due_date": body.get("due_date"),
            "priority": body.get("priority", 2),
            "status": body.get("status", "open"),
            "account_id": body["account_id"],
            "assignee": body.get("assignee"),
            "activity_type_id": body["activity_type_id"],
        }
        self.tasks[tid] = task
        return (200, dict(task)) if self.task_reply == "json" else (200, "Success")

    def _check_task(self, body: dict[str, Any]) -> None:
        if "account_id" in body and body["account_id"] not in self.accounts:
            raise _bad("Account not found")
        if "account_id" not in body:
            raise _bad("account_id is required")
        who = body.get("assignee")
        if who and who not in {u["name"] for u in self.users}:
            raise _bad("Assignee not found")

    def _update_task(self, request: httpx.Request, tid: str) -> tuple[int, Any]:
        task = self.tasks.get(tid)
        if task is None:
            raise ApiError(404, {"message": "Task not found"})
        body = _json_body(request)
        self._check_task({"account_id": task["account_id"], **body})
        for key in ("title", "description", "due_date", "priority", "status", "assignee"):
            if key in body:
                task[key] = body[key]
        if "account_id" in body:
            task["account_id"] = body["account_id"]
        return 200, dict(task) if self.task_reply == "json" else "Success"

    def _run_play(self, request: httpx.Request) -> tuple[int, Any]:
        body = _json_body(request)
        play_id, account = body.get("successplayId"), body.get("accountId")
        if not play_id or not account:
            raise _bad("successplayId and accountId are required")
        play = self.plays.get(str(play_id))
        if play is None:
            raise _bad("SuccessPlay not found")
        if not play["manual"]:
            raise _bad("SuccessPlay is not a manual SuccessPlay")
        if not play["active"]:
            raise _bad("SuccessPlay is not active")
        if account not in self.accounts:
            raise _bad("Account not found")
        self.runs.append((str(play_id), str(account)))
        return 200, "Success"


def _matcher(term: dict[str, Any], get: Callable[[dict[str, Any]], Any]) -> Callable[..., bool]:
    if "in_list" in term:
        allowed = {str(v) for v in term["in_list"]}
        return lambda a: get(a) is not None and str(get(a)) in allowed
    if "eq" in term:
        return lambda a: get(a) is not None and str(get(a)) == str(term["eq"])
    if "contains" in term:
        needle = str(term["contains"]).lower()
        return lambda a: get(a) is not None and needle in str(get(a)).lower()
    raise Refused("a term needs in_list, eq or contains")


def _unquoted(query: str) -> dict[str, str]:
    """A gateway query string decoded as the research's examples encode it: ``%20`` is a space
    (``sdr_o.Success%20Manager=Jack%20Smith`` [HTTP]) and a ``+`` stays a plus [I]."""
    params: dict[str, str] = {}
    for pair in query.split("&"):
        if pair:
            name, _, value = pair.partition("=")
            params[unquote(name)] = unquote(value)
    return params


def _body_of(request: httpx.Request) -> Any:
    if not request.content:
        return None
    try:
        return json.loads(request.content)
    except ValueError:
        return {k: v[-1] for k, v in parse_qs(request.content.decode()).items()}


def _json_body(request: httpx.Request) -> dict[str, Any]:
    if "json" not in request.headers.get("Content-Type", ""):
        raise _bad("Content-Type must be application/json")
    try:
        body = json.loads(request.content or b"null")
    except ValueError:
        raise _bad("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise _bad("the body must be a JSON object")
    return body
