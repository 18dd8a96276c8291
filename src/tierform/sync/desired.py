"""Compile the model and account book into the desired state (platform-neutral objects).

Per account: the coverage fields (:mod:`tierform.sync.fields`). Once: field definitions, and
configuration objects (segments as filters on those fields, playbooks, rules, the health spec).
Work items: one per due rule action or playbook step, with a deterministic external id so a
re-run updates the same task instead of creating another.

Assignment, health, rules and playbooks come from their core modules when present; a model
without those sections simply yields fewer fields and no work items.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tierform.core.book import AccountBook
from tierform.core.model import CoverageModel
from tierform.sync.fields import MIGRATIONS, RENEWAL_WINDOWS, FieldDef, coverage_fields, field_name
from tierform.sync.state import Kind, State

log = logging.getLogger(__name__)

# A started playbook's steps become tasks once due within this many days (the rest follow on
# later syncs), so a 90-day sequence does not flood the platform with future tasks.
DUE_HORIZON_DAYS = 14


@dataclass
class WorkItem:
    account_id: str
    source: str  # "rule:<name>" or "playbook:<name>"
    title: str
    due: dt.date | None = None
    reason: str | None = None
    assignee: str | None = None
    external_id: str = field(init=False)

    def __post_init__(self) -> None:
        self.external_id = work_item_id(self.account_id, self.source, self.title)


def work_item_id(account_id: str, source: str, title: str) -> str:
    """Deterministic external id: the same account, source and action give the same id."""
    digest = hashlib.sha256("\x1f".join((account_id, source, title)).encode()).hexdigest()
    return f"tf-{digest[:20]}"


@dataclass
class Inputs:
    """The computed columns desired state is built from (kept for tests and renderers)."""

    ids: list[str]
    names: list[str | None]
    tier: list[str | None]
    owner: list[str | None]
    score: np.ndarray | None
    health: np.ndarray | None
    band: list[str | None]
    dimensions: dict[str, np.ndarray]
    band_names: list[str]
    work_items: list[WorkItem] = field(default_factory=list)


def compile_desired(model: CoverageModel, book: AccountBook, as_of: dt.date | None = None) -> State:
    """The desired state of every managed object for this model and book."""
    as_of = as_of or dt.date.today()
    inputs = compute_inputs(model, book, as_of)
    return build_state(model, book, inputs, as_of)


def compute_inputs(model: CoverageModel, book: AccountBook, as_of: dt.date) -> Inputs:
    from tierform.core.segment import segment

    seg = segment(model, book)
    owner = _owners(model, seg)
    result = _score(model, book, seg, as_of)
    health, band, dims, band_names = _health(result, len(book))
    names = book.text("name")
    inputs = Inputs(
        book.ids(), names, seg.tier_names(), owner, seg.score, health, band, dims, band_names
    )
    inputs.work_items = _work_items(model, book, as_of, seg, result, inputs)
    return inputs


def _owners(model: CoverageModel, seg: Any) -> list[str | None]:
    try:
        from tierform.core.assign import assign_books
    except ImportError:
        return [None] * len(seg.book)
    if not model.roster:
        pools = {i: t.pool_name for i, t in enumerate(model.tiers) if t.layer.value == "pooled"}
        return [pools.get(i) for i in seg.tier.tolist()]
    return list(assign_books(model, seg).owner)


def _score(model: CoverageModel, book: AccountBook, seg: Any, as_of: dt.date) -> Any:
    try:
        from tierform.core.health import score_health
    except ImportError:
        return None
    return score_health(model, book, seg, as_of=as_of)


def _health(
    result: Any, n: int
) -> tuple[np.ndarray | None, list[str | None], dict[str, np.ndarray], list[str]]:
    if result is None:
        return None, [None] * n, {}, []
    names = list(getattr(result, "band_names", []) or [])
    return np.asarray(result.score, dtype=float), list(result.band), dict(result.dimensions), names


def _work_items(
    model: CoverageModel, book: AccountBook, as_of: dt.date, seg: Any, health: Any, inputs: Inputs
) -> list[WorkItem]:
    """Due rule actions; a ``start_playbook:<name>`` action becomes one task per step of that
    playbook (due = the action's due date + the step's day), unless automation runs it."""
    try:
        from tierform.core.rules import run_rules
    except ImportError:
        return []
    owner_of = dict(zip(inputs.ids, inputs.owner, strict=True))
    playbooks = {str(_get(p, "name")): p for p in _playbooks(model)}
    result = run_rules(model, book, as_of, previous=None, seg=seg, health=health)
    horizon = as_of + dt.timedelta(days=DUE_HORIZON_DAYS)
    found: dict[str, WorkItem] = {}
    for action in getattr(result, "actions", []):
        account_id = str(_get(action, "account_id"))
        rule, label = str(_get(action, "rule") or ""), str(_get(action, "action") or "")
        due, reason = _as_date(_get(action, "due")), _get(action, "reason")
        assignee = owner_of.get(account_id)
        pb = playbooks.get(label.split(":", 1)[1]) if label.startswith("start_playbook:") else None
        if pb is not None and _get(pb, "owner") != "automation" and _get(pb, "steps"):
            name = _get(pb, "name")
            why = f"{reason}; via rule {rule}" if reason else f"rule {rule}"
            for step in _get(pb, "steps"):
                step_due = due + dt.timedelta(days=int(_get(step, "day") or 0)) if due else None
                if step_due is not None and step_due > horizon:
                    continue
                _keep_earliest(
                    found,
                    WorkItem(
                        account_id,
                        f"playbook:{name}",
                        f"{name}: {_get(step, 'action')}",
                        step_due,
                        why,
                        assignee,
                    ),
                )
            continue
        _keep_earliest(found, WorkItem(account_id, f"rule:{rule}", label, due, reason, assignee))
    return list(found.values())


def _keep_earliest(found: dict[str, WorkItem], item: WorkItem) -> None:
    """One open task per account, source and action: the earliest due wins."""
    key = item.external_id
    have = found.get(key)
    if have is None or (item.due or dt.date.max) < (have.due or dt.date.max):
        found[key] = item


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _as_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def renewal_windows(book: AccountBook, as_of: dt.date) -> list[str | None]:
    """Bucket days until renewal: overdue, 0-30, 31-60, 61-90, 91-180, 181+ (None: no date)."""
    dates = book.dates("renewal_date")
    days = (dates - np.datetime64(as_of, "D")).astype("timedelta64[D]").astype(float)
    days[np.isnat(dates)] = np.nan
    edges = np.array([0, 31, 61, 91, 181], dtype=float)
    idx = np.searchsorted(edges, days, side="right")
    return [
        None if d != d else RENEWAL_WINDOWS[int(i)]
        for d, i in zip(days.tolist(), idx.tolist(), strict=True)
    ]


def migrations(
    model: CoverageModel, book: AccountBook, tiers: list[str | None]
) -> list[str | None]:
    """up / down / none against ``previous_tier`` (tiers ranked by min_acv); None if unknown."""
    if not book.has("previous_tier"):
        return [None] * len(book)
    rank = {t.name.lower(): t.min_acv for t in model.tiers}
    out: list[str | None] = []
    for prev, now in zip(book.text("previous_tier"), tiers, strict=True):
        p = rank.get((prev or "").lower())
        n = rank.get((now or "").lower())
        if p is None or n is None:
            out.append(None)
        else:
            out.append(MIGRATIONS[0] if n > p else MIGRATIONS[1] if n < p else MIGRATIONS[2])
    return out


def _round(values: np.ndarray | None, n: int) -> list[float | None]:
    if values is None:
        return []
    rounded = np.round(values.astype(float), n)
    return [None if v != v else v for v in rounded.tolist()]


def build_state(model: CoverageModel, book: AccountBook, inputs: Inputs, as_of: dt.date) -> State:
    state = State()
    dims = sorted(inputs.dimensions)
    dim_fields = {d: f"tf_health_{field_name(d)}" for d in dims}
    fields = coverage_fields(
        [t.name for t in model.tiers],
        sorted({t.touch_model.value for t in model.tiers}),
        sorted({t.layer.value for t in model.tiers}),
        inputs.band_names,
        [field_name(d) for d in dims],
        inputs.score is not None,
    )
    for f in fields:
        state.put(Kind.field, f.name, f.to_data(), label=f.label)
    _config_objects(model, state, fields)

    tier_by_name = {t.name: t for t in model.tiers}
    windows = renewal_windows(book, as_of)
    moves = migrations(model, book, inputs.tier)
    scores = _round(inputs.score, 1)
    health = _round(inputs.health, 1)
    dim_values = {d: _round(inputs.dimensions[d], 1) for d in dims}
    due: dict[str, list[WorkItem]] = {}
    for item in inputs.work_items:
        due.setdefault(item.account_id, []).append(item)
    objects = state.objects.setdefault(Kind.account, {})
    labels = state.labels.setdefault(Kind.account, {})
    for i, aid in enumerate(inputs.ids):
        tier = tier_by_name.get(inputs.tier[i] or "")
        data: dict[str, Any] = {
            "tf_tier": inputs.tier[i],
            "tf_touch_model": tier.touch_model.value if tier else None,
            "tf_layer": tier.layer.value if tier else None,
            "tf_csm": inputs.owner[i],
            "tf_health_band": inputs.band[i],
            "tf_renewal_window": windows[i],
            "tf_migration": moves[i],
        }
        if scores:
            data["tf_segment_score"] = scores[i]
        if health:
            data["tf_health_score"] = health[i]
        for d in dims:
            data[dim_fields[d]] = dim_values[d][i]
        items = due.get(aid)
        if items:
            first = min(items, key=lambda w: (w.due or dt.date.max, w.title))
            data["tf_next_step"] = first.title
            data["tf_open_tasks"] = len(items)
        # Values are already canonical (str, rounded float, None): skip canon_data's walk,
        # which matters at 100k accounts.
        objects[aid] = {
            k: (int(v) if isinstance(v, float) and v.is_integer() else v)
            for k, v in sorted(data.items())
            if v is not None and v != ""
        }
        name = inputs.names[i]
        if name:
            labels[aid] = name
    for item in sorted(inputs.work_items, key=lambda w: w.external_id):
        state.put(
            Kind.work_item,
            item.external_id,
            {
                "account_id": item.account_id,
                "title": item.title,
                "due": item.due,
                "source": item.source,
                "reason": item.reason,
                "assignee": item.assignee,
            },
            label=f"{item.title} ({item.account_id})",
        )
    return state


def _config_objects(model: CoverageModel, state: State, fields: list[FieldDef]) -> None:
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
    for playbook in _playbooks(model):
        name = str(_get(playbook, "name"))
        state.put(Kind.playbook, field_name(name), {"name": name, "definition": _dump(playbook)})
    for rule in _rules(model):
        name = str(_get(rule, "name"))
        state.put(Kind.rule, field_name(name), {"name": name, "definition": _dump(rule)})
    health = _health_spec(model)
    if health is not None:
        state.put(Kind.health, "health-score", {"name": "Health score", "definition": health})


def _segment(name: str, conditions: list[tuple[str, str, Any]], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "filter": [{"field": f, "op": op, "value": v} for f, op, v in conditions],
    }


def _playbooks(model: CoverageModel) -> list[Any]:
    try:
        from tierform.core.playbooks import effective_playbooks
    except ImportError:
        return list(model.playbooks or [])
    return list(effective_playbooks(model) or [])


def _rules(model: CoverageModel) -> list[Any]:
    try:
        from tierform.core.rules import effective_rules
    except ImportError:
        return list(model.rules or [])
    return list(effective_rules(model) or [])


def _health_spec(model: CoverageModel) -> dict[str, Any] | None:
    try:
        from tierform.core.health import effective_health
    except ImportError:
        return None if model.health is None else _dump(model.health)
    return _dump(effective_health(model))


def _dump(obj: Any) -> Any:
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        return dump(mode="json", exclude_none=True)
    if hasattr(obj, "__dataclass_fields__"):
        import dataclasses

        return dataclasses.asdict(obj)
    return obj
