"""Reading a Totango service into tierform's neutral state, plus the index apply needs.

Accounts come from the Search API (partitioned past its reach: :mod:`.partition`) and match the
book by account id, case-sensitively as Totango compares them [FAQ]. Attribute definitions have
no API of their own: an attribute counts as defined when the Search API accepts it as a field
(a service that rejects unknown attributes; probed once with a name that cannot exist) or, on a
service that answers unknown attributes with empty values, when some account holds a value.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from tierform.adapters.listing import some
from tierform.adapters.totango.client import TotangoApi
from tierform.adapters.totango.mapping import SM_KEY, neutral, owned
from tierform.adapters.totango.partition import Dim, Partitioner
from tierform.adapters.totango.people import People
from tierform.adapters.totango.query import (
    REACH,
    SUCCESS_MANAGER,
    SearchRefused,
    attribute_in,
    query,
)
from tierform.sync.state import Data, Kind, Scope, State

log = logging.getLogger(__name__)

CANARY = "tf_tierform_probe_no_such_attribute"
SPLIT_BY = ("tf_tier", "tf_health_band", "tf_renewal_window")


@dataclass
class Index:
    """What writes need from the last read."""

    found: set[str] = field(default_factory=set)
    defined: set[str] = field(default_factory=set)
    numeric: set[str] = field(default_factory=set)
    strict: bool = True
    read_note: str = ""
    # Accounts read with tierform's values: their tf_csm and Success Manager as read.
    csm_of: dict[str, str] = field(default_factory=dict)
    manager_of: dict[str, str] = field(default_factory=dict)
    partitioner: Partitioner | None = None
    loaded: bool = False


def accepts(api: TotangoApi, names: list[str]) -> bool:
    """Whether the Search API takes these attributes as fields (a strict service refuses an
    attribute the Data Modeler does not have)."""
    try:
        api.search(query([], names, count=1), names)
    except SearchRefused:
        return False
    return True


def accepted(api: TotangoApi, names: list[str]) -> set[str]:
    """The names the Search API takes as fields: all in one probe, else one probe each."""
    if not names:
        return set()
    if accepts(api, names):
        return set(names)
    if len(names) == 1:
        return set()
    return {n for n in names if accepts(api, [n])}


class Reader:
    def __init__(
        self, api: TotangoApi, desired: State, *, id_term: str, in_flight: int, people: People
    ) -> None:
        self.api = api
        self.desired = desired
        self.people = people
        self.index = Index(partitioner=Partitioner(api, id_term, in_flight))
        fields = desired.of(Kind.field)
        self.index.numeric = {n for n, d in fields.items() if d.get("type") == "number"}

    def field_names(self, scope: Scope) -> list[str]:
        names = set(self.desired.of(Kind.field)) | set(scope.keys.get(Kind.field, ()))
        for data in self.desired.of(Kind.account).values():
            names |= {k for k in data if k.startswith("tf_")}
        return sorted(names)

    def read(self, scope: Scope) -> State:
        state = State()
        names = self.field_names(scope)
        self._definitions(names)
        wants_accounts = bool(scope.kinds & {Kind.account, Kind.work_item, Kind.segment})
        if wants_accounts:
            self._accounts(scope, state, names)
        if Kind.field in scope.kinds:
            for name in sorted(scope.keys.get(Kind.field, ())):
                if name in self.index.defined:
                    state.put(Kind.field, name, self.desired.of(Kind.field).get(name, {}))
        if Kind.segment in scope.kinds:
            self._segments(scope, state)
        self.index.loaded = wants_accounts
        return state

    # -- definitions ------------------------------------------------------------------

    def _definitions(self, names: list[str]) -> None:
        idx = self.index
        idx.strict = not accepts(self.api, [CANARY])
        if not idx.strict:
            idx.defined = set()  # known from values once the accounts are read
            return
        idx.defined = accepted(self.api, names)

    # -- accounts ---------------------------------------------------------------------

    def _dims(self) -> list[Dim]:
        dims: list[Dim] = []
        fields, accounts = self.desired.of(Kind.field), self.desired.of(Kind.account).values()
        for name in SPLIT_BY:
            values = {str(v) for v in fields.get(name, {}).get("options") or []}
            values |= {str(d[name]) for d in accounts if d.get(name) is not None}
            if values and (not self.index.strict or name in self.index.defined):
                dims.append((name, sorted(values)))
        return dims

    def _accounts(self, scope: Scope, state: State, names: list[str]) -> None:
        idx = self.index
        assert idx.partitioner is not None
        readable = names if not idx.strict else [n for n in names if n in idx.defined]
        selected = [*readable, SUCCESS_MANAGER]
        book = sorted(self.desired.of(Kind.account))
        hits = idx.partitioner.read(selected, book, self._dims(), self._shards())
        report = idx.partitioner.report
        idx.read_note = report.describe(idx.partitioner.mode)
        if idx.partitioner.mode != "all":
            state.warnings.append("read: " + idx.read_note)
        for text in report.truncated:
            state.warnings.append(
                f"read: the partition {text} may hold more than the Search API reaches, even "
                "read from both ends of its sort order"
            )
        if report.id_problem:
            state.warnings.append(_no_id_filter(report.id_problem))
        if report.unreached:
            state.warnings.append(_unreached(report.unreached))
        want = self.desired.of(Kind.account)
        for aid, hit in hits.items():
            if not idx.strict:
                idx.defined |= {k for k, v in hit.values.items() if v not in (None, "")}
            idx.found.add(aid)
            if Kind.account in scope.kinds and owned(hit.values):
                data = neutral(hit.values, readable, idx.numeric, SM_KEY in want.get(aid, {}))
                state.put(Kind.account, aid, data, label=hit.name)
                manager = hit.values.get(SUCCESS_MANAGER)
                if data.get("tf_csm") and manager not in (None, ""):
                    idx.csm_of[aid], idx.manager_of[aid] = str(data["tf_csm"]), str(manager)
        self._warn_unmatched(state)

    def _shards(self) -> list[Dim]:
        """Success Manager holds a user's full name [SYSATTR]: with the users listed, one
        documented filter per user reaches accounts when the id filter cannot."""
        names = sorted({u.full_name for u in self.people.users if u.full_name})
        return [(SUCCESS_MANAGER, names)] if self.people.listed and names else []

    def _warn_unmatched(self, state: State) -> None:
        assert self.index.partitioner is not None
        unreached = set(self.index.partitioner.report.unreached)
        missing = sorted(
            k
            for k in self.desired.of(Kind.account)
            if k not in self.index.found and k not in unreached
        )
        if not missing:
            return
        gone = set(missing)
        items = [
            k for k, d in self.desired.of(Kind.work_item).items() if d.get("account_id") in gone
        ]
        state.warnings.append(
            f"unmatched: {len(missing)} account(s) of the book have no Totango account with "
            f"that id and are left out ({some(missing)})"
            + (f", with {len(items)} work item(s)" if items else "")
            + "; the gateway would create them, so tierform never writes to them: check the "
            "book's account ids (Totango compares them case-sensitively)"
        )

    # -- segments ---------------------------------------------------------------------

    def _segments(self, scope: Scope, state: State) -> None:
        """A segment's filter, run through the Search API, must return exactly the model's
        accounts (the segment object itself has no API)."""
        for key in sorted(scope.keys.get(Kind.segment, ())):
            data = self.desired.of(Kind.segment).get(key)
            if not data:
                continue
            terms = _terms(data.get("filter") or [])
            if terms is None:
                continue
            expected = sum(
                1
                for aid, acc in self.desired.of(Kind.account).items()
                if aid in self.index.found and _matches(acc, data.get("filter") or [])
            )
            try:
                page = self.api.search(query(terms, [], count=1), [])
            except SearchRefused:
                continue
            if page.total == expected:
                state.put(Kind.segment, key, data)
            elif page.total:
                state.put(Kind.segment, key, {**data, "query_returns": page.total})


def _no_id_filter(problem: str) -> str:
    return (
        f"read: {problem}, so past {REACH:,} accounts the book's accounts were looked for by "
        "documented means only (all accounts from both ends of the sort order, then by Success "
        "Manager). Set `id_term` on the target to the term your service filters account ids by "
        "(see a segment's 'Generate API endpoint' query) to read them by id"
    )


def _unreached(ids: list[str]) -> str:
    return (
        f"out of reach: {len(ids)} account(s) of the book were not found within the Search "
        f"API's reach ({some(ids)}); tierform cannot tell whether Totango has them, so they are "
        "NOT planned: no attribute create or update and no task for them (the gateway would "
        "create an account it does not have). Set `id_term` so they can be read by id"
    )


def _terms(conditions: list[Any]) -> list[dict[str, Any]] | None:
    terms = []
    for cond in conditions:
        op, value = cond.get("op"), cond.get("value")
        if op in ("eq", "=="):
            terms.append(attribute_in(str(cond.get("field")), [value]))
        elif op == "in" and isinstance(value, list):
            terms.append(attribute_in(str(cond.get("field")), value))
        else:
            return None
    return terms


def _matches(account: Data, conditions: list[Any]) -> bool:
    for cond in conditions:
        have = account.get(str(cond.get("field")))
        value = cond.get("value")
        allowed = value if isinstance(value, list) else [value]
        if have is None or str(have) not in {str(v) for v in allowed}:
            return False
    return True
