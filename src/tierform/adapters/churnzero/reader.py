"""Reading a ChurnZero tenant into tierform's neutral state, plus the index apply needs.

One full scan of ``Account`` (100 rows a page [C]): it matches the book by ``ExternalId`` =
``account_id``, finds accounts that still carry tierform's fields after leaving the book, and shows
which custom fields exist and how they are typed. Events are read only for the event names the
desired work items use (``Event?$filter=EventTypeName eq ...``), segments by name.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tierform.adapters.churnzero.client import ChurnZeroApi
from tierform.adapters.churnzero.mapping import (
    OWNER,
    FieldKeys,
    custom_fields,
    event_due,
    event_key,
    event_name,
    from_platform,
)
from tierform.adapters.churnzero.users import Users, owner_ref
from tierform.adapters.listing import some
from tierform.errors import AuthError
from tierform.sync.state import Data, Kind, Scope, State

log = logging.getLogger(__name__)

WORK_ITEMS_NOTE = (
    "work items: ChurnZero has no public task API. tierform sends each due playbook step and "
    "rule action as an event (trackEvent) named 'tf: <action>' whose description carries "
    "tierform's key, never twice; the Plays on the build sheet ('When event ... occurs -> "
    "Create Task for the account owner') turn those events into tasks"
)


@dataclass
class Index:
    """What writes and read-backs need from the last read."""

    keys: FieldKeys = field(default_factory=lambda: FieldKeys(()))
    types: dict[str, str] = field(default_factory=dict)
    id_of: dict[str, str] = field(default_factory=dict)  # ExternalId -> ChurnZero Id
    ext_of: dict[str, str] = field(default_factory=dict)  # Id -> ExternalId
    # Per account read with tierform's fields: the row's owner reference and its tf_csm.
    owner_refs: dict[str, dict[str, Any]] = field(default_factory=dict)
    csm_of: dict[str, str] = field(default_factory=dict)
    users: Users = field(default_factory=Users)
    total: int = 0
    desired_accounts: frozenset[str] = frozenset()
    loaded: bool = False

    def known(self, external_id: str) -> bool:
        return external_id in self.id_of

    def neutral(self, row: Mapping[str, Any], with_owner: bool) -> Data:
        """tierform's fields of an Account row, in the model's types (+ the owner if managed)."""
        data: Data = {
            name: from_platform(value, self.types.get(name))
            for name, value in self.keys.ours(custom_fields(row)).items()
        }
        if with_owner:
            data[OWNER] = self.users.owner(row)
        return data


class Reader:
    def __init__(self, api: ChurnZeroApi, desired: State, index: Index) -> None:
        self.api = api
        self.desired = desired
        self.index = index

    def read(self, scope: Scope) -> State:
        state = State()
        idx = self.index
        fields = self.desired.of(Kind.field)
        idx.keys = FieldKeys(set(fields) | set(scope.keys.get(Kind.field, ())))
        idx.types = {n: str(d.get("type") or "text") for n, d in fields.items()}
        idx.desired_accounts = frozenset(self.desired.of(Kind.account))
        # Every read starts afresh (an adapter may read twice).
        idx.id_of, idx.ext_of, idx.owner_refs, idx.csm_of = {}, {}, {}, {}
        accounts = self.desired.of(Kind.account)
        if not idx.users.loaded and any(OWNER in d for d in accounts.values()):
            idx.users = Users.of(self.api.users())
        seen: dict[str, list[Any]] = {}
        if scope.kinds & {Kind.field, Kind.account, Kind.work_item}:
            seen = self._accounts(scope, state)
            idx.loaded = True
        if Kind.field in scope.kinds:
            self._fields(scope, seen, state)
        if Kind.work_item in scope.kinds:
            self._events(state)
        if Kind.segment in scope.kinds and self.desired.of(Kind.segment):
            self._segments(state)
        self._warn_unmatched(state)
        if self.desired.of(Kind.work_item):
            state.warnings.append(WORK_ITEMS_NOTE)
        return state

    # -- accounts -------------------------------------------------------------------------

    def _accounts(self, scope: Scope, state: State) -> dict[str, list[Any]]:
        """Scan every account; returns, per tierform field seen in ``Cf``, its non-null values."""
        idx = self.index
        want = self.desired.of(Kind.account)
        seen: dict[str, list[Any]] = {}
        dups: set[str] = set()
        idx.total = 0
        for row in self.api.accounts():
            idx.total += 1
            ext, cid = row.get("ExternalId"), row.get("Id")
            ours = idx.keys.ours(custom_fields(row))
            for name, value in ours.items():
                values = seen.setdefault(name, [])
                if value is not None and len(values) < 50:
                    values.append(value)
            if not ext:
                continue  # not matchable by the book, never tierform's to change
            ext = str(ext)
            if ext in idx.id_of:
                dups.add(ext)
                continue  # the first row wins, as it did for every earlier read
            idx.id_of[ext] = str(cid) if cid is not None else ext
            if cid is not None:
                idx.ext_of[str(cid)] = ext
            if Kind.account not in scope.kinds:
                continue
            if any(v is not None and v != "" for v in ours.values()):
                managed_owner = OWNER in want.get(ext, {})
                idx.owner_refs[ext] = owner_ref(row)
                if ours.get("tf_csm"):
                    idx.csm_of[ext] = str(ours["tf_csm"])
                state.put(
                    Kind.account,
                    ext,
                    idx.neutral(row, managed_owner),
                    label=str(row.get("Name") or "") or None,
                    remote_id=idx.id_of[ext],
                )
        if dups:
            state.warnings.append(
                f"{len(dups)} ExternalId(s) belong to more than one ChurnZero account; tierform "
                f"reads and checks the first one listed: {some(dups)}"
            )
        return seen

    def _warn_unmatched(self, state: State) -> None:
        missing = sorted(k for k in self.desired.of(Kind.account) if k not in self.index.id_of)
        if not missing or not self.index.loaded:
            return
        items = [
            k
            for k, d in self.desired.of(Kind.work_item).items()
            if str(d.get("account_id")) in set(missing)
        ]
        state.warnings.append(
            f"unmatched: {len(missing)} account(s) of the book have no ChurnZero account with "
            f"that ExternalId ({some(missing)})"
            + (f", with {len(items)} work item(s)" if items else "")
            + "; check the book's account ids, or set create_accounts: true to create them "
            "(the push API upserts accounts)"
        )

    # -- fields ---------------------------------------------------------------------------

    def _fields(self, scope: Scope, seen: Mapping[str, list[Any]], state: State) -> None:
        """A field exists once accounts carry it in ``Cf``; its type is what its values are
        (numbers stay text until typed in Admin > Custom Fields), so only the type can differ."""
        for name in sorted(scope.keys.get(Kind.field, ())):
            if name not in seen:
                continue
            want = dict(self.desired.of(Kind.field).get(name, {}))
            values = seen[name]
            if values:
                numeric = all(
                    isinstance(v, int | float) and not isinstance(v, bool) for v in values
                )
                if not numeric and want.get("type") == "number":
                    want["type"] = "text"
                elif numeric and want.get("type") == "text":
                    want["type"] = "number"
            state.put(Kind.field, name, want, label=str(want.get("label") or name))

    # -- work items -----------------------------------------------------------------------

    def _events(self, state: State) -> None:
        """Events of the desired work items' names; a key found means the item was sent."""
        items = self.desired.of(Kind.work_item)
        names = sorted({event_name(d, k) for k, d in items.items()})
        changed: list[str] = []
        for name in names:
            for row in self.api.events(name):
                key = event_key(row.get("Description"))
                if key is None or key not in items:
                    continue  # not tierform's, or no longer due: the task is the team's now
                data = items[key]
                # Events cannot be changed once sent: the task keeps the values it was made
                # from, and a later change is reported rather than sent again.
                due = event_due(row.get("Description"))
                if due and data.get("due") and due != str(data["due"]):
                    changed.append(key)
                state.put(
                    Kind.work_item,
                    key,
                    data,
                    label=f"{data.get('title')} ({data.get('account_id')})",
                    remote_id=str(row.get("Id") or "") or None,
                )
        if changed:
            state.warnings.append(
                f"{len(changed)} work item(s) were sent with another due date; ChurnZero events "
                f"cannot be changed, so their tasks keep the first one ({some(changed)})"
            )

    # -- segments -------------------------------------------------------------------------

    def _segments(self, state: State) -> None:
        try:
            rows = self.api.segments()
        except AuthError as exc:
            if exc.status != 403:
                raise
            # Bulk read permissions are per entity [C]: the key read the accounts, so a 403
            # here is about segments alone, no reason to stop the plan.
            state.warnings.append(
                "segments: the REST key may not read the Segment entity (403; grant its user "
                "bulk read permission on Segments to have them checked), so the segment steps "
                "of the build sheet cannot be checked and show as missing"
            )
            return
        if rows is None:
            state.warnings.append(
                "segments: this tenant's REST API lists no Segment entity, so the segment "
                "steps of the build sheet cannot be checked and show as missing"
            )
            return
        names = {" ".join(str(r.get("Name") or "").split()).lower() for r in rows}
        for key, data in self.desired.of(Kind.segment).items():
            if " ".join(str(data.get("name") or key).split()).lower() in names:
                state.put(Kind.segment, key, data)
