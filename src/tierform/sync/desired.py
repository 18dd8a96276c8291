"""Compile the model and account book into the desired state (platform-neutral objects).

Per account: the coverage fields (:mod:`tierform.sync.fields`). Once: field definitions, and
configuration objects (segments as filters on those fields, playbooks, rules, the health spec).
Work items (:mod:`tierform.sync.work_items`): one per due rule action or playbook step, with a
deterministic external id so a re-run updates the same task instead of creating another.

Everything comes from one run of the engine (:func:`~tierform.core.design.design`); a model
without health, playbook or rule sections takes the built-in ones.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import compress
from typing import Any, cast

import numpy as np
import pyarrow as pa
from pydantic import BaseModel

from tierform.core.book import AccountBook
from tierform.core.design import Design, Specs, design
from tierform.core.history import History
from tierform.core.model import CoverageLayer, CoverageModel
from tierform.sync.desired_columns import account_rows, rounded_column
from tierform.sync.fields import MIGRATIONS, RENEWAL_WINDOWS, FieldDef, coverage_fields, field_name
from tierform.sync.golive import WorkItemPolicy
from tierform.sync.item_columns import ItemColumns, due_day, rule_item_columns
from tierform.sync.state import Data, Kind, State, canon, paused_gc, reuse
from tierform.sync.work_items import (
    AccountLists,
    WorkItem,
    _move,
    _on_tier_change,
    work_items,
)

log = logging.getLogger(__name__)


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
    lists = AccountLists.of(d)
    items = rule_item_columns(d, lists)
    if items is None:  # actions given as rows, or a book that repeats an id
        items = ItemColumns.of(work_items(d, lists), lists.position)
    if policy is not None:
        items = _allowed(items, policy, lists)
    if kept is not None and kept.items:
        have = set(items.external_id)
        extra = [
            WorkItem.kept(k, v, kept.next_step.get(str(v.get("account_id"))))
            for k, v in sorted(kept.items.items())
            if k not in have
        ]
        if extra:
            items = items + ItemColumns.of(extra, lists.position)
    return build_state(d, items, kept.migration if kept is not None else None, lists, like)


def _allowed(items: ItemColumns, policy: WorkItemPolicy, lists: AccountLists) -> ItemColumns:
    """The work items ``policy`` keeps (:meth:`WorkItemPolicy.keeps`, as columns: an item with
    no due date is due on ``NO_DUE_DAY``, after any go-live)."""
    keep = np.ones(len(items), dtype=bool)
    if policy.not_before is not None:
        keep &= items.day >= due_day(policy.not_before)
    if policy.rollout is not None:
        enabled = set(policy.rollout)
        tiers = lists.tiers
        on = np.fromiter(map(enabled.__contains__, tiers), dtype=bool, count=len(tiers))
        known = items.row >= 0
        keep &= known
        keep[known] &= on[items.row[known]]
    return items if keep.all() else items.take(np.flatnonzero(keep))


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
    items: list[WorkItem] | ItemColumns,
    moving: dict[str, str] | None = None,
    lists: AccountLists | None = None,
    like: State | None = None,
) -> State:
    """Field definitions, configuration objects, per-account coverage fields and work items
    (as objects or as columns). ``moving``: accounts still in a handoff overlap, with the
    migration the platform holds; ``like``: the platform's state, whose objects are reused
    where they are exactly the same."""
    model = d.model
    c = lists if lists is not None else AccountLists.of(d)
    if isinstance(items, list):
        items = ItemColumns.of(items, c.position)
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
    if not len(items):
        return state
    at = sorted(range(len(items)), key=items.external_id.__getitem__)
    keys = [items.external_id[k] for k in at]
    had = like.of(Kind.work_item) if like else None
    state.objects.setdefault(Kind.work_item, {}).update(_work_item_rows(items, at, keys, had))
    texts = [f"{items.text[k]} ({items.account_id[k]})" for k in at]
    had_labels = like.labels.get(Kind.work_item) if like else None
    state.labels.setdefault(Kind.work_item, {}).update(account_labels(keys, texts, had_labels))
    return state


def account_labels(
    ids: list[str], names: Sequence[str | None], had: dict[str, str] | None = None
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
    items: ItemColumns,
    moving: dict[str, str] | None,
    dimensions: dict[str, Any],
    cols: AccountLists,
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
        "tf_health_band": health_result.band if health_result is not None else [],
        "tf_renewal_window": renewal_windows(book, d.as_of),
        "tf_migration": moves,
        "tf_segment_score": rounded_column(d.seg.score, 1),
        "tf_health_score": rounded_column(
            None if health_result is None else np.asarray(health_result.score, dtype=float), 1
        ),
    }
    for dim in sorted(dimensions):
        columns[f"tf_health_{field_name(dim)}"] = rounded_column(dimensions[dim], 1)
    if len(items):
        columns["tf_next_step"], columns["tf_open_tasks"] = _next_steps(items, cols)
    return {k: v for k, v in columns.items() if v}


def _next_steps(items: ItemColumns, lists: AccountLists) -> tuple[list[Any], list[Any]]:
    """Per account: the text of its first work item by (due, rank, code), the earlier in the
    list on a tie, and how many it has (None: none)."""
    n = len(lists.ids)
    mine = np.flatnonzero(items.row >= 0)
    titles = items.title
    title_rank = {t: r for r, t in enumerate(sorted(set(titles)))}
    by_title = np.fromiter(map(title_rank.__getitem__, titles), dtype=np.int64, count=len(titles))
    row = items.row[mine]
    order = np.lexsort((mine, by_title[mine], items.rank[mine], items.day[mine], row))
    row = row[order]
    head = np.ones(row.size, dtype=bool)
    head[1:] = row[1:] != row[:-1]
    heads = np.flatnonzero(head)
    first = mine[order[heads]].tolist()
    count = np.diff(np.append(heads, row.size)).tolist()
    accounts = row[heads]
    if not lists.unique:  # an id on two rows: each of its rows reads the same
        ids = lists.ids
        text = {ids[r]: items.text[k] for r, k in zip(accounts.tolist(), first, strict=True)}
        many = dict(zip(map(ids.__getitem__, accounts.tolist()), count, strict=True))
        return list(map(text.get, ids)), list(map(many.get, ids))
    next_step = np.full(n, None, dtype=object)
    next_step[accounts] = _objects([items.text[k] for k in first])
    open_tasks = np.full(n, None, dtype=object)
    open_tasks[accounts] = _objects(count)
    return next_step.tolist(), open_tasks.tolist()


def _objects(values: list[Any]) -> np.ndarray:
    """``values`` as an object array holding those very objects."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _work_item_rows(
    items: ItemColumns, at: list[int], keys: list[str], had: dict[str, Data] | None
) -> dict[str, Data]:
    """Key -> canonical data (:func:`~tierform.sync.state.canon_data`) of the items at ``at``,
    built a field at a time for the usual values (text, a date: one ISO text per date), one
    at a time for the others; ``had``'s object where it is exactly the same."""
    dues = [items.due[k] for k in at]
    iso: dict[Any, str] = {day: day.isoformat() for day in set(dues) if type(day) is dt.date}
    columns = {
        "account_id": [items.account_id[k] for k in at],
        "assignee": [items.assignee[k] for k in at],
        "due": list(map(iso.get, dues)),
        "reason": [items.reason[k] for k in at],
        "source": [items.source[k] for k in at],
        "title": [items.text[k] for k in at],
    }
    rows = account_rows(keys, columns, had)
    for k in items.odd:
        key = items.external_id[k]
        rows[key] = reuse((had or {}).get(key), _any_work_item_data(items.item(k)))
    return rows


def _any_work_item_data(item: WorkItem) -> Data:
    """One item's canonical data, for any values (a kept item holds what the platform had)."""
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
