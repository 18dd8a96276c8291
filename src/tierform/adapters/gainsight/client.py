"""Gainsight's endpoints as methods over the SDK's :class:`ApiClient` (paced, retried, classified).

Only the calls the adapter needs, each accepting every documented response form:

* reads: ``data`` as a flat list (the Company and CTA doc samples) or ``data.records`` (Custom
  Object/Timeline samples and what live connectors read) [both in the research, §3.3];
* an empty read as ``result: true`` with no rows, as ``result: false`` "No data found"
  (``GSOBJ_1XXX`` in the doc sample) or as HTTP 400 ``GSOBJ_1011`` -- all three are an empty page;
* describe as ``POST /v1/meta/services/objects/describe`` [confirmed] or, when a tenant answers
  that with 404/405, ``GET /v1/meta/services/objects/{object}/describe`` [secondary]; an object
  describe does not know as ``Company`` is asked for as ``company`` [secondary].

Paging stops with :class:`PaginationLoop` when a page holds only rows already returned.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Sequence
from typing import Any

import httpx

from tierform.adapters.http.body import json_body
from tierform.adapters.http.client import ApiClient
from tierform.errors import PaginationLoop, PermanentApiError

log = logging.getLogger(__name__)

PAGE = 5000  # MDA query rows per call [confirmed]
BATCH = 50  # MDA insert/update records per call [confirmed]
CTA_PAGE = 1000  # CTA list pageSize [confirmed]
CTA_BATCH = 50  # CTA create/update requests per call [inferred: the MDA limit]
NO_DATA = ("GSOBJ_1011", "GSOBJ_1XXX", "No data found", "No entity matches")
CTA_CATEGORIES = "CTA_STATUS,CTA_PRIORITY,CTA_TYPE"  # the categories the sources ask for [S]


# Where a record value may start in an error text: Gainsight's templates echo it after "="
# ("%s(columnName)= %s(columnValue)" [confirmed: Error Codes page]). Only that form is cut: a
# ":" or a quote in a message more often introduces field names ("Missing mandatory fields:
# DueDate, OwnerId"), which say what to fix. What comes before the value is kept.
VALUE_START = re.compile(r"=")
TEXT_MAX = 200


def without_values(text: str) -> str:
    """``text`` up to where a record value may start, the cut marked with an ellipsis (and a
    parenthesis left open closed again): "Invalid date format (Tf_Renewal__gc= 31/02)" becomes
    "Invalid date format (Tf_Renewal__gc …)"."""
    found = VALUE_START.search(text)
    if found is None:
        return text.strip()[:TEXT_MAX]
    head = text[: found.start()].rstrip()[:TEXT_MAX]
    return f"{head} …" + (")" if head.count("(") > head.count(")") else "")


def describe_error(code: Any, desc: Any) -> str:
    """``errorCode: errorDesc``, the description without the values it may echo (errorDesc
    repeats record values, so it is not shown verbatim [secondary])."""
    said = without_values(str(desc)) if desc else ""
    if code and said:
        return f"{code}: {said}"
    return str(code or said)


def error_text(response: httpx.Response) -> str:
    """``errorCode: errorDesc`` from the envelope, without the record values it may echo."""
    try:
        body = json_body(response)
    except ValueError:
        return response.text.strip()[:TEXT_MAX]  # not Gainsight's JSON: a proxy or gateway page
    if isinstance(body, dict):
        code, desc = body.get("errorCode"), body.get("errorDesc") or body.get("message")
        if code or desc:
            return describe_error(code, desc)
        for key in ("error", "title", "detail"):
            if body.get(key):
                return without_values(str(body[key]))
    return without_values(response.text)


def error_hint(response: httpx.Response, text: str, credential: str, host: str) -> str | None:
    """What to check, naming the setting or variable (never its value)."""
    status = response.status_code
    if "GS_APIG_2402" in text:
        return (
            "the tenant's IP allowlist refused this machine: add its address to the OAuth "
            "connection's allowed IP ranges in Connectors 2.0, or run from an allowed network"
        )
    if status == 401:
        return (
            f"check {credential}: it must be the tenant's current key (Administration > "
            "Connectors 2.0 > Gainsight API connection; only an active Super Admin can generate "
            "it, and a reset invalidates the old key), and base_url must be that tenant's host"
        )
    if status == 403:
        return (
            f"the credentials ({credential}) were refused here: check that the key belongs to "
            "this tenant, that its connection is active, and the IP allowlist (GS_APIG_2402)"
        )
    if status == 404:
        return f"check base_url: requests go to {host} (your tenant's gainsightcloud.com host)"
    return None


def records_of(body: Any) -> list[dict[str, Any]]:
    """Rows from ``data`` as a flat list or as ``data.records`` (both documented)."""
    data = body.get("data") if isinstance(body, dict) else None
    if isinstance(data, dict):
        data = data.get("records", data.get("data"))
    if not isinstance(data, list):
        return []
    return [r for r in data if isinstance(r, dict)]


def is_no_data(exc: PermanentApiError) -> bool:
    return any(marker in str(exc) for marker in NO_DATA)


def is_bad_select(exc: PermanentApiError) -> bool:
    """The CTA list's "Invalid fields in select clause" (``COCKPIT_5101`` [confirmed])."""
    return "COCKPIT_5101" in str(exc) or "select clause" in str(exc).lower()


