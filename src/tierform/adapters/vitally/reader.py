"""Reading a Vitally workspace into tierform's neutral state, plus the index apply needs.

One full scan per list (accounts, tasks, and projects/templates/admins only when the plan needs
them): Vitally has no server-side filter by externalId or date [CODE fiscaltec], so paging
everything at 100 per request is the cheapest complete read. Accounts match the book by
``externalId``; ids the platform assigned stay in :class:`Index` for writes.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tierform.adapters.http.concurrency import ReadAhead
from tierform.adapters.listing import some
from tierform.adapters.vitally.client import VitallyApi
from tierform.adapters.vitally.mapping import (
    T_ASSIGNEE,
    T_KEY,
    T_REASON,
    T_SOURCE,
    TraitKeys,
    field_type,
    generation_id,
    is_custom,
    is_live,
    matches_field,
    task_data,
    task_generation,
)
from tierform.adapters.vitally.projects import PROJECT_PREFIX, project_data
from tierform.errors import PermanentApiError
from tierform.sync.state import Kind, Scope, State

log = logging.getLogger(__name__)

TASK_PREFIX = "tf-"  # work items' external ids (tierform.sync.desired.work_item_id)
_TASK_TRAITS = (T_SOURCE, T_REASON, T_ASSIGNEE)
ANY_TEMPLATE = object()  # a project read without its templateId


@dataclass
class Index:
    """What writes need from the last read: Vitally ids, trait keys, admins, templates."""

    keys: TraitKeys = field(default_factory=TraitKeys)
    vid_of: dict[str, str] = field(default_factory=dict)
    ext_of: dict[str, str] = field(default_factory=dict)
    stale: dict[str, list[str]] = field(default_factory=dict)
    #: account -> the superseded data traits' values (field name -> value)
    stale_values: dict[str, dict[str, Any]] = field(default_factory=dict)
    csm_of: dict[str, str | None] = field(default_factory=dict)
    admins: dict[str, str] = field(default_factory=dict)
    admin_email: dict[str, str] = field(default_factory=dict)
    admin_name: dict[str, str] = field(default_factory=dict)
    admins_loaded: bool = False
    template_id: dict[str, str] = field(default_factory=dict)
    template_ref: dict[str, str] = field(default_factory=dict)
    #: work item key -> the externalId of its live task, where not the key itself
    task_ext: dict[str, str] = field(default_factory=dict)
    desired_accounts: frozenset[str] = frozenset()
    loaded: bool = False

    def admin_id(self, who: str | None) -> str | None:
        return self.admins.get(who.strip().lower()) if who else None


class Reader:
    def __init__(
        self,
        api: VitallyApi,
        desired: State,
        *,
        create_accounts: bool,
        project_templates: Mapping[str, str],
        in_flight: int = 1,
    ) -> None:
        self.api = api
        self.desired = desired
        self.create_accounts = create_accounts
        self.project_templates = project_templates
        self.index = Index(desired_accounts=frozenset(desired.of(Kind.account)))
        self.in_flight = in_flight
        self._ahead = ReadAhead(1)  # the read's own, while it runs
        self._lists: dict[str, Callable[[], Iterable[dict[str, Any]]]] = {
            "fields": functools.partial(api.custom_fields, "accounts"),
            "accounts": api.accounts,
            "tasks": api.tasks,
            "projectTemplates": api.project_templates,
            "projects": api.projects,
            "admins": api.admins,
        }

    def read(self, scope: Scope) -> State:
        """Custom fields, accounts, tasks, projects and admins: each listing is a chain of
        pages, so they are fetched side by side, up to ``max_in_flight`` at once
        (:class:`ReadAhead`), and read in this order."""
        with ReadAhead(self.in_flight) as self._ahead:
            return self._read(scope)

    def _read(self, scope: Scope) -> State:
        state = State()
        needs_accounts = bool(scope.kinds & {Kind.account, Kind.work_item})
        items = Kind.work_item in scope.kinds
        projects = items and bool(self._project_keys())
        people = self._people()
        ahead = ["accounts"] if needs_accounts else []  # the longest chain first
        ahead += ["fields"]
        ahead += ["tasks"] if items else []
        ahead += ["projectTemplates", "projects"] if projects else []
        ahead += ["admins"] if people else []
        for name in ahead:
            self._ahead.start(name, self._lists[name])
        defs = list(self._listed("fields"))
        names = set(self.desired.of(Kind.field)) | set(scope.keys.get(Kind.field, ()))
        self.index.keys = TraitKeys.resolve(defs, names)
        if Kind.field in scope.kinds:
            self._fields(defs, scope, state)
        if needs_accounts:
            self._accounts(scope, state)
        if items:
            self._tasks(state)
            if projects:
                self._templates(state)
                self._projects(state)
        if people:
            self._admins(state, people)
        self._warn_unmatched(scope, state)
        self.index.loaded = needs_accounts
        return state

    def _listed(self, name: str) -> Iterable[dict[str, Any]]:
        """A listing, as fetched ahead where it was."""
        return self._ahead.take(name, self._lists[name])

    # -- definitions ------------------------------------------------------------------

    def _fields(self, defs: list[dict[str, Any]], scope: Scope, state: State) -> None:
        """A field counts as built when Vitally lists a custom trait named like it; its data is
        the desired data with Vitally's type, so only a type mismatch shows as different."""
        # The same definitions writes resolve to (TraitKeys): a field shown as built is one
        # its values are written to.
        defs = [d for d in defs if is_custom(d)]
        for name in sorted(scope.keys.get(Kind.field, ())):
            hit = next((d for d in defs if matches_field(d, name)), None)
            if hit is None:
                continue
            want = dict(self.desired.of(Kind.field).get(name, {}))
            typ = field_type(hit)
            if typ is not None:
                want["type"] = typ
            state.put(
                Kind.field,
                name,
                want,
                label=str(hit.get("label") or name),
                remote_id=str(hit.get("id") or "") or None,
            )

    # -- accounts ---------------------------------------------------------------------

    def _accounts(self, scope: Scope, state: State) -> None:
        idx = self.index
        latest: dict[str, dict[str, Any]] = {}
        dups: set[str] = set()
        for acc in self._listed("accounts"):
            ext, vid = acc.get("externalId"), acc.get("id")
            if not ext or not vid:
                continue  # no externalId: not matchable, never ours
            ext, vid = str(ext), str(vid)
            idx.ext_of[vid] = ext
            if ext in latest:
                dups.add(ext)
            # Newest first (createdAt descending): the last seen is the oldest, which wins.
            latest[ext] = acc
        keys = idx.keys
        for ext, acc in latest.items():
            vid = str(acc["id"])
            idx.vid_of[ext] = vid
            idx.csm_of[ext] = acc.get("csmId")
            traits = acc.get("traits") or {}
            if not isinstance(traits, dict):
                state.warnings.append(f"account {ext}: traits are not an object; ignored")
                continue
            stale = keys.stale(traits)
            if stale:
                idx.stale[ext] = stale
                idx.stale_values[ext] = {n: traits.get(n) for n in stale}
            # Only accounts carrying tierform's traits are managed objects; a book account
            # without them is a create (of tierform's fields on it), not a mass update.
            if Kind.account in scope.kinds and keys.owned(traits):
                state.put(
                    Kind.account, ext, keys.neutral(traits), label=acc.get("name"), remote_id=vid
                )
        if dups:
            state.warnings.append(
                f"{len(dups)} externalId(s) belong to more than one Vitally account "
                f"({some(dups)}): tierform writes to the oldest of each"
            )

    def _warn_unmatched(self, scope: Scope, state: State) -> None:
        wanted = scope.keys.get(Kind.account, frozenset())
        missing = sorted(k for k in wanted if k not in self.index.vid_of)
        if not missing:
            return
        if self.create_accounts:
            state.warnings.append(
                f"{len(missing)} account(s) of the book are not in Vitally "
                f"and will be created (create_accounts: true): {some(missing)}"
            )
            return
        items = [
            k
            for k, d in self.desired.of(Kind.work_item).items()
            if d.get("account_id") in set(missing)
        ]
        state.warnings.append(
            f"unmatched: {len(missing)} account(s) of the book have no Vitally account with that "
            f"externalId and are left out ({some(missing)})"
            + (f", with {len(items)} work item(s)" if items else "")
            + "; check the book's account ids, or set create_accounts: true to create them"
        )

    # -- work items -------------------------------------------------------------------

    def _tasks(self, state: State) -> None:
        desired = self.desired.of(Kind.work_item)
        newest: dict[str, int] = {}
        archived: dict[str, int] = {}  # key -> its highest archived generation listed
        for task in self._listed("tasks"):
            ext, generation = task_generation(str(task.get("externalId") or ""))
            if ext.startswith(TASK_PREFIX) and not is_live(task):
                archived[ext] = max(generation, archived.get(ext, 0))
            if generation < newest.get(ext, 0):
                continue  # an older live generation: the newest is the work item's task
            if ext.startswith(TASK_PREFIX) and is_live(task):
                newest[ext] = generation
                if generation > 1:
                    self.index.task_ext[ext] = generation_id(ext, generation)
                data = task_data(task, self.index.ext_of)
                traits = task.get("traits") or {}
                if ext in desired and not any(k in traits for k in _TASK_TRAITS):
                    # Data traits are documented for accounts, users and organizations only
                    # [DOC]: a tenant that keeps none on tasks holds no source or assignee
                    # of tierform's, so neither can differ (the reason is in the description).
                    want = desired[ext]
                    data["source"], data["assignee"] = want.get("source"), want.get("assignee")
                state.put(
                    Kind.work_item,
                    ext,
                    data,
                    label=task.get("name"),
                    remote_id=str(task.get("id")),
                )
        # A key whose every generation listed is archived is written again from its highest
        # one: each lower one was found archived when the next was made, so a workspace that
        # keeps them archived takes two upserts, not one per generation. Lists may leave
        # archived tasks out (not documented): then it starts from the key, as before.
        for ext, generation in archived.items():
            if ext not in newest and generation > 1:
                self.index.task_ext[ext] = generation_id(ext, generation)

    def _project_keys(self) -> set[str]:
        return {k for k in self.desired.of(Kind.work_item) if k.startswith(PROJECT_PREFIX)}

    def _projects(self, state: State) -> None:
        """Only projects of desired keys: a started project belongs to the team from then on,
        so tierform never archives one when its playbook is no longer due."""
        wanted = self._project_keys()
        items = self.desired.of(Kind.work_item)
        shaped = self._projects_by_shape(wanted)
        found: dict[str, list[str]] = {}  # key -> the ids of its live projects after the first
        for project in self._listed("projects"):
            key = (project.get("traits") or {}).get(T_KEY)
            data = project_data(project, self.index.ext_of, self.index.template_ref)
            # templateId is editable "only on create" [DOC]: a read may not carry it, and a
            # template not read is unknown, not different (no endless update, no second start).
            template_read = bool(project.get("templateId"))
            if key is None:
                # Data traits are documented for accounts, users and organizations only [DOC]:
                # a tenant that keeps none on projects still has tierform's project found by
                # its account, template and name, never started twice.
                template = data["project_template"] if template_read else ANY_TEMPLATE
                key = shaped.get((data["account_id"], template, data["title"]))
                if key is not None and data["source"] is None:
                    data["source"] = items[key].get("source")
            if key in wanted and is_live(project):
                if str(key) in found:
                    # A create whose lost answer was settled by a look-up, landed after all:
                    # the first listed is managed; the team may work in either.
                    found[str(key)].append(str(project.get("id")))
                    continue
                found[str(key)] = []
                if not template_read:
                    data["project_template"] = items[str(key)].get("project_template")
                state.put(
                    Kind.work_item,
                    str(key),
                    data,
                    label=project.get("name"),
                    remote_id=str(project.get("id")),
                )
        extra = {key: ids for key, ids in found.items() if ids}
        if extra:
            shown = some(f"{key}: {' '.join(ids)}" for key, ids in extra.items())
            state.warnings.append(
                f"{len(extra)} project key(s) belong to more than one live Vitally project "
                f"({shown}): tierform manages the first listed and leaves the others; archive "
                "the extra ones in Vitally"
            )

    def _projects_by_shape(self, wanted: set[str]) -> dict[tuple[Any, Any, Any], str]:
        """(account, template, name) -> the key of the desired project of that shape; with
        :data:`ANY_TEMPLATE`, the key of the one desired project of that account and name."""
        items = self.desired.of(Kind.work_item)
        out: dict[tuple[Any, Any, Any], str] = {}
        seen: dict[tuple[Any, Any], int] = {}
        for k in sorted(wanted):
            account, title = items[k].get("account_id"), items[k].get("title")
            out[(account, items[k].get("project_template"), title)] = k
            seen[(account, title)] = seen.get((account, title), 0) + 1
            out[(account, ANY_TEMPLATE, title)] = k
        for (account, title), count in seen.items():
            if count > 1:  # ambiguous without the template: never guessed
                del out[(account, ANY_TEMPLATE, title)]
        return out

    def _templates(self, state: State) -> None:
        refs = set(self.project_templates.values())
        for tpl in self._listed("projectTemplates"):
            tid, name = str(tpl.get("id")), str(tpl.get("name") or "")
            for ref in refs:
                if ref == tid or ref.strip().lower() == name.strip().lower():
                    self.index.template_id[ref] = tid
                    self.index.template_ref[tid] = ref
        unknown = sorted(refs - set(self.index.template_id))
        if unknown:
            state.warnings.append(
                f"project template(s) not found in Vitally: {some(unknown)}; "
                "their projects are left out (check project_templates)"
            )

    # -- people -----------------------------------------------------------------------

    def _people(self) -> set[str]:
        names = {
            str(d["assignee"])
            for d in self.desired.of(Kind.work_item).values()
            if d.get("assignee")
        }
        names |= {
            str(d["tf_csm"]) for d in self.desired.of(Kind.account).values() if d.get("tf_csm")
        }
        return names

    def _admins(self, state: State, people: set[str]) -> None:
        load_admins(self.api, self.index, people, lambda: self._listed("admins"))
        assignees: dict[str, int] = {}
        for data in self.desired.of(Kind.work_item).values():
            who = data.get("assignee")
            if who and self.index.admin_id(str(who)) is None:
                assignees[str(who)] = assignees.get(str(who), 0) + 1
        if assignees:
            state.warnings.append(
                "task assignee(s) not found among Vitally admins (by name or email), left "
                "unassigned: " + ", ".join(f"{w} ({n})" for w, n in sorted(assignees.items()))
            )


def load_admins(
    api: VitallyApi,
    idx: Index,
    people: Iterable[str] = (),
    listing: Callable[[], Iterable[dict[str, Any]]] | None = None,
) -> None:
    """Vitally's admins (its users) by id, name and e-mail, read once per index (``listing``:
    the list as a read fetched it ahead).

    The list (``GET /admins``) is known from clients only [CODE]; the documented call is the
    search by e-mail [DOC]. Where the list answers 404, each e-mail among ``people`` is
    searched instead (names cannot be).
    """
    if idx.admins_loaded:
        return
    try:
        admins = list((listing or api.admins)())
    except PermanentApiError as exc:
        if exc.status != 404:
            raise
        admins = [a for who in sorted(set(people)) if "@" in who for a in api.search_admin(who)]
    for admin in admins:
        _remember_admin(idx, admin)
    idx.admins_loaded = True


def _remember_admin(idx: Index, admin: Mapping[str, Any]) -> None:
    aid = str(admin.get("id"))
    for who in (admin.get("name"), admin.get("email")):
        if who:
            idx.admins[str(who).strip().lower()] = aid
    if admin.get("email"):
        idx.admin_email[aid] = str(admin["email"])
    if admin.get("name"):
        idx.admin_name[aid] = str(admin["name"])
