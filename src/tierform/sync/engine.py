"""The sync engine: plan (read, diff, capability gate, safety) and apply (journaled, resumable).

The public flow is fixed here, not in adapters (octoDNS's template methods)::

    desired = compile_desired(model, book)          # tierform.sync.desired
    plan    = Syncer(adapter, journal).plan(desired)
    report  = syncer.apply(plan, force=..., checksum=...)

:meth:`Syncer.plan` calls the adapter's hooks in this order: ``normalize_desired`` -> ``read`` ->
``normalize_existing`` -> diff -> ``include_change`` -> ``extra_changes`` -> the capability gate
(:func:`~tierform.sync.capabilities.unsupported`) -> ``build_steps``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tierform.errors import ChecksumMismatch, TierformError
from tierform.sync.adapter import Adapter, ApplyContext
from tierform.sync.buildsheet import BuildStep, StepStatus
from tierform.sync.capabilities import Operation, unsupported
from tierform.sync.change import Change, ChangeResult, Op, diff_objects, sort_changes
from tierform.sync.golive import cap_new_work_items
from tierform.sync.journal import Journal
from tierform.sync.plan import Plan
from tierform.sync.safety import SafetyPolicy
from tierform.sync.state import Data, Kind, Scope, State, frozen_gc, paused_gc, payload_hash

log = logging.getLogger(__name__)

# Results are committed to the journal at least this often (and every RECORD_BATCH results):
# a killed run loses at most about a second of results, which the resume re-applies (every write
# is an upsert or is matched by a fresh read), while a commit (a disk sync) per few hundred
# results would slow a file target whose million results all arrive once the file is written.
RECORD_BATCH = 10_000
RECORD_SECONDS = 1.0
_STEP_STATUS = {
    Op.create: StepStatus.missing,
    Op.update: StepStatus.different,
    Op.delete: StepStatus.remove,
}


@dataclass
class ApplyReport:
    run_id: str
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[ChangeResult] = field(default_factory=list)
    resumed_from: str | None = None

    @property
    def ok(self) -> bool:
        return not self.failures


def _first_migration(change: Change) -> str | None:
    """An account update that only records ``tf_migration: none`` where the platform had no
    value: the first sync with a history marks every account that stayed in its tier, once."""
    if change.kind is not Kind.account or change.op is not Op.update or not change.diffs:
        return None
    if all(d.field == "tf_migration" and d.old is None and d.new == "none" for d in change.diffs):
        return "tier migrations are recorded from now on (none: the account kept its tier)"
    return None


def _overrides(adapter: Adapter, method: str) -> bool:
    """Whether ``adapter`` has its own ``method`` (else :class:`Adapter`'s default, whose answer
    is known without a call per change: a first sync plans a million creates)."""
    return getattr(type(adapter), method, None) is not getattr(Adapter, method)


def _mark_transitions(adapter: Adapter, kind: Kind, changes: list[Change]) -> None:
    """Each change's :attr:`~Change.transition`: the adapter's, else a first migration's.
    With the default adapter's (none), only account updates can have one."""
    if _overrides(adapter, "expected_transition"):
        for c in changes:
            c.transition = adapter.expected_transition(c) or _first_migration(c)
    elif kind is Kind.account:
        for c in changes:
            if c.op is Op.update:
                c.transition = _first_migration(c)


