"""Reading a Gainsight tenant: describe, GsUsers and playbooks (for the plan's shape), then
Companies matched to the book by ``match_field`` and tierform's CTAs.

Companies are one paged MDA query (5,000 rows a call, ordered by Gsid so offset paging neither
skips nor repeats). Only tierform's fields (and the match field, Gsid, Name, Csm) are selected.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tierform.adapters.gainsight.client import GainsightApi, is_bad_select
from tierform.adapters.gainsight.index import Index
from tierform.adapters.gainsight.mapping import (
    PLAYBOOK_FIELD,
    api_name,
    cta_data,
    from_wire,
    parse_marker,
)
from tierform.adapters.listing import some
from tierform.errors import PermanentApiError
from tierform.sync.state import Data, Kind, Scope, State

log = logging.getLogger(__name__)

USER_OBJECTS = ("gsuser", "GsUser")  # the query path's case differs between sources
CTA_SELECT = (
    "Gsid",
    "Name",
    "CompanyId",
    "DueDate",
    "IsClosed",
    "Comments",
    "OwnerId",
    "StatusId",
    PLAYBOOK_FIELD,
)


# -- before the plan (normalize_desired) ------------------------------------------------------


def load_schema(api: GainsightApi, index: Index) -> None:
    if index.schema_loaded:
        return
    for f in api.describe("Company"):
        name = f.get("fieldName")
        if isinstance(name, str) and name:
            index.schema[name] = str(f.get("dataType") or "").upper()
    index.schema_loaded = True


def value_of(row: Mapping[str, Any], field: str) -> Any:
    """``row[field]``, else the value under the same name in another case: GsUser fields
    appear lower case in lookups (``csm__gr.email`` [confirmed]) and their case in a query
    answer is not documented."""
    if row.get(field) is not None:
        return row[field]
    wanted = field.lower()
    return next((v for k, v in row.items() if k.lower() == wanted and v is not None), None)


def load_users(api: GainsightApi, index: Index) -> None:
    """GsUsers once per run: e-mail, name and GSID [query path case: both forms tried]."""
    if index.users.loaded:
        return
    last: PermanentApiError | None = None
    for obj in USER_OBJECTS:
        try:
            rows = list(api.query(obj, ["Gsid", "Name", "Email"]))
        except PermanentApiError as exc:
            if exc.status not in (400, 404):
                raise
            last = exc
            continue
        for row in rows:
            gsid = str(value_of(row, "Gsid") or "")
            if not gsid:
                continue
            email, name = value_of(row, "Email"), value_of(row, "Name")
            if email:
                index.users.by_email[str(email).strip().lower()] = gsid
                index.users.email_of[gsid] = str(email).strip()
            if name:
                index.users.by_name[str(name).strip().lower()] = gsid
                index.users.name_of[gsid] = str(name)
        index.users.loaded = True
        return
    if last is not None:
        raise last


def load_playbooks(api: GainsightApi, index: Index) -> list[str]:
    """Playbook names -> GSIDs through the MDA ``playbook`` object [secondary]; a tenant that
    refuses the query leaves CTAs without playbooks (a warning, not a failure)."""
    try:
        for row in api.query("playbook", ["Gsid", "Name"]):
            if row.get("Gsid") and row.get("Name"):
                index.playbook_id[str(row["Name"])] = str(row["Gsid"])
    except PermanentApiError as exc:
        return [f"cannot read Gainsight playbooks ({exc}); CTAs are created without one"]
    return []


# -- the read ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyedCta:
    """One of tierform's CTAs as listed: its key (from the marker), Gsid and state."""

    key: str
    gsid: str
    closed: bool
    row: dict[str, Any]
    marker: dict[str, Any]


