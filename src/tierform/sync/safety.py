"""Safety thresholds: refuse, without ``--force``, a plan that rewrites too much of a platform.

As in octoDNS: updates and deletes are each compared with the number of managed objects that
exist; the check applies once at least ``min_existing`` exist (a first sync creates freely).
Expected transitions (:attr:`Change.transition`: values the platform already holds moving into
tierform's own field) are not counted: they rewrite nothing a person would miss.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import compress
from operator import attrgetter, not_

from tierform.errors import TooManyChanges
from tierform.sync.plan import Plan
from tierform.sync.settings import SafetySettings


@dataclass(frozen=True)
class SafetyPolicy:
    max_update_pct: float = 30.0
    max_delete_pct: float = 30.0
    min_existing: int = 10

    @classmethod
    def from_settings(cls, s: SafetySettings) -> SafetyPolicy:
        return cls(s.max_update_pct, s.max_delete_pct, s.min_existing)

    def check(self, plan: Plan) -> None:
        """Raise :class:`TooManyChanges` naming the counts and the way past it.

        Checked per kind of object (a mass rewrite of accounts is not diluted by many
        unchanged definitions) and over the whole plan.
        """
        counted = _counted(plan)
        groups: dict[str, tuple[int, dict[str, int]]] = {}
        for kind, existing in plan.existing_by_kind.items():
            counts = {op: counted[kind, op] for op in ("update", "delete")}
            groups[f"{kind} objects"] = (existing, counts)
        total = {
            op: sum(n for (_, o), n in counted.items() if o == op) for op in ("update", "delete")
        }
        groups["managed objects"] = (plan.existing_count, total)
        for what, (existing, counts) in groups.items():
            if existing < max(self.min_existing, 1):
                continue
            for op, limit in (("update", self.max_update_pct), ("delete", self.max_delete_pct)):
                share = 100 * counts[op] / existing
                if share > limit:
                    raise TooManyChanges(
                        f"{plan.target}: the plan would {op} {counts[op]} of {existing} existing "
                        f"{what} ({share:.0f}%, limit {limit:g}%). Review it, then re-run with "
                        f"--force (or raise safety.max_{op}_pct on the target)"
                    )


def _counted(plan: Plan) -> Counter[tuple[str, str]]:
    """The plan's changes that are not expected transitions, by (kind, op): one pass with no
    Python call per change (a first sync plans a million creates)."""
    drift = map(not_, map(_TRANSITION, plan.changes))
    return Counter(map(_KIND_OP, compress(plan.changes, drift)))


_TRANSITION = attrgetter("transition")
_KIND_OP = attrgetter("kind._value_", "op._value_")