class Syncer:
    """Plans and applies one target through its adapter, journaling every applied change."""

    def __init__(
        self,
        adapter: Adapter,
        journal: Journal,
        *,
        target: str | None = None,
        policy: SafetyPolicy | None = None,
        strict: bool | None = None,
    ) -> None:
        self.adapter = adapter
        self.journal = journal
        self.target = target or adapter.context.target
        self.policy = policy or SafetyPolicy.from_settings(adapter.settings.safety)
        self.strict = adapter.settings.strict if strict is None else strict

    # -- plan --------------------------------------------------------------------------

    def read(self, desired: State) -> State:
        """The platform's state of what ``desired`` manages (one read, normalised). A caller
        that needs the platform's state before compiling the final desired state (its last
        tiers and CSMs: the history) reads once here and hands the result to :meth:`plan`."""
        return self._read(self.adapter.normalize_desired(desired))

    def _read(self, normalized: State) -> State:
        a = self.adapter
        readable = [k for k in Kind if a.capabilities.can_read(k)]
        if not readable:
            return State()
        return a.normalize_existing(a.read(Scope.of(normalized, readable)))

    def plan(self, desired: State, existing: State | None = None) -> Plan:
        """``existing``: the state :meth:`read` returned for this model and book (else the
        platform is read now)."""
        desired = self.adapter.normalize_desired(desired)
        if existing is None:
            existing = self._read(desired)  # the collector runs: an HTTP read may leave cycles
        with paused_gc():  # a change per object: a million on a first sync
            return self._plan(desired, existing)

    def _plan(self, desired: State, existing: State) -> Plan:
        a = self.adapter
        caps = a.capabilities
        for kind in Kind:
            if not caps.can_read(kind) and caps.can_write(kind):
                self._journal_state(kind, desired, existing)
        plan = Plan(
            self.target,
            a.platform,
            existing_count=existing.count(),
            existing_by_kind={k.value: len(existing.of(k)) for k in existing.kinds()},
            desired_count=desired.count(),
            warnings=list(existing.warnings),
            desired=desired,
        )
        changes: list[Change] = []
        for kind in Kind:
            if not desired.of(kind) and not existing.of(kind):
                continue
            kind_changes = diff_objects(kind, desired, existing)
            if _overrides(a, "include_change"):
                kind_changes = [c for c in kind_changes if a.include_change(c)]
            _mark_transitions(a, kind, kind_changes)
            changes.extend(self._gate(kind, kind_changes, desired, existing, plan))
        changes.extend(a.extra_changes(desired, existing, changes))
        changes, held = cap_new_work_items(changes, a.settings.max_new_work_items_per_csm)
        if held:
            plan.warnings.append(
                f"{held} new work item(s) held back by max_new_work_items_per_csm "
                f"({a.settings.max_new_work_items_per_csm} per assignee per run): later runs "
                "create them"
            )
        plan.changes = sort_changes(changes)
        plan.build_steps.extend(a.build_steps(desired))
        plan.build_steps.sort(key=BuildStep.sort_key)
        plan.meta.update(a.plan_meta())
        return plan

    def _journal_state(self, kind: Kind, desired: State, existing: State) -> None:
        """For a kind the platform cannot read back, the journal's last successful write per key
        stands in for the read: unchanged payloads are no change, so re-runs never duplicate.
        The remote id that write left goes with it, so a change already says which object it
        is (and the adapter can tell one the platform gave no id)."""
        last, known = self.journal.latest_writes(self.target, kind)
        want = desired.of(kind)
        have = existing.objects.setdefault(kind, {})
        ids = existing.remote_ids.setdefault(kind, {})
        for key, h in last.items():
            data = want.get(key)
            if data is not None and payload_hash([kind.value, key, data]) == h:
                have[key] = data
            else:
                have[key] = {}  # written before; its content now differs (or is unknown)
            rid = known.get(key)
            if rid is not None:
                ids.setdefault(key, rid)

    def _gate(
        self, kind: Kind, changes: list[Change], desired: State, existing: State, plan: Plan
    ) -> list[Change]:
        """Keep what the platform can do; route every other change through ``unsupported``."""
        caps = self.adapter.capabilities
        readable = caps.can_read(kind)
        allowed = tuple(op for op in Op if caps.allows(kind, Operation(op.value)))
        if len(allowed) == len(Op):
            return changes  # the platform does all of them (a first sync: a million creates)
        kept: list[Change] = []
        gap_keys: set[str] = set()
        for change in changes:
            if change.op in allowed:
                kept.append(change)
                continue
            gap_keys.add(change.key)
            status = _STEP_STATUS[change.op] if readable else StepStatus.unverified
            plan.build_steps.append(
                self._step(
                    kind, change.key, change.data or change.existing or {}, status, change.op
                )
            )
        if readable and not caps.allows(kind, Operation.create):
            # Objects only a person can create: the build sheet lists the done ones too.
            for key, data in sorted(desired.of(kind).items()):
                if key not in gap_keys and existing.of(kind).get(key) == data:
                    plan.build_steps.append(self._step(kind, key, data, StepStatus.done, Op.create))
        return kept

    def _step(self, kind: Kind, key: str, data: Data, status: StepStatus, op: Op) -> BuildStep:
        a = self.adapter
        verb = {Op.create: "create", Op.update: "update", Op.delete: "delete"}[op]
        note = a.capabilities.notes.get(kind)
        reason = note or f"the {a.platform} API cannot {verb} {kind.value}s"
        title = str(data.get("name") or data.get("label") or key)
        return unsupported(
            a.platform,
            kind,
            key,
            reason,
            strict=self.strict,
            steps=a.describe(kind, key, data),
            title=f"{kind.value}: {title}",
            status=status,
        )

    # -- apply -------------------------------------------------------------------------

    def apply(
        self,
        plan: Plan,
        *,
        force: bool = False,
        checksum: str | None = None,
        on_result: Callable[[ChangeResult], None] | None = None,
        on_step: Callable[[str], None] | None = None,
        wait: float = 0.0,
    ) -> ApplyReport:
        """Apply ``plan`` under the target's lock (refused while another apply holds it, or
        after waiting up to ``wait`` seconds), resuming an unfinished earlier run."""
        if checksum is not None and checksum != plan.checksum():
            raise ChecksumMismatch(
                f"{plan.target}: the plan changed since it was reviewed (checksum "
                f"{plan.checksum()[:12]}..., expected {checksum[:12]}...): review the new plan"
            )
        if not force:
            self.policy.check(plan)
        run_id = self.journal.new_run_id()
        self.journal.lock(self.target, run_id, wait=wait)
        try:
            with frozen_gc():
                return self._apply_locked(plan, run_id, on_result, on_step, force)
        finally:
            self.journal.unlock(self.target, run_id)

    def _apply_locked(
        self,
        plan: Plan,
        run_id: str,
        on_result: Callable[[ChangeResult], None] | None,
        on_step: Callable[[str], None] | None,
        force: bool,
    ) -> ApplyReport:
        # We hold the lock: any run still marked running died without finishing.
        self.journal.reap(self.target)
        previous = self.journal.unfinished(self.target)
        done = self.journal.applied(previous.run_id) if previous else set()
        self.journal.start(
            self.target,
            plan.platform,
            plan.checksum(),
            previous.run_id if previous else None,
            run_id=run_id,
        )
        report = ApplyReport(
            run_id,
            {op.value: 0 for op in Op} | {"failed": 0, "skipped": 0},
            resumed_from=previous.run_id if previous else None,
        )
        todo: list[Change] = []
        skipped: list[ChangeResult] = []
        if not done:
            todo = list(plan.changes)
        for c in plan.changes if done else ():
            if (c.kind.value, c.key, c.op.value, c.payload_hash) in done:
                skipped.append(ChangeResult(c, ok=True, skipped=True))
            else:
                todo.append(c)
        if skipped:
            log.info(
                "apply: resuming run %s: %d change(s) already applied",
                previous.run_id if previous else "?",
                len(skipped),
            )
            self.journal.record(run_id, self.target, skipped)
            report.counts["skipped"] = len(skipped)
        ctx = ApplyContext(
            run_id, self.journal.remote_ids(self.target), on_step, plan.desired, force=force
        )
        pending: list[ChangeResult] = []
        flushed = time.monotonic()
        try:
            counts = report.counts
            for result in self.adapter.apply(todo, ctx):
                pending.append(result)
                if result.ok and not result.skipped:  # the usual case, counted inline
                    counts[result.change.op._value_] += 1
                else:
                    self._count(report, result)
                if on_result is not None:
                    on_result(result)
                if len(pending) >= RECORD_BATCH or time.monotonic() - flushed >= RECORD_SECONDS:
                    self.journal.record(run_id, self.target, pending)
                    pending = []
                    flushed = time.monotonic()
        except TierformError as exc:
            self.journal.record(run_id, self.target, pending)
            self.journal.finish(run_id, "failed", report.counts, str(exc))
            raise
        except BaseException:
            # Keep what is known to be applied; the run stays resumable.
            self.journal.record(run_id, self.target, pending)
            self.journal.finish(run_id, "interrupted", report.counts, "interrupted")
            raise
        self.journal.record(run_id, self.target, pending)
        status = "completed" if report.ok else "failed"
        self.journal.finish(
            run_id,
            status,
            report.counts,
            None if report.ok else f"{len(report.failures)} change(s) failed",
        )
        return report

    @staticmethod
    def _count(report: ApplyReport, result: ChangeResult) -> None:
        if result.skipped:
            report.counts["skipped"] += 1
        elif result.ok:
            report.counts[result.change.op.value] += 1
        else:
            report.counts["failed"] += 1
            report.failures.append(result)
