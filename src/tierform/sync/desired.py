"""Compile the model and account book into the desired state (platform-neutral objects).

Per account: the coverage fields (:mod:`tierform.sync.fields`). Once: field definitions, and
configuration objects (segments as filters on those fields, playbooks, rules, the health spec).
Work items: one per due rule action or playbook step, with a deterministic external id so a
re-run updates the same task instead of creating another.

Everything comes from one run of the engine (:func:`~tierform.core.design.design`); a model
without health, playbook or rule sections takes the built-in ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import operator
from dataclasses import dataclass, field
from functools import cached_property
from itertools import compress
from typing import Any, cast

import numpy as np
import pyarrow as pa
from pydantic import BaseModel

from tierform.core.book import AccountBook
from tierform.core.design import Design, Specs, design
from tierform.core.history import History
from tierform.core.model import CoverageLayer, CoverageModel
from tierform.core.playbooks.spec import Playbook
from tierform.core.rules.spec import Rule
from tierform.sync.desired_columns import account_rows, rounded_column
from tierform.sync.fields import MIGRATIONS, RENEWAL_WINDOWS, FieldDef, coverage_fields, field_name
from tierform.sync.golive import WorkItemPolicy
from tierform.sync.state import Data, Kind, State, canon, paused_gc, reuse

log = logging.getLogger(__name__)

# A started playbook's steps become tasks once due within this many days (the rest follow on
# later syncs), so a 90-day sequence does not flood the platform with future tasks.
DUE_HORIZON_DAYS = 14


@dataclass(slots=True)
class WorkItem:
    account_id: str
    source: str  # "rule:<name>" or "playbook:<name>"
    title: str  # the action's code (e.g. "notify:named CSM"): the id is made from it
    due: dt.date | None = None
    reason: str | None = None
    assignee: str | None = None
    text: str = ""  # the title people read ("Renewal prep: book the call with Acme")
    # Ties on the due date go to the lowest rank, then the code: a kept task (whose code is
    # not known) ranks 0 when it is the account's next step on the platform, else 2.
    rank: int = 1
    external_id: str = field(init=False)

    def __post_init__(self) -> None:
        # The id stays on the code, so rewording a title updates the task, never duplicates it.
        self.external_id = work_item_id(self.account_id, self.source, self.title)
        if not self.text:
            self.text = self.title

    @classmethod
    def kept(cls, key: str, data: Data, next_step: str | None = None) -> WorkItem:
        """A work item the platform holds, kept exactly as it is (same key and values);
        ``next_step``: the account's ``tf_next_step`` on the platform."""
        due = data.get("due")
        text = str(data.get("title") or key)
        item = cls(
            str(data.get("account_id")),
            str(data.get("source") or ""),
            key,
            dt.date.fromisoformat(str(due)) if due else None,
            data.get("reason"),
            data.get("assignee"),
            text,
            0 if text == next_step else 2,
        )
        item.external_id = key
        return item


@dataclass(frozen=True)
class InFlight:
    """Tier moves still inside their warm-handoff overlap on the platform. The platform's
    ``tf_tier`` already is the new tier, so the history alone would call the account unmoved;
    its ``tf_migration`` and open handoff tasks stay as they are until the overlap ends."""

    migration: dict[str, str] = field(default_factory=dict)  # account id -> up / down
    items: dict[str, Data] = field(default_factory=dict)  # work item key -> data as read
    next_step: dict[str, str] = field(default_factory=dict)  # account id -> tf_next_step