def is_object_not_found(exc: PermanentApiError) -> bool:
    """Describe's "Requested object not found" (``OBJECT_NOT_FOUND``, seen as the body's
    ``title`` [confirmed]; read from the code or the text, whichever the tenant fills)."""
    text = str(exc).lower()
    return exc.status in (400, 404) and ("object_not_found" in text or "object not found" in text)


def guard_repeat(
    rows: list[dict[str, Any]], seen: set[str], call: str, where: str, param: str
) -> None:
    """Stop paging when a page holds only rows an earlier page returned: a tenant that ignores
    ``param`` would otherwise be asked for the same page until the daily quota runs out."""
    ids = {str(r["Gsid"]) for r in rows if r.get("Gsid")}
    if ids and ids <= seen:
        raise PaginationLoop(
            f"gainsight: {call} returned at {where} only rows an earlier page returned (the "
            f"tenant seems to ignore `{param}`); paging stopped so the daily request quota is "
            "not spent on the same page. Retry later; if it persists, report it to Gainsight "
            "support"
        )
    seen.update(ids)


class GainsightApi:
    def __init__(self, http: ApiClient) -> None:
        self.http = http
        self._describe_by_get = False  # the tenant has no POST describe route

    def _post(self, path: str, body: Any, *, read: bool = False) -> Any:
        if read:
            return self.http.send_json("POST", path, body, idempotent=True, write=False)
        return self.http.send_json("POST", path, body, idempotent=False)

    # -- MDA reads --------------------------------------------------------------------

    def query(
        self,
        obj: str,
        select: Sequence[str],
        where: dict[str, Any] | None = None,
        order_by: dict[str, str] | None = None,
        page: int = PAGE,
    ) -> Iterator[dict[str, Any]]:
        """Every row, ``limit``/``offset`` paged and ordered (offset paging without an order
        skips or repeats rows [secondary])."""
        offset = 0
        seen: set[str] = set()
        while True:
            body: dict[str, Any] = {"select": list(select), "limit": page, "offset": offset}
            if where:
                body["where"] = where
            body["orderBy"] = order_by or {"Gsid": "asc"}
            path = f"v1/data/objects/query/{obj}"
            try:
                rows = records_of(self._post(path, body, read=True))
            except PermanentApiError as exc:
                if is_no_data(exc):
                    return
                raise
            guard_repeat(rows, seen, f"POST {path}", f"offset {offset}", "offset")
            yield from rows
            if len(rows) < page:
                return
            offset += page

    def describe(self, obj: str) -> list[dict[str, Any]]:
        """The object's fields (``fieldName``, ``label``, ``dataType``, ``meta``).

        Describe returns ``company`` where query samples use ``Company`` [secondary], and an
        unknown object is OBJECT_NOT_FOUND [confirmed; its status is not given]: a tenant that
        refuses the name as given, or knows it with no fields, is asked for it in lower case."""
        last: PermanentApiError | None = None
        for name in dict.fromkeys((obj, obj.lower())):
            try:
                fields = self._describe_once(name)
            except PermanentApiError as exc:
                if not is_object_not_found(exc):
                    raise
                last = exc
                continue
            if fields:
                return fields
        if last is not None:
            raise last
        return []

    def _describe_once(self, obj: str) -> list[dict[str, Any]]:
        """POST describe [confirmed], or GET ``{object}/describe`` [secondary] on a tenant whose
        POST route is missing (404/405 that is not OBJECT_NOT_FOUND)."""
        body: Any = None
        if not self._describe_by_get:
            try:
                body = self._post(
                    "v1/meta/services/objects/describe", {"objectNames": [obj]}, read=True
                )
            except PermanentApiError as exc:
                if exc.status not in (404, 405) or is_object_not_found(exc):
                    raise
                self._describe_by_get = True
        if self._describe_by_get:
            body = self.http.get_json(
                f"v1/meta/services/objects/{obj}/describe", params={"idd": "true"}
            )
        data = body.get("data") if isinstance(body, dict) else None
        objects = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
        for item in objects:
            if isinstance(item, dict) and str(item.get("objectName", obj)).lower() == obj.lower():
                fields = item.get("fields") or []
                return [f for f in fields if isinstance(f, dict)]
        return []

    def check(self) -> None:
        """One cheap authenticated read, so bad credentials fail before any write."""
        for _ in self.query("Company", ["Gsid"], page=1):
            break

    # -- MDA writes -------------------------------------------------------------------

    def update(self, obj: str, records: list[dict[str, Any]], keys: Sequence[str]) -> Any:
        """``PUT ?keys=`` (<= 50 records, <= 3 keys): an update, never a create [inferred]."""
        return self.http.send_json(
            "PUT", f"v1/data/objects/{obj}", {"records": records}, params={"keys": ",".join(keys)}
        )

    def insert(self, obj: str, records: list[dict[str, Any]]) -> Any:
        """``POST`` (<= 50 records; all-or-nothing [confirmed])."""
        return self._post(f"v1/data/objects/{obj}", {"records": records})

    # -- Cockpit ----------------------------------------------------------------------

    def picklists(self) -> Any:
        """The CTA picklists with CTA_REASON, which no source names as a category [I]:
        refused, the lists are asked for again without it."""
        path = "v2/cockpit/admin/picklist/lite"
        try:
            categories = CTA_CATEGORIES + ",CTA_REASON"
            return self.http.get_json(path, params={"category": categories, "et": "COMPANY"})
        except PermanentApiError:
            log.info("picklists: CTA_REASON refused; reading the others without it")
        return self.http.get_json(path, params={"category": CTA_CATEGORIES, "et": "COMPANY"})

    def cta_list(self, where: dict[str, Any] | None, select: Sequence[str]) -> Iterator[Any]:
        """Every CTA matching ``where``, by ``pageNumber`` from 1 (``pageSize`` <= 1000)."""
        number = 1
        seen: set[str] = set()
        while True:
            body: dict[str, Any] = {"select": list(select), "pageSize": CTA_PAGE}
            body["pageNumber"] = number
            if where:
                body["where"] = where
            try:
                rows = records_of(self._post("v2/cockpit/cta/list", body, read=True))
            except PermanentApiError as exc:
                if is_no_data(exc):
                    return
                raise
            where_at = f"pageNumber {number}"
            guard_repeat(rows, seen, "POST v2/cockpit/cta/list", where_at, "pageNumber")
            yield from rows
            if len(rows) < CTA_PAGE:
                return
            number += 1

    def cta_create(self, records: list[dict[str, Any]]) -> Any:
        # Not idempotent: a lost answer is settled by the next read (CTAs carry tierform's key).
        return self._post("v2/cockpit/cta", {"requests": [{"record": r} for r in records]})

    def cta_update(self, records: list[dict[str, Any]]) -> Any:
        return self.http.send_json(
            "PUT", "v2/cockpit/cta", {"requests": [{"record": r} for r in records]}
        )


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)
