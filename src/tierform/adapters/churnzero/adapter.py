"""``platform: churnzero``: coverage fields as account custom attributes (push API), the owner
as ``OwnerUserAccount``, work items as events, every write read back through REST, and a build
sheet for what only ChurnZero's UI can create.

What ChurnZero's public APIs allow: the push API (``/i``) sets account attributes (a new name
creates the custom field) and tracks events, answering 200 to everything and dropping silently
what it cannot process [C]; the REST API (``/public/v1``, OData) only reads [C]. Tasks, segments,
Plays, ChurnScores and Journeys are UI-only, so they are build-sheet steps; segments are read back
by name, custom fields by the values accounts carry.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar

import httpx

from tierform.adapters.churnzero import buildsheet as bs
from tierform.adapters.churnzero.auth import PushKey, RestAuth
from tierform.adapters.churnzero.client import ChurnZeroApi, error_hint, error_kind, error_text
from tierform.adapters.churnzero.ledger import STAMP, Ledger
from tierform.adapters.churnzero.mapping import OWNER, event_name
from tierform.adapters.churnzero.reader import Index, Reader
from tierform.adapters.churnzero.settings import ChurnZeroSettings
from tierform.adapters.churnzero.users import UNREADABLE, Users
from tierform.adapters.churnzero.verify import Verifier
from tierform.adapters.churnzero.writer import Writer
from tierform.adapters.http.adapter import HttpAdapter
from tierform.adapters.http.client import ApiClient
from tierform.adapters.listing import some
from tierform.sync.adapter import AdapterContext, ApplyContext
from tierform.sync.buildsheet import BuildStep, StepStatus
from tierform.sync.capabilities import Capabilities
from tierform.sync.change import Change, ChangeResult, Op
from tierform.sync.settings import AdapterSettings
from tierform.sync.state import Data, Kind, Scope, State

# REST: "two thresholds are tracked per minute" [C]; their values, 100/min at normal speed and
# 429 past 200/min, come from a secondary compilation [I]. tierform paces to 95 % of the lower
# one, so no request is ever slowed or refused. The push API publishes no limit [S].
DOCUMENTED_LIMIT = 100.0
HARD_LIMIT = 200.0

CAPABILITIES = Capabilities.build(
    notes={
        Kind.field: "ChurnZero creates a custom field for each new attribute name tierform "
        "sends; only its UI types it (Admin > Custom Fields), checked from the values read back",
        Kind.segment: "ChurnZero's API cannot create segments (Segments > New Segment); the "
        "REST API lists them, so each is checked by name",
        Kind.playbook: "ChurnZero's API cannot create Plays (Admin > Plays)",
        Kind.rule: "ChurnZero's API cannot create automation; rules are built as Plays "
        "(Admin > Plays)",
        Kind.health: "ChurnZero's API cannot configure a ChurnScore (Admin > ChurnScore)",
        Kind.account: "coverage fields are account custom attributes (push API setAttribute), "
        "the CSM the Account Owner (OwnerUserAccount); every write is read back through REST; "
        "delete clears tierform's fields only",
        Kind.work_item: "no task API: due work items are sent as events (trackEvent), which "
        "the build sheet's Plays turn into tasks; events cannot be changed or removed",
    },
    field="r",
    segment="r",
    account="rcud",
    work_item="rc",
)


class ChurnZeroAdapter(HttpAdapter[ChurnZeroSettings]):
    platform: ClassVar[str] = "churnzero"
    summary: ClassVar[str] = (
        "ChurnZero: account attributes and owner, events for work items (read back); build "
        "sheet for the rest"
    )
    capabilities: ClassVar[Capabilities] = CAPABILITIES
    Settings: ClassVar[type[AdapterSettings]] = ChurnZeroSettings
    default_base_url: ClassVar[str] = ""
    rate_limit: ClassVar[float | None] = DOCUMENTED_LIMIT * 0.95

    def __init__(self, settings: ChurnZeroSettings, context: AdapterContext) -> None:
        super().__init__(settings, context)
        self._api: ChurnZeroApi | None = None
        self._push: ApiClient | None = None
        self.index = Index()
        self._owner_warnings: list[str] = []

    @property
    def cz(self) -> ChurnZeroSettings:
        return self.settings

    @property
    def base_url(self) -> str:
        return self.cz.rest_url() + "/"

    def make_auth(self) -> httpx.Auth:
        key = self.cz.rest_key.resolve(f"target {self.context.target!r} rest_key")
        return RestAuth(self.cz.rest_user, key)

    def error_text(self, response: httpx.Response) -> str:
        return error_text(response)

    def error_hint(self, response: httpx.Response, text: str) -> str | None:
        return error_hint(
            response,
            rest_env=self.cz.rest_key.env,
            app_env=self.cz.app_key.env,
            rest_user=self.cz.rest_user,
            rest_url=self.cz.rest_url(),
        )

    def error_kind(self, response: httpx.Response, text: str) -> str | None:
        return error_kind(response)

    @property
    def api(self) -> ChurnZeroApi:
        if self._api is None:
            rest = self.client
            key = PushKey(self.cz.app_key.resolve(f"target {self.context.target!r} app_key"))
            # No pacer: the push API publishes no limit [S]; max_in_flight bounds it instead.
            self._push = ApiClient(
                self.cz.push_endpoint(),
                platform=self.platform,
                auth=key,
                timeout=self.cz.timeout,
                retry=self.retry_policy(),
                error_text=self.error_text,
                error_hint=self.error_hint,
                transport=self.context.http_overrides.get("transport"),
            )
            self._api = ChurnZeroApi(
                rest, self.cz.rest_url(), self._push, key, self.cz.push_endpoint()
            )
        return self._api

    def _sleep(self) -> Callable[[float], None]:
        sleep = self.context.http_overrides.get("sleep")
        return sleep if callable(sleep) else time.sleep

    def _now(self) -> str:
        """Now as an eventDate: the injected clock when it tells epoch time, else the wall's."""
        clock = self.context.http_overrides.get("clock")
        seconds = clock() if callable(clock) else time.time()
        if not isinstance(seconds, int | float) or seconds < 1e9:
            seconds = time.time()
        when = dt.datetime.fromtimestamp(int(seconds), tz=dt.UTC)
        return when.strftime(STAMP)

    @property
    def key_help(self) -> str:
        return (
            f"Check {self.cz.app_key.env}: it must hold an application key from Admin > "
            "Application Keys of this ChurnZero tenant (not the REST API key in "
            f"{self.cz.rest_key.env}), and base_url/push_url must be this tenant's app host; "
            "a wrong key is accepted with 200 and its writes are dropped"
        )

    # -- plan -------------------------------------------------------------------------

    def normalize_desired(self, desired: State) -> State:
        """Adds the Account Owner (``OwnerUserAccount`` = a user's UserName) to every account
        whose ``tf_csm`` is a ChurnZero user, matched by the roster's e-mail, else by name."""
        accounts = desired.of(Kind.account)
        csms = sorted({str(d["tf_csm"]) for d in accounts.values() if d.get("tf_csm")})
        self._owner_warnings = []
        if not csms:
            return desired
        if not self.index.users.loaded:
            self.index.users = Users.of(self.api.users())
        if not self.index.users.readable:
            return desired  # no user to match: the owner stays unmanaged (read() says why)
        roster = self.context.roster
        owner = {c: self.index.users.resolve(c, roster) for c in csms}
        out = State(
            {k: dict(v) for k, v in desired.objects.items()},
            {k: dict(v) for k, v in desired.labels.items()},
            {k: dict(v) for k, v in desired.remote_ids.items()},
            list(desired.warnings),
        )
        copies = {k: dict(v) for k, v in accounts.items()}  # never mutate the input
        for data in copies.values():
            user = owner.get(str(data.get("tf_csm") or ""))
            if user:
                data[OWNER] = user
        out.objects[Kind.account] = copies
        unknown = [c for c in csms if owner[c] is None]
        people = [c for c in unknown if not roster or c in roster]
        pools = [c for c in unknown if roster and c not in roster]
        if people:
            count = {c: sum(d.get("tf_csm") == c for d in accounts.values()) for c in people}
            self._owner_warnings.append(
                "unknown CSM: "
                + ", ".join(f"{c} ({count[c]} account(s))" for c in people)
                + " matches no ChurnZero user by e-mail or name (REST UserAccount); those "
                "accounts keep their Account Owner and get tf_csm only: add the user in "
                "ChurnZero, or the CSM's e-mail to the roster"
            )
        if pools:
            self._owner_warnings.append(
                f"pools are not ChurnZero users: {some(pools)} stay in tf_csm and the "
                "Account Owner is left as it is"
            )
        return out

    def read(self, scope: Scope) -> State:
        state = Reader(self.api, scope.desired, self.index).read(scope)
        state.warnings.extend(self._owner_warnings)
        if not self.index.users.readable:
            state.warnings.append(UNREADABLE)
        return state

    def platform_owners(self) -> dict[str, str]:
        """Each read account's Account Owner (as the user's e-mail, else UserName) where the
        owner is tierform's to keep: accounts whose ``tf_csm`` is a ChurnZero user. A pool's
        accounts keep whatever owner the CRM gave them, which is not their CSM."""
        idx = self.index
        if not idx.csm_of:
            return {}
        if not idx.users.loaded:
            idx.users = Users.of(self.api.users())
        roster = self.context.roster
        out: dict[str, str] = {}
        for key, csm in idx.csm_of.items():
            if idx.users.resolve(csm, roster) is None:
                continue  # a pool, or a CSM who is no user: tf_csm is all there is
            owner = idx.users.owner(idx.owner_refs.get(key, {}))
            if owner:
                out[key] = idx.users.contact(owner)
        return out

    def include_change(self, change: Change) -> bool:
        """Leave out what the read reported as unmatched (never silently: see the warnings)."""
        if change.kind is Kind.account and change.op is Op.create:
            return self.cz.create_accounts or self.index.known(change.key)
        if change.kind is Kind.work_item and change.op is Op.create:
            account = str((change.data or {}).get("account_id"))
            return self.index.known(account) or (
                self.cz.create_accounts and account in self.index.desired_accounts
            )
        return True

    def build_steps(self, desired: State) -> list[BuildStep]:
        """One Play per rule or playbook whose due work items arrive as events."""
        sources: dict[str, str] = {}
        for key, data in desired.of(Kind.work_item).items():
            sources[event_name(data, key)] = str(data.get("source") or data.get("title") or key)
        return [
            BuildStep(
                Kind.playbook,
                "tierform-event-" + event.removeprefix("tf: ").replace(":", "-").replace(" ", "-"),
                f"Play: tierform events '{event}'",
                "ChurnZero has no task API: tierform sends due work items as events, and this "
                "Play turns each into a task for the account owner (Plays cannot be read back)",
                bs.event_play_steps(event, source),
                StepStatus.unverified,
            )
            for event, source in sorted(sources.items())
        ]

    def describe(self, kind: Kind, key: str, data: Data) -> list[str]:
        if kind is Kind.segment:
            return bs.segment_steps(key, data)
        if kind is Kind.field:
            return bs.field_steps(key, data)
        if kind is Kind.playbook:
            return bs.playbook_steps(key, data)
        if kind is Kind.rule:
            return bs.rule_steps(key, data)
        if kind is Kind.health:
            return bs.health_steps(key, data)
        return super().describe(kind, key, data)

    def plan_meta(self) -> dict[str, Any]:
        return {
            "base_url": self.cz.app_root(),
            "writes": "push API (setAttribute, trackEvent), each read back through REST",
            "rest_pace_per_minute": self.http_settings.rate_limit_per_minute or self.rate_limit,
            "requests": self.client.requests_sent if self._client else 0,
        }

    # -- apply ------------------------------------------------------------------------

    def apply(self, changes: Sequence[Change], ctx: ApplyContext) -> Iterator[ChangeResult]:
        if not changes:
            return
        if not self.index.loaded:
            # Applied without a read in this process: match accounts first (ctx.desired has
            # been through normalize_desired already).
            self.read(Scope.of(ctx.desired, [Kind.account]))
        verifier = Verifier(
            self.api,
            self.index,
            sleep=self._sleep(),
            delay=self.cz.verify_delay,
            attempts=self.cz.verify_attempts,
            in_flight=self.cz.max_in_flight,
        )
        state_dir = self.context.state_dir
        ledger = Ledger(
            state_dir / f"churnzero-{self.context.target}-events.json" if state_dir else None
        )
        writer = Writer(
            self.api,
            self.index,
            verifier,
            ledger,
            create_accounts=self.cz.create_accounts,
            batch=self.cz.push_batch,
            in_flight=self.cz.max_in_flight,
            contact=self.cz.event_contact,
            now=self._now,
            key_help=self.key_help,
        )
        yield from writer.run(changes)

    def close(self) -> None:
        if self._push is not None:
            self._push.close()
            self._push = None
        self._api = None
        super().close()