def in_flight(d: Design, existing: State) -> InFlight:
    """The moves of ``existing`` (a platform's state) whose handoff overlap has not ended as
    of the design's date, for accounts still in the tier they moved to."""
    moves = [r for r in d.specs.rules if _on_tier_change(r)]
    days = max((o for r in moves for o, t in [_move(r)] if o and not t), default=0)
    if not days:
        return InFlight()
    sources = {f"rule:{r.name}" for r in moves}
    accounts = existing.of(Kind.account)
    out = InFlight()
    handoffs = [  # the tasks of tier moves: few of a platform's work items
        (key, data)
        for key, data in existing.of(Kind.work_item).items()
        if str(data.get("source")) in sources
    ]
    if not handoffs:
        return out
    tier_of = dict(zip(d.book.ids(), d.seg.tier_names(), strict=True))
    for key, data in handoffs:
        aid = str(data.get("account_id"))
        held = accounts.get(aid, {})
        move = held.get("tf_migration")
        if move not in MIGRATIONS[:2] or held.get("tf_tier") != tier_of.get(aid):
            continue
        try:
            due = dt.date.fromisoformat(str(data.get("due")))
        except ValueError:
            continue
        if due + dt.timedelta(days=days) >= d.as_of:
            out.items[key] = data
            out.migration[aid] = str(move)
            if held.get("tf_next_step"):
                out.next_step[aid] = str(held["tf_next_step"])
    return out


def _rule_title(rule: str) -> str:
    words = rule.replace("_", "-").split("-")
    return " ".join(words).capitalize() if words else rule


def human_title(code: str, rule: str, who: str) -> str:
    """A work item's title for people, from a rule action's code and the account's name."""
    verb, _, arg = code.partition(":")
    head = _rule_title(rule)
    if verb == "notify" and "prompt" in arg:
        return f"{head}: show the {arg} to {who}"
    if verb == "notify":
        return f"{head}: alert {arg or 'the CSM'} about {who}"
    if verb == "move_tier":
        return f"{head}: hand {who} over to {arg} coverage"
    if verb in ("assign", "assign_csm"):
        return f"{head}: assign {who} to {arg} coverage" if arg else f"{head}: assign {who}"
    if verb == "assign_pool":
        return f"{head}: assign {who} to the {arg} pool"
    if verb == "assign_digital":
        return f"{head}: move {who} to {arg}'s digital-only coverage (no CSM)"
    if verb == "create_task":
        return f"{head}: {arg} ({who})"
    if verb == "start_playbook":
        return f"{head}: start the {arg} playbook for {who}"
    return f"{head}: {code.replace('_', ' ').replace(':', ' ')} for {who}"


def work_item_id(account_id: str, source: str, title: str) -> str:
    """Deterministic external id: the same account, source and action give the same id."""
    digest = hashlib.sha256("\x1f".join((account_id, source, title)).encode()).hexdigest()
    return f"tf-{digest[:20]}"


def compile_desired(
    model: CoverageModel,
    book: AccountBook,
    as_of: dt.date | None = None,
    policy: WorkItemPolicy | None = None,
    history: History | None = None,
) -> State:
    """The desired state of every managed object for this model and book; ``history``: the
    tier and CSM each account has today (see :mod:`tierform.core.history`)."""
    return desired_state(design(model, book, as_of or dt.date.today(), history=history), policy)


def desired_state(
    d: Design,
    policy: WorkItemPolicy | None = None,
    kept: InFlight | None = None,
    like: State | None = None,
) -> State:
    """The desired state of a computed design. A sync cannot go on without the books, the
    health scores or the rules' due actions, so their errors stop it here. ``policy`` (go-live,
    rollout) decides which work items exist; coverage data is written for every account.
    ``kept``: tier moves in their handoff overlap, kept as the platform has them. ``like``:
    the platform's state; an object it holds exactly as desired is shared, not built twice."""
    with paused_gc():
        return _desired_state(d, policy, kept, like)


def _desired_state(
    d: Design, policy: WorkItemPolicy | None, kept: InFlight | None, like: State | None
) -> State:
    d.require("books", "health", "rules")
    cols = _Columns.of(d)
    items = work_items(d, cols)
    if policy is not None:
        items = _allowed(items, policy, cols)
    if kept is not None:
        have = {i.external_id for i in items}
        items += [
            WorkItem.kept(k, v, kept.next_step.get(str(v.get("account_id"))))
            for k, v in sorted(kept.items.items())
            if k not in have
        ]
    return build_state(d, items, kept.migration if kept is not None else None, cols, like)


