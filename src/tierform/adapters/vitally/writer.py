"""Applying changes to Vitally: trait merges and task upserts (projects: :mod:`.projects`; bulk
trait writes: :mod:`.batch`).

Order is the engine's (accounts before the work items that need their ids). Writes of one kind
are independent of each other, so up to ``max_in_flight`` run at once (:func:`bounded_map`)
under the one pacer: at a real round trip of ~200 ms a single request at a time would cap the
sync near 300/min, far below Vitally's 1000/min. A kind finishes before the next starts (tasks
need their accounts' ids). One object failing with a 4xx is reported and the rest go on; an
auth failure or exhausted retries stop the run, which the journal resumes without duplicates
(tasks upsert on externalId; accounts are only created for keys the read did not find).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from itertools import groupby
from typing import Any

from tierform.adapters.http.concurrency import bounded_map
from tierform.adapters.vitally.batch import TraitBatch, new_values
from tierform.adapters.vitally.client import VitallyApi
from tierform.adapters.vitally.mapping import (
    MAX_GENERATION,
    account_create,
    generation_id,
    task_body,
    task_generation,
    trait_update,
)
from tierform.adapters.vitally.projects import PROJECT_PREFIX, ProjectWriter
from tierform.adapters.vitally.reader import Index
from tierform.errors import PermanentApiError, UncertainOutcome
from tierform.sync.adapter import ApplyContext
from tierform.sync.change import Change, ChangeResult, Op
from tierform.sync.state import Kind

log = logging.getLogger(__name__)


class Writer:
    def __init__(
        self,
        api: VitallyApi,
        index: Index,
        ctx: ApplyContext,
        *,
        batch_min: int,
        create_accounts: bool,
        in_flight: int = 1,
    ) -> None:
        self.api = api
        self.in_flight = in_flight
        self.index = index
        self.ctx = ctx
        self.batch_min = batch_min
        self.create_accounts = create_accounts
        self.projects = ProjectWriter(
            api, index.template_id, self._remote, self._account_vid, _no_account
        )
        self.bulk = TraitBatch(api, index, ctx.run_id, batch_min, self._one)

    def run(self, changes: Sequence[Change]) -> Iterator[ChangeResult]:
        if not changes:
            return
        self.api.check()  # bad credentials fail here, before any write
        batched = self.bulk.batchable(changes)
        if batched and not self.api.check_analytics():
            batched = set()  # the analytics token is refused: every trait write goes by REST
        done_batch = False
        for _, group in groupby(changes, key=lambda c: (c.kind, id(c) in batched)):
            run = list(group)
            if id(run[0]) in batched:
                if not done_batch:
                    done_batch = True
                    yield from self.bulk.write([c for c in changes if id(c) in batched])
                continue
            yield from self._many(run)

    def _many(self, changes: list[Change]) -> Iterator[ChangeResult]:
        """Independent writes, a few in flight, results in plan order; an error that stops
        the run (auth, retries spent) is raised at its place in that order."""
        for outcome in bounded_map(self._one, changes, self.in_flight):
            if outcome.error is not None:
                raise outcome.error
            assert outcome.result is not None
            yield outcome.result

    # -- one object -------------------------------------------------------------------

    def _one(self, change: Change) -> ChangeResult:
        try:
            if change.kind is Kind.account:
                return self._account(change)
            if change.kind is Kind.work_item:
                if change.key.startswith(PROJECT_PREFIX):
                    return self.projects.write(change)
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
            new_id = str(self._create_account(change.key, body).get("id") or "")
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
            traits = trait_update(new_values(change), keys, stale)
        else:  # delete: the account is not ours; only tierform's traits are removed
            traits = trait_update({n: None for n in change.existing or {}}, keys, stale)
        self.api.update_account(vid, traits)
        self.index.stale.pop(change.key, None)
        return ChangeResult(change, ok=True, remote_id=vid)

    def _create_account(self, key: str, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /accounts`` is not retried when its outcome is uncertain (a re-POST of an
        externalId may create a second account). The account is looked up by its externalId
        instead: found, the POST took; not found, it is posted once more."""
        try:
            return self.api.create_account(body)
        except UncertainOutcome as exc:
            log.info("vitally: %s; looking account %s up before posting it again", exc, key)
        found = self.api.find_account(key)
        return found if found is not None else self.api.create_account(body)

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
        assignee = self.index.admin_id(str(who)) if who else None
        create = change.op is Op.create
        changed = () if create else {d.field for d in change.diffs}  # a create's go unread
        body = task_body(change.key, data, vid, assignee, create=create, changed=changed)
        body["externalId"] = self.index.task_ext.get(change.key, change.key)
        task = self.api.upsert_task(body)
        _, generation = task_generation(str(body["externalId"]))
        while task.get("archivedAt") and generation < MAX_GENERATION:
            # DELETE archives a task [DOC]; that an upsert on its externalId restores it is not
            # documented. This workspace keeps it archived: the work item, due again, gets a
            # task of its own under the next generation of its key (see mapping.GENERATION).
            generation += 1
            ext = generation_id(change.key, generation)
            fresh = task_body(change.key, data, vid, assignee, create=True)
            task = self.api.upsert_task({**fresh, "externalId": ext})
            self.index.task_ext[change.key] = ext
        task_id = str(task.get("id") or "") or None
        if task.get("archivedAt"):
            return ChangeResult(
                change,
                ok=False,
                remote_id=task_id,
                error=f"vitally: task {change.key} is archived in Vitally and stays archived "
                "when written: restore it in Vitally, or remove it from the model",
            )
        return ChangeResult(change, ok=True, remote_id=task_id)


def _no_account(change: Change) -> ChangeResult:
    account = (change.data or {}).get("account_id")
    return ChangeResult(
        change,
        ok=False,
        error=f"vitally: no Vitally account with externalId {account!r} for this work item",
    )
