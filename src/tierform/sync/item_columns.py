"""Work items held as columns: the items of a rules run's due actions, laid out from its columns.

A million-account book gives some half a million work items. Made one at a time (a
:class:`~tierform.sync.work_items.WorkItem` each, its id, then its dict) they were most of a
sync plan's desired state. Here each playbook's steps are repeated over the actions that start
it and every text is put together from a handful of parts, so only the ids are worked out item
by item. The items, their values and their order are exactly those of
:func:`~tierform.sync.work_items.work_items`, which stays the reference (and the path for
actions given as rows, or a book whose ids repeat).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tierform.core.arrays import arrow_array, dense_ranks
from tierform.core.design import Design
from tierform.core.rules.run_result import DueColumns
from tierform.sync.work_items import (
    DUE_HORIZON_DAYS,
    AccountLists,
    Handoff,
    WorkItem,
    _move,
    _Steps,
    _title_parts,
    human_title,
)

EPOCH = dt.date(1970, 1, 1)
# A work item with no due date sorts as the latest, as ``dt.date.max`` stands in for it.
NO_DUE_DAY = (dt.date.max - EPOCH).days


@dataclass(frozen=True)
class ItemColumns:
    """Work items, one list or array entry per item, in the order :func:`work_items` gives.
    ``row``: the item's account's row in the book (-1: not in it); ``day``: the due date as days
    since 1970 (:data:`NO_DUE_DAY` where there is none); ``odd``: the items holding a value of
    another type than text (or None) and a date, whose data is made one at a time."""

    account_id: list[str]
    source: list[str]
    title: list[str]
    due: list[dt.date | None]
    reason: list[Any]
    assignee: list[Any]
    text: list[str]
    external_id: list[str]
    row: np.ndarray
    day: np.ndarray
    rank: np.ndarray
    odd: frozenset[int] = frozenset()

    def __len__(self) -> int:
        return len(self.external_id)

    @classmethod
    def of(cls, items: list[WorkItem], position: Mapping[str, int]) -> ItemColumns:
        """``items`` as columns; ``position``: each account id's row in the book."""
        odd = frozenset(i for i, item in enumerate(items) if not _plain(item))
        return cls(
            [i.account_id for i in items],
            [i.source for i in items],
            [i.title for i in items],
            [i.due for i in items],
            [i.reason for i in items],
            [i.assignee for i in items],
            [i.text for i in items],
            [i.external_id for i in items],
            np.array([position.get(i.account_id, -1) for i in items], dtype=np.int64),
            np.array([due_day(i.due) for i in items], dtype=np.int64),
            np.array([i.rank for i in items], dtype=np.int64),
            odd,
        )

    def items(self) -> list[WorkItem]:
        """The items as :class:`WorkItem` objects (each keeps the id it has here)."""
        return [self.item(k) for k in range(len(self))]

    def item(self, k: int) -> WorkItem:
        item = WorkItem(
            self.account_id[k],
            self.source[k],
            self.title[k],
            self.due[k],
            self.reason[k],
            self.assignee[k],
            self.text[k],
            int(self.rank[k]),
        )
        item.external_id = self.external_id[k]
        return item

    def take(self, idx: np.ndarray) -> ItemColumns:
        """The items at positions ``idx`` (in that order)."""
        at = idx.tolist()
        new = {k: n for n, k in enumerate(at) if k in self.odd} if self.odd else {}

        def pick(values: list[Any]) -> list[Any]:
            return list(map(values.__getitem__, at))

        return ItemColumns(
            pick(self.account_id),
            pick(self.source),
            pick(self.title),
            pick(self.due),
            pick(self.reason),
            pick(self.assignee),
            pick(self.text),
            pick(self.external_id),
            self.row[idx],
            self.day[idx],
            self.rank[idx],
            frozenset(new.values()),
        )

    def __add__(self, other: ItemColumns) -> ItemColumns:
        n = len(self)
        return ItemColumns(
            self.account_id + other.account_id,
            self.source + other.source,
            self.title + other.title,
            self.due + other.due,
            self.reason + other.reason,
            self.assignee + other.assignee,
            self.text + other.text,
            self.external_id + other.external_id,
            np.concatenate([self.row, other.row]),
            np.concatenate([self.day, other.day]),
            np.concatenate([self.rank, other.rank]),
            self.odd | {n + k for k in other.odd},
        )


