"""What tierform manages on a platform, read as it is: the source of export, compare and migrate.

A snapshot is one full read of a target (octoDNS's dump): every account carrying tierform's
fields with their values as people left them, the platform's own CSM where it keeps one apart
from ``tf_csm`` (Vitally's CSM, ChurnZero's Account Owner...), the live work items (fetched by
the journal's ids where the platform cannot list them) and the field definitions it can show.
The read needs no account book: the model alone says which fields to look for.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tierform.core.design import Specs
from tierform.core.history import History, history_of_columns
from tierform.core.model import CoverageModel
from tierform.sync.adapter import Adapter
from tierform.sync.desired import model_objects
from tierform.sync.state import Data, Kind, Scope, State


@dataclass
class Snapshot:
    target: str
    platform: str
    state: State
    owners: dict[str, str] = field(default_factory=dict)

    @property
    def accounts(self) -> dict[str, Data]:
        return self.state.of(Kind.account)

    def csm(self, key: str) -> str | None:
        """The account's CSM as the platform has it: its own owner field when it keeps one
        (a reassignment in the UI lands there), else ``tf_csm``."""
        return _own_first(self.owners.get(key), _text(self.accounts.get(key, {}).get("tf_csm")))

    def history(self, model: CoverageModel) -> History:
        """The platform's last ``tf_tier`` and its CSM (:meth:`csm`) per account: the state
        a sync, ``--from-target`` or a report starts from."""
        accounts, owners = self.accounts, self.owners
        csms: Iterable[str | None] = list(map(_CSM, accounts.values()))
        if not set(map(type, csms)) <= _TEXTS:
            csms = map(_text, csms)
        if owners:  # the platform's own owner field first, as :meth:`csm` reads it
            csms = map(_own_first, map(owners.get, accounts.keys()), csms)
        tiers = list(map(_TIER, accounts.values()))
        source = f"target {self.target!r}"
        return history_of_columns(list(accounts), tiers, list(csms), model, source, unique=True)

    def open_work_items(self) -> dict[str, Data]:
        """Work items the platform still has open: adapters read back only live items (a
        closed or deleted task is not tierform's any more), so this is every one read."""
        return self.state.of(Kind.work_item)


_TIER = operator.methodcaller("get", "tf_tier")
_CSM = operator.methodcaller("get", "tf_csm")
_TEXTS = {str, type(None)}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _own_first(own: str | None, tf_csm: str | None) -> str | None:
    return own or tf_csm


def model_state(model: CoverageModel) -> State:
    """Field definitions and configuration objects from the model alone (no book): what a read
    needs to recognise tierform's fields, and a migration target's build sheet."""
    specs = Specs.of(model)
    health = specs.health
    bands = [b.name for b in health.bands or []]
    dims = sorted(
        set(health.weights or {}) | {s.dimension for s in (health.signals or {}).values()}
    )
    scored = model.segmentation.method == "multi_factor"
    return model_objects(model, specs, bands, dims, scored)


def read_snapshot(
    adapter: Adapter[Any],
    model: CoverageModel,
    remote_ids: Mapping[tuple[Kind, str], str] | None = None,
) -> Snapshot:
    """One full read of everything tierform manages on the adapter's platform.

    ``remote_ids``: the journal's ids of what tierform wrote to this target
    (:meth:`Journal.remote_ids`); objects of a kind the platform cannot list are fetched by
    them (:meth:`Adapter.read_known`), so a platform without a task list still gives its open
    tasks."""
    desired = adapter.normalize_desired(model_state(model))
    readable = [k for k in Kind if adapter.capabilities.can_read(k)]
    state = adapter.normalize_existing(adapter.read(Scope.of(desired, readable)))
    unlisted: dict[Kind, dict[str, str]] = {}
    for (kind, key), rid in (remote_ids or {}).items():
        if kind not in readable:
            unlisted.setdefault(kind, {})[key] = rid
    for kind, ids in unlisted.items():
        known = adapter.read_known(kind, ids)
        for key, data in known.of(kind).items():
            state.put(
                kind,
                key,
                data,
                label=known.labels.get(kind, {}).get(key),
                remote_id=known.remote_ids.get(kind, {}).get(key),
            )
    return Snapshot(
        adapter.context.target, adapter.platform, state, dict(adapter.platform_owners())
    )
