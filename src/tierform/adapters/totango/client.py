"""Totango's endpoints as methods over the SDK's :class:`ApiClient` (paced, retried, classified).

Two hosts: the REST APIs (``app-token``, 100 requests/min per token [RATE], one shared pacer)
and the HTTP gateway (``pixel.gif``: no token, not rate-limited, always 200 [HTTP]).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from tierform.adapters.http.body import json_body
from tierform.adapters.http.classify import default_error_text
from tierform.adapters.http.client import ApiClient
from tierform.adapters.totango.flows import Flow, parse_flows
from tierform.adapters.totango.query import Page, SearchRefused, parse, refusal
from tierform.errors import PermanentApiError

SEARCH_ACCOUNTS = "api/v1/search/accounts"
SEARCH_USERS = "api/v1/search/users/internal"  # Totango's own users [C-code]
TASKS = "api/v3/tasks"
FLOWS = "api/v3/activity-types/"
RUN_PLAY = "api/v2/automations/run-manual-successplay"
_TASK_PATH = re.compile(r"/api/v3/tasks/[^/]+$")


def error_text(response: httpx.Response) -> str:
    """``_error`` of the Search API's failure envelope, else the common shapes (429's body is
    the JSON string "Too many requests")."""
    try:
        body = json_body(response)
    except ValueError:
        body = None
    return refusal(body) or default_error_text(response)


REFUSED = "Totango refused the request (status: failed)"


def refused(response: httpx.Response) -> bool:
    """Whether the body is the Search API's failure envelope ``{"status": "failed", "_error":
    ...}``, whose HTTP status the sources do not show [C-code]."""
    try:
        body = json_body(response)
    except ValueError:
        return False
    return refusal(body) is not None


def is_refusal(response: httpx.Response) -> bool:
    """The failure envelope sent with a 4xx is the query refused, whatever the 4xx; a 401 (the
    token), 403 (access) and 429 (the rate limit) keep their own meaning, and a 5xx carrying it
    is still a server failure, retried."""
    status = response.status_code
    return 400 <= status < 500 and status not in (401, 403, 429) and refused(response)


def error_kind(response: httpx.Response) -> str | None:
    """A refusal (:func:`is_refusal`) is an answer: never retried."""
    return "permanent" if is_refusal(response) else None


def error_hint(response: httpx.Response, env: str, rest_url: str) -> str | None:
    """What to check after a 401/403/404, naming the variable (never its value); a refusal
    envelope is marked as such (it says what was wrong with the request, not the host)."""
    status, path = response.status_code, response.request.url.path
    if is_refusal(response):
        return REFUSED
    if status in (403, 404) and path.rstrip("/").endswith(SEARCH_USERS):
        return (
            "this token may not list Totango's users (an endpoint seen only in client code): "
            "Success Manager is then set to roster names unchecked"
        )
    if status == 401:
        return (
            f"check {env}: it must hold a Totango personal access token (Edit Profile > "
            "Integration tab > Create Token); tokens expire after the period chosen at "
            "creation and stop working when their user is disabled"
        )
    if status == 403:
        return (
            "the token was accepted but refused here: tasks and SuccessPlay runs need a token "
            "whose user is a Totango admin"
        )
    if status == 404:
        if _TASK_PATH.search(path):
            return "the task is gone from Totango (deleted since it was created?)"
        return (
            f"check region and base_url: requests go to {rest_url} (US: "
            "https://api.totango.com, EU: https://api-eu1.totango.com)"
        )
    return None


class TotangoApi:
    def __init__(self, rest: ApiClient, gateway: ApiClient, gateway_url: str) -> None:
        self.rest = rest
        self.gateway = gateway
        self.gateway_url = gateway_url

    # -- Search API -------------------------------------------------------------------

    def search(self, q: str, fields: Sequence[str], kind: str = "accounts") -> Page:
        """One page; a refused query raises :class:`SearchRefused`, whatever the HTTP status
        of its failure envelope (400 or 422 is a refusal whatever the body)."""
        path = SEARCH_ACCOUNTS if kind == "accounts" else SEARCH_USERS
        form: dict[str, str] = {"query": q}
        if kind == "users":
            form["team_id"] = "-1"
        try:
            response = self.rest.request(
                "POST",
                path,
                content=_form(form),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                idempotent=True,
                write=False,
            )
        except PermanentApiError as exc:
            message = str(exc)
            if exc.status in (400, 422) or message.endswith(f". {REFUSED}"):
                text = message.removesuffix(f". {REFUSED}").split(f"answered {exc.status}: ", 1)
                raise SearchRefused(text[-1], exc.status) from None
            raise
        return parse(_json(response), fields, kind)

    def check(self) -> None:
        """One cheap authenticated read, so a bad token fails before any gateway write (the
        gateway takes no token and would accept the writes)."""
        self.search('{"terms":[],"fields":[],"count":1,"offset":0,"scope":"all"}', [])

    # -- HTTP gateway -----------------------------------------------------------------

    def send(self, params: Mapping[str, str]) -> None:
        """One gateway request. Its 200 says only that the network call worked [HTTP]. The
        pixel is served as ``pixel.gif`` and ``pixel.gif/`` alike [HTTP], so a redirect from
        one to the other is followed, once, on the same host; any other 3xx wrote nothing
        and raises :class:`GatewayRedirected`."""
        query = gateway_query(params)
        url = f"{self.gateway_url}?{query}"
        response = self.gateway.request("GET", url, idempotent=True)
        if not response.is_redirect:
            _written(response)
            return
        target = pixel_redirect(url, response.headers["Location"], query)
        if target is None:
            raise GatewayRedirected(response)
        _written(self.gateway.request("GET", target, idempotent=True))

    # -- tasks and plays --------------------------------------------------------------

    def flows(self) -> list[Flow]:
        return parse_flows(self.rest.get_json(FLOWS))

    def create_task(self, body: Mapping[str, Any]) -> Any:
        """Not idempotent: a replayed create would make a second task."""
        response = self.rest.request("POST", TASKS, json=dict(body), idempotent=False)
        return _json(response)

    def task(self, task_id: str) -> Any:
        """One task by id: ``GET /api/v3/tasks?id=`` answers a JSON array [C-code]; a bare
        object is accepted as well [I]."""
        return self.rest.get_json(TASKS, params={"id": task_id})

    def update_task(self, task_id: str, body: Mapping[str, Any]) -> None:
        self.rest.request("PUT", f"{TASKS}/{task_id}", json=dict(body))

    def run_play(self, play_id: str, account_id: str) -> Any:
        body = {"successplayId": play_id, "accountId": account_id}
        response = self.rest.request("POST", RUN_PLAY, json=body, idempotent=False)
        return _json(response)


class GatewayRedirected(PermanentApiError):
    """The gateway answered a 3xx that was not followed: nothing was written."""

    def __init__(self, response: httpx.Response) -> None:
        request = response.request.url
        where = response.headers.get("Location")
        to = f" to {_no_query(str(request.join(where)))}" if where else ""
        super().__init__(
            f"totango: the HTTP gateway {_no_query(str(request))} answered "
            f"{response.status_code}, a redirect{to} that tierform does not follow (only one "
            "to the pixel on the same host): the write was not sent. Check sdr_url and region "
            "(US: https://sdr.totango.com/pixel.gif, EU: https://sdr-eu1.totango.com/pixel.gif)",
            status=response.status_code,
        )


PIXEL_PATHS = ("/pixel.gif", "/pixel.gif/")  # the gateway's two spellings [HTTP]


def pixel_redirect(url: str, location: str, query: str) -> str | None:
    """Where to follow a gateway redirect: only to the pixel path on the same scheme and host
    (nothing leaves that host), carrying the write's query if the redirect dropped it."""
    here, there = httpx.URL(url), httpx.URL(url).join(location)
    same_host = (there.scheme, there.host, there.port) == (here.scheme, here.host, here.port)
    if not same_host or there.path not in PIXEL_PATHS:
        return None
    if not there.query:
        there = there.copy_with(query=query.encode())
    if there.path == here.path and there.query == here.query:
        return None  # a loop: the same request again
    return str(there)


def _written(response: httpx.Response) -> None:
    if 300 <= response.status_code < 400:
        raise GatewayRedirected(response)


def _no_query(url: str) -> str:
    return url.split("?", 1)[0]


def gateway_query(params: Mapping[str, str]) -> str:
    """The gateway's query string with a space as ``%20``, as every request in Totango's docs
    has it (``sdr_o.Success%20Manager=Jack%20Smith`` [HTTP]): httpx would send ``+``, which a
    server decoding the way those examples encode would keep as a literal plus."""
    return urllib.parse.urlencode(dict(params), quote_via=urllib.parse.quote)


def _form(fields: Mapping[str, str]) -> bytes:
    return str(httpx.QueryParams(fields)).encode()


def _json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return json_body(response)
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return response.text


__all__ = [
    "GatewayRedirected",
    "SearchRefused",
    "TotangoApi",
    "error_hint",
    "error_kind",
    "error_text",
]