def due_day(due: dt.date | None) -> int:
    """Days since 1970 of a date (a datetime: of its day)."""
    return NO_DUE_DAY if due is None else due.toordinal() - EPOCH.toordinal()


def _plain(item: WorkItem) -> bool:
    """Whether every value is text (or None) and the due date a date (or None)."""
    return (
        type(item.account_id) is str
        and type(item.source) is str
        and type(item.text) is str
        and (item.assignee is None or type(item.assignee) is str)
        and (item.reason is None or type(item.reason) is str)
        and (item.due is None or type(item.due) is dt.date)
    )


def rule_item_columns(d: Design, lists: AccountLists) -> ItemColumns | None:
    """:func:`~tierform.sync.work_items.work_items` as columns, made from the rules run's own
    columns; None where the run's actions were given as rows, or the book repeats an id (the
    caller then makes them one at a time)."""
    run = d.rule_run
    if run is None:
        return _empty()
    due = run.columns()
    if due is None or due.book_rows is None or not lists.unique:
        return None
    if not len(due):
        return _empty()
    return _Layout(d, due, lists).columns()


def _empty() -> ItemColumns:
    none = np.zeros(0, dtype=np.int64)
    return ItemColumns([], [], [], [], [], [], [], [], none, none, none)


class _Layout:
    """One candidate item per plain action, per step of a playbook an action starts (those due
    within the horizon) and per task of a tier move, in the actions' order; then the earliest
    of each id, in the order ids are first seen (what ``_keep_earliest`` keeps)."""

    def __init__(self, d: Design, due: DueColumns, lists: AccountLists) -> None:
        self.d, self.due, self.lists = d, due, lists
        self.rows = np.asarray(due.book_rows, dtype=np.int64)
        self.label = np.asarray(due.label, dtype=np.int64)
        self.rule = np.asarray(due.rule, dtype=np.int64)
        self.reason = np.asarray(due.reason, dtype=np.int64)
        self.day = np.asarray(due.due).astype("datetime64[D]").view(np.int64)
        steps_of = {p.name: _Steps.of(p) for p in d.specs.playbooks}
        self.plays: list[_Steps | None] = []
        for text in due.labels:
            name = text.split(":", 1)[1] if text.startswith("start_playbook:") else None
            self.plays.append(None if name is None else steps_of.get(name))
        self.moves = [
            p is None and t.startswith("move_tier:")
            for p, t in zip(self.plays, due.labels, strict=True)
        ]
        self.parts = _Parts()

    def columns(self) -> ItemColumns:
        due, lists, parts = self.due, self.lists, self.parts
        moved = self._moves()
        per_action = np.array([len(p.steps) if p else 1 for p in self.plays])[self.label]
        for action, tasks in moved.items():
            per_action[action] = len(tasks)
        act = np.repeat(np.arange(len(due)), per_action)
        sub = np.arange(act.size) - np.repeat(np.cumsum(per_action) - per_action, per_action)
        label = self.label[act]
        play = np.array([p is not None for p in self.plays], dtype=bool)[label]
        width = int(per_action.max())  # a step's or a tier move's task's place in its action
        step_day = self._steps(lambda s: s[0], 0, width).astype(np.int64)
        day = self.day[act] + step_day[label, sub]
        keep = ~play | (day <= due_day(self.d.as_of) + DUE_HORIZON_DAYS)
        act, sub, label, play, day = act[keep], sub[keep], label[keep], play[keep], day[keep]
        rule = self.rule[act]

        # Per candidate, as codes of a few dozen texts: source, title, the text around the
        # account's name, and the reason.
        source = np.where(
            play,
            parts.codes([p.source if p else "" for p in self.plays], label),
            parts.codes([f"rule:{r}" for r in due.rules], rule),
        )
        title, pre, post, by_hand = self._plain_texts(label * len(due.rules) + rule)
        step_title = parts.codes_2d(self._steps(lambda s: s[1], "", width), label, sub)
        title = np.where(play, step_title, title)
        lead = parts.codes_2d(self._steps(lambda s: s[2], "", width), label, sub)
        pre = np.where(play, lead, pre)
        post = np.where(play, parts.code(""), post)
        reason = self._reasons(act, rule, play)

        rows = self.rows[act]
        special: dict[int, WorkItem] = {}  # the tasks of tier moves, as made one by one
        starts = np.searchsorted(act, np.array(list(moved), dtype=np.int64)).tolist()
        for start, tasks in zip(starts, moved.values(), strict=True):
            for k, task in enumerate(tasks):
                special[start + k] = task
                source[start + k] = parts.code(task.source)
                title[start + k] = parts.code(task.title)

        # An item's id is made from its account, source and title: one per (row, source, title).
        win = _earliest(_item_key(rows, source, title, len(parts.values)), day)
        at = np.asarray(win, dtype=np.int64)
        ids, names, owners = lists.ids, lists.names, lists.owners
        w_rows = rows[at].tolist()
        account = list(map(ids.__getitem__, w_rows))
        named = map(names.__getitem__, w_rows)
        who = [name or aid for name, aid in zip(named, account, strict=True)]
        made = zip(parts.texts(pre[at]), who, parts.texts(post[at]), strict=True)
        ext = [
            f"tf-{hashlib.sha256((aid + tail).encode()).hexdigest()[:20]}"
            for aid, tail in zip(account, parts.tails(source[at], title[at]), strict=True)
        ]
        out = ItemColumns(
            account,
            parts.texts(source[at]),
            parts.texts(title[at]),
            _dates(day[at]),
            parts.texts(reason[at]),
            list(map(owners.__getitem__, w_rows)),
            list(map("".join, made)),
            ext,
            rows[at],
            day[at],
            np.ones(at.size, dtype=np.int64),
        )
        hand = set(by_hand[~play[by_hand]].tolist())
        for n, k in enumerate(win):
            one = special.get(k)
            if one is not None:
                out.text[n], out.reason[n], out.assignee[n] = one.text, one.reason, one.assignee
            elif k in hand:
                out.text[n] = human_title(out.title[n], due.rules[int(rule[k])], who[n])
        return out

    def _moves(self) -> dict[int, list[WorkItem]]:
        """The tasks of each tier-move action (by action), as the one-by-one path makes them."""
        due, lists, d = self.due, self.lists, self.d
        acts = np.flatnonzero(np.asarray(self.moves, dtype=bool)[self.label])
        if not acts.size:
            return {}
        rules = {r.name: r for r in d.specs.rules}
        owner = d.book.column("owner")  # each moving account's CSM before the move
        rows = self.rows[acts]
        before = [None] * rows.size if owner is None else owner.take(arrow_array(rows)).to_pylist()
        out: dict[int, list[WorkItem]] = {}
        for at, row, previous in zip(acts.tolist(), rows.tolist(), before, strict=True):
            aid = lists.ids[row]
            rule, label = due.rules[int(self.rule[at])], due.labels[int(self.label[at])]
            day = EPOCH + dt.timedelta(days=int(self.day[at]))
            reason = due.reasons[int(self.reason[at])]
            who = lists.names[row] or aid
            hand = Handoff(aid, rule, label, day, reason, who, _move(rules.get(rule)))
            out[at] = hand.items(lists.owners[row], previous, lists.tiers[row])
        return out

    def _steps(self, part: Any, blank: Any, width: int) -> np.ndarray:
        """A (label, place) table of one part of each playbook's steps (``blank`` elsewhere),
        ``width`` places wide."""
        table = np.full((len(self.plays), width), blank, dtype=object)
        for k, p in enumerate(self.plays):
            for s, step in enumerate(p.steps if p else ()):
                table[k, s] = part(step)
        return table

    def _plain_texts(self, pair: np.ndarray) -> tuple[np.ndarray, ...]:
        """Per candidate, from its (label, rule) code: the title (the label) and the codes of
        the text before and after the account's name; and the candidates whose text does not
        split around the name (made whole, one at a time)."""
        due, parts = self.due, self.parts
        width = len(due.rules)
        seen, where = _distinct(pair)
        table = np.zeros((4, seen.size), dtype=np.int64)  # title, before, after, by hand
        for n, code in enumerate(seen.tolist()):
            label, rule = due.labels[code // width], due.rules[code % width]
            split = _title_parts(label, rule)
            table[0, n] = parts.code(label)
            if split is None:
                table[3, n] = 1
            else:
                table[1, n], table[2, n] = parts.code(split[0]), parts.code(split[1])
        title, pre, post, by_hand = table[:, where]
        return title, pre, post, np.flatnonzero(by_hand)

    def _reasons(self, act: np.ndarray, rule: np.ndarray, play: np.ndarray) -> np.ndarray:
        """Per candidate: the action's reason, or for a playbook step ``<reason>; via rule
        <rule>`` (``rule <rule>`` where the action gives none)."""
        due, parts = self.due, self.parts
        reason = self.reason[act]
        out = parts.codes(list(due.reasons), reason)
        if play.any():
            width = len(due.rules)
            seen, where = _distinct(reason[play] * width + rule[play])
            why = []
            for code in seen.tolist():
                text, name = due.reasons[code // width], due.rules[code % width]
                why.append(f"{text}; via rule {name}" if text else f"rule {name}")
            out[play] = parts.codes(why, where)
        return out


class _Parts:
    """The texts items are made of, each once, with a code; code 0 is None."""

    def __init__(self) -> None:
        self.values: list[Any] = [None]
        self.index: dict[Any, int] = {None: 0}

    def code(self, text: Any) -> int:
        at = self.index.get(text)
        if at is None:
            at = self.index[text] = len(self.values)
            self.values.append(text)
        return at

    def codes(self, texts: list[Any], which: np.ndarray) -> np.ndarray:
        """The code of ``texts[k]`` for each ``k`` of ``which``."""
        table = np.array([self.code(t) for t in texts], dtype=np.int64)
        return table[which] if table.size else np.zeros(which.size, np.int64)

    def codes_2d(self, table: np.ndarray, row: np.ndarray, col: np.ndarray) -> np.ndarray:
        coded = np.vectorize(self.code, otypes=[np.int64])(table) if table.size else table
        return np.asarray(coded, dtype=np.int64)[row, col]

    def texts(self, codes: np.ndarray) -> list[Any]:
        return list(map(self.values.__getitem__, codes.tolist()))

    def tails(self, source: np.ndarray, title: np.ndarray) -> list[str]:
        """``"\\x1f<source>\\x1f<title>"`` per candidate: what follows the account id in the
        text an item's id is hashed from."""
        width = len(self.values)
        pair = source * width + title
        seen, where = _distinct(pair)
        tail = [f"\x1f{self.values[c // width]}\x1f{self.values[c % width]}" for c in seen.tolist()]
        return list(map(tail.__getitem__, where.tolist()))


def _item_key(rows: np.ndarray, source: np.ndarray, title: np.ndarray, width: int) -> np.ndarray:
    """One integer per (row, source code, title code), codes below ``width``."""
    if (int(rows.max(initial=0)) + 1) * width * width < 2**62:
        return (rows * width + source) * width + title
    _, key = np.unique(np.stack([rows, source, title]), axis=1, return_inverse=True)
    return np.asarray(key, dtype=np.int64).reshape(-1)


def _earliest(key: np.ndarray, day: np.ndarray) -> list[int]:
    """Per distinct key, in the order keys are first seen: the candidate due first (the first
    of those due the same day), as ``_keep_earliest`` keeps one item per id."""
    n = key.size
    order = np.argsort(key, kind="stable")  # each key's candidates together, in order
    ordered = key[order]
    head = np.ones(n, dtype=bool)
    head[1:] = ordered[1:] != ordered[:-1]
    if head.all():
        return list(range(n))
    group = np.cumsum(head) - 1
    heads = np.flatnonzero(head)
    by_day = order[np.lexsort((order, day[order], group))]  # per key: earliest day, then first
    slot = np.arange(n)
    slot[order[heads]] = by_day[heads]  # the winner takes the place of the key's first
    keep = np.zeros(n, dtype=bool)
    keep[order[heads]] = True
    return slot[keep].tolist()


def _distinct(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of integer ``codes`` in ascending order, and each code's place
    among them: by a table of the values present where they lie close together (codes of a few
    dozen texts, days of a few years), else by sorting."""
    if not codes.size:
        return codes, codes
    low, high = int(codes.min()), int(codes.max())
    if high - low > 4 * codes.size + 4096:
        seen, where = np.unique(codes, return_inverse=True)
        return seen, np.asarray(where, dtype=np.int64).reshape(-1)
    seen, where = dense_ranks(codes - low, high - low + 1)
    return seen + low, where


def _dates(day: np.ndarray) -> list[dt.date | None]:
    """Days since 1970 as dates, each distinct day made once."""
    if not day.size:
        return []
    seen, where = _distinct(day)
    dates = [EPOCH + dt.timedelta(days=int(v)) for v in seen.tolist()]
    return list(map(dates.__getitem__, where.tolist()))