class Reader:
    def __init__(
        self,
        api: GainsightApi,
        index: Index,
        desired: State,
        *,
        match_field: str,
        roster: dict[str, str | None],
        key_field: str | None,
        create_accounts: bool,
    ) -> None:
        self.api = api
        self.index = index
        self.desired = desired
        self.match_field = match_field
        self.roster = roster
        self.key_field = key_field
        self.create_accounts = create_accounts

    def read(self, scope: Scope) -> State:
        state = State()
        idx = self.index
        # A fresh read replaces what an earlier read of this adapter found.
        for found in (
            idx.gsid_of,
            idx.key_of,
            idx.csm_of,
            idx.read_csm,
            idx.cta_id,
            idx.closed_cta,
        ):
            found.clear()
        idx.desired_accounts = frozenset(self.desired.of(Kind.account))
        if self.match_field not in idx.schema:
            state.warnings.append(
                f"match_field {self.match_field!r} is not a Company field (describe lists no such "
                "API name): no account can be matched; check match_field"
            )
        if scope.kinds & {Kind.account, Kind.work_item}:
            self._companies(scope, state)
            self._warn_unmatched(scope, state)
        if Kind.work_item in scope.kinds:
            self._ctas(state)
            self._warn_unverified_playbooks(state)
        self._warn_waiting(state)
        self._warn_people(state)
        idx.loaded = True
        return state

    # -- companies --------------------------------------------------------------------

    def select(self) -> list[str]:
        cols = ["Gsid", "Name", self.match_field, "Csm"]
        cols += [api_name(n) for n in sorted(self.index.usable)]
        return list(dict.fromkeys(c for c in cols if c == "Gsid" or c in self.index.schema))

    def neutral(self, row: Mapping[str, Any], key: str) -> Data:
        """tierform's fields as Gainsight holds them (``tf_csm``: see :meth:`_csm`)."""
        out: Data = {}
        for name in self.index.usable:
            typ = str(self.index.field_defs.get(name, {}).get("type", "text"))
            out[name] = from_wire(row.get(api_name(name)), typ)
        out["tf_csm"] = self._csm(row, key, out.get("tf_csm"))
        return out

    def _csm(self, row: Mapping[str, Any], key: str, text: Any) -> Any:
        """The Csm lookup wins where the desired CSM is a Gainsight user: a different Csm is a
        difference even if Tf_Csm__gc already names the desired CSM."""
        users, csm = self.index.users, row.get("Csm")
        csm = str(csm) if csm else None
        want = self.desired.of(Kind.account).get(key, {}).get("tf_csm")
        want_id = users.resolve(str(want), self.roster) if want else None
        if want_id is not None and csm != want_id:
            return self._name(csm)
        if "tf_csm" in self.index.usable:
            return text
        return self._name(csm) if want_id is not None else None

    def _name(self, gsid: str | None) -> str | None:
        if gsid is None:
            return None
        users = self.index.users
        for name, email in self.roster.items():
            if email and users.by_email.get(email.strip().lower()) == gsid:
                return name
        return users.name_of.get(gsid, gsid)

    def _companies(self, scope: Scope, state: State) -> None:
        idx = self.index
        if self.match_field not in idx.schema:
            return
        dups: set[str] = set()
        for row in self.api.query("Company", self.select()):
            value, gsid = row.get(self.match_field), row.get("Gsid")
            if value in (None, "") or not gsid:
                continue
            key, gsid = str(value), str(gsid)
            if key in idx.gsid_of:
                dups.add(key)  # ordered by Gsid: the first one read is kept
                continue
            idx.gsid_of[key] = gsid
            idx.key_of[gsid] = key
            idx.csm_of[key] = str(row["Csm"]) if row.get("Csm") else None
            data = self.neutral(row, key)
            owned = any(row.get(api_name(n)) not in (None, "") for n in idx.usable) or data.get(
                "tf_csm"
            ) == self.desired.of(Kind.account).get(key, {}).get("tf_csm")
            if Kind.account in scope.kinds and owned and any(v is not None for v in data.values()):
                state.put(Kind.account, key, data, label=row.get("Name"), remote_id=gsid)
                if data.get("tf_csm"):
                    idx.read_csm[key] = str(data["tf_csm"])
        if dups:
            state.warnings.append(
                f"{len(dups)} {self.match_field} value(s) belong to more than one Company "
                f"({some(dups)}): tierform writes to the one with the lowest Gsid"
            )

    def _warn_unmatched(self, scope: Scope, state: State) -> None:
        wanted = scope.keys.get(Kind.account, frozenset())
        missing = sorted(k for k in wanted if k not in self.index.gsid_of)
        if not missing:
            return
        if self.create_accounts:
            state.warnings.append(
                f"{len(missing)} account(s) of the book are not in Gainsight and will be created "
                f"as Companies (create_accounts: true): {some(missing)}"
            )
            return
        gone = set(missing)
        items = [
            k for k, d in self.desired.of(Kind.work_item).items() if d.get("account_id") in gone
        ]
        state.warnings.append(
            f"unmatched: {len(missing)} account(s) of the book have no Company with that "
            f"{self.match_field} and are left out ({some(missing)})"
            + (f", with {len(items)} work item(s)" if items else "")
            + "; check the book's account ids, or set create_accounts: true to create them"
        )

    # -- CTAs -------------------------------------------------------------------------

    def _ctas(self, state: State) -> None:
        extra: dict[str, list[str]] = {}  # key -> the Gsids of its open CTAs after the first
        for cta in self.keyed_ctas():
            key, gsid, row = cta.key, cta.gsid, cta.row
            if cta.closed:
                self.index.closed_cta.setdefault(key, gsid)
                continue
            if key in self.index.cta_id:
                extra.setdefault(key, []).append(gsid)  # the first read is kept
                continue
            self.index.cta_id[key] = gsid
            state.put(
                Kind.work_item, key, self.work_item(cta), label=row.get("Name"), remote_id=gsid
            )
        if extra:
            # A create whose lost answer was settled by a listing, then landed after all,
            # leaves two; closing one a person may be working on is theirs to decide.
            shown = some(f"{key}: Gsid {' '.join(ids)}" for key, ids in extra.items())
            state.warnings.append(
                f"work items: {len(extra)} key(s) have more than one open CTA; tierform "
                f"manages the first and leaves the others: close the extra ones in Gainsight "
                f"({shown})"
            )

    def work_item(self, cta: KeyedCta) -> Data:
        """The CTA as neutral data, its playbook as Gainsight returns it (see :func:`cta_data`)."""
        account = self.index.key_of.get(str(cta.row.get("CompanyId") or ""))
        playbooks = None if self.index.playbook_unverified else self.index.playbook_id
        return cta_data(cta.marker, cta.row, account, playbooks)

    def keyed_ctas(self) -> Iterator[KeyedCta]:
        """tierform's CTAs (those whose Comments hold its marker), with their key."""
        for row in self.cta_rows():
            marker = parse_marker(row.get("Comments"))
            gsid = str(row.get("Gsid") or "")
            if marker is None or not gsid:
                continue
            closed = row.get("IsClosed") is True or str(row.get("IsClosed")).lower() == "true"
            yield KeyedCta(str(marker["key"]), gsid, closed, row, marker)

    def cta_rows(self) -> list[dict[str, Any]]:
        """tierform's CTAs: filtered on its key where the tenant takes the filter, else every
        CTA (the marker is checked on each row either way)."""
        select = list(CTA_SELECT) + ([self.key_field] if self.key_field else [])
        if self.key_field:
            cond = {
                "fieldName": self.key_field,
                "alias": "A",
                "value": [],
                "operator": "IS_NOT_NULL",
            }
        else:
            cond = {
                "fieldName": "Comments",
                "alias": "A",
                "value": ["[tierform:"],
                "operator": "CONTAINS",
            }
        try:
            return self._list({"conditions": [cond], "expression": "A"}, select)
        except PermanentApiError as exc:
            if exc.status != 400:
                raise
            log.info("cta: filter refused (%s); listing every CTA", exc)
            return self._list(None, select)

    def _list(self, where: dict[str, Any] | None, select: list[str]) -> list[dict[str, Any]]:
        """The CTA list; a tenant that refuses the playbook field in ``select`` (COCKPIT_5101)
        is asked again without it, and attached playbooks are then unverified."""
        without = [f for f in select if f != PLAYBOOK_FIELD]
        if self.index.playbook_unverified:
            select = without
        try:
            return list(self.api.cta_list(where, select))
        except PermanentApiError as exc:
            if not (is_bad_select(exc) and PLAYBOOK_FIELD in select):
                raise
            log.info(
                "cta: %s refused in the CTA list (%s); listing without it", PLAYBOOK_FIELD, exc
            )
        self.index.playbook_unverified = True
        return list(self.api.cta_list(where, without))

    # -- warnings ---------------------------------------------------------------------

    def _warn_unverified_playbooks(self, state: State) -> None:
        if not self.index.playbook_unverified:
            return
        items = [d for d in self.desired.of(Kind.work_item).values() if d.get("gs_playbook")]
        if items:
            state.warnings.append(
                f"Gainsight refused the CTA field {PLAYBOOK_FIELD} in a CTA list, so whether "
                f"the playbooks of {len(items)} CTA(s) are attached cannot be verified: check "
                "them in Cockpit, and attach the playbook by hand where a CTA has none"
            )

    def _warn_waiting(self, state: State) -> None:
        for name, count in sorted(self.index.waiting.items()):
            state.warnings.append(
                f"waiting: {count} account value(s) of {name} are not written until the Company "
                f"field {api_name(name)} exists (build-sheet step 'field: {name}')"
            )

    def _warn_people(self, state: State) -> None:
        users = self.index.users
        unknown: dict[str, int] = {}
        for data in self.desired.of(Kind.account).values():
            who = data.get("tf_csm")
            if who and users.resolve(str(who), self.roster) is None:
                unknown[str(who)] = unknown.get(str(who), 0) + 1
        if unknown:
            state.warnings.append(
                "CSM(s) not found among Gainsight users (by roster e-mail or name): the Csm "
                "lookup is left unchanged for their accounts"
                + (" (Tf_Csm__gc still gets the name)" if "tf_csm" in self.index.usable else "")
                + ": "
                + ", ".join(f"{w} ({n})" for w, n in sorted(unknown.items()))
            )