@dataclass(frozen=True)
class _Columns:
    """The per-account lists the desired state reads, made once: each holds a Python object
    per account, and a million-account book made some of them three times over."""

    ids: list[str]
    tiers: list[str | None]
    owners: list[str | None]
    names: list[str | None]

    @classmethod
    def of(cls, d: Design) -> _Columns:
        return cls(d.book.ids(), d.seg.tier_names(), d.owners(), d.book.text("name"))

    @cached_property
    def position(self) -> dict[str, int]:
        """Account id -> its row (the last one for an id given twice, as a dict of it would)."""
        return dict(zip(self.ids, range(len(self.ids)), strict=True))


def _allowed(items: list[WorkItem], policy: WorkItemPolicy, cols: _Columns) -> list[WorkItem]:
    """The work items ``policy`` keeps (the tier is looked up only when a rollout needs it)."""
    if policy.rollout is None:
        return [i for i in items if policy.keeps(i.due, None)]
    row = cols.position
    tiers = cols.tiers
    out = []
    for i in items:
        at = row.get(i.account_id)
        if policy.keeps(i.due, None if at is None else tiers[at]):
            out.append(i)
    return out


def work_items(d: Design, cols: _Columns | None = None) -> list[WorkItem]:
    """Due rule actions; a ``start_playbook:<name>`` action becomes one task per step of that
    playbook (due = the action's due date + the step's day), unless automation runs it."""
    if d.rule_run is None:
        return []
    c = cols if cols is not None else _Columns.of(d)
    actions = d.rule_run.actions
    known = d.rule_run.action_rows()  # the design's rules ran on its book
    if known is None:  # actions given as rows: found by id
        rows = list(map(c.position.get, (a.account_id for a in actions)))
    else:
        rows = cast("list[int | None]", known)
    owners, names, tiers = c.owners, c.names, c.tiers
    before = d.book.text("owner")
    rules = {r.name: r for r in d.specs.rules}
    steps = {p.name: _Steps.of(p) for p in d.specs.playbooks}
    horizon = d.as_of + dt.timedelta(days=DUE_HORIZON_DAYS)
    titles: dict[tuple[str, str], tuple[str, str] | None] = {}
    sources: dict[str, str] = {}
    found: dict[str, WorkItem] = {}
    for action, at in zip(actions, rows, strict=True):
        account_id, rule, label = action.account_id, action.rule, action.action
        due, reason = action.due, action.reason
        assignee = None if at is None else owners[at]
        who = (None if at is None else names[at]) or account_id
        pb = steps.get(label.split(":", 1)[1]) if label.startswith("start_playbook:") else None
        if pb is not None:
            why = f"{reason}; via rule {rule}" if reason else f"rule {rule}"
            for day, code, lead in pb.steps:
                step_due = due + dt.timedelta(days=day)
                if step_due > horizon:
                    continue
                _keep_earliest(
                    found,
                    WorkItem(account_id, pb.source, code, step_due, why, assignee, lead + who),
                )
            continue
        if label.startswith("move_tier:"):
            move = _move(rules.get(rule))
            hand = Handoff(account_id, rule, label, due, reason, who, move)
            previous = None if at is None else before[at]
            for item in hand.items(assignee, previous, None if at is None else tiers[at]):
                _keep_earliest(found, item)
            continue
        source = sources.get(rule)
        if source is None:
            source = sources[rule] = f"rule:{rule}"
        pair = (label, rule)
        if pair in titles:
            parts = titles[pair]
        else:
            parts = titles[pair] = _title_parts(label, rule)
        text = human_title(label, rule, who) if parts is None else parts[0] + who + parts[1]
        _keep_earliest(found, WorkItem(account_id, source, label, due, reason, assignee, text))
    return list(found.values())


@dataclass(frozen=True)
class _Steps:
    """A playbook's steps as work items need them: (day, code, title up to the account's
    name), worked out once per playbook rather than once per account and step."""

    source: str
    steps: tuple[tuple[int, str, str], ...]

    @classmethod
    def of(cls, pb: Playbook) -> _Steps | None:
        """None where no task is made (automation runs it, or it has no steps)."""
        if pb.owner == "automation" or not pb.steps:
            return None
        return cls(
            f"playbook:{pb.name}",
            tuple(
                (s.day, f"{pb.name}: {s.action}", f"{pb.name}: {_lower_first(s.action)} with ")
                for s in pb.steps
            ),
        )


