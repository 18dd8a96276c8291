"""Vitally projects started from templates: the optional ``project_templates`` setting.

A playbook named in ``project_templates`` starts one project per account from that template
(``POST /projects`` takes templates only [DOC]); the project carries tierform's key as a trait,
since projects have no ``externalId`` to find them by.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from tierform.adapters.vitally.client import VitallyApi
from tierform.adapters.vitally.mapping import T_KEY, T_SOURCE, is_live
from tierform.errors import AdapterError, PermanentApiError, UncertainOutcome
from tierform.sync.change import Change, ChangeResult, Op
from tierform.sync.state import Data

log = logging.getLogger(__name__)

PROJECT_PREFIX = "tfp-"
# Sources disagree on the project's account field [DOC* vs DOC*/CODE]; the first that the
# platform accepts is kept for the rest of the run.
PROJECT_ACCOUNT_FIELDS = ("customerId", "accountId")


def project_key(account_id: str, playbook: str, template: str) -> str:
    digest = hashlib.sha256("\x1f".join((account_id, playbook, template)).encode()).hexdigest()
    return f"{PROJECT_PREFIX}{digest[:20]}"


def playbook_of(data: Mapping[str, Any]) -> str | None:
    """The playbook a work item belongs to: ``source: playbook:<name>``, or a rule's
    ``start_playbook:<name>`` action."""
    source = str(data.get("source") or "")
    if source.startswith("playbook:"):
        return source.split(":", 1)[1].strip() or None
    title = str(data.get("title") or "")
    if title.startswith("start_playbook:"):
        return title.split(":", 1)[1].strip() or None
    return None


def project_items(work_items: Mapping[str, Data], templates: Mapping[str, str]) -> dict[str, Data]:
    """One project per account and playbook that ``project_templates`` names a template for."""
    out: dict[str, Data] = {}
    if not templates:
        return out
    for key, data in sorted(work_items.items()):
        playbook, account = playbook_of(data), data.get("account_id")
        if key.startswith(PROJECT_PREFIX) or playbook is None or account is None:
            continue
        template = templates.get(playbook)
        if template is not None:
            out[project_key(str(account), playbook, template)] = {
                "account_id": str(account),
                "title": playbook,
                "project_template": template,
                "source": f"playbook:{playbook}",
            }
    return out


def project_body(
    key: str, data: Data, template_id: str, account_id: str, account_field: str
) -> dict[str, Any]:
    """``POST /projects``: from a template only; the account field is ``customerId`` or
    ``accountId`` depending on the source (both are documented), chosen by the caller."""
    return {
        "templateId": template_id,
        account_field: account_id,
        "name": data.get("title"),
        "traits": project_traits(key, data),
    }


def project_traits(key: str, data: Data) -> dict[str, Any]:
    """The key is kept as a trait: projects have no externalId to find them by [DOC]."""
    return {T_KEY: key, T_SOURCE: data.get("source")}


def project_data(
    project: Mapping[str, Any], external_of: Mapping[str, str], template_ref: Mapping[str, str]
) -> Data:
    traits = project.get("traits") or {}
    vid = project.get("accountId") or project.get("customerId")
    return {
        "account_id": external_of.get(str(vid)),
        "title": project.get("name"),
        "project_template": template_ref.get(str(project.get("templateId"))),
        "source": traits.get(T_SOURCE),
    }


class ProjectWriter:
    """Creates, renames and deletes tierform's projects for the writer."""

    def __init__(
        self,
        api: VitallyApi,
        template_id: Mapping[str, str],
        remote: Callable[[Change], str | None],
        account_vid: Callable[[Change], str | None],
        no_account: Callable[[Change], ChangeResult],
    ) -> None:
        self.api = api
        self.template_id = template_id
        self.remote = remote
        self.account_vid = account_vid
        self.no_account = no_account
        self.account_fields = list(PROJECT_ACCOUNT_FIELDS)

    def write(self, change: Change) -> ChangeResult:
        data = change.data or {}
        if change.op is Op.delete:
            pid = self.remote(change)
            if pid:
                self.api.delete_project(pid)
            return ChangeResult(change, ok=True, remote_id=pid)
        if change.op is Op.update:
            pid = self.remote(change)
            if not pid:
                return ChangeResult(change, ok=False, error="vitally: project id unknown")
            self.api.update_project(
                pid, {"name": data.get("title"), "traits": project_traits(change.key, data)}
            )
            return ChangeResult(change, ok=True, remote_id=pid)
        vid = self.account_vid(change)
        tid = self.template_id.get(str(data.get("project_template")))
        if vid is None or tid is None:
            return (
                self.no_account(change)
                if vid is None
                else ChangeResult(
                    change,
                    ok=False,
                    error=f"vitally: project template {data.get('project_template')!r} not found",
                )
            )
        return ChangeResult(change, ok=True, remote_id=self._create(change, tid, vid))

    def _create(self, change: Change, tid: str, vid: str) -> str | None:
        """Each account field in turn until one is taken. The list narrows only to a form the
        platform has accepted: a 400 can have another cause (the name, a trait), and narrowing
        on it would fail every later project of a workspace that takes only the other form.
        The list is replaced, never changed in place: creates run a few at once."""
        forms = list(self.account_fields)
        refused: list[tuple[str, PermanentApiError]] = []
        for name in forms:
            try:
                project = self._post(
                    change, project_body(change.key, change.data or {}, tid, vid, name)
                )
            except PermanentApiError as exc:
                refused.append((name, exc))
                continue
            self.account_fields = [name]
            return str(project.get("id") or "") or None
        raise _refused_in_every_form(refused)

    def _post(self, change: Change, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /projects`` is not retried when its outcome is uncertain (a replay may start
        a second project). The account's projects are listed instead: tierform's project
        there (by its key trait, else by template and name) means the POST took; none, it is
        posted once more."""
        try:
            return self.api.create_project(body)
        except UncertainOutcome as exc:
            lost = exc
            log.info("vitally: %s; looking for project %s before posting it again", exc, change.key)
        account = str(body.get("customerId") or body.get("accountId"))
        try:
            listed = list(self.api.account_projects(account))
        except AdapterError:
            # The listing [CODE] failed: whether the POST took stays unknown. Raised as such,
            # never as a refused form (that would post again in the other form).
            raise lost from None
        for project in listed:
            if is_live(project) and _is_this(project, change.key, body):
                return project
        return self.api.create_project(body)


def _is_this(project: Mapping[str, Any], key: str, body: Mapping[str, Any]) -> bool:
    """Whether a listed project is the one ``body`` started: by tierform's key trait, else
    (a workspace keeping no data traits on projects) by template and name. templateId may be
    missing from reads ("only on create" [DOC]): then the name decides."""
    traits = project.get("traits") or {}
    if traits.get(T_KEY) is not None:
        return bool(traits.get(T_KEY) == key)
    template = project.get("templateId")
    return project.get("name") == body.get("name") and template in (None, body.get("templateId"))


def _refused_in_every_form(refused: list[tuple[str, PermanentApiError]]) -> PermanentApiError:
    """One error naming each form's answer (which one the workspace takes is unknown)."""
    if len(refused) == 1:
        return refused[0][1]
    text = "; ".join(f"with {name}: {exc}" for name, exc in refused)
    return PermanentApiError(f"vitally: project not created ({text})", status=refused[-1][1].status)
