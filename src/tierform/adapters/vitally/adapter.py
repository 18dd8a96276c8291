"""``platform: vitally``: coverage fields as account traits, work items as tasks and projects,
and a build sheet for everything Vitally's API cannot create.

What Vitally's public API allows: trait values (merge; ``null`` deletes),
tasks (upsert by ``externalId``), projects from templates, and reads of custom trait definitions.
Segments, playbooks, health scores, custom traits and CSM assignment are UI-only, so they are
build-sheet steps; custom traits are verified through ``GET /customFields``, CSM assignment
through each account's ``csmId``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import httpx

from tierform.adapters.http.adapter import HttpAdapter
from tierform.adapters.http.client import ApiClient
from tierform.adapters.vitally import buildsheet as bs
from tierform.adapters.vitally.auth import VitallyAuth
from tierform.adapters.vitally.client import VitallyApi, error_hint
from tierform.adapters.vitally.projects import PROJECT_PREFIX, project_items
from tierform.adapters.vitally.reader import Index, Reader, load_admins
from tierform.adapters.vitally.settings import VitallySettings
from tierform.adapters.vitally.writer import Writer
from tierform.sync.adapter import AdapterContext, ApplyContext
from tierform.sync.buildsheet import BuildStep, StepStatus
from tierform.sync.capabilities import Capabilities
from tierform.sync.change import Change, ChangeResult, Op
from tierform.sync.settings import AdapterSettings
from tierform.sync.state import Data, Kind, Scope, State, canon

DOCUMENTED_LIMIT = 1000.0  # requests/minute, sliding window [DOC]
CSM_REASON = (
    "Vitally's API cannot assign an account's CSM (csmId is read-only; accountOwnerId "
    "can only be cleared), so tierform writes the CSM or pool to the account trait "
    "`tf_csm` and these playbooks assign it in Vitally"
)

CAPABILITIES = Capabilities.build(
    notes={
        Kind.field: "Vitally's API cannot create custom traits (Settings > Traits management); "
        "it reads them (customFields), so each is verified",
        Kind.segment: "Vitally's API cannot create segments (Settings > Data Management > "
        "Segments)",
        Kind.playbook: "Vitally's API cannot create playbooks (Settings > Playbooks)",
        Kind.rule: "Vitally's API cannot create automation; rules are built as playbooks",
        Kind.health: "Vitally's API cannot configure health scores (Settings > Health Scores)",
        Kind.account: "coverage fields are account traits (merge); the CSM is the trait tf_csm "
        "(the API cannot set csmId); delete removes tierform's traits only",
        Kind.work_item: "tasks upserted by externalId; projects started from templates",
    },
    field="r",
    account="rcud",
    work_item="rcud",
)


class VitallyAdapter(HttpAdapter[VitallySettings]):
    platform: ClassVar[str] = "vitally"
    summary: ClassVar[str] = "Vitally: account traits, tasks, projects; build sheet for the rest"
    capabilities: ClassVar[Capabilities] = CAPABILITIES
    Settings: ClassVar[type[AdapterSettings]] = VitallySettings
    default_base_url: ClassVar[str] = ""
    # Paced at 95 % of the documented limit: our clock and Vitally's window never line up
    # exactly, and a 429 costs a full RateLimit-Reset wait.
    rate_limit: ClassVar[float | None] = DOCUMENTED_LIMIT * 0.95

    def __init__(self, settings: VitallySettings, context: AdapterContext) -> None:
        super().__init__(settings, context)
        self._api: VitallyApi | None = None
        self._analytics: ApiClient | None = None
        self.index = Index()

    @property
    def vs(self) -> VitallySettings:
        return self.settings

    @property
    def base_url(self) -> str:
        return self.vs.rest_url() + "/"

    def make_auth(self) -> httpx.Auth:
        return VitallyAuth(self.vs.api_key.resolve(f"target {self.context.target!r} api_key"))

    def error_hint(self, response: httpx.Response, text: str) -> str | None:
        analytics = self.vs.analytics_key.env if self.vs.analytics_key else None
        return error_hint(response, self.vs.api_key.env, analytics, self.vs.rest_url())

    @property
    def api(self) -> VitallyApi:
        if self._api is None:
            self._api = VitallyApi(self.client, self._make_analytics())
        return self._api

    def _make_analytics(self) -> ApiClient | None:
        url, secret = self.vs.analytics_url(), self.vs.analytics_key
        if url is None or secret is None:
            return None
        rest = self.client
        # One pacer for both hosts: whether analytics calls count against the REST limit is
        # undocumented, so the cautious reading is that they do.
        self._analytics = ApiClient(
            url + "/",
            platform=self.platform,
            auth=VitallyAuth(secret.resolve(f"target {self.context.target!r} analytics_key")),
            timeout=self.vs.timeout,
            retry=self.retry_policy(),
            read_pacer=rest.read_pacer,
            write_pacer=rest.write_pacer,
            error_text=self.error_text,
            error_hint=self.error_hint,
            transport=self.context.http_overrides.get("transport"),
        )
        return self._analytics

    # -- plan -------------------------------------------------------------------------

    def normalize_desired(self, desired: State) -> State:
        """Adds a project per account and templated playbook (``project_templates``)."""
        items = project_items(desired.of(Kind.work_item), self.vs.project_templates)
        if items:
            out = State(
                {k: dict(v) for k, v in desired.objects.items()},
                {k: dict(v) for k, v in desired.labels.items()},
                {k: dict(v) for k, v in desired.remote_ids.items()},
                list(desired.warnings),
            )
            for key, data in items.items():
                out.put(
                    Kind.work_item,
                    key,
                    data,
                    label=f"project {data['title']} ({data['account_id']})",
                )
            desired = out
        return desired

    def read(self, scope: Scope) -> State:
        reader = Reader(
            self.api,
            scope.desired,
            create_accounts=self.vs.create_accounts,
            project_templates=self.vs.project_templates,
            in_flight=self.vs.max_in_flight,
        )
        state = reader.read(scope)
        self.index = reader.index
        if any(d.get("tf_csm") for d in scope.desired.of(Kind.account).values()):
            state.warnings.append(
                "CSM assignment: " + CSM_REASON + " (see the build step 'Assign CSMs from tf_csm')"
            )
        return state

    def include_change(self, change: Change) -> bool:
        """Leave out what the read reported as unmatched (never silently: see the warnings)."""
        if change.kind is Kind.account and change.op is Op.create:
            return self.vs.create_accounts or change.key in self.index.vid_of
        if change.kind is Kind.work_item and change.op is not Op.delete:
            data = change.data or {}
            account = str(data.get("account_id"))
            known = account in self.index.vid_of or (
                self.vs.create_accounts and account in self.index.desired_accounts
            )
            if not known:
                return False
            if change.key.startswith(PROJECT_PREFIX) and change.op is Op.create:
                return str(data.get("project_template")) in self.index.template_id
        return True

    def expected_transition(self, change: Change) -> str | None:
        """An account update that only moves values from tierform's data traits into the
        custom traits an admin has just created (each new value is already on the account)."""
        if change.kind is not Kind.account or change.op is not Op.update or not change.diffs:
            return None
        held = self.index.stale_values.get(change.key)
        if not held:
            return None
        if all(d.old is None and canon(held.get(d.field)) == d.new for d in change.diffs):
            return "values move from data traits into the new custom traits"
        return None

    def build_steps(self, desired: State) -> list[BuildStep]:
        owners: dict[str, str | None] = {}
        for data in desired.of(Kind.account).values():
            value = data.get("tf_csm")
            if value:
                aid = self.index.admin_id(str(value))
                owners[str(value)] = self.index.admin_email.get(aid) if aid else None
        if not owners:
            return []
        status, reason = self._csm_status(desired)
        return [
            BuildStep(
                Kind.playbook,
                "assign-csm-from-trait",
                "playbook: Assign CSMs from tf_csm",
                reason,
                bs.csm_steps(owners),
                status,
            )
        ]

    def _csm_status(self, desired: State) -> tuple[StepStatus, str]:
        """Verified from each account's csmId where tf_csm names an admin."""
        checked = wrong = 0
        for key, data in desired.of(Kind.account).items():
            aid = self.index.admin_id(str(data.get("tf_csm") or ""))
            if aid is None or key not in self.index.vid_of:
                continue
            checked += 1
            wrong += self.index.csm_of.get(key) != aid
        if not checked:
            return StepStatus.unverified, CSM_REASON
        status = StepStatus.missing if wrong else StepStatus.done
        return status, f"{CSM_REASON}; {checked - wrong} of {checked} accounts have that CSM"

    def describe(self, kind: Kind, key: str, data: Data) -> list[str]:
        key_of = self.index.keys.key
        if kind is Kind.segment:
            return bs.segment_steps(key, data, key_of)
        if kind is Kind.field:
            return bs.field_steps(key, data, key_of)
        if kind is Kind.playbook:
            template = self.vs.project_templates.get(str(data.get("name")))
            return bs.playbook_steps(key, data, key_of, template)
        if kind is Kind.rule:
            return bs.rule_steps(key, data, key_of)
        if kind is Kind.health:
            return bs.health_steps(key, data, key_of)
        return super().describe(kind, key, data)

    def plan_meta(self) -> dict[str, Any]:
        return {
            "base_url": self.vs.rest_url(),
            "trait_writes": "analytics batch" if self.vs.analytics_key else "REST",
            "requests": self.client.requests_sent if self._client else 0,
        }

    # -- apply ------------------------------------------------------------------------

    def apply(self, changes: Sequence[Change], ctx: ApplyContext) -> Iterator[ChangeResult]:
        if changes and not self.index.loaded:
            # Applied without a read in this process: load the ids writes need (the plan's
            # desired state has been through normalize_desired already).
            self.read(Scope.of(ctx.desired, [Kind.account, Kind.work_item]))
        writer = Writer(
            self.api,
            self.index,
            ctx,
            batch_min=self.vs.batch_min,
            create_accounts=self.vs.create_accounts,
            in_flight=self.vs.max_in_flight,
        )
        yield from writer.run(changes)

    def platform_owners(self) -> dict[str, str]:
        """Each read account's Vitally CSM (``csmId``), as the admin's e-mail (else name)."""
        assigned = {k: v for k, v in self.index.csm_of.items() if v}
        if not assigned:
            return {}
        load_admins(self.api, self.index)
        out: dict[str, str] = {}
        for key, aid in assigned.items():
            who = self.index.admin_email.get(str(aid)) or self.index.admin_name.get(str(aid))
            if who:
                out[key] = who
        return out

    def close(self) -> None:
        if self._analytics is not None:
            self._analytics.close()
            self._analytics = None
        self._api = None
        super().close()