_WHO = "\x00who\x00"


def _title_parts(code: str, rule: str) -> tuple[str, str] | None:
    """:func:`human_title` of ``code`` and ``rule`` around the account's name (None: the
    title cannot be split there, so it is made per account)."""
    parts = human_title(code, rule, _WHO).split(_WHO)
    return (parts[0], parts[1]) if len(parts) == 2 else None


def _on_tier_change(rule: Rule) -> bool:
    """A rule a tier move sets off: on a tier change, or moving the tier for good."""
    t = rule.trigger
    lasting = any(a.type == "move_tier" and not a.temporary_days for a in rule.actions)
    return (t.type == "field_change" and t.field == "tier") or lasting


def _move(rule: Rule | None) -> tuple[int | None, int | None]:
    """(overlap_days, temporary_days) of a rule's tier move."""
    for action in rule.actions if rule is not None else []:
        if action.type == "move_tier":
            return action.overlap_days, action.temporary_days
    return None, None


@dataclass(frozen=True)
class Handoff:
    """The work items of a tier move. A lasting move with an overlap is the recipe's warm
    handoff: the new owner takes the account over, the previous owner introduces them and stays
    on until the overlap ends (two tasks). A temporary move (at-risk) changes no tier: one task
    to give the account the other tier's coverage until the review date."""

    account_id: str
    rule: str
    label: str  # move_tier:<tier>: the new owner's task keeps the id it always had
    due: dt.date
    reason: str | None
    who: str
    move: tuple[int | None, int | None]

    def items(self, owner: str | None, previous: str | None, tier: str | None) -> list[WorkItem]:
        overlap, temporary = self.move
        target = self.label.partition(":")[2]
        head = _rule_title(self.rule)
        source = f"rule:{self.rule}"
        if temporary:
            review = self.due + dt.timedelta(days=temporary)
            text = (
                f"{head}: give {self.who} {target} coverage for {temporary} days (its tier "
                f"stays {tier or 'as it is'}); review on {review}"
            )
            return [
                WorkItem(self.account_id, source, self.label, self.due, self.reason, owner, text)
            ]
        if not overlap:
            text = human_title(self.label, self.rule, self.who)
            return [
                WorkItem(self.account_id, source, self.label, self.due, self.reason, owner, text)
            ]
        until = self.due + dt.timedelta(days=overlap)
        from_whom = f" from {previous}" if previous else ""
        items = [
            WorkItem(
                self.account_id,
                source,
                self.label,
                self.due,
                self.reason,
                owner,
                f"Warm handoff: take over {self.who} (now {target}){from_whom}; "
                f"overlap until {until}",
            )
        ]
        if previous and previous != owner:
            to_whom = owner or f"the {target} team"
            items.append(
                WorkItem(
                    self.account_id,
                    source,
                    f"handoff_from:{previous}",
                    self.due,
                    self.reason,
                    previous,
                    f"Warm handoff: introduce {to_whom} to {self.who} and stay on until {until}",
                )
            )
        return items


def coverage_warnings(d: Design) -> list[str]:
    """What a person must fix before the platform runs this way: accounts in a named tier
    that no CSM covers (no roster for the tier, or every CSM at capacity)."""
    named = {t.name for t in d.model.tiers if t.layer is CoverageLayer.named and t.has_csm}
    if not named:
        return []
    missing: dict[str, list[str]] = {}
    rows = zip(d.book.ids(), d.seg.tier_names(), d.owners(), strict=True)
    for aid, tier, owner in rows:
        if tier in named and not owner:
            missing.setdefault(tier, []).append(aid)
    out = []
    for tier, ids in sorted(missing.items()):
        shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
        out.append(
            f"{len(ids)} account(s) land in the named tier {tier} with no CSM ({shown}): add "
            f"{tier} CSMs to the roster (tierform capacity sizes the team), or they get no owner"
        )
    return out


