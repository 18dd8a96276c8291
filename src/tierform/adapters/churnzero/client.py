"""ChurnZero's two APIs as methods over the SDK's :class:`ApiClient` (paced, retried, classified).

* REST (``/public/v1``, OData v4, read-only [C]): collections are paged 100 rows at a time and
  read through :meth:`ChurnZeroApi.collection`; every request goes through the REST pacer.
* Push (``/i`` [C]): a JSON array of actions per POST [S]. It always answers 200 with a 1x1 GIF
  and reports nothing about what it dropped [C], so its answer proves only that the request
  arrived: :mod:`.verify` reads every write back.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx

from tierform.adapters.churnzero.auth import PushKey
from tierform.adapters.churnzero.odata import PAGE, any_of
from tierform.adapters.churnzero.users import OWNER_EXPANDS
from tierform.adapters.http.body import json_body
from tierform.adapters.http.classify import default_error_text
from tierform.adapters.http.client import ApiClient
from tierform.errors import AuthError, PaginationLoop, PermanentApiError

log = logging.getLogger(__name__)

EMPTY_SEQUENCE = "Sequence contains no elements"
EXPAND_REFUSED = (400, 403, 501)  # an $expand answered with these is tried another way


def error_text(response: httpx.Response) -> str:
    """OData ``{"error": {"message"}}`` [I], ASP.NET ``{"Message"}`` / ``exceptionMessage`` [S]."""
    text = default_error_text(response)
    try:
        body = json_body(response)
    except ValueError:
        return text
    if isinstance(body, dict):
        for key in ("Message", "ExceptionMessage", "exceptionMessage"):
            if isinstance(body.get(key), str) and body[key] and (not text or text.startswith("{")):
                return str(body[key])[:300]
    return text


def error_hint(
    response: httpx.Response, *, rest_env: str, app_env: str, rest_user: str, rest_url: str
) -> str | None:
    """What to check after a failure, naming the variable (never its value)."""
    status = response.status_code
    path = response.request.url.path
    entity = path.rsplit("/", 1)[-1]
    if "/public/" not in path:
        if status == 404:
            return (
                "the push endpoint was not found: set base_url to your ChurnZero app host "
                "(or push_url to the endpoint shown at Admin > Application Keys)"
            )
        return (
            "ChurnZero refused the push request; check "
            f"{app_env} (Admin > Application Keys) and push_url"
        )
    if status == 401:
        return (
            f"check rest_user ({rest_user}) and {rest_env}: the REST API key is created at "
            "Admin > API Keys by that user (it is not the application key in "
            f"{app_env}); an unused key may have expired"
        )
    if status == 403:
        return (
            f"the REST key was accepted but may not read {entity}: give {rest_user} the "
            "Developer Tools permission and Bulk Read Permissions for this entity (Admin > Users)"
        )
    if status == 404:
        return (
            f"check base_url: the REST API is read at {rest_url} (your app host, e.g. "
            "https://acme.us2app.churnzero.net); the REST API is an add-on ChurnZero enables"
        )
    if status == 400:
        return "ChurnZero could not run this query (OData subset); please report it"
    return None


def error_kind(response: httpx.Response) -> str | None:
    """REST failures retrying cannot change, though their status says otherwise:

    * 500 whose ASP.NET body says "Sequence contains no elements": third-party clients read it
      as an empty result [S] (customerlobby/churn_zero), so :meth:`ChurnZeroApi.collection`
      does too;
    * 501: a query option this OData subset does not implement [I].
    """
    status = response.status_code
    if status == 501:
        return "permanent"
    if status == 500 and _empty_sequence(response):
        return "permanent"
    return None


def _empty_sequence(response: httpx.Response) -> bool:
    try:
        body = json_body(response)
    except ValueError:
        return False
    if not isinstance(body, dict):
        return False
    return any(
        isinstance(body.get(key), str) and EMPTY_SEQUENCE in body[key]
        for key in ("exceptionMessage", "ExceptionMessage", "Message", "message")
    )


class ChurnZeroApi:
    def __init__(
        self, rest: ApiClient, rest_url: str, push: ApiClient, key: PushKey, push_url: str
    ) -> None:
        self.rest = rest
        self.push_client = push
        self.key = key
        self.push_url = push_url
        self.owner_expands: tuple[str, ...] = OWNER_EXPANDS  # those not refused yet, in order
        self.rest_host = _host_port(rest_url)
        self.rest_origin = "{0.scheme}://{0.netloc}".format(urlsplit(rest_url))

    # -- REST ----------------------------------------------------------------------------

    def collection(
        self, entity: str, params: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every row of ``entity`` matching ``params``, following nextLink, else ``$skip`` after
        each full page (see :mod:`.odata`)."""
        url: str = entity
        query: dict[str, Any] | None = dict(params or {})
        read = 0
        links: set[str] = set()
        first: Any = None
        while True:
            body = self._page(url, query)
            rows = _rows(body)
            if rows and _identity(rows[0]) == first:
                raise PaginationLoop(
                    f"churnzero: {entity}: the page after row {read} starts with the same row "
                    "as the one before, so ChurnZero seems to ignore $skip; tierform stops "
                    "rather than read the same rows forever. Please report it to ChurnZero"
                )
            first = _identity(rows[0]) if rows else None
            read += len(rows)
            yield from rows
            link = self._next_link(entity, body, links)
            if link:
                url, query = link, None
                continue
            if len(rows) < PAGE or query is None:
                # "The page size for all collection requests is 100" [C]: a shorter page
                # (or an empty one) without a nextLink is the last; so is the last of those
                # a nextLink led to.
                return
            # A full page without nextLink: on by $skip ("continue to increase $skip ... until
            # an empty result set is observed" [C], said of $top reads).
            query = {**(params or {}), "$skip": read}
            url = entity

    def _page(self, url: str, query: dict[str, Any] | None) -> Any:
        """One page's body; ASP.NET's "Sequence contains no elements" 500 reads as no rows [S]."""
        try:
            return self.rest.get_json(url, params=query)
        except PermanentApiError as exc:
            if exc.status != 500:
                raise
            # Only error_kind makes a 500 permanent, and only for that body.
            log.info("read: %s answered 'Sequence contains no elements': no rows", url)
            return None

    def _next_link(self, entity: str, body: Any, seen: set[str]) -> str | None:
        """A page's ``@odata.nextLink``, checked and made absolute."""
        link = body.get("@odata.nextLink") if isinstance(body, dict) else None
        if not link:
            return None
        link = str(link)
        if urlsplit(link).netloc and _host_port(link) != self.rest_host:
            raise PermanentApiError(
                f"churnzero: {entity}: the next page points to another host; stopping"
            )
        if link in seen:
            raise PaginationLoop(f"churnzero: {entity}: the same next page twice")
        seen.add(link)
        if link.startswith("/") and not link.startswith("//"):
            # A link from the host's root (its form is not documented): joined to the REST
            # base it would repeat /public/v1.
            link = self.rest_origin + link
        return link

    def check(self) -> None:
        """One cheap authenticated read, so bad REST credentials fail before any write."""
        self.rest.request("GET", "Account", params={"$top": 1})

    def accounts(self, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Accounts with their owner, expanded where ChurnZero takes it: the account's "related
        UserAccount" is documented [C], its navigation property's name is not
        (``OwnerUserAccount`` is likely [I]), so ``OwnerUserAccount`` then ``UserAccount`` are
        tried; else the plain rows (which may carry the owner as an id or a name, see
        :mod:`.users`)."""
        base = dict(params or {})
        while self.owner_expands:
            expand = self.owner_expands[0]
            got = 0
            try:
                for row in self.collection("Account", {**base, "$expand": expand}):
                    got += 1
                    yield row
                return
            except (PermanentApiError, AuthError) as exc:
                # 400: no such navigation property; 403: the key may not read what it leads
                # to (bulk read permission is per entity [C]); 501: $expand not implemented.
                if exc.status not in EXPAND_REFUSED or got:
                    raise
                log.info(
                    "read: $expand=%s refused (%s); trying the owner another way",
                    expand,
                    exc.status,
                )
                self.owner_expands = self.owner_expands[1:]
        yield from self.collection("Account", base)

    @staticmethod
    def id_filters(external_ids: Iterable[str]) -> list[str]:
        """``ExternalId eq ... or ...`` filters that each fit in one request."""
        return list(any_of("ExternalId", external_ids))

    def accounts_where(self, flt: str) -> list[dict[str, Any]]:
        """Accounts matching one filter (independent requests: run a few at once)."""
        return list(self.accounts({"$filter": flt}))

    def users(self) -> list[dict[str, Any]] | None:
        """UserAccount rows, or None when the key may not read them: bulk read permission is
        granted per entity [C], so a 403 here says nothing about the other entities, and the
        owner is what it costs (see ``users.UNREADABLE``)."""
        try:
            return list(self.collection("UserAccount"))
        except AuthError as exc:
            if exc.status != 403:
                raise
            log.warning("read: UserAccount refused (403); the Account Owner is left unmanaged")
            self.owner_expands = ()  # each $expand leads to the entity just refused
            return None

    def events(self, event_name: str) -> Iterator[dict[str, Any]]:
        return self.collection("Event", {"$filter": f"EventTypeName eq {_lit(event_name)}"})

    def segments(self) -> list[dict[str, Any]] | None:
        """Segment rows, or None when this tenant does not expose them (listed by third
        parties only [I]: a 404 means "cannot verify", not "missing"; a 403, a key without
        bulk read permission on segments, is the reader's to explain)."""
        try:
            return list(self.collection("Segment"))
        except PermanentApiError as exc:
            if exc.status == 404:
                return None
            raise

    # -- push ----------------------------------------------------------------------------

    def push(self, actions: list[dict[str, Any]]) -> None:
        """One POST of a JSON array. Idempotent: setAttribute sets a value, and a replayed
        trackEvent carries the same eventDate, which ChurnZero skips as a duplicate [S]."""
        body = json.dumps(self.key.stamp(actions), separators=(",", ":")).encode()
        self.push_client.request(
            "POST",
            self.push_url,
            content=body,
            headers={"Content-Type": "application/json"},
            idempotent=True,
            write=True,
        )


def _host_port(url: str) -> tuple[str, int | None]:
    """A URL's host (any case) and port (the scheme's default when none is written), so a
    next page at ``HTTPS://Tenant.ChurnZero.net:443/...`` is the same host."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme.lower())
    return (parts.hostname or "").lower(), parts.port or default


def _identity(row: dict[str, Any]) -> Any:
    """What tells two rows apart: the Id, else the whole row."""
    if row.get("Id") is not None:
        return row["Id"]
    return json.dumps(row, sort_keys=True, default=str)


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _rows(body: Any) -> list[dict[str, Any]]:
    """``{"value": [...]}``; a bare entity or list is tolerated (forms differ by source [I])."""
    if isinstance(body, dict):
        value = body.get("value")
        if isinstance(value, list):
            return [r for r in value if isinstance(r, dict)]
        if "Id" in body or "ExternalId" in body:
            return [body]
        return []
    if isinstance(body, list):
        return [r for r in body if isinstance(r, dict)]
    return []
