"""Work items as Totango tasks (``/api/v3/tasks``) [TASKS].

There is no task list or search by an external key, so a task's id is kept where the engine
keeps remote ids (the journal), which makes re-runs update rather than duplicate; each task also
carries tierform's key in its description so a person can find it. A create is never replayed
on an uncertain failure (it would make a second task); the next run re-plans. The create reply
is a JSON object with ``id`` in working clients [C-code] but a bare "Success" in the docs [C]:
both are accepted. A task whose id Totango did not return cannot be changed through the API:
its update or close becomes a build step for a person (unverified, as the task cannot be read),
never a change reported as made. A task no longer due is closed (``status: closed``
[C-code]); one deleted in Totango (404) counts as closed when it is to be closed, and is
created again when it is to be updated.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from tierform.adapters.totango.client import TotangoApi
from tierform.errors import PermanentApiError
from tierform.sync.buildsheet import BuildStep, StepStatus
from tierform.sync.change import Change, ChangeResult, Op
from tierform.sync.state import Data, Kind

log = logging.getLogger(__name__)

NORMAL = 2  # priority: 1 high, 2 normal, 3 low [TASKS]
KEY_LINE = "tierform key: "
SOURCE_LINE = "Source: "
CLOSED = {"closed", "done", "completed", "complete", "resolved", "deleted"}  # [I]: any of these


def description(key: str, data: Mapping[str, Any]) -> str:
    lines = [str(data["reason"])] if data.get("reason") else []
    if data.get("source"):
        lines.append(f"{SOURCE_LINE}{data['source']}")
    lines.append(f"{KEY_LINE}{key}")
    return "\n".join(lines)


def one_task(reply: Any) -> Mapping[str, Any] | None:
    """The task of a ``GET /api/v3/tasks?id=`` reply: an array's first item [C-code], or an
    object (bare, or under ``task``/``data``) [I]."""
    if isinstance(reply, list):
        reply = reply[0] if reply else None
    if isinstance(reply, Mapping):
        inner = reply.get("task") or reply.get("data")
        return inner if isinstance(inner, Mapping) else reply
    return None


def task_data(key: str, task: Mapping[str, Any], names: Mapping[str, str]) -> Data | None:
    """A work item as tierform wrote it, from the task; None when it is closed or is not the
    task of ``key`` (its description names another key). ``names``: e-mail (lower case) ->
    roster name, so the assignee reads as the CSM it was written for."""
    if str(task.get("status") or "open").strip().lower() in CLOSED:
        return None
    lines = str(task.get("description") or "").splitlines()
    keys = [line[len(KEY_LINE) :].strip() for line in lines if line.startswith(KEY_LINE)]
    if keys and keys[0] != key:
        return None
    source = next(
        (line[len(SOURCE_LINE) :] for line in lines if line.startswith(SOURCE_LINE)), None
    )
    reason = "\n".join(
        line for line in lines if not line.startswith((KEY_LINE, SOURCE_LINE))
    ).strip()
    who = task.get("assignee")
    if isinstance(who, Mapping):  # an expanded user [I]
        who = who.get("email") or who.get("name") or who.get("username")
    due = str(task.get("due_date") or "")[:10] or None
    return {
        "account_id": task.get("account_id"),
        "title": task.get("title"),
        "due": due,
        "source": source,
        "reason": reason or None,
        "assignee": names.get(str(who).lower(), str(who)) if who else None,
    }


def task_body(
    key: str, data: Data, assignee: str | None, flow: str | None, fields: set[str] | None = None
) -> dict[str, Any]:
    """The create body, or (``fields`` given) the partial update body of those fields."""
    full: dict[str, Any] = {
        "title": data.get("title") or key,
        "description": description(key, data),
        "due_date": data.get("due"),
        "account_id": data.get("account_id"),
    }
    if assignee:
        full["assignee"] = assignee
    if fields is None:
        full |= {"priority": NORMAL, "status": "open"}
        if flow:
            full["activity_type_id"] = flow
        return {k: v for k, v in full.items() if v is not None}
    wanted = {"title": {"title"}, "due": {"due_date"}, "account_id": {"account_id"}}
    wanted |= {"reason": {"description"}, "source": {"description"}, "assignee": {"assignee"}}
    keep = set().union(*(wanted.get(f, set()) for f in fields))
    return {k: v for k, v in full.items() if k in keep}


def task_id(reply: Any) -> str | None:
    """The new task's id from the reply, whichever form it takes."""
    if isinstance(reply, Mapping):
        for path in (("id",), ("task", "id"), ("data", "id"), ("task_id",)):
            node: Any = reply
            for step in path:
                node = node.get(step) if isinstance(node, Mapping) else None
            if node not in (None, ""):
                return str(node)
    return None


