"""The adapter contract: what a platform adapter implements, and the hooks it may override.

An adapter maps tierform's neutral objects (:mod:`tierform.sync.state`) to a platform and back.
It never decides *what* to change: the engine (:mod:`tierform.sync.engine`) compiles the desired
state, reads, diffs, checks safety and capabilities, and hands the ordered changes to
:meth:`Adapter.apply`. A platform adapter declares ``platform``, ``summary``, ``capabilities``
and ``Settings`` (its pydantic settings model; ``Adapter`` is generic in it) and writes
:meth:`~Adapter.read` and :meth:`~Adapter.apply`. Everything else has a safe default.

The engine calls the hooks in this order, once per plan (octoDNS's provider template):

1. :meth:`~Adapter.normalize_desired` -- may return a *new* desired state (values the platform
   stores differently, objects it adds such as a project per playbook); never mutates its input.
2. :meth:`~Adapter.read` -- gets ``scope.desired`` (the result of 1) to decide *how* to read
   (which accounts to match, which users to resolve); returns what the platform has. It may keep
   what it read for :meth:`~Adapter.apply` (platform ids), nothing it was not given.
3. :meth:`~Adapter.normalize_existing` -- may return a new existing state; never mutates.
4. the diff, then :meth:`~Adapter.include_change` per change -- may drop a change (never alter
   it), and only for a reason the read reported as a warning.
5. :meth:`~Adapter.extra_changes` -- changes beyond the diff; 6. the capability gate;
   7. :meth:`~Adapter.build_steps` and :meth:`~Adapter.describe` -- the build sheet;
   8. :meth:`~Adapter.plan_meta`.

:meth:`~Adapter.apply` may run in a process that did not plan (a resumed run): it then reads
what it needs from ``ctx.desired``, which is the state of step 1. It yields one
:class:`ChangeResult` per change, as soon as the platform has confirmed it.

A snapshot (export, compare, migrate: :mod:`tierform.sync.snapshot`) calls
:meth:`~Adapter.read` after step 1 of a model-only desired state, then
:meth:`~Adapter.read_known` for kinds the platform cannot list, then
:meth:`~Adapter.platform_owners`.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from tierform.sync import buildsheet_text as text
from tierform.sync.buildsheet import BuildStep
from tierform.sync.capabilities import Capabilities
from tierform.sync.change import Change, ChangeResult
from tierform.sync.settings import AdapterSettings
from tierform.sync.state import Data, Kind, Scope, State

log = logging.getLogger(__name__)


@dataclass
class AdapterContext:
    """Where an adapter runs: the target's name, the folder relative paths are resolved against,
    the state folder, and test/runtime overrides for the HTTP layer (retry waits, clocks)."""

    target: str
    base_dir: Path = field(default_factory=Path.cwd)
    state_dir: Path | None = None
    http_overrides: dict[str, Any] = field(default_factory=dict)
    #: The model's roster, CSM name -> e-mail (None when the roster gives none): how an adapter
    #: matches a ``tf_csm`` value to a platform user (by e-mail first, else by name).
    roster: dict[str, str | None] = field(default_factory=dict)

    def path(self, value: str | Path) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.base_dir / p


@dataclass
class ApplyContext:
    """Given to :meth:`Adapter.apply`: the run id, remote ids known from earlier runs (the
    journal), a callback for progress of long sub-steps (e.g. a large file write), and the
    whole desired state the plan was made from (for layout decisions such as column order;
    what to change is only ever the changes passed in)."""

    run_id: str
    remote_ids: dict[tuple[Kind, str], str] = field(default_factory=dict)
    on_step: Callable[[str], None] | None = None
    desired: State = field(default_factory=State)
    #: ``--force`` was given: an adapter's own safety refusal (a request budget) may be lifted.
    force: bool = False

    def step(self, message: str) -> None:
        log.info("apply: %s", message)
        if self.on_step is not None:
            self.on_step(message)


SettingsT = TypeVar("SettingsT", bound=AdapterSettings)


class Adapter(ABC, Generic[SettingsT]):
    """Base class of every platform adapter (see the module docstring for the contract).

    Generic in its settings model: ``class MyAdapter(Adapter[MySettings])`` types
    ``self.settings`` as ``MySettings``; ``Settings`` must name the same class.
    """

    platform: ClassVar[str]
    summary: ClassVar[str] = ""
    capabilities: ClassVar[Capabilities]
    Settings: ClassVar[type[AdapterSettings]] = AdapterSettings

    #: ``read()`` returns everything tierform manages whatever ``scope.keys`` and
    #: ``scope.desired`` say (a workbook is read whole): a caller may then read with an empty
    #: desired state instead of compiling one just for the read.
    reads_whole: ClassVar[bool] = False

    def __init__(self, settings: SettingsT, context: AdapterContext) -> None:
        self.settings = settings
        self.context = context
        self.log = logging.getLogger(f"tierform.adapters.{self.platform}")

    # -- required -------------------------------------------------------------------------

    @abstractmethod
    def read(self, scope: Scope) -> State:
        """Actual state of what tierform owns, for the kinds in ``scope`` that are readable.

        Must return every owned object of those kinds (also ones no longer desired, so they can
        be deleted) and nothing tierform does not own. Values go through
        :meth:`State.put`, which canonicalises them.
        """

    @abstractmethod
    def apply(self, changes: Sequence[Change], ctx: ApplyContext) -> Iterator[ChangeResult]:
        """Perform ``changes`` (already ordered and capability-checked), yielding a result per
        change as soon as it is known. Raise :class:`~tierform.errors.AdapterError` for a failure
        that stops the run (nothing after it is attempted); yield ``ChangeResult(ok=False)`` for
        one object that failed while others can go on. An adapter that writes everything at once
        (a file, one atomic batch) yields all results after the write."""

    # -- hooks with defaults ------------------------------------------------------------

    def normalize_desired(self, desired: State) -> State:
        """Adjust the desired state to what the platform can represent (round numbers it stores
        with less precision, drop fields it has no place for). Default: unchanged."""
        return desired

    def normalize_existing(self, existing: State) -> State:
        """Adjust what :meth:`read` returned before the diff. Default: unchanged."""
        return existing

    def include_change(self, change: Change) -> bool:
        """Drop a false positive (a difference the platform cannot avoid). Default: keep all."""
        return True

    def expected_transition(self, change: Change) -> str | None:
        """Why ``change`` is an expected transition rather than drift (values the platform
        already holds elsewhere moving into tierform's own field), or None. Such changes are
        applied as usual but not counted by the safety thresholds. Default: none are."""
        return None

    def extra_changes(self, desired: State, existing: State, changes: list[Change]) -> list[Change]:
        """Changes beyond the diff (e.g. a marker object). Default: none."""
        return []

    def build_steps(self, desired: State) -> list[BuildStep]:
        """Platform-specific build-sheet steps beyond capability gaps (e.g. "assign the CSM from
        the tf_csm trait"). Default: none. Their status is theirs to set."""
        return []

    def describe(self, kind: Kind, key: str, data: Data) -> list[str]:
        """Numbered-step text for a build-sheet entry, in the platform's vocabulary.
        Default: a neutral description of the object."""
        return default_description(kind, key, data)

    def platform_owners(self) -> dict[str, str]:
        """The platform's own CSM of each account the last :meth:`read` saw, where the platform
        keeps one apart from the ``tf_csm`` field (Vitally's CSM, which its API cannot set):
        account key -> the user's e-mail or name. Export and migration carry it, so a
        reassignment made in the platform's UI is not lost. Default: none (``tf_csm`` *is*
        the platform's owner field, or there is none)."""
        return {}

    def read_known(self, kind: Kind, remote_ids: Mapping[str, str]) -> State:
        """Objects of a kind the platform cannot list (its capabilities cannot read it),
        fetched one by one from the remote ids the journal kept for them (key -> id), in the
        neutral shape :meth:`read` would give. What is gone or closed is left out. Export and
        migration use it so such objects are not lost (Totango's tasks). Default: nothing (the
        platform lists them, or cannot fetch one by id either)."""
        return State()

    def plan_meta(self) -> dict[str, Any]:
        """Extra facts for the plan header (never secrets). Default: none."""
        return {}

    def close(self) -> None:
        """Release connections and files. Default: nothing to release."""
        return None

    def __enter__(self) -> Adapter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def default_description(kind: Kind, key: str, data: Data) -> list[str]:
    """Neutral, exact build steps for a configuration object (see
    :mod:`tierform.sync.buildsheet_text`): filters on tf_ fields, one trigger per tier where
    thresholds differ, the health score's own weights, no reprs."""
    if kind is Kind.segment:
        return text.segment_steps(key, data)
    if kind is Kind.playbook:
        return text.playbook_steps(key, data)
    if kind is Kind.rule:
        return text.rule_steps(key, data)
    if kind is Kind.health:
        return text.health_steps(key, data)
    if kind is Kind.field:
        return [
            f"Create the field `{key}` ({data.get('type', 'text')}), label "
            f"'{data.get('label', key)}'"
        ]
    steps = [f"Create the {kind.value} '{data.get('name', key)}'"]
    summary = data.get("summary")
    if summary:
        steps.append(text.value_text(summary).strip("`"))
    return steps
