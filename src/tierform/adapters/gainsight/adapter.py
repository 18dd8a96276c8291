"""``platform: gainsight``: coverage fields as Company custom fields, the CSM as the ``Csm``
lookup, work items as Cockpit CTAs (with an existing playbook attached), and a build sheet for
everything Gainsight's API cannot create.

What Gainsight's public API allows [research §10]: Company field *values* (MDA insert/update,
50 records a call), CTAs (create/update; closed by status), reads of field metadata (describe),
users and CTAs. Custom fields, segments, playbooks, rules, scorecards and Journey Orchestrator
programs are UI-only, so they are build-sheet steps; fields are verified through describe, and a
value waits until its field exists. Limits: 100 requests/min and 50,000/day per tenant, shared by
every integration: paced at 95/min by default, and an apply that would not fit in what remains
of the day is refused before any write.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import httpx

from tierform.adapters.gainsight import buildsheet as bs
from tierform.adapters.gainsight.auth import AccessKeyAuth, M2MOAuth
from tierform.adapters.gainsight.budget import USAGE_FILE, UsageLedger, check, estimate
from tierform.adapters.gainsight.client import GainsightApi, error_hint, error_text
from tierform.adapters.gainsight.cta import (
    CtaWriter,
    first_active,
    flatten_picklists,
    ownerless_warning,
)
from tierform.adapters.gainsight.index import Index
from tierform.adapters.gainsight.mapping import api_name, compatible
from tierform.adapters.gainsight.normalize import normalize, playbook_of
from tierform.adapters.gainsight.reader import (
    Reader,
    load_playbooks,
    load_schema,
    load_users,
)
from tierform.adapters.gainsight.settings import DOCUMENTED_PER_MINUTE, GainsightSettings
from tierform.adapters.gainsight.transport import EnvelopeTransport
from tierform.adapters.gainsight.writer import CompanyWriter
from tierform.adapters.http.adapter import HttpAdapter
from tierform.adapters.http.client import ApiClient
from tierform.errors import PermanentApiError
from tierform.sync.adapter import AdapterContext, ApplyContext
from tierform.sync.buildsheet import BuildStep, StepStatus
from tierform.sync.capabilities import Capabilities
from tierform.sync.change import Change, ChangeResult, Op
from tierform.sync.settings import AdapterSettings
from tierform.sync.state import Data, Kind, Scope, State

log = logging.getLogger(__name__)

CAPABILITIES = Capabilities.build(
    notes={
        Kind.field: "Gainsight's API cannot create Company custom fields (Administration > "
        "Data Management); describe verifies them, and a value waits until its field exists",
        Kind.segment: "Gainsight has no public API for segments (Journey Orchestrator > Segments)",
        Kind.playbook: "Gainsight's API cannot create playbooks (Administration > Cockpit > "
        "Playbooks); an existing one is attached to CTAs (setting `playbooks`)",
        Kind.rule: "Gainsight's API cannot create rules (Administration > Rules Engine)",
        Kind.health: "Gainsight's API cannot configure scorecards (Administration > Scorecards "
        "2.0; scores are set by Rules Engine > Set Score 2.0)",
        Kind.account: "coverage fields are Company custom fields (Tf_*__gc); the CSM is also "
        "the Csm lookup; delete clears tierform's fields only",
        Kind.work_item: "Cockpit CTAs keyed by tierform's marker; closed, never deleted",
    },
    field="r",
    account="rcud",
    work_item="rcud",
)


class GainsightAdapter(HttpAdapter[GainsightSettings]):
    platform: ClassVar[str] = "gainsight"
    summary: ClassVar[str] = "Gainsight CS: Company fields, Csm, CTAs; build sheet for the rest"
    capabilities: ClassVar[Capabilities] = CAPABILITIES
    Settings: ClassVar[type[AdapterSettings]] = GainsightSettings
    default_base_url: ClassVar[str] = ""
    # 95 % of the documented 100/min: the limit is a fixed window shared with every other
    # integration of the tenant, and a 429 carries no Retry-After.
    rate_limit: ClassVar[float | None] = DOCUMENTED_PER_MINUTE * 0.95

    def __init__(self, settings: GainsightSettings, context: AdapterContext) -> None:
        super().__init__(settings, context)
        self._api: GainsightApi | None = None
        self.index = Index()
        self._recorded = 0
        self._estimate: int | None = None
        self._prepared = False
        self._playbook_warnings: list[str] = []
        clock = context.http_overrides.get("clock")
        path = context.state_dir / USAGE_FILE if context.state_dir else None
        self.ledger = UsageLedger(path, clock) if callable(clock) else UsageLedger(path)

    @property
    def gs(self) -> GainsightSettings:
        return self.settings

    @property
    def base_url(self) -> str:
        return self.gs.host() + "/"

    def credential_name(self) -> str:
        if self.gs.access_key is not None:
            return self.gs.access_key.env
        assert self.gs.oauth is not None
        return f"{self.gs.oauth.client_secret.env} (and the OAuth client_id)"

    def _transport(self) -> httpx.BaseTransport:
        clock = self.context.http_overrides.get("clock")
        inner = self.context.http_overrides.get("transport")
        return EnvelopeTransport(inner, clock) if callable(clock) else EnvelopeTransport(inner)

    def make_auth(self) -> httpx.Auth:
        where = f"target {self.context.target!r}"
        if self.gs.access_key is not None:
            return AccessKeyAuth(self.gs.access_key.resolve(f"{where} access_key"))
        oauth = self.gs.oauth
        assert oauth is not None
        cid = oauth.client_id
        client_id = cid.resolve(f"{where} oauth.client_id") if not isinstance(cid, str) else cid
        clock = self.context.http_overrides.get("clock")
        extra: dict[str, Any] = {"clock": clock} if callable(clock) else {}
        return M2MOAuth(
            self.gs.host(),
            client_id if not isinstance(client_id, str) else _secret(client_id),
            oauth.client_secret.resolve(f"{where} oauth.client_secret"),
            transport=self._transport(),
            timeout=self.gs.timeout,
            before=self._pace,
            hint=f"check {oauth.client_secret.env} and client_id (Connectors 2.0 > the Gainsight "
            "API OAuth connection), base_url, and the IP allowlist (GS_APIG_2402)",
            **extra,
        )

    def _pace(self) -> None:
        pacer = self.client.write_pacer if self._client is not None else None
        if pacer is not None:
            pacer.acquire()

    def make_client(self) -> ApiClient:
        read, write = self.make_pacers()
        return ApiClient(
            self.base_url,
            platform=self.platform,
            auth=self.make_auth(),
            timeout=self.gs.timeout,
            retry=self.retry_policy(),
            read_pacer=read,
            write_pacer=write,
            error_text=self.error_text,
            error_hint=self.error_hint,
            transport=self._transport(),
        )

    def error_text(self, response: httpx.Response) -> str:
        return error_text(response)

    def error_hint(self, response: httpx.Response, text: str) -> str | None:
        return error_hint(response, text, self.credential_name(), self.gs.host())

    @property
    def api(self) -> GainsightApi:
        if self._api is None:
            self._api = GainsightApi(self.client)
        return self._api

    # -- plan -------------------------------------------------------------------------

    def _needs_users(self, desired: State) -> bool:
        return (
            any(d.get("tf_csm") for d in desired.of(Kind.account).values())
            or any(d.get("assignee") for d in desired.of(Kind.work_item).values())
            or bool(self.gs.cta.owner_email)
        )

    def normalize_desired(self, desired: State) -> State:
        """Reads describe (and GsUsers, playbooks when needed) to know what Gainsight can hold
        now; see :mod:`.normalize`."""
        self._prepared = True
        load_schema(self.api, self.index)
        if self._needs_users(desired):
            load_users(self.api, self.index)
        self._playbook_warnings = []
        mapped = {playbook_of(d) for d in desired.of(Kind.work_item).values()} & set(
            self.gs.playbooks
        )
        if mapped and not self.index.playbook_id:
            self._playbook_warnings = load_playbooks(self.api, self.index)
        return normalize(desired, self.index, self.context.roster, self.gs.playbooks)

    def _reader(self, desired: State) -> Reader:
        return Reader(
            self.api,
            self.index,
            desired,
            match_field=self.gs.match_field,
            roster=self.context.roster,
            key_field=self.gs.cta.key_field,
            create_accounts=self.gs.create_accounts,
        )

    def read(self, scope: Scope) -> State:
        if not self._prepared:  # read on its own (not through the engine): learn the schema
            self.normalize_desired(scope.desired)
        state = self._reader(scope.desired).read(scope)
        state.warnings.extend(self._playbook_warnings)
        if scope.desired.of(Kind.work_item):
            state.warnings.extend(self._load_picklists())
            state.warnings.extend(self._warn_ownerless(scope.desired))
        missing = sorted(
            gs
            for gs in set(self.gs.playbooks.values())
            if self.index.playbook_id
            and gs.strip().lower() not in {n.strip().lower() for n in self.index.playbook_id}
        )
        if missing:
            state.warnings.append(
                "playbook(s) named in `playbooks` not found in Gainsight: "
                + ", ".join(missing)
                + "; their steps become one CTA each"
            )
        return state

    def _load_picklists(self) -> list[str]:
        if self.index.picklist:
            return []
        try:
            body = self.api.picklists()
        except PermanentApiError as exc:
            return [f"cannot read the CTA picklists ({exc}); CTAs are sent with names only"]
        self.index.picklist = flatten_picklists(body)
        cfg = self.gs.cta
        notes = [] if cfg.reason else [self._default_reason(body)]
        wanted = [
            ("CTA_TYPE", cfg.type, "cta.type"),
            ("CTA_STATUS", cfg.status, "cta.status"),
            ("CTA_STATUS", cfg.closed_status, "cta.closed_status"),
            ("CTA_PRIORITY", cfg.priority, "cta.priority"),
            ("CTA_REASON", cfg.reason, "cta.reason"),
        ]
        unknown = [
            f"{setting} {name!r}"
            for cat, name, setting in wanted
            if name and (cat, name.strip().lower()) not in self.index.picklist
        ]
        if unknown:
            notes.append(
                "CTA picklist value(s) not found in Gainsight (Administration > Cockpit "
                "configuration): " + ", ".join(unknown) + "; they are sent by name only"
            )
        return notes

    def _default_reason(self, picklists: Any) -> str:
        """Picks the reason new CTAs get without ``cta.reason`` (the published create sample
        carries one [secondary]) and says which."""
        self.index.default_reason = first_active(picklists, "CTA_REASON")
        if self.index.default_reason is None:
            note = (
                "cta.reason is not set and Gainsight's CTA reason picklist gave no active item: "
                "CTAs are created without a reason, which Gainsight may refuse; set cta.reason"
            )
        else:
            note = (
                f"cta.reason is not set: new CTAs get the reason "
                f"{self.index.default_reason!r}, the first active item of Gainsight's CTA "
                "reason picklist; set cta.reason to choose another"
            )
        log.info("cta: %s", note)
        return note

    def _warn_ownerless(self, desired: State) -> list[str]:
        """CTAs that would go without an owner, named by assignee and account (plan time)."""
        idx = self.index
        items = {
            k: d
            for k, d in desired.of(Kind.work_item).items()
            if str(d.get("account_id")) in idx.gsid_of
            or (self.gs.create_accounts and d.get("account_id") in idx.desired_accounts)
        }
        warning = ownerless_warning(items, idx, self.gs.cta, self.context.roster)
        return [warning] if warning else []

    def include_change(self, change: Change) -> bool:
        """Leave out what the read reported as unmatched (see the warnings)."""
        if change.kind is Kind.account and change.op is Op.create:
            return self.gs.create_accounts or change.key in self.index.gsid_of
        if change.kind is Kind.work_item and change.op is not Op.delete:
            account = str((change.data or {}).get("account_id"))
            return account in self.index.gsid_of or (
                self.gs.create_accounts and account in self.index.desired_accounts
            )
        return True

    def extra_changes(self, desired: State, existing: State, changes: list[Change]) -> list[Change]:
        self._estimate = estimate(changes, len(self.index.cta_id))
        return []

    def build_steps(self, desired: State) -> list[BuildStep]:
        steps: list[BuildStep] = []
        for name, data in sorted(self.index.field_defs.items()):
            found = self.index.schema.get(api_name(name))
            typ = str(data.get("type") or "text")
            if found is None:
                status = StepStatus.missing
            elif compatible(typ, found):
                status = StepStatus.done
            else:
                status = StepStatus.different
            steps.append(bs.field_step(name, data, status, self.index.waiting.get(name, 0), found))
        return steps

    def describe(self, kind: Kind, key: str, data: Data) -> list[str]:
        cta_type = self.gs.cta.type
        if kind is Kind.segment:
            return bs.segment_steps(key, data)
        if kind is Kind.playbook:
            return bs.playbook_steps(
                key, data, cta_type, self.gs.playbooks.get(str(data.get("name")))
            )
        if kind is Kind.rule:
            return bs.rule_steps(key, data, cta_type)
        if kind is Kind.health:
            return bs.health_steps(key, data)
        if kind is Kind.field:
            return bs.field_steps(key, data, self.index.waiting.get(key, 0))
        return super().describe(kind, key, data)

    def plan_meta(self) -> dict[str, Any]:
        self._flush_usage()
        return {
            "base_url": self.gs.host(),
            "auth": "accesskey" if self.gs.access_key is not None else "m2m oauth",
            "match_field": self.gs.match_field,
            "requests": self.client.requests_sent if self._client else 0,
            "estimated_apply_requests": self._estimate,
            "daily_budget_remaining": self.remaining(),
        }

    # -- budget -----------------------------------------------------------------------

    def _flush_usage(self) -> None:
        sent = self._client.requests_sent if self._client is not None else 0
        self.ledger.add(self.gs.host(), sent - self._recorded)
        self._recorded = max(self._recorded, sent)

    def remaining(self) -> int:
        self._flush_usage()
        used = self.ledger.used(self.gs.host())
        return self.gs.daily_budget - self.gs.daily_reserve - used

    def check_budget(self, changes: Sequence[Change], force: bool) -> int:
        """Raise DailyBudgetExceeded when ``changes`` would not fit in today's budget."""
        self._flush_usage()
        needed = estimate(changes, len(self.index.cta_id))
        check(
            needed,
            self.ledger.used(self.gs.host()),
            self.gs.daily_budget,
            self.gs.daily_reserve,
            force=force or not self.gs.enforce_daily_budget,
            target=f"target {self.context.target!r}",
        )
        return needed

    # -- apply ------------------------------------------------------------------------

    def apply(self, changes: Sequence[Change], ctx: ApplyContext) -> Iterator[ChangeResult]:
        if not changes:
            return
        if not self.index.loaded:
            # Applied without a read in this process (a resumed run): ctx.desired has been
            # through normalize_desired already, so only describe, users and the read remain.
            self._reload(ctx.desired)
        self.api.check()  # bad credentials fail here, before any write
        self.check_budget(changes, force=ctx.force)
        accounts = [c for c in changes if c.kind is Kind.account]
        items = [c for c in changes if c.kind is Kind.work_item]
        others = [c for c in changes if c.kind not in (Kind.account, Kind.work_item)]
        try:
            for c in others:
                yield ChangeResult(c, ok=False, error=f"gainsight: cannot write {c.kind.value}s")
            if accounts:
                ctx.step(f"writing {len(accounts)} Company record(s)")
                yield from CompanyWriter(
                    self.api,
                    self.index,
                    match_field=self.gs.match_field,
                    create_accounts=self.gs.create_accounts,
                    roster=self.context.roster,
                ).run(accounts)
            if items:
                ctx.step(f"writing {len(items)} CTA(s)")
                self._load_picklists()
                reader = self._reader(ctx.desired)
                yield from CtaWriter(
                    self.api, self.index, reader, self.gs.cta, self.context.roster
                ).run(items)
        finally:
            self._flush_usage()

    def _reload(self, desired: State) -> None:
        load_schema(self.api, self.index)
        if self._needs_users(desired):
            load_users(self.api, self.index)
        if not self.index.playbook_id and any(
            d.get("gs_playbook") for d in desired.of(Kind.work_item).values()
        ):
            # the playbooks' GSIDs, to send with new CTAs and to name what they read back with
            self._playbook_warnings = load_playbooks(self.api, self.index)
        if not self.index.field_defs:
            self.index.field_defs = inferred_defs(desired)
        from tierform.adapters.gainsight.normalize import usable_fields

        self.index.usable = usable_fields(self.index)
        self._reader(desired).read(Scope.of(desired, [Kind.account, Kind.work_item]))

    def platform_owners(self) -> dict[str, str]:
        """Each read account's ``Csm`` (as the user's e-mail, else name) where the lookup is
        tierform's to keep: accounts whose ``tf_csm`` is a Gainsight user. A pool's companies
        keep whatever Csm another process gave them, which is not their CSM."""
        idx = self.index
        if not idx.read_csm:
            return {}
        load_users(self.api, idx)
        users, roster = idx.users, self.context.roster
        out: dict[str, str] = {}
        for key, csm in idx.read_csm.items():
            gsid = idx.csm_of.get(key)
            if gsid is None or users.resolve(csm, roster) is None:
                continue  # no lookup, or a pool / a CSM who is no user: tf_csm is all there is
            who = users.email_of.get(gsid) or users.name_of.get(gsid)
            if who:
                out[key] = who
        return out

    def close(self) -> None:
        self._flush_usage()
        self._api = None
        super().close()


def inferred_defs(desired: State) -> dict[str, dict[str, object]]:
    """Field types from the values (a resumed apply has no field definitions to hand)."""
    out: dict[str, dict[str, object]] = {}
    for data in desired.of(Kind.account).values():
        for name, value in data.items():
            typ = (
                "bool"
                if isinstance(value, bool)
                else ("number" if isinstance(value, int | float) else "text")
            )
            out.setdefault(name, {"type": typ})
    return out


def _secret(value: str) -> Any:
    from pydantic import SecretStr

    return SecretStr(value)
