"""Roster CSMs -> Totango users, for the ``Success Manager`` attribute and task assignees.

``Success Manager`` holds the Totango user's full name ("Jack Smith") [SYSATTR]; the gateway
takes any text silently, so only names that match a Totango user are written. A roster CSM
matches a user by e-mail first (the roster's), else by full name. Totango's users come from
``POST /api/v1/search/users/internal`` with ``team_id=-1`` [C-code]: the shape of its hits is
not documented, so the user name is read from ``name``/``username``/``email`` and the full name
from ``display_name``/``full_name`` or ``first_name`` + ``last_name``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tierform.adapters.totango.client import SEARCH_USERS, TotangoApi
from tierform.adapters.totango.query import PAGE, REACH, query
from tierform.errors import AuthError, PermanentApiError

log = logging.getLogger(__name__)

UNLISTABLE = (403, 404)  # the users listing is not offered to this token


@dataclass
class User:
    login: str  # e-mail or user name
    full_name: str


@dataclass
class People:
    """Totango's users, and each roster name resolved to one."""

    users: list[User] = field(default_factory=list)
    listed: bool = False
    problem: str | None = None
    #: The listing endpoint is missing (404) or forbidden (403) for this token: it is only
    #: seen in client code [C-code], so a service may well not offer it.
    unlistable: bool = False

    def find(self, name: str, email: str | None) -> User | None:
        if email:
            hit = next((u for u in self.users if u.login.lower() == email.lower()), None)
            if hit is not None:
                return hit
        folded = name.strip().lower()
        return next((u for u in self.users if u.full_name.strip().lower() == folded), None)


def load(api: TotangoApi) -> People:
    """Every Totango user (paged like accounts); an endpoint this service refuses is reported,
    not fatal (a 401 is: the token is wrong for every endpoint)."""
    people = People()
    offset = 0
    try:
        while offset < REACH:
            page = api.search(query([], [], count=PAGE, offset=offset), [], kind="users")
            if not page.listed and not offset:
                people.problem = "its reply held no list of users tierform knows"
                return people
            for hit in page.hits:
                user = user_from(hit.raw)
                if user is not None:
                    people.users.append(user)
            offset += PAGE
            if len(page.hits) < PAGE or offset >= page.total:
                break
    except (AuthError, PermanentApiError) as exc:
        if exc.status in UNLISTABLE:
            people.unlistable = True
            people.problem = f"POST /{SEARCH_USERS} answered {exc.status}"
            return people
        if isinstance(exc, AuthError):
            raise
        people.problem = str(exc)
        return people
    people.listed = True
    return people


def user_from(raw: Mapping[str, Any]) -> User | None:
    """A user from a hit, whichever of the seen field names it uses."""
    login = raw.get("name") or raw.get("username") or raw.get("email")
    if not login:
        return None
    full = raw.get("display_name") or raw.get("full_name")
    if not full and (raw.get("first_name") or raw.get("last_name")):
        full = f"{raw.get('first_name') or ''} {raw.get('last_name') or ''}".strip()
    return User(str(login), str(full or login))