class TaskWriter:
    def __init__(
        self,
        api: TotangoApi,
        assignee: Callable[[str | None], str | None],
        flow: Callable[[], str | None],
    ) -> None:
        self.api = api
        self.assignee = assignee
        self.flow = flow

    def write(self, change: Change) -> ChangeResult:
        data = change.data or {}
        try:
            if change.op is Op.create:
                return self._create(change, data)
            # The plan's own id: the engine gives each change the one its key's latest write
            # left (the apply-time journal ids keep a closed task's after an id-less create).
            tid = change.remote_id
            if not tid:
                return self._without_id(change)
            if change.op is Op.delete:
                return self._close(change, tid)
            return self._update(change, data, tid)
        except PermanentApiError as exc:
            return ChangeResult(change, ok=False, error=_explain(str(exc)))

    def _create(self, change: Change, data: Data) -> ChangeResult:
        who = self.assignee(data.get("assignee"))
        reply = self.api.create_task(task_body(change.key, data, who, self.flow()))
        return ChangeResult(change, ok=True, remote_id=task_id(reply))

    def _update(self, change: Change, data: Data, tid: str) -> ChangeResult:
        fields = {d.field for d in change.diffs}
        body = task_body(change.key, data, self.assignee(data.get("assignee")), None, fields)
        try:
            if body:
                self.api.update_task(tid, body)
        except PermanentApiError as exc:
            if exc.status != 404:
                raise
            return self._create(change, data)  # deleted in Totango but still due
        return ChangeResult(change, ok=True, remote_id=tid)

    def _close(self, change: Change, tid: str) -> ChangeResult:
        try:
            self.api.update_task(tid, {"status": "closed"})
        except PermanentApiError as exc:
            if exc.status != 404:
                raise  # a 404: deleted in Totango, which is as closed as it gets
        return ChangeResult(change, ok=True, remote_id=tid)

    def _without_id(self, change: Change) -> ChangeResult:
        """A change to a task Totango gave no id (a plan made elsewhere; the adapter's own
        plans turn these into build steps, :func:`by_hand`): failed, saying what to do."""
        return ChangeResult(change, ok=False, error=_no_id(change))


def _no_id(change: Change) -> str:
    todo = "close it" if change.op is Op.delete else _changes(change)
    return (
        f"totango: Totango did not return an id when the task {change.key} was created, so "
        f"tierform cannot change it through the API: {todo} in Totango (its description holds "
        f"'{KEY_LINE}{change.key}')"
    )


def unaddressable(change: Change) -> bool:
    """A change to a task whose create Totango answered with a bare "Success" [TASKS] and no
    id: no API call can reach that task."""
    return change.kind is Kind.work_item and change.op is not Op.create and not change.remote_id


def by_hand(change: Change) -> BuildStep:
    """The build step that replaces a change :func:`unaddressable` says the API cannot make:
    unverified (the task cannot be read either), until a person marks it done."""
    data = change.data or change.existing or {}
    todo = "Close it" if change.op is Op.delete else _changes(change).capitalize()
    account = data.get("account_id")  # a close knows only what the journal kept: maybe none
    return BuildStep(
        kind=Kind.work_item,
        key=change.key,
        title=f"work_item: {data.get('title') or change.key}"
        + (f" ({account})" if account else ""),
        reason="Totango did not return this task's id when it was created, so its API cannot "
        "change it",
        steps=[
            f"In Totango, open the task whose description holds '{KEY_LINE}{change.key}'.",
            f"{todo}.",
        ],
        status=StepStatus.unverified,
        deletes=change.op is Op.delete,
    )


def _changes(change: Change) -> str:
    shown = ", ".join(f"{d.field} to {d.new!r}" for d in change.diffs) or "update it"
    return f"set {shown}" if change.diffs else shown


def _explain(text: str) -> str:
    if "activity_type" in text.lower() or "flow" in text.lower():
        return text + ". Set `task_flow` on the target to a Flow's activity_type_id"
    return text
