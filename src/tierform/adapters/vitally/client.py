"""Vitally's endpoints as methods over the SDK's :class:`ApiClient` (paced, retried, classified).

Only the calls the adapter needs. Lists are cursor-paged (``limit=100``, ``from``/``next``) and
sorted by ``createdAt``: Vitally's own advice for a full scan of data that may change meanwhile
(the default, ``updatedAt``, skips or repeats records updated during the scan).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx

from tierform.adapters.http.client import ApiClient
from tierform.adapters.http.pagination import CursorPaginator
from tierform.adapters.vitally.auth import VitallyAuth
from tierform.adapters.vitally.mapping import CUSTOM
from tierform.errors import AuthError, PermanentApiError

log = logging.getLogger(__name__)

PAGE = 100  # "The max/default is 100" [DOC]
BATCH = 100  # analytics /batch: at most 100 messages [DOC]
_OBJECT_PATH = re.compile(r"/(accounts|tasks|projects)/[^/]+$")


def error_hint(
    response: httpx.Response, env: str, analytics_env: str | None, rest_url: str
) -> str | None:
    """What to check after a 401/403/404, naming the variable (never its value)."""
    status = response.status_code
    path = response.request.url.path
    if "/analytics/" in path and status in (401, 403):
        return (
            f"check {analytics_env}: it must hold the token of Vitally's 'Vitally API' "
            "(analytics) integration, which is separate from the REST API token"
        )
    if status == 401:
        return (
            f"check {env}: it must hold the REST API secret token (or the 'Basic ...' header "
            "value) from Settings > Integrations > Vitally REST API; the key may have been "
            "rolled or deleted"
        )
    if status == 403:
        return (
            "the key was accepted but refused here: check that the Vitally REST API "
            "integration is switched on and that subdomain/region name the workspace the key "
            "belongs to"
        )
    if status == 404:
        if _OBJECT_PATH.search(path):
            return "the object is gone from Vitally (deleted since the plan read it?): re-plan"
        return (
            f"check subdomain, region and base_url: requests go to {rest_url} (US: "
            "https://<subdomain>.rest.vitally.io, EU: https://rest.vitally-eu.io)"
        )
    return None


class VitallyApi:
    def __init__(self, rest: ApiClient, analytics: ApiClient | None = None) -> None:
        self.rest = rest
        self.analytics = analytics
        #: Object kinds ("tasks", "projects") that refused data traits in this run.
        self.no_data_traits: set[str] = set()

    def _list(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        pager = CursorPaginator("from", extra={"limit": PAGE, "sortBy": "createdAt", **params})
        for item in self.rest.paginate(path, pager):
            if isinstance(item, dict):
                yield item

    # -- reads ------------------------------------------------------------------------

    def accounts(self) -> Iterator[dict[str, Any]]:
        # Churned accounts too: a book account matching a churned one must not look unmatched
        # (and, with create_accounts, be created twice). The default status is "active" [DOC*].
        return self._list("accounts", status="activeOrChurned")

    def tasks(self) -> Iterator[dict[str, Any]]:
        return self._list("tasks")

    def projects(self) -> Iterator[dict[str, Any]]:
        return self._list("projects")

    def project_templates(self) -> Iterator[dict[str, Any]]:
        return self._list("projectTemplates")

    def admins(self) -> Iterator[dict[str, Any]]:
        return self._list("admins")

    def search_admin(self, email: str) -> list[dict[str, Any]]:
        """``GET /admins/search?email=``: a single object [DOC] (a list or envelope is taken
        too); none when the search answers 404."""
        try:
            body = self.rest.get_json("admins/search", params={"email": email})
        except PermanentApiError as exc:
            if exc.status == 404:
                return []
            raise
        if isinstance(body, dict) and isinstance(body.get("results"), list):
            body = body["results"]
        found = body if isinstance(body, list) else [body]
        return [a for a in found if isinstance(a, dict) and a.get("id")]

    def custom_fields(self, model: str = "accounts") -> list[dict[str, Any]]:
        """Custom trait definitions: a bare array [DOC] (an envelope is tolerated)."""
        body = self.rest.get_json("customFields", params={"model": model})
        if isinstance(body, dict):
            body = body.get("results") or []
        return [d for d in body if isinstance(d, dict)] if isinstance(body, list) else []

    def check(self) -> None:
        """One cheap authenticated read, so bad credentials fail before any write."""
        self.rest.request("GET", "accounts", params={"limit": 1})

    # -- writes -----------------------------------------------------------------------

    def create_account(self, body: dict[str, Any]) -> dict[str, Any]:
        # Not idempotent: whether a re-POST of an externalId upserts is undocumented.
        return self.rest.send_json("POST", "accounts", body, idempotent=False) or {}

    def find_account(self, external_id: str) -> dict[str, Any] | None:
        """The account with this externalId (paths accept it [DOC]), or None on a 404."""
        try:
            body = self.rest.get_json(f"accounts/{quote(external_id, safe='')}")
        except PermanentApiError as exc:
            if exc.status == 404:
                return None
            raise
        return body if isinstance(body, dict) and body.get("id") else None

    def account_projects(self, account_id: str) -> Iterator[dict[str, Any]]:
        return self._list(f"accounts/{account_id}/projects")

    def update_account(self, account_id: str, traits: dict[str, Any]) -> dict[str, Any]:
        return self.rest.send_json("PUT", f"accounts/{account_id}", {"traits": traits}) or {}

    def upsert_task(self, body: dict[str, Any]) -> dict[str, Any]:
        # "Tasks are unique on externalId" [DOC*]: replaying the POST updates the same task.
        return self._with_traits(
            "tasks", body, lambda b: self.rest.send_json("POST", "tasks", b, idempotent=True)
        )

    def delete_task(self, task_id: str) -> None:
        self._delete(f"tasks/{task_id}")

    def create_project(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._with_traits(
            "projects", body, lambda b: self.rest.send_json("POST", "projects", b, idempotent=False)
        )

    def update_project(self, project_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._with_traits(
            "projects", body, lambda b: self.rest.send_json("PUT", f"projects/{project_id}", b)
        )

    def _with_traits(
        self, kind: str, body: dict[str, Any], send: Callable[[dict[str, Any]], Any]
    ) -> dict[str, Any]:
        """Data traits (keys outside ``vitally.custom.``) are documented for accounts,
        organizations and users only [DOC*]. A 400 to a task or project carrying some is
        answered by sending it once without them; when that is taken, the kind goes without
        them for the rest of the run (the reader finds tierform's objects without them)."""
        lean = without_data_traits(body)
        if kind in self.no_data_traits or lean == body:
            return send(lean) or {}
        try:
            return send(body) or {}
        except PermanentApiError as exc:
            if exc.status != 400:
                raise
        answer = send(lean) or {}
        if kind not in self.no_data_traits:
            self.no_data_traits.add(kind)
            log.info("vitally: %s refuse data traits; writing them with custom traits only", kind)
        return answer

    def delete_project(self, project_id: str) -> None:
        self._delete(f"projects/{project_id}")

    def _delete(self, path: str) -> None:
        # The DELETE status is undocumented (200 or 204); gone already counts as done.
        try:
            self.rest.request("DELETE", path)
        except PermanentApiError as exc:
            if exc.status != 404:
                raise

    # -- analytics --------------------------------------------------------------------

    def check_analytics(self) -> bool:
        """Whether the analytics token is accepted, proven by an empty batch before any write
        (a 400 proves it too). Its docs print ``Basic [your token]`` without saying to encode
        ``token:`` [DOC]: on a 401 the token is tried once as written, and the form that works
        is kept. Refused both ways, trait values go by REST: the batch only saves requests."""
        assert self.analytics is not None
        try:
            self._analytics_preflight()
            return True
        except AuthError as exc:
            refused = exc
        auth = self.analytics.auth
        if refused.status == 401 and isinstance(auth, VitallyAuth) and auth.use_token_as_written():
            try:
                self._analytics_preflight()
                return True
            except AuthError as exc:
                refused = exc
        log.warning("analytics: token refused (%s); writing trait values by REST", refused)
        return False

    def _analytics_preflight(self) -> None:
        assert self.analytics is not None
        try:
            self.analytics.request("POST", "batch", json=[], idempotent=True)
        except PermanentApiError:
            pass

    def batch(self, messages: list[dict[str, Any]]) -> None:
        # Idempotent: each message carries a messageId, Vitally's dedupe key [DOC].
        assert self.analytics is not None
        self.analytics.request("POST", "batch", json=messages, idempotent=True)


def without_data_traits(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with only the custom traits (no ``traits`` at all when none is left)."""
    traits = body.get("traits")
    if not isinstance(traits, dict):
        return body
    kept = {k: v for k, v in traits.items() if k.startswith(CUSTOM)}
    if kept == traits:
        return body
    out = {k: v for k, v in body.items() if k != "traits"}
    if kept:
        out["traits"] = kept
    return out
