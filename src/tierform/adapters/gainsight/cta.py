"""Work items as Cockpit CTAs: created, updated and closed in batches, then read back.

Each CTA carries tierform's key in a marker at the end of its Comments (and in ``cta.key_field``
when the tenant has such a field), so a re-run finds it and updates it: never a duplicate. A
work item no longer due closes its CTA (no CTA delete is documented); one due again reopens it.

Type, status, priority and reason are sent by name, as the published create sample does
[secondary], and by the picklist id resolved from their names where the picklist lists them
(Gainsight's own tooling resolves ids first [secondary]). The create answer's shape is not
documented [inferred], so the CTA list is what proves a write: nothing is reported done until it
reads back. That includes the playbook: the field it is sent under is inferred, and a CTA that
the list returns without it is reported as not attached, naming the CTA.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from typing import Any

from tierform.adapters.gainsight.client import (
    CTA_BATCH,
    GainsightApi,
    describe_error,
    without_values,
)
from tierform.adapters.gainsight.index import Index
from tierform.adapters.gainsight.mapping import PLAYBOOK_FIELD, comments
from tierform.adapters.gainsight.reader import KeyedCta, Reader
from tierform.adapters.gainsight.settings import CtaSettings
from tierform.adapters.http.batching import chunks
from tierform.adapters.listing import some
from tierform.errors import PermanentApiError, UncertainOutcome
from tierform.sync.change import Change, ChangeResult, Op
from tierform.sync.state import canon_data

log = logging.getLogger(__name__)

RESENDS = 2  # times a create whose answer was lost is checked and sent again

CATEGORY_NAMES = {
    "type": ("CTA_TYPE", "TypeId"),
    "status": ("CTA_STATUS", "StatusId"),
    "priority": ("CTA_PRIORITY", "PriorityId"),
    "reason": ("CTA_REASON", "ReasonId"),
}


def picklist_items(body: Any) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(category, name, id, item) in the answer's order, from any of the plausible shapes (the
    answer of ``/v2/cockpit/admin/picklist/lite`` is not documented [secondary path only]): a
    mapping category -> items, a list of items carrying their category, or groups with
    ``items``."""
    out: list[tuple[str, str, str, dict[str, Any]]] = []

    def item(entry: Any, category: str | None) -> None:
        if not isinstance(entry, dict):
            return
        cat = str(entry.get("category") or entry.get("categoryName") or category or "").upper()
        for sub in ("items", "values", "picklistItems"):
            if isinstance(entry.get(sub), list):
                for e in entry[sub]:
                    item(e, cat or category)
        ident = entry.get("Gsid") or entry.get("gsid") or entry.get("id") or entry.get("value")
        name = entry.get("Name") or entry.get("name") or entry.get("label")
        if cat and ident and name:
            out.append((cat, str(name).strip(), str(ident), entry))

    data = body.get("data") if isinstance(body, dict) and "data" in body else body
    if isinstance(data, dict):
        for cat, entries in data.items():
            for e in entries if isinstance(entries, list) else [entries]:
                item(e, str(cat).upper())
    elif isinstance(data, list):
        for e in data:
            item(e, None)
    return out


def flatten_picklists(body: Any) -> dict[tuple[str, str], str]:
    """(category, lower-case name) -> id."""
    return {(cat, name.lower()): ident for cat, name, ident, _ in picklist_items(body)}


def first_active(body: Any, category: str) -> str | None:
    """The name of the category's first item not marked inactive. Whether items carry an
    active flag, and under which name, is not documented [I]: any of the usual spellings set
    to false leaves the item out."""
    for cat, name, _, entry in picklist_items(body):
        flags = [entry.get(k) for k in ("active", "Active", "isActive", "IsActive") if k in entry]
        if cat == category and not any(f is False or str(f).lower() == "false" for f in flags):
            return name
    return None


def owner_of(
    index: Index, cfg: CtaSettings, roster: dict[str, str | None], assignee: Any
) -> str | None:
    """The CTA owner's GSID: the assignee when a Gainsight user, else ``cta.owner_email``."""
    return index.users.resolve(assignee, roster) or index.users.resolve(cfg.owner_email, roster)


def ownerless_warning(
    items: dict[str, dict[str, Any]],
    index: Index,
    cfg: CtaSettings,
    roster: dict[str, str | None],
) -> str | None:
    """Names the assignees (pods, people who are no Gainsight user) and accounts whose CTAs
    would go without an owner: the published create sample carries ``OwnerId`` [secondary]."""
    accounts: dict[str, set[str]] = {}
    count = 0
    for data in items.values():
        if owner_of(index, cfg, roster, data.get("assignee")) is None:
            who = str(data.get("assignee") or "no assignee")
            accounts.setdefault(who, set()).add(str(data.get("account_id")))
            count += 1
    if not accounts:
        return None
    named = "; ".join(f"{who} ({some(keys)})" for who, keys in sorted(accounts.items()))
    if cfg.owner_email:
        fix = f"cta.owner_email {cfg.owner_email!r} is not a Gainsight user: set it to one"
    else:
        fix = "set cta.owner_email to a Gainsight user's e-mail to own them"
    return (
        f"CTA owner: {count} work item(s) have no Gainsight user to own their CTA, and "
        f"Gainsight may refuse a CTA without an owner; by assignee (accounts): {named}; {fix}"
    )


