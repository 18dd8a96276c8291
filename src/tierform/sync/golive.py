"""Go-live policy for work items: what a sync may create, so a first sync is not a flood.

The recipe's anti-pattern is "launching all tiers simultaneously". Three levers, all engine-level
so every adapter gets them:

* **no back-fill** -- work items that fell due before go-live (the target's first completed
  sync, from the journal; this run's date when there is none) are not created unless the
  target says ``backfill: true``;
* **rollout** -- the model's ``rollout:`` list names the tiers whose work items are enabled
  (Enterprise first, then Mid-Market, then the digital tiers); coverage data is written for all;
* **a cap per assignee** -- ``max_new_work_items_per_csm`` limits the *new* work items one
  person gets in one run (applied to the plan's creates, earliest due first).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tierform.sync.change import Change, Op
from tierform.sync.state import Kind


@dataclass(frozen=True)
class WorkItemPolicy:
    not_before: dt.date | None = None  # go-live: nothing due before it (None: back-fill)
    rollout: tuple[str, ...] | None = None  # tiers with work items enabled (None: all)

    def keeps(self, due: dt.date | None, tier: str | None) -> bool:
        if self.rollout is not None and tier not in self.rollout:
            return False
        return self.not_before is None or due is None or due >= self.not_before

    def describe(self) -> list[str]:
        out = []
        if self.not_before is not None:
            out.append(
                f"go-live {self.not_before}: work items due before it are not created "
                "(backfill: true on the target creates them)"
            )
        if self.rollout is not None:
            out.append(f"rollout: work items only for tier(s) {', '.join(self.rollout)}")
        return out


def cap_new_work_items(changes: Sequence[Change], cap: int | None) -> tuple[list[Change], int]:
    """At most ``cap`` work-item creates per assignee (earliest due first); (kept, held back)."""
    if cap is None:
        return list(changes), 0
    creates = [c for c in changes if c.kind is Kind.work_item and c.op is Op.create]
    creates.sort(key=lambda c: (str((c.data or {}).get("due") or "9999"), c.key))
    per: dict[Any, int] = {}
    held: set[int] = set()
    for c in creates:
        who = (c.data or {}).get("assignee")
        per[who] = per.get(who, 0) + 1
        if per[who] > cap:
            held.add(id(c))
    return [c for c in changes if id(c) not in held], len(held)
