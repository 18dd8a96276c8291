"""An in-memory platform and adapter: for engine tests and as the reference adapter."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from tierform.sync.adapter import Adapter, AdapterContext, ApplyContext
from tierform.sync.capabilities import FULL, Capabilities
from tierform.sync.change import Change, ChangeResult, Op
from tierform.sync.settings import AdapterSettings
from tierform.sync.state import Data, Kind, Scope, State


@dataclass
class FakePlatform:
    """The platform's side: stored objects, how often each was created, writes, a crash switch.

    ``crash_after`` raises after that many changes were applied in one apply (a process dying
    mid-run); ``fail_keys`` makes those objects fail individually.
    """

    objects: dict[Kind, dict[str, Data]] = field(default_factory=dict)
    creates: Counter[tuple[Kind, str]] = field(default_factory=Counter)
    writes: int = 0
    crash_after: int | None = None
    fail_keys: set[str] = field(default_factory=set)

    def duplicates(self) -> list[tuple[Kind, str]]:
        return [ref for ref, n in self.creates.items() if n > 1]


class FakeSettings(AdapterSettings):
    platform: str = "fake"


class FakeAdapter(Adapter[FakeSettings]):
    platform: ClassVar[str] = "fake"
    summary: ClassVar[str] = "In-memory platform for tests"
    capabilities: ClassVar[Capabilities] = FULL
    Settings = FakeSettings

    def __init__(
        self, settings: FakeSettings, context: AdapterContext, store: FakePlatform | None = None
    ) -> None:
        super().__init__(settings, context)
        self.store = store if store is not None else FakePlatform()

    def read(self, scope: Scope) -> State:
        state = State()
        for kind in scope.kinds:
            if self.capabilities.can_read(kind):
                for key, data in self.store.objects.get(kind, {}).items():
                    state.put(kind, key, data)
        return state

    def apply(self, changes: Sequence[Change], ctx: ApplyContext) -> Iterator[ChangeResult]:
        done = 0
        for change in changes:
            if self.store.crash_after is not None and done >= self.store.crash_after:
                raise RuntimeError("simulated crash in the middle of an apply")
            if change.key in self.store.fail_keys:
                yield ChangeResult(change, ok=False, error="rejected by the fake platform")
                continue
            bucket = self.store.objects.setdefault(change.kind, {})
            if change.op is Op.delete:
                bucket.pop(change.key, None)
            else:
                if change.op is Op.create:
                    self.store.creates[(change.kind, change.key)] += 1
                bucket[change.key] = dict(change.data or {})
            self.store.writes += 1
            done += 1
            yield ChangeResult(change, ok=True, remote_id=f"fake-{change.key}")


def fake_adapter_class(capabilities: Capabilities, name: str = "fake") -> type[FakeAdapter]:
    """A FakeAdapter subclass with other capabilities (e.g. a platform that cannot create
    segments, or cannot read work items back)."""
    return type(
        f"FakeAdapter_{name}", (FakeAdapter,), {"capabilities": capabilities, "platform": name}
    )
