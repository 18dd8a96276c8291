"""Company writes: tierform's fields only, 50 records a call, bad records isolated, read back.

Updates are ``PUT /v1/data/objects/Company?keys=Gsid`` (one key, the Gsid the read found, so a
duplicated match value never updates two Companies). The docs make inserts all-or-nothing and say
nothing of updates, so a refused batch is split in halves until the bad record stands alone:
one bad record fails only itself. Nothing is reported done until a query reads the value back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

from tierform.adapters.gainsight.client import BATCH, PAGE, GainsightApi, records_of
from tierform.adapters.gainsight.index import Index
from tierform.adapters.gainsight.mapping import api_name, from_wire, to_wire
from tierform.adapters.http.batching import chunks
from tierform.errors import PermanentApiError, UncertainOutcome
from tierform.sync.change import Change, ChangeResult, Op
from tierform.sync.state import canon

log = logging.getLogger(__name__)

Record = dict[str, Any]
RESENDS = 2  # times an insert whose answer was lost is checked and sent again


class CompanyWriter:
    def __init__(
        self,
        api: GainsightApi,
        index: Index,
        *,
        match_field: str,
        create_accounts: bool,
        roster: dict[str, str | None],
    ) -> None:
        self.api = api
        self.index = index
        self.match_field = match_field
        self.create_accounts = create_accounts
        self.roster = roster

    # -- records ----------------------------------------------------------------------

    def _type(self, name: str) -> str:
        return str(self.index.field_defs.get(name, {}).get("type", "text"))

    def values(self, fields: dict[str, Any]) -> Record:
        """Neutral field -> value as Company API name -> wire value (only tierform's fields)."""
        out: Record = {}
        for name, value in sorted(fields.items()):
            if name in self.index.usable:
                out[api_name(name)] = to_wire(value, self._type(name))
            if name == "tf_csm" and value is not None:
                gsid = self.index.users.resolve(str(value), self.roster)
                if gsid is not None:
                    out["Csm"] = gsid
        return out

    def fields_of(self, change: Change) -> dict[str, Any]:
        if change.op is Op.delete:
            return {n: None for n in (change.existing or {}) if n in self.index.usable}
        if change.op is Op.update:
            return {d.field: d.new for d in change.diffs}
        return dict(change.data or {})

    # -- run --------------------------------------------------------------------------

    def run(self, changes: Sequence[Change]) -> Iterator[ChangeResult]:
        updates: list[tuple[Change, Record]] = []
        inserts: list[tuple[Change, Record]] = []
        for c in changes:
            gsid = self.index.gsid_of.get(c.key)
            values = self.values(self.fields_of(c))
            if gsid is None and c.op is Op.create and self.create_accounts:
                inserts.append((c, {"Name": c.label or c.key, self.match_field: c.key, **values}))
            elif gsid is None:
                yield ChangeResult(
                    c,
                    ok=False,
                    error=f"gainsight: no Company with {self.match_field} {c.key!r} (deleted "
                    "since the plan?); tierform creates Companies only with create_accounts: true",
                )
            elif not values:
                yield ChangeResult(c, ok=True, remote_id=gsid)
            else:
                updates.append((c, {"Gsid": gsid, **values}))
        failed: dict[str, str] = {}
        for batch in chunks(updates, BATCH):
            failed.update(self._send(batch, insert=False))
        for batch in chunks(inserts, BATCH):
            failed.update(self._send(batch, insert=True))
        sent = [(c, r) for c, r in [*updates, *inserts] if c.key not in failed]
        for c, _ in [*updates, *inserts]:
            if c.key in failed:
                yield ChangeResult(c, ok=False, error=failed[c.key])
        yield from self._verify(sent)

    def _send(
        self, batch: list[tuple[Change, Record]], *, insert: bool, resends: int = RESENDS
    ) -> dict[str, str]:
        """Errors per account key; a refused batch is bisected down to the bad record."""
        records = [r for _, r in batch]
        try:
            if insert:
                body = self.api.insert("Company", records)
                for (c, _), row in zip(batch, records_of(body), strict=False):
                    if row.get("Gsid"):
                        self._found(c.key, str(row["Gsid"]))
            else:
                body = self.api.update("Company", records, ["Gsid"])
        except UncertainOutcome:
            # An insert whose answer was lost (500, 504, dropped connection) may have landed:
            # a query by match_field says which did, and only the others are sent again.
            # (Updates are PUTs, which the client retries itself.)
            if not insert or resends <= 0:
                raise
            self._find_created([c.key for c, _ in batch])
            rest = [(c, r) for c, r in batch if c.key not in self.index.gsid_of]
            log.warning(
                "company: an insert's answer was lost; %d of %d landed, %d sent again",
                len(batch) - len(rest),
                len(batch),
                len(rest),
            )
            return self._send(rest, insert=True, resends=resends - 1) if rest else {}
        except PermanentApiError as exc:
            if len(batch) == 1:
                return {batch[0][0].key: str(exc)}
            half = len(batch) // 2
            return {
                **self._send(batch[:half], insert=insert),
                **self._send(batch[half:], insert=insert),
            }
        data = body.get("data") if isinstance(body, dict) else None
        if isinstance(data, dict) and data.get("errors"):
            # Per-record errors in a successful answer: the read-back decides which landed.
            log.warning("company: the write reported errors for some records; verifying")
        return {}

    def _found(self, key: str, gsid: str) -> None:
        self.index.gsid_of[key] = gsid
        self.index.key_of[gsid] = key

    # -- read back --------------------------------------------------------------------

    def _verify(self, sent: list[tuple[Change, Record]]) -> Iterator[ChangeResult]:
        """Report each write done only when a query returns the values sent."""
        missing_ids = [c.key for c, _ in sent if c.key not in self.index.gsid_of]
        if missing_ids:
            self._find_created(missing_ids)
        for part in chunks(sent, PAGE):
            ids = [self.index.gsid_of[c.key] for c, _ in part if c.key in self.index.gsid_of]
            cols = sorted({k for _, r in part for k in r if k not in ("Gsid", "Name")})
            rows: dict[str, dict[str, Any]] = {}
            if ids:
                where = {
                    "conditions": [{"name": "Gsid", "alias": "A", "value": ids, "operator": "IN"}],
                    "expression": "A",
                }
                for found in self.api.query("Company", ["Gsid", *cols], where):
                    rows[str(found.get("Gsid"))] = found
            for c, record in part:
                gsid = self.index.gsid_of.get(c.key)
                row = rows.get(gsid or "")
                wrong = self._differs(record, row)
                if gsid is None or row is None:
                    yield ChangeResult(
                        c,
                        ok=False,
                        error="gainsight: the write was accepted but the Company is not found "
                        "when read back (nothing is reported done)",
                    )
                elif wrong:
                    yield ChangeResult(
                        c,
                        ok=False,
                        remote_id=gsid,
                        error="gainsight: the write was accepted but reads back different for "
                        + ", ".join(wrong),
                    )
                else:
                    if "Csm" in record:
                        self.index.csm_of[c.key] = str(record["Csm"])
                    yield ChangeResult(c, ok=True, remote_id=gsid)

    def _find_created(self, keys: list[str]) -> None:
        for part in chunks(keys, PAGE):
            where = {
                "conditions": [
                    {"name": self.match_field, "alias": "A", "value": part, "operator": "IN"}
                ],
                "expression": "A",
            }
            for row in self.api.query("Company", ["Gsid", self.match_field], where):
                if row.get("Gsid") and row.get(self.match_field) is not None:
                    key = str(row[self.match_field])
                    if key not in self.index.gsid_of:
                        self._found(key, str(row["Gsid"]))

    def _differs(self, record: Record, row: dict[str, Any] | None) -> list[str]:
        if row is None:
            return []
        types = {api_name(n): self._type(n) for n in self.index.field_defs}
        out = []
        for col, sent in record.items():
            if col in ("Gsid", "Name", self.match_field):
                continue
            got = from_wire(row.get(col), types.get(col, "text"))
            if canon(got) != canon(from_wire(sent, types.get(col, "text"))):
                out.append(col)
        return out