class CtaWriter:
    def __init__(
        self,
        api: GainsightApi,
        index: Index,
        reader: Reader,
        cfg: CtaSettings,
        roster: dict[str, str | None],
    ) -> None:
        self.api = api
        self.index = index
        self.reader = reader
        self.cfg = cfg
        self.roster = roster

    def _picks(self, status: str) -> dict[str, Any]:
        names = {
            "type": self.cfg.type,
            "status": status,
            "priority": self.cfg.priority,
            "reason": self.cfg.reason,
        }
        out: dict[str, Any] = {}
        for what, name in names.items():
            if not name:
                continue
            out[what] = name
            category, id_field = CATEGORY_NAMES[what]
            ident = self.index.picklist.get((category, name.strip().lower()))
            if ident:
                out[id_field] = ident
        return out

    def _default_reason(self) -> dict[str, Any]:
        """Without ``cta.reason``, a new CTA gets the reason picklist's first active item: the
        published create sample carries a reason [secondary]. Updates leave the reason alone."""
        name = self.index.default_reason
        if self.cfg.reason or not name:
            return {}
        ident = self.index.picklist.get(("CTA_REASON", name.lower()))
        return {"reason": name, **({"ReasonId": ident} if ident else {})}

    def body(self, key: str, data: dict[str, Any], status: str) -> dict[str, Any]:
        """One CTA record (without ``Gsid``): tierform's key is in Comments and ``referenceId``."""
        record: dict[str, Any] = {
            "referenceId": key,
            "CompanyId": self.index.gsid_of.get(str(data.get("account_id"))),
            "Name": data.get("title"),
            "DueDate": data.get("due"),
            "Comments": comments(key, data),
            **self._picks(status),
        }
        owner = owner_of(self.index, self.cfg, self.roster, data.get("assignee"))
        if owner:
            record["OwnerId"] = owner
        playbook = data.get("gs_playbook")
        if playbook and str(playbook) in self.index.playbook_id:
            record[PLAYBOOK_FIELD] = self.index.playbook_id[str(playbook)]
        if self.cfg.key_field:
            record[self.cfg.key_field] = key
        return {k: v for k, v in record.items() if v is not None}

    # -- run --------------------------------------------------------------------------

    def run(self, changes: Sequence[Change]) -> Iterator[ChangeResult]:
        creates: list[tuple[Change, dict[str, Any]]] = []
        updates: list[tuple[Change, dict[str, Any]]] = []
        for c in changes:
            if c.op is Op.delete:
                gsid = self.index.cta_id.get(c.key) or c.remote_id
                if gsid:
                    close = {"referenceId": c.key, "Gsid": gsid}  # a failure names its item
                    updates.append((c, {**close, **self._picks(self.cfg.closed_status)}))
                else:
                    yield ChangeResult(c, ok=True)  # no open CTA left to close
                continue
            data = c.data or {}
            if str(data.get("account_id")) not in self.index.gsid_of:
                yield ChangeResult(
                    c,
                    ok=False,
                    error=f"gainsight: no Company for account {data.get('account_id')!r} "
                    "for this CTA",
                )
                continue
            record = self.body(c.key, data, self.cfg.status)
            gsid = self.index.cta_id.get(c.key) or self.index.closed_cta.get(c.key)
            if gsid:  # an update, or a closed CTA reopened: never a second CTA
                updates.append((c, {"Gsid": gsid, **record}))
            else:
                creates.append((c, {**self._default_reason(), **record}))
        failed: dict[str, str] = {}
        for batch in chunks(creates, CTA_BATCH):
            failed.update(self._send(batch, create=True))
        for batch in chunks(updates, CTA_BATCH):
            failed.update(self._send(batch, create=False))
        for c, _ in [*creates, *updates]:
            if c.key in failed:
                yield ChangeResult(c, ok=False, error=failed[c.key])
        sent = [c for c, _ in [*creates, *updates] if c.key not in failed]
        if sent:
            yield from self._verify(sent)

    def _send(
        self,
        batch: list[tuple[Change, dict[str, Any]]],
        *,
        create: bool,
        resends: int = RESENDS,
    ) -> dict[str, str]:
        records = [r for _, r in batch]
        try:
            body = self.api.cta_create(records) if create else self.api.cta_update(records)
        except UncertainOutcome:
            # A create whose answer was lost (500, 504, dropped connection) may have landed:
            # the CTA list says which did, and only the others are sent again. (Updates are
            # PUTs, which the client retries itself.)
            if not create or resends <= 0:
                raise
            landed = self._landed({c.key for c, _ in batch})
            rest = [(c, r) for c, r in batch if c.key not in landed]
            log.warning(
                "cta: a create's answer was lost; %d of %d landed, %d sent again",
                len(batch) - len(rest),
                len(batch),
                len(rest),
            )
            return self._send(rest, create=True, resends=resends - 1) if rest else {}
        except PermanentApiError as exc:
            if len(batch) == 1:
                return {batch[0][0].key: str(exc)}
            if create:
                # Whether a refused create batch created any of its CTAs is not documented
                # [I]: those that exist now are not sent again, or they would be there twice.
                landed = self._landed({c.key for c, _ in batch})
                batch = [(c, r) for c, r in batch if c.key not in landed]
                if len(batch) <= 1:
                    return self._send(batch, create=True) if batch else {}
            half = len(batch) // 2
            return {
                **self._send(batch[:half], create=create),
                **self._send(batch[half:], create=create),
            }
        return per_record_failures(body, {c.key for c, _ in batch})

    def _landed(self, keys: set[str]) -> set[str]:
        """Which of ``keys`` have a CTA now (one listing of tierform's CTAs)."""
        return {cta.key for cta in self.reader.keyed_ctas() if cta.key in keys}

    def _verify(self, sent: list[Change]) -> Iterator[ChangeResult]:
        """One listing of tierform's CTAs proves every create, update and close."""
        open_ctas: dict[str, KeyedCta] = {}
        closed: dict[str, str] = {}
        for cta in self.reader.keyed_ctas():
            if cta.closed:
                closed.setdefault(cta.key, cta.gsid)
            else:
                open_ctas.setdefault(cta.key, cta)
        for c in sent:
            found = open_ctas.get(c.key)
            if c.op is Op.delete:
                if found is None:
                    self.index.cta_id.pop(c.key, None)
                    yield ChangeResult(c, ok=True, remote_id=closed.get(c.key))
                else:
                    yield ChangeResult(c, ok=False, error="gainsight: the CTA is still open")
                continue
            if found is None:
                yield ChangeResult(
                    c, ok=False, error="gainsight: the CTA was not found when read back"
                )
                continue
            want = canon_data(c.data or {})
            got = canon_data(self.reader.work_item(found))
            if got != want:
                wrong = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))
                yield ChangeResult(
                    c, ok=False, remote_id=found.gsid, error=readback_error(found, want, wrong)
                )
                continue
            self.index.cta_id[c.key] = found.gsid
            self.index.closed_cta.pop(c.key, None)
            yield ChangeResult(c, ok=True, remote_id=found.gsid)