def _lower_first(text: str) -> str:
    """ "Book the call" -> "book the call" (an acronym such as "QBR" stays)."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _keep_earliest(found: dict[str, WorkItem], item: WorkItem) -> None:
    """One open task per account, source and action: the earliest due wins."""
    key = item.external_id
    have = found.get(key)
    if have is None or (item.due or dt.date.max) < (have.due or dt.date.max):
        found[key] = item


def renewal_windows(book: AccountBook, as_of: dt.date) -> list[str | None]:
    """Bucket days until renewal: overdue, 0-30, 31-60, 61-90, 91-180, 181+ (None: no date)."""
    dates = book.dates("renewal_date")
    days = (dates - np.datetime64(as_of, "D")).astype("timedelta64[D]").astype(float)
    days[np.isnat(dates)] = np.nan
    edges = np.array([0, 31, 61, 91, 181], dtype=float)
    idx = np.searchsorted(edges, days, side="right")
    idx[np.isnan(days)] = len(RENEWAL_WINDOWS)  # no date: the None after the buckets
    buckets: list[str | None] = [*RENEWAL_WINDOWS, None]
    return list(map(buckets.__getitem__, idx.tolist()))


def migrations(
    model: CoverageModel, book: AccountBook, tiers: list[str | None], new_is_none: bool = False
) -> list[str | None]:
    """up / down / none against ``previous_tier`` (tiers ranked by min_acv); None if unknown.
    ``new_is_none``: an account with no previous tier is new to the platform the history comes
    from, so it did not move ("none"); a sync then writes the field on its first run already,
    and the next run (which knows every tier) changes only the accounts that moved."""
    rank = {t.name.lower(): t.min_acv for t in model.tiers}

    def moved(prev: str | None, now: str | None) -> str | None:
        p = rank.get((prev or "").lower())
        n = rank.get((now or "").lower())
        if n is not None and p is None and new_is_none:
            return MIGRATIONS[2]
        if p is None or n is None:
            return None
        return MIGRATIONS[0] if n > p else MIGRATIONS[1] if n < p else MIGRATIONS[2]

    column = book.column("previous_tier")
    if column is None or not pa.types.is_string(column.type):
        pairs = list(zip(book.text("previous_tier"), tiers, strict=True))
        table = {pair: moved(*pair) for pair in set(pairs)}
        return list(map(table.__getitem__, pairs))
    # A handful of distinct (previous, now) pairs: each worked out once, looked up by code.
    encoded = column.combine_chunks().dictionary_encode()
    before: list[str | None] = [None, *encoded.dictionary.to_pylist()]
    was = np.asarray(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)) + 1
    after = list(dict.fromkeys(tiers))
    code = {t: i for i, t in enumerate(after)}
    now = np.fromiter(map(code.__getitem__, tiers), dtype=np.int64, count=len(tiers))
    outcome = np.array([moved(b, a) for b in before for a in after], dtype=object)
    result: list[str | None] = outcome[was.astype(np.int64) * len(after) + now].tolist()
    return result


def build_state(
    d: Design,
    items: list[WorkItem],
    moving: dict[str, str] | None = None,
    cols: _Columns | None = None,
    like: State | None = None,
) -> State:
    """Field definitions, configuration objects, per-account coverage fields and work items.
    ``moving``: accounts still in a handoff overlap, with the migration the platform holds;
    ``like``: the platform's state, whose objects are reused where they are exactly the same."""
    model = d.model
    c = cols if cols is not None else _Columns.of(d)
    health_result = d.health
    dimensions = dict(health_result.dimensions) if health_result is not None else {}
    dims = sorted(dimensions)
    state = model_objects(model, d.specs, d.band_names(), dims, d.seg.score is not None)
    ids = c.ids
    account_columns = _account_columns(d, items, moving, dimensions, c)
    accounts = account_rows(ids, account_columns, like.of(Kind.account) if like else None)
    del account_columns
    if Kind.account in state.objects:
        state.objects[Kind.account].update(accounts)
    else:
        state.objects[Kind.account] = accounts  # not copied: a million entries
    labels = state.labels.setdefault(Kind.account, {})
    labels.update(account_labels(ids, c.names, like.labels.get(Kind.account) if like else None))
    if not items:
        return state
    objects = state.objects.setdefault(Kind.work_item, {})
    item_labels = state.labels.setdefault(Kind.work_item, {})
    days: dict[dt.date, str] = {}
    had = like.of(Kind.work_item) if like else {}
    had_labels = like.labels.get(Kind.work_item, {}) if like else {}
    for item in sorted(items, key=operator.attrgetter("external_id")):
        key = item.external_id
        objects[key] = reuse(had.get(key), _work_item_data(item, days))
        item_labels[key] = _same_text(had_labels.get(key), f"{item.text} ({item.account_id})")
    return state


