"""Applying changes to Vitally: trait merges, task upserts, projects from templates.

Order is the engine's (accounts before the work items that need their ids). One object failing
with a 4xx is reported and the rest go on; an auth failure or exhausted retries stop the run,
which the journal resumes without duplicates (tasks upsert on externalId; accounts are only
created for keys the read did not find).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from typing import Any

from tierform.adapters.http.batching import chunks
from tierform.adapters.vitally.client import BATCH, VitallyApi
from tierform.adapters.vitally.mapping import (
    PROJECT_PREFIX,
    account_create,
    batch_message,
    project_body,
    project_traits,
    task_body,
    trait_update,
)
from tierform.adapters.vitally.reader import Index
from tierform.errors import PermanentApiError
from tierform.sync.adapter import ApplyContext
from tierform.sync.change import Change, ChangeResult, Op
from tierform.sync.state import Kind

log = logging.getLogger(__name__)

# Sources disagree on the project's account field [DOC* vs DOC*/CODE]; the first that the
# platform accepts is kept for the rest of the run.
PROJECT_ACCOUNT_FIELDS = ("customerId", "accountId")


class Writer:
    def __init__(
        self,
        api: VitallyApi,
        index: Index,
        ctx: ApplyContext,
        *,
        batch_min: int,
        create_accounts: bool,
    ) -> None:
        self.api = api
        self.index = index
        self.ctx = ctx
        self.batch_min = batch_min
        self.create_accounts = create_accounts
        self.project_fields = list(PROJECT_ACCOUNT_FIELDS)

    def run(self, changes: Sequence[Change]) -> Iterator[ChangeResult]:
        if not changes:
            return
        self.api.check()  # bad credentials fail here, before any write
        batched = self._batchable(changes)
        if batched:
            self.api.check_analytics()
        done_batch = False
        for change in changes:
            if id(change) in batched:
                if not done_batch:
                    done_batch = True
                    yield from self._batch([c for c in changes if id(c) in batched])
                continue
            yield self._one(change)

    # -- bulk trait writes ------------------------------------------------------------

    def _batchable(self, changes: Sequence[Change]) -> set[int]:
        """Account trait writes that may go through the analytics ``/batch`` endpoint.

        Why: the REST API has no bulk write, so N accounts cost N PUTs against 1000
        requests/min; ``/batch`` takes 100 account messages per request [DOC], cutting a
        20,000-account sync from ~20 minutes of paced PUTs to ~200 requests. Only updates
        that set values qualify: the analytics docs do not say that ``null`` deletes a
        trait, so removals (and moving values off a superseded data trait) stay on REST,
        whose merge semantics are documented. Accounts Vitally does not have yet stay on
        REST too (``/batch`` would create them, and tasks need the id a REST create returns).
        """
        if self.api.analytics is None:
            return set()
        out = {
            id(c)
            for c in changes
            if c.kind is Kind.account
            and c.op is not Op.delete
            and c.data is not None
            and all(d.new is not None for d in c.diffs)
            and not self.index.stale.get(c.key)
            and c.key in self.index.vid_of
        }
        return out if len(out) >= self.batch_min else set()

    def _batch(self, changes: list[Change]) -> Iterator[ChangeResult]:
        keys = self.index.keys
        use_batch = True
        for chunk in chunks(changes, BATCH):
            if use_batch:
                messages = [
                    batch_message(c.key, trait_update(_new(c), keys), self._mid(c)) for c in chunk
                ]
                try:
                    self.api.batch(messages)
                except PermanentApiError as exc:
                    # e.g. the workspace blocks "account" messages (400) [DOC]: fall back.
                    log.warning("batch: refused (%s); writing the remaining accounts by REST", exc)
                    use_batch = False
                else:
                    for c in chunk:
                        yield ChangeResult(c, ok=True, remote_id=self.index.vid_of.get(c.key))
                    continue
            for c in chunk:
                yield self._one(c)

    def _mid(self, change: Change) -> str:
        """Dedupe key: a retried batch in this run is ignored, a later run's write is not."""
        text = "\x1f".join((self.ctx.run_id, change.key, change.payload_hash))
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    # -- one object -------------------------------------------------------------------

    def _one(self, change: Change) -> ChangeResult:
        try:
            if change.kind is Kind.account:
                return self._account(change)
            if change.kind is Kind.work_item:
                if change.key.startswith(PROJECT_PREFIX):
                    return self._project(change)
                return self._task(change)
        except PermanentApiError as exc:
            return ChangeResult(change, ok=False, error=str(exc))
        return ChangeResult(
            change, ok=False, error=f"vitally: cannot write {change.kind.value} objects"
        )

    def _remote(self, change: Change) -> str | None:
        """The platform's id: for accounts the last read's (authoritative), else the plan's or
        the journal's."""
        fresh = self.index.vid_of.get(change.key) if change.kind is Kind.account else None
        return fresh or change.remote_id or self.ctx.remote_ids.get((change.kind, change.key))

    def _account(self, change: Change) -> ChangeResult:
        keys, stale = self.index.keys, self.index.stale.get(change.key, [])
        if change.op is Op.create and change.key in self.index.vid_of:
            # The account exists but carries none of tierform's traits yet.
            existing = self.index.vid_of[change.key]
            self.api.update_account(existing, trait_update(change.data or {}, keys, stale))
            return ChangeResult(change, ok=True, remote_id=existing)
        if change.op is Op.create and not self.create_accounts:
            return ChangeResult(
                change,
                ok=False,
                error=f"vitally: no account with externalId "
                f"{change.key!r} (deleted since the plan?); tierform creates "
                "accounts only with create_accounts: true",
            )
        if change.op is Op.create:
            body = account_create(change.key, change.label, change.data or {}, keys)
            new_id = str(self.api.create_account(body).get("id") or "")
            if new_id:
                self.index.vid_of[change.key] = new_id
                self.index.ext_of[new_id] = change.key
            return ChangeResult(change, ok=True, remote_id=new_id or None)
        vid = self._remote(change)
        if not vid:
            return ChangeResult(
                change, ok=False, error=f"vitally: account {change.key} has no Vitally id (re-plan)"
            )
        if change.op is Op.update:
            traits = trait_update(_new(change), keys, stale)
        else:  # delete: the account is not ours; only tierform's traits are removed
            traits = trait_update({n: None for n in change.existing or {}}, keys, stale)
        self.api.update_account(vid, traits)
        self.index.stale.pop(change.key, None)
        return ChangeResult(change, ok=True, remote_id=vid)

    def _account_vid(self, change: Change) -> str | None:
        data = change.data or {}
        return self.index.vid_of.get(str(data.get("account_id")))

    def _task(self, change: Change) -> ChangeResult:
        if change.op is Op.delete:
            # Paths accept the externalId too [DOC]; used when no id is known.
            self.api.delete_task(self._remote(change) or change.key)
            return ChangeResult(change, ok=True, remote_id=change.remote_id)
        vid = self._account_vid(change)
        if vid is None:
            return _no_account(change)
        data = change.data or {}
        who = data.get("assignee")
        body = task_body(change.key, data, vid, self.index.admin_id(str(who)) if who else None)
        task = self.api.upsert_task(body)
        return ChangeResult(change, ok=True, remote_id=str(task.get("id") or "") or None)

    def _project(self, change: Change) -> ChangeResult:
        data = change.data or {}
        if change.op is Op.delete:
            pid = self._remote(change)
            if pid:
                self.api.delete_project(pid)
            return ChangeResult(change, ok=True, remote_id=pid)
        if change.op is Op.update:
            pid = self._remote(change)
            if not pid:
                return ChangeResult(change, ok=False, error="vitally: project id unknown")
            self.api.update_project(
                pid, {"name": data.get("title"), "traits": project_traits(change.key, data)}
            )
            return ChangeResult(change, ok=True, remote_id=pid)
        vid = self._account_vid(change)
        tid = self.index.template_id.get(str(data.get("project_template")))
        if vid is None or tid is None:
            return (
                _no_account(change)
                if vid is None
                else ChangeResult(
                    change,
                    ok=False,
                    error=f"vitally: project template {data.get('project_template')!r} not found",
                )
            )
        return ChangeResult(change, ok=True, remote_id=self._create_project(change, tid, vid))

    def _create_project(self, change: Change, tid: str, vid: str) -> str | None:
        last: PermanentApiError | None = None
        for name in list(self.project_fields):
            try:
                project = self.api.create_project(
                    project_body(change.key, change.data or {}, tid, vid, name)
                )
            except PermanentApiError as exc:
                last = exc
                if len(self.project_fields) > 1:
                    self.project_fields.remove(name)  # this form was refused: try the other
                    continue
                raise
            self.project_fields = [name]
            return str(project.get("id") or "") or None
        assert last is not None
        raise last


def _new(change: Change) -> dict[str, Any]:
    return {d.field: d.new for d in change.diffs}


def _no_account(change: Change) -> ChangeResult:
    account = (change.data or {}).get("account_id")
    return ChangeResult(
        change,
        ok=False,
        error=f"vitally: no Vitally account with externalId {account!r} for this work item",
    )
