"""What a rules run found: the actions due, held as columns until a caller asks for rows.

A run on a large book finds an action for most accounts; the JSON is written from the columns
(:meth:`RulesRun.to_dict` with ``columnar``) and :class:`DueAction` rows are built only when
``actions`` is read.
"""

from __future__ import annotations

import datetime as dt
import gc
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa

from tierform.core.records import CodedField, RecordColumns, TextField

# Reasons are written as labels and codes while there are at least this many rows per text.
_TEXT_RATIO = 4


class DueAction(NamedTuple):
    """One action due for one account (immutable; a named tuple because a run on a large book
    builds one per row)."""

    account_id: str
    rule: str
    action: str
    due: dt.date
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "rule": self.rule,
            "action": self.action,
            "due": self.due.isoformat(),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class DueColumns:
    """The actions due, one row per action in their final order: ``rules[rule[i]]``,
    ``labels[label[i]]``, ``due`` as datetime64[D], ``reasons[reason[i]]`` (a run on a large
    book finds a million actions but only a few thousand distinct reasons)."""

    ids: pa.Array | pa.ChunkedArray
    rules: list[str]
    rule: np.ndarray
    labels: list[str]
    label: np.ndarray
    due: np.ndarray
    reason: np.ndarray
    reasons: list[str]
    book_rows: np.ndarray | None = None  # each action's row in the book the run read

    def __len__(self) -> int:
        return len(self.rule)

    def rows(self, limit: int | None = None) -> list[DueAction]:
        """The rows ``[:limit]`` (all by default) as :class:`DueAction` objects."""
        stop = len(range(len(self))[:limit])
        rows = zip(
            map(str, self.ids.slice(0, stop).to_pylist()),
            [self.rules[r] for r in self.rule[:stop].tolist()],
            [self.labels[t] for t in self.label[:stop].tolist()],
            self.due[:stop].astype(object).tolist(),
            [self.reasons[c] for c in self.reason[:stop].tolist()],
            strict=True,
        )
        # A million new tuples would trigger the cyclic collector over and over, costing
        # more than building them; none of them can form a cycle.
        paused = gc.isenabled()
        gc.disable()
        try:
            return list(map(DueAction._make, rows))
        finally:
            if paused:
                gc.enable()

    def records(self) -> RecordColumns:
        """The rows of :meth:`DueAction.to_dict` as columns."""
        day = self.due.astype("datetime64[D]").astype(np.int64)
        low = int(day.min()) if day.size else 0
        seen = np.flatnonzero(np.bincount(day - low)) if day.size else np.array([], np.int64)
        code = np.zeros(int(seen[-1]) + 1 if seen.size else 0, dtype=np.int64)
        code[seen] = np.arange(seen.size)
        dates = (seen + low).astype("datetime64[D]").astype(object).tolist()
        return RecordColumns(
            len(self),
            [
                TextField("account_id", self.ids),
                CodedField("rule", self.rules, self.rule),
                CodedField("action", self.labels, self.label),
                CodedField("due", [d.isoformat() for d in dates], code[day - low]),
                self._reason_field(),
            ],
        )

    def _reason_field(self) -> CodedField | TextField:
        """The reasons as labels and codes; as text when nearly every row has its own (one
        Arrow array is then cheaper than encoding each label on its own)."""
        if len(self.reasons) * _TEXT_RATIO <= len(self):
            return CodedField("reason", self.reasons, self.reason)
        texts = np.empty(len(self.reasons), dtype=object)
        texts[:] = self.reasons
        return TextField("reason", pa.array(texts[self.reason].tolist(), type=pa.string()))


class RulesRun:
    """The actions due as of a date; ``notes`` say what could not be evaluated and why."""

    def __init__(
        self,
        as_of: dt.date,
        actions: list[DueAction] | None = None,
        notes: list[str] | None = None,
        *,
        columns: DueColumns | None = None,
    ) -> None:
        self.as_of = as_of
        self.notes = list(notes or [])
        self._actions = actions
        self._columns = columns

    @property
    def actions(self) -> list[DueAction]:
        """One row per action due, sorted by due date then account (built on first read)."""
        if self._actions is None:
            self._actions = self._columns.rows() if self._columns is not None else []
        return self._actions

    @actions.setter
    def actions(self, value: list[DueAction]) -> None:
        self._actions, self._columns = value, None

    def columns(self) -> DueColumns | None:
        """The actions as the run found them, held as columns (None: given as rows)."""
        return self._columns

    def action_rows(self) -> list[int] | None:
        """Each action's row in the book the run read, in the order of :attr:`actions`; None
        where the run was not made from that book's columns (actions given as rows)."""
        columns = self._columns
        if columns is None or columns.book_rows is None:
            return None
        rows: list[int] = columns.book_rows.tolist()
        return rows

    def first(self, limit: int) -> list[DueAction]:
        """``actions[:limit]``, built alone when the rest are still columns."""
        if self._actions is None and self._columns is not None:
            return self._columns.rows(limit)
        return self.actions[:limit]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RulesRun):
            return NotImplemented
        return (self.as_of, self.actions, self.notes) == (other.as_of, other.actions, other.notes)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RulesRun(as_of={self.as_of!r}, actions=<{self.count()}>, notes={self.notes!r})"

    def count(self) -> int:
        if self._actions is None and self._columns is not None:
            return len(self._columns)
        return len(self.actions)

    def by_rule(self) -> dict[str, int]:
        """Actions per rule, rules in the order their first action appears."""
        if self._actions is None and self._columns is not None:
            return _by_first_seen(self._columns)
        counts_: dict[str, int] = {}
        for a in self.actions:
            counts_[a.rule] = counts_.get(a.rule, 0) + 1
        return counts_

    def to_dict(self, columnar: bool = False) -> dict[str, Any]:
        """``{"as_of", "actions"}``; ``columnar``: the actions as :class:`RecordColumns`."""
        actions: Any
        if columnar and self._actions is None and self._columns is not None:
            actions = self._columns.records()
        else:
            actions = [a.to_dict() for a in self.actions]
        return {"as_of": self.as_of.isoformat(), "actions": actions}


def _by_first_seen(cols: DueColumns) -> dict[str, int]:
    """Actions per rule name, rules in the order their first action appears in the rows."""
    if not len(cols):
        return {}
    counts = np.bincount(cols.rule, minlength=len(cols.rules))
    present = np.flatnonzero(counts)
    first = np.full(len(cols.rules), len(cols), dtype=np.int64)
    np.minimum.at(first, cols.rule, np.arange(len(cols)))
    order = present[np.argsort(first[present], kind="stable")]
    out: dict[str, int] = {}
    for r in order.tolist():
        out[cols.rules[r]] = out.get(cols.rules[r], 0) + int(counts[r])
    return out