def account_labels(
    ids: list[str], names: list[str | None], had: dict[str, str] | None = None
) -> dict[str, str]:
    """Account id -> its name (blank ones left out), each name ``had`` holds for that account
    taken from ``had`` (one string held, not two). A platform the book was synced to holds the
    same names of the same accounts in the same order: its labels are then copied whole, where
    a look-up per account and a new entry each (a million, scattered over memory) took most of
    a second."""
    if had and len(had) == len(ids) and list(had) == ids:
        held = list(had.values())
        if held == names and all(held) and set(map(type, held)) == {str}:
            return dict(had)
    named = cast(list[str], names)
    if had:
        named = list(map(_same_text, map(had.get, ids), named))
    return dict(compress(zip(ids, named, strict=True), named))


def _same_text(old: Any, new: str) -> str:
    """``old`` where it is the same text as ``new`` (one string held, not two)."""
    return old if type(old) is str and old == new else new


def _account_columns(
    d: Design,
    items: list[WorkItem],
    moving: dict[str, str] | None,
    dimensions: dict[str, Any],
    cols: _Columns,
) -> dict[str, list[Any]]:
    """Every account's coverage fields, one list per field in book order (None: no value).
    Values are already canonical (text, rounded numbers), so no per-value walk is needed."""
    model, book = d.model, d.book
    ids, tiers = cols.ids, cols.tiers
    health_result = d.health
    touch: dict[str | None, str | None] = {t.name: t.touch_model.value for t in model.tiers}
    layer: dict[str | None, str | None] = {t.name: t.layer.value for t in model.tiers}
    touch[None], layer[None] = touch.get(""), layer.get("")  # no tier: looked up as ""
    moves = migrations(model, book, tiers, new_is_none=d.history is not None)
    if moving:
        moves = [
            moving.get(aid, m) if m == MIGRATIONS[2] else m
            for aid, m in zip(ids, moves, strict=True)
        ]
    columns: dict[str, list[Any]] = {
        "tf_tier": tiers,
        "tf_touch_model": list(map(touch.get, tiers)),
        "tf_layer": list(map(layer.get, tiers)),
        "tf_csm": cols.owners,
        "tf_health_band": list(health_result.band) if health_result is not None else [],
        "tf_renewal_window": renewal_windows(book, d.as_of),
        "tf_migration": moves,
        "tf_segment_score": rounded_column(d.seg.score, 1),
        "tf_health_score": rounded_column(
            None if health_result is None else np.asarray(health_result.score, dtype=float), 1
        ),
    }
    for dim in sorted(dimensions):
        columns[f"tf_health_{field_name(dim)}"] = rounded_column(dimensions[dim], 1)
    first: dict[str, WorkItem] = {}
    count: dict[str, int] = {}
    for item in items:  # per account: the first item by (due, rank, code), and how many
        aid = item.account_id
        have = first.get(aid)
        if have is None:
            first[aid] = item
            count[aid] = 1
            continue
        count[aid] += 1
        if (item.due or dt.date.max, item.rank, item.title) < (
            have.due or dt.date.max,
            have.rank,
            have.title,
        ):
            first[aid] = item
    if first:
        text = {aid: item.text for aid, item in first.items()}
        columns["tf_next_step"] = list(map(text.get, ids))
        columns["tf_open_tasks"] = list(map(count.get, ids))
    return {k: v for k, v in columns.items() if v}


