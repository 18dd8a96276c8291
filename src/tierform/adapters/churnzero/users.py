"""CSM -> ChurnZero user, and an account's current owner in whichever form REST gives it.

``OwnerUserAccount`` takes the owner's **UserName** [C] BATCHDOC. The ``UserAccount`` row's field
names are not documented [I]: ``UserName``, ``Email``, ``FirstName``/``LastName``, ``FullName``,
``Name`` and ``DisplayName`` are all read. How an Account row names its owner is not confirmed
either: the "related UserAccount" is [C], the names around it are [I]. An expanded
``OwnerUserAccount`` or ``UserAccount`` object, a plain UserName in either, or an id key
(``OwnerUserAccountId``, ``UserAccountId``, ``OwnerId``, ``OwnerUserId``) are all accepted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

OWNER_EXPANDS = ("OwnerUserAccount", "UserAccount")  # an expanded owner, or its UserName
OWNER_IDS = ("OwnerUserAccountId", "UserAccountId", "OwnerId", "OwnerUserId")
OWNER_KEYS = OWNER_EXPANDS + OWNER_IDS
UNREADABLE = (
    "owner: the REST key may not read the UserAccount entity (403), so no CSM can be matched "
    "to a ChurnZero user: every Account Owner is left as it is and tf_csm is still written. "
    "Give rest_user Bulk Read Permissions on User Accounts (Admin > Users) to have the owner "
    "managed"
)


def _norm(text: Any) -> str:
    return " ".join(str(text or "").split()).lower()


@dataclass
class Users:
    """The tenant's users, indexed by e-mail, UserName, name and id."""

    by_key: dict[str, str] = field(default_factory=dict)  # e-mail / name / UserName -> UserName
    by_id: dict[str, str] = field(default_factory=dict)  # Id -> UserName
    email_of: dict[str, str] = field(default_factory=dict)  # UserName -> e-mail
    loaded: bool = False
    readable: bool = True  # False: the REST key may not read UserAccount (see UNREADABLE)

    @classmethod
    def of(cls, rows: Iterable[Mapping[str, Any]] | None) -> Users:
        """The users from their rows; None (not readable) gives a roster that matches no one."""
        users = cls(loaded=True, readable=rows is not None)
        if rows is None:
            return users
        for row in rows:
            username = row.get("UserName") or row.get("Username") or row.get("Email")
            if not username:
                continue
            username = str(username)
            if row.get("Email"):
                users.email_of.setdefault(username, str(row["Email"]))
            names = [
                row.get("FullName"),
                row.get("Name"),
                row.get("DisplayName"),
                f"{row.get('FirstName') or ''} {row.get('LastName') or ''}",
            ]
            for who in (username, row.get("Email"), *names):
                if _norm(who):
                    users.by_key.setdefault(_norm(who), username)
            if row.get("Id") is not None:
                users.by_id[str(row["Id"])] = username
        return users

    def resolve(self, csm: str, roster: Mapping[str, str | None]) -> str | None:
        """The UserName for a ``tf_csm`` value: by the roster's e-mail first, then by name."""
        email = roster.get(csm)
        if email and _norm(email) in self.by_key:
            return self.by_key[_norm(email)]
        return self.by_key.get(_norm(csm))

    def contact(self, username: str) -> str:
        """How the roster can recognise a user: the e-mail, else the UserName itself."""
        return self.email_of.get(username, username)

    def owner(self, row: Mapping[str, Any]) -> str | None:
        """The UserName owning an Account row, whatever form the row uses (see above)."""
        value = next((row[k] for k in OWNER_EXPANDS if row.get(k) is not None), None)
        if isinstance(value, Mapping):
            name = value.get("UserName") or value.get("Username") or value.get("Email")
            if name:
                return str(name)
            if value.get("Id") is not None:
                return self.by_id.get(str(value["Id"]))
            return None
        if isinstance(value, str) and value:
            return self.by_key.get(_norm(value), value)
        for key in OWNER_IDS:
            if row.get(key) is not None:
                return self.by_id.get(str(row[key]))
        return None


def owner_ref(row: Mapping[str, Any]) -> dict[str, Any]:
    """The part of an Account row that names its owner (resolved once the users are read)."""
    return {k: row[k] for k in OWNER_KEYS if row.get(k) is not None}