def readback_error(cta: KeyedCta, want: dict[str, Any], wrong: list[str]) -> str:
    """What reads back different; a playbook that did not attach is named with the fix (the
    tenant may ignore the inferred playbook field: only a person can attach it then)."""
    if "gs_playbook" not in wrong or not want.get("gs_playbook"):
        return "gainsight: the CTA reads back different for " + ", ".join(wrong)
    others = [k for k in wrong if k != "gs_playbook"]
    return (
        f"gainsight: the CTA {cta.row.get('Name')!r} of account {want.get('account_id')!r} "
        f"({cta.gsid}) reads back without the playbook {want['gs_playbook']!r}, so it is not "
        f"attached (this tenant may ignore the playbook field {PLAYBOOK_FIELD}): attach the "
        "playbook to this CTA in Gainsight's Cockpit by hand"
        + (f"; it also reads back different for {', '.join(others)}" if others else "")
    )


def per_record_failures(body: Any, keys: set[str]) -> dict[str, str]:
    """``referenceId`` -> error from a ``failure`` list, when the answer has one [inferred]."""
    data = body.get("data") if isinstance(body, dict) else None
    failures = data.get("failure") if isinstance(data, dict) else None
    out: dict[str, str] = {}
    if isinstance(failures, list):
        for entry in failures:
            if isinstance(entry, dict):
                for ref, text in entry.items():
                    if ref in keys:
                        out[ref] = f"gainsight: CTA refused: {failure_text(text)}"
    return out


def failure_text(text: Any) -> str:
    """A per-record failure ("COCKPIT_9700: Missing mandatory fields…" in the one sample seen
    [inferred]) without the record values its description may echo."""
    code, sep, desc = str(text).partition(": ")
    if sep and re.fullmatch(r"[A-Z][A-Z0-9_]*", code):
        return describe_error(code, desc)
    return without_values(str(text))