def _work_item_data(item: WorkItem, days: dict[dt.date, str] | None = None) -> Data:
    """A work item's canonical data (:func:`~tierform.sync.state.canon_data`), built directly
    for the usual values (text, a date; ``days`` keeps one ISO text per date)."""
    aid, who, due, reason, source, text = (
        item.account_id,
        item.assignee,
        item.due,
        item.reason,
        item.source,
        item.text,
    )
    if (
        type(aid) is str
        and type(source) is str
        and type(text) is str
        and (who is None or type(who) is str)
        and (reason is None or type(reason) is str)
        and (due is None or type(due) is dt.date)
    ):
        data: Data = {}
        if aid:
            data["account_id"] = aid
        if who:
            data["assignee"] = who
        if due is not None:
            if days is None:
                data["due"] = due.isoformat()
            else:
                iso = days.get(due)
                if iso is None:
                    iso = days[due] = due.isoformat()
                data["due"] = iso
        if reason:
            data["reason"] = reason
        if source:
            data["source"] = source
        if text:
            data["title"] = text
        return data
    return _any_work_item_data(item)


def _any_work_item_data(item: WorkItem) -> Data:
    """:func:`_work_item_data` for any values (a kept item holds what the platform had)."""
    data: Data = {}
    for k, v in (
        ("account_id", item.account_id),
        ("assignee", item.assignee),
        ("due", item.due),
        ("reason", item.reason),
        ("source", item.source),
        ("title", item.text),
    ):
        if v is None:
            continue
        value = v if type(v) is str else canon(v)
        if value is not None and value != "":
            data[k] = value
    return data


def model_objects(
    model: CoverageModel, specs: Specs, bands: list[str], dims: list[str], scored: bool
) -> State:
    """The objects that come from the model alone: field definitions (for these health bands
    and dimensions) and configuration objects (segments, playbooks, rules, health). A
    migration builds its target's build sheet from these, with no account book."""
    state = State()
    fields = coverage_fields(
        [t.name for t in model.tiers],
        sorted({t.touch_model.value for t in model.tiers}),
        sorted({t.layer.value for t in model.tiers}),
        bands,
        [field_name(dim) for dim in dims],
        scored,
    )
    for f in fields:
        state.put(Kind.field, f.name, f.to_data(), label=f.label)
    _config_objects(model, specs, state, fields)
    return state


def _config_objects(
    model: CoverageModel, specs: Specs, state: State, fields: list[FieldDef]
) -> None:
    options = {f.name: f.options for f in fields}
    for tier in model.tiers:
        state.put(
            Kind.segment,
            f"tier-{field_name(tier.name)}",
            _segment(
                f"Tier: {tier.name}",
                [("tf_tier", "eq", tier.name)],
                f"Accounts in the {tier.name} tier",
            ),
        )
    for band in options.get("tf_health_band", ()):
        state.put(
            Kind.segment,
            f"health-{field_name(band)}",
            _segment(
                f"Health: {band}", [("tf_health_band", "eq", band)], f"Accounts in the {band} band"
            ),
        )
    state.put(
        Kind.segment,
        "renewal-next-90-days",
        _segment(
            "Renewal in the next 90 days",
            [("tf_renewal_window", "in", ["overdue", "0-30", "31-60", "61-90"])],
            "Renewal date within 90 days (or overdue)",
        ),
    )
    state.put(
        Kind.segment,
        "tier-migration",
        _segment(
            "Tier migration",
            [("tf_migration", "in", ["up", "down"])],
            "Accounts that moved tier since the previous assignment",
        ),
    )
    for playbook in specs.playbooks:
        state.put(
            Kind.playbook,
            field_name(playbook.name),
            {"name": playbook.name, "definition": _dump(playbook)},
        )
    for rule in specs.rules:
        state.put(Kind.rule, field_name(rule.name), {"name": rule.name, "definition": _dump(rule)})
    state.put(
        Kind.health,
        "health-score",
        {"name": "Health score", "definition": _dump(specs.health)},
    )


def _segment(name: str, conditions: list[tuple[str, str, Any]], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "filter": [{"field": f, "op": op, "value": v} for f, op, v in conditions],
    }


def _dump(spec: BaseModel) -> dict[str, Any]:
    return spec.model_dump(mode="json", exclude_none=True)
