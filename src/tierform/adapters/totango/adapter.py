"""``platform: totango``: coverage fields as account attributes through the HTTP gateway, read
back through the Search API; work items as tasks and manual SuccessPlay runs; a build sheet for
everything Totango's API cannot create.

What Totango's public API allows: account attribute values (HTTP gateway: upsert, always 200,
applied asynchronously), the ``Success Manager`` attribute, tasks (create, update), running an
existing manual and active SuccessPlay, and reads through the Search API (1,000 a page, 10,000 a
query). Attribute definitions (Data Modeler), segments, health profiles, SuccessBLOCs,
SuccessPlays and campaigns are UI-only: build-sheet steps; attributes and segments are verified
through the Search API.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

import httpx

from tierform.adapters.http.adapter import HttpAdapter
from tierform.adapters.http.client import ApiClient
from tierform.adapters.http.concurrency import bounded_map
from tierform.adapters.totango import buildsheet as bs
from tierform.adapters.totango.auth import AppTokenAuth
from tierform.adapters.totango.client import TotangoApi, error_hint, error_kind, error_text
from tierform.adapters.totango.gateway import AccountWriter
from tierform.adapters.totango.mapping import SM_KEY
from tierform.adapters.totango.people import People, load
from tierform.adapters.totango.plays import RUN_PREFIX, PlayRunner, plan_runs
from tierform.adapters.totango.reader import Index, Reader, accepted
from tierform.adapters.totango.settings import TotangoSettings
from tierform.adapters.totango.tasks import (
    TaskWriter,
    by_hand,
    one_task,
    task_data,
    unaddressable,
)
from tierform.adapters.totango.verify import Verifier
from tierform.errors import PermanentApiError
from tierform.sync.adapter import AdapterContext, ApplyContext
from tierform.sync.buildsheet import BuildStep
from tierform.sync.capabilities import Capabilities
from tierform.sync.change import Change, ChangeResult, Op
from tierform.sync.settings import AdapterSettings
from tierform.sync.state import Data, Kind, Scope, State

log = logging.getLogger(__name__)

DOCUMENTED_LIMIT = 100.0  # REST requests/minute per token [RATE]

CAPABILITIES = Capabilities.build(
    notes={
        Kind.field: "Totango's API cannot create account attributes (Settings > Data "
        "Modeler); tierform verifies each through the Search API",
        Kind.segment: "Totango's API cannot create segments; tierform verifies each by running "
        "its filter through the Search API (done = it returns exactly the model's accounts; "
        "the segment object itself cannot be read)",
        Kind.playbook: "Totango's API cannot create SuccessBLOCs or SuccessPlays; it can only "
        "run an existing manual one (successplays setting)",
        Kind.rule: "Totango's API cannot create SuccessPlay triggers or campaigns",
        Kind.health: "Totango's API cannot configure health profiles (Settings > Health)",
        Kind.account: "coverage fields are account attributes written through the HTTP "
        "gateway and read back before they count; the CSM is the Success Manager attribute; "
        "delete removes tierform's attributes only",
        Kind.work_item: "tasks (/api/v3/tasks) and manual SuccessPlay runs; no list API, so "
        "the journal keeps their ids and re-runs update instead of duplicating",
    },
    field="r",
    segment="r",
    account="rcud",
    work_item="cud",
)


class TotangoAdapter(HttpAdapter[TotangoSettings]):
    platform: ClassVar[str] = "totango"
    summary: ClassVar[str] = (
        "Totango: account attributes, Success Manager, tasks, SuccessPlay runs; build sheet"
    )
    capabilities: ClassVar[Capabilities] = CAPABILITIES
    Settings: ClassVar[type[AdapterSettings]] = TotangoSettings
    default_base_url: ClassVar[str] = ""
    # 95 % of the documented limit: our clock and Totango's window never line up exactly.
    rate_limit: ClassVar[float | None] = DOCUMENTED_LIMIT * 0.95

    def __init__(self, settings: TotangoSettings, context: AdapterContext) -> None:
        super().__init__(settings, context)
        self._api: TotangoApi | None = None
        self._gateway: ApiClient | None = None
        self._people: People | None = None
        self._flow: tuple[str | None] | None = None
        self._notes: list[str] = []
        self._by_hand: list[BuildStep] = []  # changes to tasks Totango gave no id (a plan's)
        self.index = Index()

    @property
    def ts(self) -> TotangoSettings:
        return self.settings

    @property
    def base_url(self) -> str:
        return self.ts.rest_url() + "/"

    def make_auth(self) -> httpx.Auth:
        return AppTokenAuth(self.ts.app_token.resolve(f"target {self.context.target!r} app_token"))

    def error_text(self, response: httpx.Response) -> str:
        return error_text(response)

    def error_hint(self, response: httpx.Response, text: str) -> str | None:
        return error_hint(response, self.ts.app_token.env, self.ts.rest_url())

    def error_kind(self, response: httpx.Response, text: str) -> str | None:
        return error_kind(response)

    @property
    def api(self) -> TotangoApi:
        if self._api is None:
            url = self.ts.gateway_url()
            # The gateway is not rate-limited [RATE]: no pacer, only bounded concurrency.
            self._gateway = ApiClient(
                url,
                platform=self.platform,
                timeout=self.ts.timeout,
                retry=self.retry_policy(),
                transport=self.context.http_overrides.get("transport"),
            )
            self._api = TotangoApi(self.client, self._gateway, url)
        return self._api

    def _clock(self) -> Callable[[], float]:
        clock = self.context.http_overrides.get("clock")
        return clock if callable(clock) else time.monotonic

    def _sleep(self) -> Callable[[float], None]:
        sleep = self.context.http_overrides.get("sleep")
        return sleep if callable(sleep) else time.sleep

    # -- people -----------------------------------------------------------------------

    def people(self) -> People:
        if self._people is None:
            self._people = load(self.api)
        return self._people

    def email_of(self, name: str) -> str | None:
        return self.context.roster.get(name)

    def assignee(self, name: str | None) -> str | None:
        """A work item's assignee as Totango takes it: an e-mail (roster's, else the user's)."""
        if not name:
            return None
        user = self.people().find(name, self.email_of(name))
        return user.login if user is not None else self.email_of(name)

    # -- plan -------------------------------------------------------------------------

    def normalize_desired(self, desired: State) -> State:
        """Adds ``success_manager`` where ``tf_csm`` names a Totango user, and SuccessPlay run
        items for playbooks named in ``successplays`` (in place of their step tasks)."""
        self._notes = []
        self._by_hand = []
        accounts = desired.of(Kind.account)
        csms = {str(d["tf_csm"]) for d in accounts.values() if d.get("tf_csm")}
        out = State(
            {k: dict(v) for k, v in desired.objects.items()},
            {k: dict(v) for k, v in desired.labels.items()},
            {k: dict(v) for k, v in desired.remote_ids.items()},
            list(desired.warnings),
        )
        if csms:
            self._success_managers(out, csms)
        runs = plan_runs(desired, self.ts.successplays)
        self._notes.extend(runs.warnings)
        items = out.objects.get(Kind.work_item, {})
        for key in runs.replaced:
            items.pop(key, None)
        for key, data in runs.items.items():
            out.put(Kind.work_item, key, data, label=f"{data['title']} ({data['account_id']})")
        return out

    def _success_managers(self, out: State, csms: set[str]) -> None:
        people = self.people()
        if people.unlistable:
            self._unchecked_managers(out, people)
            return
        if not people.listed:
            self._notes.append(
                f"CSM: Totango's users could not be listed ({people.problem}), so the Success "
                "Manager attribute is not written (tf_csm still is)"
            )
            return
        full: dict[str, str] = {}
        for name in csms:
            user = people.find(name, self.email_of(name))
            if user is not None:
                full[name] = user.full_name
        unknown: dict[str, int] = {}
        accounts = out.objects.get(Kind.account, {})
        for key, data in accounts.items():
            csm = data.get("tf_csm")
            if not csm:
                continue
            if str(csm) in full:
                accounts[key] = {**data, SM_KEY: full[str(csm)]}  # a copy: never the input's
            else:
                unknown[str(csm)] = unknown.get(str(csm), 0) + 1
        if unknown:
            self._notes.append(
                "CSM: tf_csm value(s) that match no Totango user (by roster e-mail, else full "
                "name): "
                + ", ".join(f"{n} ({c} account(s))" for n, c in sorted(unknown.items()))
                + "; Success Manager is left as it is on those accounts (the gateway would "
                "accept any name silently): add them as Totango users or fix the roster e-mail"
            )

    def _unchecked_managers(self, out: State, people: People) -> None:
        """Users cannot be listed here: the roster's full name ("First Last", the form Success
        Manager holds [SYSATTR]) is written as it is, and the plan says it was not checked."""
        accounts = out.objects.get(Kind.account, {})
        written: set[str] = set()
        for key, data in accounts.items():
            csm = data.get("tf_csm")
            if csm and str(csm) in self.context.roster:
                accounts[key] = {**data, SM_KEY: str(csm)}  # a copy: never the input's
                written.add(str(csm))
        if written:
            self._notes.append(
                f"CSM: Totango's users cannot be listed with this token ({people.problem}), so "
                "Success Manager is set to the roster's full name without checking that a "
                f"Totango user has it: {', '.join(sorted(written))}. Totango takes any text "
                "here; make sure each name is exactly a Totango user's full name"
            )

    def platform_owners(self) -> dict[str, str]:
        """Each read account's Success Manager (as the user's e-mail, else the full name it
        holds) where it is tierform's to keep: accounts whose ``tf_csm`` is a Totango user. A
        pool's accounts keep whatever Success Manager they had, which is not their CSM."""
        idx = self.index
        if not idx.csm_of:
            return {}
        people = self.people()
        out: dict[str, str] = {}
        for key, csm in idx.csm_of.items():
            if people.find(csm, self.email_of(csm)) is None:
                continue  # a pool, or a CSM who is no user: tf_csm is all there is
            manager = idx.manager_of[key]
            user = people.find(manager, None)
            out[key] = user.login if user is not None and "@" in user.login else manager
        return out

    def read_known(self, kind: Kind, remote_ids: Mapping[str, str]) -> State:
        """Tasks tierform created, one ``GET /api/v3/tasks?id=`` each (there is no task list):
        the open ones, as written. A task deleted in Totango (404 / empty reply) or closed is
        left out; SuccessPlay runs have no task to read."""
        state = State()
        if kind is not Kind.work_item:
            return state
        ids = sorted((k, rid) for k, rid in remote_ids.items() if not k.startswith(RUN_PREFIX))
        names = {str(e).lower(): n for n, e in self.context.roster.items() if e}

        def fetch(item: tuple[str, str]) -> Any:
            try:
                return self.api.task(item[1])
            except PermanentApiError as exc:
                if exc.status in (400, 404):
                    return None  # gone: deleted in Totango
                raise

        for outcome in bounded_map(fetch, ids, self.ts.max_in_flight):
            if outcome.error is not None:
                raise outcome.error
            key, rid = outcome.item
            task = one_task(outcome.result)
            data = task_data(key, task, names) if task is not None else None
            if data is not None:
                label = f"{data.get('title')} ({data.get('account_id')})"
                state.put(Kind.work_item, key, data, label=label, remote_id=rid)
        return state

    def read(self, scope: Scope) -> State:
        reader = Reader(
            self.api,
            scope.desired,
            id_term=self.ts.id_term,
            in_flight=self.ts.max_in_flight,
            people=self._people or People(),
        )
        state = reader.read(scope)
        self.index = reader.index
        state.warnings.extend(self._notes)
        undefined = sorted(n for n in reader.field_names(scope) if n not in self.index.defined)
        if undefined and self.index.strict:
            state.warnings.append(
                "attributes: not defined in Totango yet (Data Modeler), so the gateway drops "
                f"their values and those writes are reported as failed: {', '.join(undefined)}"
            )
        return state

    def include_change(self, change: Change) -> bool:
        """Leave out what the read reported as unmatched (see the warnings), and changes to
        tasks Totango gave no id, which become build steps (:meth:`build_steps`)."""
        if unaddressable(change) and not change.key.startswith(RUN_PREFIX):
            self._by_hand.append(by_hand(change))
            return False
        if not self.index.loaded:
            return True
        if change.kind is Kind.account and change.op is not Op.delete:
            return change.key in self.index.found
        if change.kind is Kind.work_item and change.op is not Op.delete:
            return str((change.data or {}).get("account_id")) in self.index.found
        return True

    def build_steps(self, desired: State) -> list[BuildStep]:
        return list(self._by_hand)

    def describe(self, kind: Kind, key: str, data: Data) -> list[str]:
        if kind is Kind.segment:
            return bs.segment_steps(key, data)
        if kind is Kind.field:
            return bs.field_steps(key, data)
        if kind is Kind.playbook:
            return bs.playbook_steps(key, data, self.ts.successplays.get(str(data.get("name"))))
        if kind is Kind.rule:
            return bs.rule_steps(key, data)
        if kind is Kind.health:
            return bs.health_steps(key, data)
        return super().describe(kind, key, data)

    def plan_meta(self) -> dict[str, Any]:
        return {
            "rest_url": self.ts.rest_url(),
            "gateway": self.ts.gateway_url(),
            "read": self.index.read_note,
            "requests": self.client.requests_sent if self._client else 0,
        }

    # -- apply ------------------------------------------------------------------------

    def flow(self) -> str | None:
        """The Flow (activity_type_id) tasks are filed under: the setting, else the first
        Flow Totango lists; None when it lists none (the create then says what to set)."""
        if self.ts.task_flow:
            return self.ts.task_flow
        if self._flow is None:
            try:
                flows = self.api.flows()
            except PermanentApiError:
                flows = []
            first = flows[0] if flows else None
            if first is not None:
                log.info("totango: tasks are filed under the Flow %s (%s)", first.name, first.id)
            self._flow = (first.id if first else None,)
        return self._flow[0]

    def apply(self, changes: Sequence[Change], ctx: ApplyContext) -> Iterator[ChangeResult]:
        if not changes:
            return
        if not self.index.loaded:
            # Applied without a read in this process: find the accounts writes may go to.
            self.read(Scope.of(ctx.desired, [Kind.account]))
        self.api.check()  # a bad token fails here, before any gateway write
        accounts = [c for c in changes if c.kind is Kind.account]
        items = [c for c in changes if c.kind is Kind.work_item]
        other = [c for c in changes if c.kind not in (Kind.account, Kind.work_item)]
        for change in other:
            yield ChangeResult(
                change, ok=False, error=f"totango: cannot write {change.kind.value} objects"
            )
        writer = self._account_writer() if accounts else None
        if writer is not None:
            ctx.step(f"writing {len(accounts)} account(s) through the HTTP gateway")
            yield from writer.send(accounts)
        if items:
            # The gateway applies its writes some seconds later: the tasks (a hundred a
            # minute) are written meanwhile, and the accounts read back after them.
            ctx.step(f"writing {len(items)} task(s) and SuccessPlay run(s)")
            try:
                yield from self._items(items)
            except Exception:
                # The run stops here. The accounts sent are read back first, so that the
                # journal holds them and a resumed run does not send them again.
                if writer is not None:
                    yield from _confirmed_if_readable(writer)
                raise
        if writer is not None and writer.sent:
            ctx.step(f"reading back {len(writer.sent)} account write(s) (Search API)")
            yield from writer.confirm()

    def _account_writer(self) -> AccountWriter:
        idx = self.index
        assert idx.partitioner is not None

        def readable(name: str) -> bool:
            return name == SM_KEY or not idx.strict or name in idx.defined

        def probe(names: list[str]) -> None:
            idx.defined |= accepted(self.api, names)

        verifier = Verifier(
            idx.partitioner,
            numeric=idx.numeric,
            readable=readable,
            wait=self.ts.verify_wait,
            clock=self._clock(),
            sleep=self._sleep(),
            probe=probe if idx.strict else None,
        )
        return AccountWriter(
            self.api, self.ts.service_id, idx.found, verifier, self.ts.gateway_in_flight
        )

    def _items(self, items: list[Change]) -> Iterator[ChangeResult]:
        tasks = TaskWriter(self.api, self.assignee, self.flow)
        plays = PlayRunner(self.api)

        def one(change: Change) -> ChangeResult:
            if change.key.startswith(RUN_PREFIX):
                return plays.write(change)
            return tasks.write(change)

        for outcome in bounded_map(one, items, self.ts.max_in_flight):
            if outcome.error is not None:
                raise outcome.error
            assert outcome.result is not None
            yield outcome.result

    def close(self) -> None:
        if self._gateway is not None:
            self._gateway.close()
            self._gateway = None
        self._api = None
        super().close()


def _confirmed_if_readable(writer: AccountWriter) -> Iterator[ChangeResult]:
    """What :meth:`AccountWriter.confirm` reports, as far as the Search API answers: a run
    stopping on another error is not made to stop on this one instead."""
    count = len(writer.sent)  # confirm() takes them
    try:
        yield from writer.confirm()
    except Exception as exc:  # the error being raised already says what went wrong
        # Shown (a warning): what became of the accounts sent is not known until a plan
        # reads them again.
        log.warning(
            "totango: the %d account write(s) sent before the run stopped could not be read "
            "back (%s); the next plan reads the accounts again and lists any that did not land",
            count,
            exc,
        )
