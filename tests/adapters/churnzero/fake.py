"""A stateful fake of ChurnZero's push API (``/i``) and REST API (``/public/v1``) for respx.

Built from the platform research; each behaviour notes its evidence ([C] official page, [S]
working third-party code, [I] inferred or conflicting: then switchable, worst case by default
where the research gives one):

* Push ``/i`` [C]: GET query, POST form, POST JSON object or array [S]; always ``200`` with a
  1x1 GIF, also for a wrong ``appKey`` or a malformed action, which are dropped silently into
  :attr:`devlog` [C]/[S]. Actions are queued and processed ``lag`` seconds later [S]
  (``eventProcessQueue``). ``setAttribute`` upserts accounts [S]; a new custom name creates a
  text field [C]; ``attr_<Name>`` multi-form [S]; a non-number to a Number field is dropped [I];
  an ``OwnerUserAccount`` that is no user's UserName is dropped [I]; ids over 100 characters are
  dropped [S]. ``require_contact`` (default) drops account calls without ``contactExternalId``:
  "All calls must include the appKey, account identifier and contact identifier" [C]; off,
  integrators' practice [S]. ``trackEvent`` needs a contact; duplicates are skipped unless
  ``allowDupes`` [S]: ``duplicates="contact"`` (default) compares the contact and the eventDate
  only, whatever the account or the event's name, as the log names only those two ("Duplicate
  event detected at <eventDate> for contact id ...") [S]; ``"account"`` also the account [I].
  Future dates are dropped [I]. An empty ``value`` clears the field (``clear_on_empty``, [I]:
  nothing documents it) or, off, is ignored.
* REST [C]/[S]: HTTP Basic ``user:key`` (401), per-entity permission (403), GET only (405),
  OData ``$filter`` (eq/ne/gt/ge/lt/le joined by ``and`` or ``or``, never mixed: 400 [I]),
  ``$top``/``$skip``/``$count``/``$expand``/``$select``/``$orderby``; page size 100 with an
  absolute ``@odata.nextLink`` and none when ``$top`` is given [C] (``next_link=False``: never
  one [I]; ``"root"`` or ``"relative"``: a link from the host's root or relative to the REST
  base, forms the research leaves open; ``"spelled"``: absolute, the host in capitals with its
  default port written out); custom fields under ``Cf`` keyed by stripped display
  name (``cf_keys="stripped"`` [S]) or by name (``"name"`` [I]); the owner as an expandable
  ``OwnerUserAccount`` (``owner_form="expand"``) or ``UserAccount``
  (``"expand-useraccount"``: the research's "related UserAccount" [C]), an
  ``OwnerUserAccountId`` (``"id"``) or ``UserAccountId`` (``"useraccountid"``), or a UserName
  string (``"name"``) [I]; errors ``{"error": {"code", "message"}}`` (``error_form="odata"``
  [I]) or ASP.NET ``{"Message"}`` (``"aspnet"`` [S]); a two-tier per-minute limit
  (``soft``/``hard``, 100/200 [I]): delayed past soft, 429 past hard, by default with no
  header saying when the budget returns (``limit_headers="none"``: none is documented), or,
  should a tenant send them, ``RateLimit-*`` headers on every REST response (``"ratelimit"``)
  or ``Retry-After`` on 429 only (``"retry-after"``). Also switchable, for what the research
  leaves open [I]: ``refuse_expand`` answers every Account ``$expand`` with that status (a key
  without bulk read permission on what it leads to: 403; an option not implemented: 501);
  ``page_size`` below 100; ``skip_ignored``: ``$skip`` is ignored (the first page again). A 500
  whose ASP.NET body says ``exceptionMessage: "Sequence contains no elements"`` [S] comes from
  :meth:`ChurnZeroFake.inject_empty_sequence`.

Use it as ``with fake.mock(): ...`` with a :class:`VirtualClock` shared with the adapter.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import respx

from tests.fakes.support import json_response

from .fake_support import DROP, Fault, Logged, RealClock, RequestLog, TwoTierLimiter, VirtualClock

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
PAGE = 100
ACTIONS = {"setAttribute", "incrementAttribute", "trackEvent", "trackTimeInApp"}
STANDARD = {
    "Name",
    "NextRenewalDate",
    "TotalContractAmount",
    "IsActive",
    "StartDate",
    "EndDate",
    "LicenseCount",
    "OwnerUserAccount",
    "ParentAccountExternalId",
}
ENTITIES = ("Account", "UserAccount", "Event", "EventType", "Contact", "Segment", "Task")
_TERM = re.compile(
    r"\s*([A-Za-z_][A-Za-z0-9_/]*)\s+(eq|ne|gt|ge|lt|le)\s+"
    r"('(?:[^']|'')*'|-?\d+(?:\.\d+)?|true|false|null)\s*"
)
_JOIN = re.compile(r"(and|or)\b")


def strip_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", name)


class ODataError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def parse_filter(text: str) -> tuple[str, list[tuple[str, str, Any]]]:
    """``(joiner, [(path, op, value)])``; mixing ``and`` with ``or`` is refused [I]."""
    terms: list[tuple[str, str, Any]] = []
    joins: set[str] = set()
    pos = 0
    while True:
        m = _TERM.match(text, pos)
        if not m:
            raise ODataError(400, f"The query specified in the URI is not valid: {text[pos:][:40]}")
        raw = m.group(3)
        value: Any
        if raw.startswith("'"):
            value = raw[1:-1].replace("''", "'")
        elif raw in ("true", "false"):
            value = raw == "true"
        elif raw == "null":
            value = None
        else:
            value = float(raw) if "." in raw else int(raw)
        terms.append((m.group(1), m.group(2), value))
        pos = m.end()
        if pos >= len(text):
            break
        j = _JOIN.match(text, pos)
        if not j:
            raise ODataError(400, "The query specified in the URI is not valid.")
        joins.add(j.group(1))
        pos = j.end()
    if len(joins) > 1:
        raise ODataError(400, "Mixing 'and' and 'or' is not supported.")
    return (joins.pop() if joins else "and"), terms


def _compare(have: Any, op: str, want: Any) -> bool:
    if op == "eq":
        return bool(have == want)
    if op == "ne":
        return bool(have != want)
    if have is None or want is None:
        return False
    try:
        return {
            "gt": have > want,
            "ge": have >= want,
            "lt": have < want,
            "le": have <= want,
        }[op]
    except TypeError:
        return False


class ChurnZeroFake:
    def __init__(
        self,
        *,
        app_key: str,
        rest_user: str,
        rest_key: str,
        host: str = "https://acme.us2app.churnzero.net",
        clock: VirtualClock | RealClock | None = None,
        soft: int = 100,
        hard: int = 200,
        soft_delay: float = 1.0,
        limit_headers: str = "none",
        cf_keys: str = "stripped",
        owner_form: str = "expand",
        error_form: str = "odata",
        require_contact: bool = True,
        duplicates: str = "contact",
        clear_on_empty: bool = True,
        next_link: bool | str = True,
        refuse_expand: int = 0,
        page_size: int = PAGE,
        skip_ignored: bool = False,
        segment_entity: bool = True,
        lag: float = 0.0,
        latency: float = 0.0,
    ) -> None:
        self.app_key = app_key
        self.rest_user = rest_user
        self.rest_key = rest_key
        self.host = host.rstrip("/")
        self.rest_base = self.host + "/public/v1"
        self.clock = clock or VirtualClock()
        self.limiter = TwoTierLimiter(soft, hard)
        self.soft_delay = soft_delay
        self.limit_headers = limit_headers
        self.cf_keys = cf_keys
        self.owner_form = owner_form
        self.error_form = error_form
        self.require_contact = require_contact
        self.duplicates = duplicates
        self.clear_on_empty = clear_on_empty
        self.next_link = next_link
        self.refuse_expand = refuse_expand
        self.page_size = page_size
        self.skip_ignored = skip_ignored
        self.repeats = 0  # pages served again because $skip was ignored
        self.segment_entity = segment_entity
        self.lag = lag
        self.latency = latency
        self.accounts: dict[int, dict[str, Any]] = {}
        self.by_ext: dict[str, int] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.fields: dict[str, str] = {}  # custom field display name -> type
        self.contacts: set[tuple[str, str]] = set()
        self.events: list[dict[str, Any]] = []
        self.event_types: dict[str, int] = {}
        self.segments: list[dict[str, Any]] = []
        self.forbidden: set[str] = set()
        self.queue: list[tuple[float, dict[str, Any]]] = []
        self.devlog: list[str] = []
        self.faults: list[Fault] = []
        # Drops matching actions silently (a write ChurnZero cannot process, for whatever reason).
        self.echo_auth = False  # a 401 body that repeats the credentials sent (scrub test)
        self.drop: Callable[[dict[str, Any]], bool] | None = None
        self.log = RequestLog()
        self.ascii_json = False  # JSON with every non-ASCII character escaped (json_response)
        self._seq = 1000
        self._lock = threading.Lock()

    # -- seeding and views (tests) ------------------------------------------------------

    def _id(self) -> int:
        self._seq += 1
        return self._seq

    def add_account(
        self, ext: str, name: str, cf: dict[str, Any] | None = None, owner: str | None = None
    ) -> dict[str, Any]:
        for key in cf or {}:
            self.fields.setdefault(key, "text")
        acc = {
            "Id": self._id(),
            "ExternalId": ext,
            "CrmId": ext,
            "Name": name,
            "IsActive": True,
            "TotalContractAmount": 12000.0,
            "NextRenewalDate": "2026-06-30T00:00:00Z",
            "LicenseCount": 25,
            "_cf": dict(cf or {}),
            "_owner": owner,
        }
        self.accounts[acc["Id"]] = acc
        self.by_ext.setdefault(ext, acc["Id"])
        return acc

    def add_user(self, username: str, email: str, first: str, last: str) -> dict[str, Any]:
        user = {
            "Id": self._id(),
            "UserName": username,
            "Email": email,
            "FirstName": first,
            "LastName": last,
            "FullName": f"{first} {last}",
            "IsActive": True,
        }
        self.users[user["Id"]] = user
        return user

    def add_field(self, name: str, type_: str = "text") -> None:
        self.fields[name] = type_

    def type_field(self, name: str, type_: str) -> None:
        """A person sets the field's Data Type in Admin > Custom Fields: values convert."""
        self.fields[name] = type_
        for acc in self.accounts.values():
            if acc["_cf"].get(name) is not None:
                acc["_cf"][name] = self._typed(name, acc["_cf"][name])

    def add_segment(self, name: str) -> None:
        self.segments.append({"Id": self._id(), "Name": name, "Description": ""})

    def account(self, ext: str) -> dict[str, Any]:
        return self.accounts[self.by_ext[ext]]

    def cf(self, ext: str) -> dict[str, Any]:
        return {k: v for k, v in self.account(ext)["_cf"].items() if v is not None}

    def owner(self, ext: str) -> str | None:
        owner = self.account(ext)["_owner"]
        return str(owner) if owner is not None else None

    def events_of(self, ext: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["AccountExternalId"] == ext]

    def inject_empty_sequence(self, times: int = 1, **kwargs: Any) -> Fault:
        """ASP.NET's 500 for a query with no result, as third-party clients met it [S]."""
        body = {
            "message": "An error has occurred.",
            "exceptionMessage": "Sequence contains no elements",
            "exceptionType": "System.InvalidOperationException",
            "stackTrace": "   at System.Linq.Enumerable.First[TSource](IEnumerable`1 source)",
        }
        return self.inject(500, times, body=body, **kwargs)

    def inject(self, status: int, times: int = 1, **kwargs: Any) -> Fault:
        if "methods" in kwargs and kwargs["methods"] is not None:
            kwargs["methods"] = frozenset(kwargs["methods"])
        fault = Fault(status, times, **kwargs)
        self.faults.append(fault)
        return fault

    # -- respx wiring ---------------------------------------------------------------------

    def mock(self) -> respx.MockRouter:
        router = respx.mock(assert_all_mocked=True, assert_all_called=False)
        router.route(url__startswith=self.host + "/").mock(side_effect=self.handle)
        return router

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.latency:
            self.clock.sleep(self.latency / 2)
        with self._lock:
            response, delay = self._serve(request)
        if delay:
            self.clock.sleep(delay)  # throttled past the soft limit
        if self.latency:
            self.clock.sleep(self.latency / 2)
        if response is None:
            raise httpx.RemoteProtocolError("Server disconnected", request=request)
        return response

    def _serve(self, request: httpx.Request) -> tuple[httpx.Response | None, float]:
        now = self.clock()
        self._process(now)
        path, method = request.url.path, request.method
        query = dict(request.url.params.multi_items())
        fault = next((f for f in self.faults if f.fires(method, path)), None)
        if path == "/i":
            return self._serve_push(request, query, fault), 0.0
        if not path.startswith("/public/v1/"):
            return self._reply(request, query, 404, {"Message": "Not found"}, {}), 0.0
        headers: dict[str, str] = {}
        verdict = self.limiter.admit(now)
        if self.limit_headers == "ratelimit":
            headers = self.limiter.headers(now)
        if verdict == "refuse" or (fault is not None and fault.status == 429):
            if self.limit_headers == "retry-after":
                headers = {"Retry-After": str(self.limiter.headers(now)["RateLimit-Reset"])}
            if self.limit_headers == "ratelimit":
                headers = {**headers, "RateLimit-Remaining": "0"}
            return self._reply(
                request, query, 429, self._error(429, "Too Many Requests"), headers
            ), 0.0
        delay = self.soft_delay if verdict == "slow" else 0.0
        if fault is not None and fault.status == DROP and not fault.process:
            self._log(request, query, DROP)
            return None, delay
        if fault is not None and not fault.process:
            body = fault.body or self._error(fault.status, "Server error")
            return self._reply(request, query, fault.status, body, headers), delay
        try:
            status, payload = self._rest(request, query)
        except ODataError as exc:
            status, payload = exc.status, self._error(exc.status, exc.message)
        if fault is not None and fault.status == DROP:
            self._log(request, query, DROP)
            return None, delay
        if fault is not None:
            status, payload = fault.status, fault.body or self._error(fault.status, "Server error")
        return self._reply(request, query, status, payload, headers), delay

    def _error(self, status: int, message: str) -> dict[str, Any]:
        if self.error_form == "aspnet":
            return {"Message": message}
        return {"error": {"code": str(status), "message": message}}

    def _reply(
        self,
        request: httpx.Request,
        query: dict[str, str],
        status: int,
        payload: Any,
        headers: dict[str, str],
    ) -> httpx.Response:
        self._log(request, query, status)
        return json_response(status, payload, headers, ascii_only=self.ascii_json)

    def _log(
        self, request: httpx.Request, query: dict[str, str], status: int, body: Any = None
    ) -> None:
        self.log.add(Logged(request.method, request.url.path, status, self.clock(), query, body))

    # -- push -----------------------------------------------------------------------------

    def _serve_push(
        self, request: httpx.Request, query: dict[str, str], fault: Fault | None
    ) -> httpx.Response | None:
        actions = self._actions(request, query)
        if fault is not None and fault.status == DROP:
            if fault.process:
                self._enqueue(actions)
            self._log(request, query, DROP, actions)
            return None
        if fault is not None:
            if fault.process:
                self._enqueue(actions)
            self._log(request, query, fault.status, actions)
            return httpx.Response(fault.status, text="Service Unavailable")
        self._enqueue(actions)
        self._log(request, query, 200, actions)
        return httpx.Response(200, content=GIF, headers={"Content-Type": "image/gif"})

    def _actions(self, request: httpx.Request, query: dict[str, str]) -> list[dict[str, Any]]:
        if request.method == "GET":
            return [dict(query)]
        ctype = request.headers.get("Content-Type", "")
        raw = request.content
        if "json" in ctype:
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                self.devlog.append("Request body is not valid JSON.")
                return []
            if isinstance(body, dict):
                return [body]
            if isinstance(body, list):
                return [a for a in body if isinstance(a, dict)]
            self.devlog.append("Request body is not an action.")
            return []
        return [dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))]

    def _enqueue(self, actions: list[dict[str, Any]]) -> None:
        due = self.clock() + self.lag
        self.queue.extend((due, a) for a in actions)
        if not self.lag:
            self._process(self.clock())

    def _process(self, now: float) -> None:
        ready = [a for t, a in self.queue if t <= now]
        self.queue = [(t, a) for t, a in self.queue if t > now]
        for action in ready:
            error = self._apply(action, now)
            if error:
                self.devlog.append(error)

    def _apply(self, a: dict[str, Any], now: float) -> str | None:
        if self.drop is not None and self.drop(a):
            return "Dropped: the action could not be processed."
        if a.get("appKey") != self.app_key:
            return "Invalid appKey."
        action = a.get("action")
        if action not in ACTIONS:
            return f"Unknown action {action!r}."
        account = str(a.get("accountExternalId") or "")
        contact = str(a.get("contactExternalId") or "")
        if not account:
            return "AccountExternalId parameter must be defined."
        if len(account) > 100 or len(contact) > 100:
            return "External id longer than 100 characters."
        if action == "trackEvent":
            return self._track(a, account, contact, now)
        if self.require_contact and not contact:
            return "ContactExternalId parameter must be defined."
        entity = str(a.get("entity") or "").lower()
        if entity not in ("account", "contact"):
            return f"Unknown entity {a.get('entity')!r}."
        pairs = [(k[5:], v) for k, v in a.items() if k.startswith("attr_")]
        if "name" in a:
            pairs.append((str(a.get("name") or ""), a.get("value")))
        if not pairs or any(not name for name, _ in pairs):
            return "Attribute name must be defined."
        if entity == "contact":
            if not contact:
                return "ContactExternalId parameter must be defined."
            self._upsert(account)
            self.contacts.add((account, contact))
            return None
        acc = self._upsert(account)
        for name, value in pairs:
            error = self._set(acc, name, value, action == "incrementAttribute")
            if error:
                return error
        if contact:
            self.contacts.add((account, contact))
        return None

    def _upsert(self, ext: str) -> dict[str, Any]:
        if ext in self.by_ext:
            return self.accounts[self.by_ext[ext]]
        return self.add_account(ext, ext)

    def _set(self, acc: dict[str, Any], name: str, value: Any, increment: bool) -> str | None:
        text = "" if value is None else str(value)
        if name in STANDARD:
            if name == "OwnerUserAccount":
                if text and not any(u["UserName"] == text for u in self.users.values()):
                    return f"OwnerUserAccount {text!r} is not a user."
                acc["_owner"] = text or None
            else:
                acc[name] = text or None
            return None
        self.fields.setdefault(name, "text")  # a new attribute name creates the field [C]
        if increment:
            try:
                acc["_cf"][name] = float(acc["_cf"].get(name) or 0) + float(text)
            except ValueError:
                return f"Cannot increment {name!r}."
            return None
        if text == "":
            if self.clear_on_empty:
                acc["_cf"][name] = None
            return None
        typed = self._typed(name, text)
        if typed is _BAD:
            return f"Value {text!r} is not valid for the Number field {name!r}."
        acc["_cf"][name] = typed
        return None

    def _typed(self, name: str, value: Any) -> Any:
        if self.fields.get(name) == "number":
            try:
                number = float(str(value).strip())
            except ValueError:
                return _BAD
            return int(number) if number.is_integer() else number
        return str(value)

    def _track(self, a: dict[str, Any], account: str, contact: str, now: float) -> str | None:
        name = str(a.get("eventName") or a.get("name") or "")
        if not name:
            return "EventName parameter must be defined."
        if not contact:
            return "ContactExternalId parameter must be defined."
        raw_date = a.get("eventDate")
        when = dt.datetime.fromtimestamp(now, tz=dt.UTC)
        if raw_date:
            try:
                when = dt.datetime.fromisoformat(str(raw_date).replace("Z", "+00:00"))
            except ValueError:
                return f"Invalid eventDate {raw_date!r}."
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.UTC)
            if when.timestamp() > now + 60:
                return "Event date is in the future."
        stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        allow = str(a.get("allowDupes") or "").lower() in ("true", "1")
        # The log names only the date and the contact ("Duplicate event detected at <date>
        # for contact id ...") [S]: by default a contact's events on one date are duplicates
        # whatever their account or name.
        if not allow and any(
            (self.duplicates == "contact" or e["AccountExternalId"] == account)
            and e["ContactExternalId"] == contact
            and e["EventDate"] == stamp
            for e in self.events
        ):
            return f"Skipping - Duplicate event detected at {stamp} for contact id {contact}"
        acc = self._upsert(account)
        self.contacts.add((account, contact))
        type_id = self.event_types.setdefault(name, self._id())
        self.events.append(
            {
                "Id": self._id(),
                "EventDate": stamp,
                "Description": str(a.get("description") or ""),
                "Quantity": a.get("quantity", 1),
                "EventTypeId": type_id,
                "EventTypeName": name,
                "AccountId": acc["Id"],
                "AccountExternalId": account,
                "ContactExternalId": contact,
            }
        )
        return None

    # -- REST -----------------------------------------------------------------------------

    def _auth_ok(self, request: httpx.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, key = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return user.lower() == self.rest_user.lower() and key == self.rest_key

    def _rest(self, request: httpx.Request, query: dict[str, str]) -> tuple[int, Any]:
        if not self._auth_ok(request):
            echo = f" ({request.headers.get('Authorization')})" if self.echo_auth else ""
            raise ODataError(401, "Authorization has been denied for this request." + echo)
        entity = request.url.path[len("/public/v1/") :]
        if request.method != "GET":
            raise ODataError(
                405, f"The requested resource does not support http method '{request.method}'."
            )
        if entity not in ENTITIES or (entity == "Segment" and not self.segment_entity):
            raise ODataError(404, f"No HTTP resource was found that matches {entity!r}.")
        if entity in self.forbidden:
            raise ODataError(403, f"You do not have bulk read permission for {entity}.")
        known = {"$filter", "$top", "$skip", "$count", "$expand", "$select", "$orderby"}
        for key in query:
            if key.startswith("$") and key not in known:
                raise ODataError(400, f"Query option {key} is not supported.")
        expand = query.get("$expand", "")
        if expand and entity == "Account" and self.refuse_expand:
            raise ODataError(self.refuse_expand, f"$expand={expand} is not available.")
        skip = int(query.get("$skip") or 0)
        if self.skip_ignored and skip:
            self.repeats += 1
            if self.repeats > 20:  # a client that never notices would page forever
                raise RuntimeError("the client kept paging through a server ignoring $skip")
            skip = 0
        rows = self._rows(entity, expand, query.get("$filter"), skip)
        body: dict[str, Any] = {"@odata.context": f"{self.rest_base}/$metadata#{entity}"}
        if query.get("$count") == "true":
            body["@odata.count"] = len(rows)
        page = self.page_size
        if "$top" in query:
            top = min(int(query["$top"]), page)
            body["value"] = rows[skip : skip + top]
        else:
            body["value"] = rows[skip : skip + page]
            if self.next_link and skip + page < len(rows):
                rest = {k: v for k, v in query.items() if k != "$skip"}
                tail = f"{entity}?" + urlencode({**rest, "$skip": skip + page})
                base = urlsplit(self.rest_base)
                body["@odata.nextLink"] = {
                    "root": base.path + "/" + tail,  # from the host's root
                    "relative": tail,  # relative to the REST base
                    # the same host as the server writes it: in capitals, its port spelled out
                    "spelled": f"{base.scheme}://{base.netloc.upper()}:443{base.path}/{tail}",
                }.get(str(self.next_link), f"{self.rest_base}/{tail}")
        if query.get("$select"):
            wanted = set(query["$select"].split(","))
            body["value"] = [{k: v for k, v in r.items() if k in wanted} for r in body["value"]]
        return 200, body

    def _rows(self, entity: str, expand: str, flt: str | None, skip: int) -> list[dict[str, Any]]:
        """Rows matching ``flt`` (Account rows are built lazily: the fake serves big books)."""
        if entity == "Account":
            navigation = {"expand": "OwnerUserAccount", "expand-useraccount": "UserAccount"}
            if expand and expand != navigation.get(self.owner_form):
                raise ODataError(
                    400, f"Could not find a property named '{expand}' on type Account."
                )
            accounts = list(self.accounts.values())
            if not flt:  # only the page is built; the rest are placeholders for the count
                page = {id(a) for a in accounts[skip : skip + PAGE]}
                return [
                    self._account_row(a, bool(expand)) if id(a) in page else {} for a in accounts
                ]
            joiner, terms = parse_filter(flt)
            if joiner == "or" and all(p == "ExternalId" and op == "eq" for p, op, _ in terms):
                ids = {self.by_ext[v] for _, _, v in terms if v in self.by_ext}
                accounts = [self.accounts[i] for i in sorted(ids)]
            return self._filtered([self._account_row(a, bool(expand)) for a in accounts], flt)
        return self._filtered(self._other_rows(entity, expand), flt)

    @staticmethod
    def _filtered(rows: list[dict[str, Any]], flt: str | None) -> list[dict[str, Any]]:
        if not flt:
            return rows
        joiner, terms = parse_filter(flt)
        check = any if joiner == "or" else all
        return [r for r in rows if check(_compare(_path(r, p), op, v) for p, op, v in terms)]

    def _other_rows(self, entity: str, expand: str) -> list[dict[str, Any]]:
        if expand:
            raise ODataError(400, f"Could not find a property named '{expand}'.")
        if entity == "UserAccount":
            return [dict(u) for u in self.users.values()]
        if entity == "Event":
            return [dict(e) for e in self.events]
        if entity == "EventType":
            return [{"Id": i, "Name": n} for n, i in self.event_types.items()]
        if entity == "Segment":
            return [dict(s) for s in self.segments]
        if entity == "Contact":
            return [
                {"Id": i, "AccountExternalId": a, "ExternalId": c}
                for i, (a, c) in enumerate(sorted(self.contacts), 1)
            ]
        return []

    def _account_row(self, acc: dict[str, Any], expand: bool) -> dict[str, Any]:
        row = {k: v for k, v in acc.items() if not k.startswith("_")}
        cf: dict[str, Any] = {}
        for name in self.fields:  # every custom field shows on every account (OData schema)
            key = strip_name(name) if self.cf_keys == "stripped" else name
            cf[key] = acc["_cf"].get(name)
        row["Cf"] = cf
        user = next((u for u in self.users.values() if u["UserName"] == acc["_owner"]), None)
        if self.owner_form == "id":
            row["OwnerUserAccountId"] = user["Id"] if user else None
        elif self.owner_form == "useraccountid":
            row["UserAccountId"] = user["Id"] if user else None
        elif self.owner_form == "name":
            row["OwnerUserAccount"] = acc["_owner"]
        elif expand:
            navigation = "UserAccount" if self.owner_form == "expand-useraccount" else None
            row[navigation or "OwnerUserAccount"] = dict(user) if user else None
        return row


class _Bad:
    pass


_BAD = _Bad()


def _path(row: dict[str, Any], path: str) -> Any:
    value: Any = row
    for part in path.split("/"):
        value = value.get(part) if isinstance(value, dict) else None
    return value
