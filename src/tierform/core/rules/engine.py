"""Automation rules (recipe step 6): evaluate every rule on a book and list the actions due.

A rule fires on whole columns (trigger, then condition); only the accounts it fires on become
:class:`DueAction` rows, each with the rule, a stable action label (``start_playbook:<name>``,
``assign_csm:<tier>``, ``notify:<who>``, ``move_tier:<tier>``...), the due date and the reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tierform.core.arrays import arrow_array, one_of
from tierform.core.book import AccountBook
from tierform.core.health.score import HealthResult
from tierform.core.model import CoverageModel
from tierform.core.playbooks.library import effective_playbooks, playbook_for
from tierform.core.playbooks.spec import Playbook
from tierform.core.rules.context import RuleContext
from tierform.core.rules.defaults import default_rules
from tierform.core.rules.reason_text import exact_codes, format_once, tenths_codes
from tierform.core.rules.run_result import DueAction, DueColumns, RulesRun
from tierform.core.rules.spec import RESPONDER, Action, Comparison, Rule, Trigger
from tierform.core.segment import SegmentResult

__all__ = ["DueAction", "RulesRun", "effective_rules", "run_rules"]

Reasons = Callable[[np.ndarray], "np.ndarray | list[str]"]


def effective_rules(model: CoverageModel) -> list[Rule]:
    """The model's rules, or the built-in ones when the section is absent."""
    return list(model.rules) if model.rules is not None else default_rules(model)


def run_rules(
    model: CoverageModel,
    book: AccountBook,
    as_of: dt.date,
    previous: AccountBook | None = None,
    seg: SegmentResult | None = None,
    health: HealthResult | None = None,
    *,
    rules: list[Rule] | None = None,
    playbooks: list[Playbook] | None = None,
    prev_health: HealthResult | None = None,
) -> RulesRun:
    """Evaluate the (enabled) rules on ``book`` and, given ``previous``, on the change since.
    ``rules`` / ``playbooks``: the resolved sections when the caller has them."""
    ctx = RuleContext(model, book, as_of, previous, seg, health, prev_health)
    rules = effective_rules(model) if rules is None else rules
    playbooks = effective_playbooks(model) if playbooks is None else playbooks
    notes: list[str] = []
    found = _Found()
    for rule in rules:
        if not rule.enabled:
            notes.append(f"{rule.name}: disabled")
            continue
        fired = _trigger(ctx, rule.trigger, rule.name, notes)
        if fired is None:
            continue
        fires, dates, reasons = fired
        fires &= _condition(ctx, rule)
        if fires.any():
            _actions(ctx, rule, fires, dates, reasons, playbooks, notes, found)
    return RulesRun(as_of, notes=notes, columns=found.due_columns(ctx))


# -- triggers --------------------------------------------------------------------------------
def _trigger(
    ctx: RuleContext, trigger: Trigger, rule: str, notes: list[str]
) -> tuple[np.ndarray, np.ndarray, Reasons] | None:
    if trigger.type == "account_created":
        return _created(ctx, trigger)
    if trigger.type == "days_before_date":
        return _days_before(ctx, trigger)
    assert trigger.field is not None
    cur = ctx.value(trigger.field)
    if cur is None:
        notes.append(f"{rule}: the book has no {trigger.field!r}: not evaluated")
        return None
    today = np.full(ctx.n, ctx.today)
    if trigger.type == "threshold_crossed":
        return _threshold(ctx, trigger, cur), today, _threshold_reasons(ctx, trigger, cur)
    prev = ctx.value(trigger.field, previous=True)
    if prev is None:
        notes.append(
            f"{rule}: a change of {trigger.field!r} needs a previous book"
            + (" or a previous_tier column" if trigger.field == "tier" else "")
            + ": not evaluated"
        )
        return None
    return _changed(ctx, trigger, cur, prev), today, _change_reasons(ctx, trigger.field, cur, prev)


def _created(ctx: RuleContext, trigger: Trigger) -> tuple[np.ndarray, np.ndarray, Reasons]:
    start = ctx.book.dates("contract_start")
    dates = np.where(np.isnat(start), ctx.today, start)
    if ctx.prev_index is not None:
        fires = ctx.prev_index < 0

        def reasons(idx: np.ndarray) -> np.ndarray:
            return np.full(idx.size, "new account: not in the previous book", dtype=object)
    else:
        window = np.timedelta64(trigger.within_days, "D")
        fires = ~np.isnat(start) & (start <= ctx.today) & (start > ctx.today - window)

        def reasons(idx: np.ndarray) -> np.ndarray:
            day = start[idx].astype("datetime64[D]")
            return format_once(
                [exact_codes(day)], lambda row: f"new account: contract started {day[row]}"
            )

    return fires, dates, reasons


def _days_before(ctx: RuleContext, trigger: Trigger) -> tuple[np.ndarray, np.ndarray, Reasons]:
    date = ctx.book.dates(trigger.date_field)
    if trigger.days_by_tier is not None:
        by_tier = np.array(
            [trigger.days_by_tier.get(t.name, np.nan) for t in ctx.model.tiers] + [np.nan],
            dtype=float,
        )
        lead = by_tier[np.where(ctx.tier >= 0, ctx.tier, len(ctx.model.tiers))]
    else:
        lead = np.full(ctx.n, float(trigger.days or 0))
    away = (date - ctx.today).astype("timedelta64[D]").astype(float)
    away[np.isnat(date)] = np.nan
    with np.errstate(invalid="ignore"):
        fires = (away >= 0) & (away <= lead)
    lead_days = np.nan_to_num(lead).astype(np.int64).astype("timedelta64[D]")
    due = np.where(fires, date - lead_days, ctx.today)

    def reasons(idx: np.ndarray) -> np.ndarray:
        # Few distinct (date, lead) pairs among many accounts: format each pair once.
        day = date[idx].astype("datetime64[D]")
        days_away, lead_days = away[idx], lead[idx]

        def text(row: int) -> str:
            return (
                f"{trigger.date_field} {day[row]} is {int(days_away[row])} days away "
                f"(prep starts {int(lead_days[row])} days before)"
            )

        return format_once([exact_codes(day), np.nan_to_num(lead_days).astype(np.int64)], text)

    return fires, due, reasons


def _thresholds(
    ctx: RuleContext, by_tier: dict[str, float] | None, flat: float | None
) -> np.ndarray:
    if by_tier is None:
        return np.full(ctx.n, np.nan if flat is None else float(flat))
    table = np.array([by_tier.get(t.name, np.nan) for t in ctx.model.tiers] + [np.nan])
    return table[np.where(ctx.tier >= 0, ctx.tier, len(ctx.model.tiers))]


def _threshold(ctx: RuleContext, trigger: Trigger, cur: Any) -> np.ndarray:
    cur = _numbers(cur)
    prev = ctx.value(trigger.field or "", previous=True) if ctx.previous is not None else None
    prev_num = _numbers(prev) if prev is not None else np.full(ctx.n, np.nan)
    below = trigger.below is not None or trigger.below_by_tier is not None
    limit = (
        _thresholds(ctx, trigger.below_by_tier, trigger.below)
        if below
        else _thresholds(ctx, trigger.above_by_tier, trigger.above)
    )
    with np.errstate(invalid="ignore"):
        now = cur < limit if below else cur > limit
        before = prev_num < limit if below else prev_num > limit
    # Crossed since the previous book; where there is no earlier value, the level counts.
    return now & (np.isnan(prev_num) | ~before)


def _threshold_reasons(ctx: RuleContext, trigger: Trigger, cur: Any) -> Reasons:
    below = trigger.below is not None or trigger.below_by_tier is not None
    limit = (
        _thresholds(ctx, trigger.below_by_tier, trigger.below)
        if below
        else _thresholds(ctx, trigger.above_by_tier, trigger.above)
    )
    word = "below" if below else "above"
    name = trigger.field

    def reasons(idx: np.ndarray) -> np.ndarray:
        values = _numbers(cur)[idx]
        prev = ctx.value(name or "", previous=True) if ctx.previous is not None else None
        before = _numbers(prev)[idx] if prev is not None else np.full(idx.size, np.nan)
        limits = limit[idx]

        def text(row: int) -> str:
            v, t, b = float(values[row]), float(limits[row]), float(before[row])
            return f"{name} {v:.1f} {word} {t:g}" + ("" if b != b else f" (was {b:.1f})")

        codes = [tenths_codes(values), exact_codes(limits), tenths_codes(before)]
        return format_once(codes, text)

    return reasons


def _changed(ctx: RuleContext, trigger: Trigger, cur: Any, prev: Any) -> np.ndarray:
    if isinstance(cur, np.ndarray) and isinstance(prev, np.ndarray):
        cur_f, prev_f = cur.astype(float), prev.astype(float)
        if trigger.field == "tier":
            cur_f = _ranked(ctx, cur_f)
            prev_f = _ranked(ctx, prev_f)
        known = ~np.isnan(cur_f) & ~np.isnan(prev_f)
        with np.errstate(invalid="ignore"):
            changed = known & (cur_f != prev_f)
            if trigger.direction == "up":
                changed &= cur_f > prev_f
            elif trigger.direction == "down":
                changed &= cur_f < prev_f
        if trigger.to is not None:
            changed &= _equals(ctx, trigger.field or "", cur, trigger.to)
        return changed
    cur_t = cur if not isinstance(cur, np.ndarray) else pa.array(cur.astype(str).tolist())
    prev_t = prev if not isinstance(prev, np.ndarray) else pa.array(prev.astype(str).tolist())
    changed = _mask(pc.not_equal(cur_t, prev_t))
    if trigger.to is not None:
        changed &= _mask(pc.equal(cur_t, pa.scalar(str(trigger.to))))
    return changed


def _ranked(ctx: RuleContext, tier: np.ndarray) -> np.ndarray:
    ok = ~np.isnan(tier) & (tier >= 0)
    out = np.full(tier.shape, np.nan)
    out[ok] = ctx.rank[tier[ok].astype(np.int64)]
    return out


def _change_reasons(ctx: RuleContext, name: str, cur: Any, prev: Any) -> Reasons:
    tiers = [t.name for t in ctx.model.tiers]

    def show(values: Any, idx: np.ndarray) -> list[str]:
        if isinstance(values, np.ndarray):
            picked = values[idx]
            if name == "tier":
                return [tiers[int(v)] if v == v and v >= 0 else "none" for v in picked]
            if name == "strategic":
                return ["yes" if v == 1 else "no" for v in picked]
            return [f"{v:g}" for v in picked]
        return [str(v) for v in values.take(pa.array(idx)).to_pylist()]

    def reasons(idx: np.ndarray) -> list[str]:
        label = "tier" if name == "tier" else name
        extra = []
        if name == "tier":
            extra = [f" (ACV {a:,.0f})" if a == a else "" for a in ctx.book.acv[idx]]
        else:
            extra = [""] * idx.size
        return [
            f"{label} changed from {b} to {a}{e}"
            for b, a, e in zip(show(prev, idx), show(cur, idx), extra, strict=True)
        ]

    return reasons


# -- conditions ------------------------------------------------------------------------------
def _condition(ctx: RuleContext, rule: Rule) -> np.ndarray:
    cond = rule.condition
    mask = np.ones(ctx.n, dtype=bool)
    if cond.tiers is not None:
        mask &= one_of(ctx.tier, [ctx.tier_index(t) for t in cond.tiers])
    if cond.bands is not None:
        mask &= one_of(ctx.health.band_index, [ctx.band_index(b) for b in cond.bands])
    if cond.strategic is not None:
        mask &= ctx.book.bools("strategic") == cond.strategic
    for cmp in cond.signals:
        mask &= _compare(ctx, cmp)
    return mask


def _compare(ctx: RuleContext, cmp: Comparison) -> np.ndarray:
    values = ctx.value(cmp.field)
    if values is None:
        return np.zeros(ctx.n, dtype=bool)
    if isinstance(values, np.ndarray):
        target = _as_number(ctx, cmp.field, cmp.value)
        if target is None:
            return np.zeros(ctx.n, dtype=bool)
        ops = {
            "<": np.less,
            "<=": np.less_equal,
            ">": np.greater,
            ">=": np.greater_equal,
            "==": np.equal,
            "!=": np.not_equal,
        }
        with np.errstate(invalid="ignore"):
            return ops[cmp.op](values, target) & ~np.isnan(values)
    fn = {
        "<": pc.less,
        "<=": pc.less_equal,
        ">": pc.greater,
        ">=": pc.greater_equal,
        "==": pc.equal,
        "!=": pc.not_equal,
    }[cmp.op]
    return _mask(fn(values, pa.scalar(str(cmp.value))))


def _as_number(ctx: RuleContext, name: str, value: float | bool | str) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        if name == "tier":
            return float(ctx.tier_index(value))
        if name == "band":
            return float(ctx.band_index(value))
        try:
            return float(value)
        except ValueError:
            return None
    return float(value)


def _equals(ctx: RuleContext, name: str, values: np.ndarray, to: str | float | bool) -> np.ndarray:
    target = _as_number(ctx, name, to)
    return np.zeros(values.shape, dtype=bool) if target is None else values == target


def _numbers(values: Any) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values.astype(float)
    return np.asarray(
        pc.cast(values, pa.float64(), safe=False).to_numpy(zero_copy_only=False), dtype=float
    )


def _mask(values: Any) -> np.ndarray:
    return np.asarray(values.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


# -- actions ---------------------------------------------------------------------------------
class _Found:
    """Every action found, as columns in the order the rules emit them (rule, action, account);
    rows become :class:`DueAction` objects only once, after deduplication and sorting."""

    def __init__(self) -> None:
        self.rules: list[str] = []
        self.labels: dict[str, int] = {}
        self.idx: list[np.ndarray] = []
        self.rule: list[np.ndarray] = []
        self.label: list[np.ndarray] = []
        self.due: list[np.ndarray] = []
        self.reason: list[np.ndarray] = []

    def add(
        self,
        rule: str,
        idx: np.ndarray,
        labels: list[str],
        group: np.ndarray,
        due: np.ndarray,
        reason: np.ndarray,
    ) -> None:
        """Rows ``idx`` of ``rule``, each labelled ``labels[group[row]]``."""
        if not self.rules or self.rules[-1] != rule:
            self.rules.append(rule)
        ids = np.array([self.labels.setdefault(t, len(self.labels)) for t in labels], np.int64)
        self.idx.append(idx)
        self.rule.append(np.full(idx.size, len(self.rules) - 1, dtype=np.int64))
        self.label.append(ids[group])
        self.due.append(due)
        self.reason.append(reason)

    def due_actions(self, ctx: RuleContext) -> list[DueAction]:
        """:meth:`due_columns` as rows."""
        return self.due_columns(ctx).rows()

    def due_columns(self, ctx: RuleContext) -> DueColumns:
        """One row per account, action and due date (later rules asking the same are named in
        the first one's reason), sorted by due date then account, ties in emission order."""
        if not self.idx:
            return DueColumns(
                pa.array([], type=pa.string()),
                [],
                np.array([], dtype=np.int64),
                [],
                np.array([], dtype=np.int64),
                np.array([], dtype="datetime64[D]"),
                np.array([], dtype=object),
            )
        idx = np.concatenate(self.idx)
        rule = np.concatenate(self.rule)
        label = np.concatenate(self.label)
        due = np.concatenate(self.due)
        reason = np.concatenate(self.reason)
        day = due.astype("datetime64[D]").view(np.int64)
        account = _account_rank(ctx)[idx]
        pos = np.arange(idx.size)
        order = _stable_order(account, label, day)
        same = np.zeros(idx.size, dtype=bool)
        same[1:] = (
            (account[order][1:] == account[order][:-1])
            & (label[order][1:] == label[order][:-1])
            & (day[order][1:] == day[order][:-1])
        )
        if same.any():
            first = order[np.flatnonzero(~same)[np.cumsum(~same) - 1]]
            for later, kept in zip(order[same].tolist(), first[same].tolist(), strict=True):
                reason[kept] = f"{reason[kept]}; also rule {self.rules[rule[later]]}"
            keep = np.sort(order[~same])
        else:
            keep = pos
        final = keep[_stable_order(day[keep], account[keep])]
        return DueColumns(
            ids=ctx.book.id_column().take(arrow_array(idx[final])),
            rules=list(self.rules),
            rule=rule[final],
            labels=list(self.labels),
            label=label[final],
            due=due[final],
            reason=reason[final],
        )


def _stable_order(*keys: np.ndarray) -> np.ndarray:
    """Row order sorted by ``keys`` (first key first), equal rows keeping their order: one
    stable sort of a combined code when it fits 63 bits, else a lexsort."""
    code = np.zeros(keys[0].size, dtype=np.int64)
    room = 1
    for key in keys:
        low, high = (int(key.min()), int(key.max())) if key.size else (0, 0)
        room *= high - low + 1
        if room >= 2**62:
            return np.lexsort((np.arange(keys[0].size), *reversed(keys)))
        code = code * (high - low + 1) + (key - low)
    return np.argsort(code, kind="stable")


def _account_rank(ctx: RuleContext) -> np.ndarray:
    """Each row's account id as its rank among the ids as text (equal ids, equal rank). Ids
    already in strictly ascending order (an export sorted by id) rank as their rows do."""
    text = pc.cast(ctx.book.table.column("account_id"), pa.string())
    n = len(text)
    if n > 1 and text.null_count == 0:
        if pc.all(pc.less(text.slice(0, n - 1), text.slice(1))).as_py():
            return np.arange(1, n + 1, dtype=np.int64)
    return np.asarray(
        pc.rank(text, sort_keys="ascending", tiebreaker="dense").to_numpy(), dtype=np.int64
    )


def _actions(
    ctx: RuleContext,
    rule: Rule,
    fires: np.ndarray,
    dates: np.ndarray,
    reasons: Reasons,
    playbooks: list[Any],
    notes: list[str],
    found: _Found,
) -> None:
    """Add the rows of ``rule``'s actions to ``found``: labels per (tier, band, target, origin)
    group, reasons once per account, all as columns."""
    chunks: list[
        tuple[Action, np.ndarray, list[tuple[str, str] | None], np.ndarray, np.ndarray]
    ] = []
    for action in rule.actions:
        mask = fires.copy()
        if action.tiers is not None:
            mask &= one_of(ctx.tier, [ctx.tier_index(t) for t in action.tiers])
        if action.bands is not None:
            mask &= one_of(ctx.health.band_index, [ctx.band_index(b) for b in action.bands])
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            continue
        tier = ctx.tier[idx]
        band = (
            ctx.health.band_index[idx].astype(np.int64)
            if _needs_band(action)
            else np.full(idx.size, -1)
        )
        target = ctx.relative_tier(action.tier, tier)
        origin = tier.copy()
        if action.type == "move_tier" and ctx.prev_tier is not None:
            before = ctx.prev_tier[idx]
            origin = np.where(np.isnan(before), tier, np.nan_to_num(before)).astype(np.int64)
        uniq, inverse = _groups(tier, band, target, origin)
        groups = [
            _label(ctx, rule, action, int(t), int(b), int(g), int(o), playbooks, notes)
            for t, b, g, o in uniq
        ]
        ok = np.array([g is not None for g in groups], dtype=bool)
        keep = ok[inverse]
        idx, inverse = idx[keep], inverse[keep]
        if idx.size == 0:
            continue
        due = dates[idx] + np.timedelta64(action.due_days, "D")
        chunks.append((action, idx, groups, inverse, due))
    if not chunks:
        return
    wanted = np.zeros(ctx.n, dtype=bool)
    for chunk in chunks:
        wanted[chunk[1]] = True
    every = np.flatnonzero(wanted)
    at = np.cumsum(wanted) - 1  # row -> its place in ``every``
    why = np.empty(every.size, dtype=object)
    why[:] = reasons(every)
    for action, idx, groups, inverse, due in chunks:
        rows = why[at[idx]]
        labels = [g[0] if g is not None else "" for g in groups]
        if (
            action.type == "move_tier"
            and (action.temporary_days or action.overlap_days)
            and due.dtype != np.dtype("datetime64[D]")
        ):
            extras = [g[1] if g is not None else "" for g in groups]
            days = due.astype(object).tolist()
            details = [
                _detail(action, extras[g], d) for g, d in zip(inverse.tolist(), days, strict=True)
            ]
            rows = rows + np.array(details, dtype=object)
        elif action.type == "move_tier" and (action.temporary_days or action.overlap_days):
            extras = [g[1] if g is not None else "" for g in groups]
            # One text per (group, due date): a few hundred, however many accounts.
            day = due.astype("datetime64[D]").astype(np.int64)
            key = inverse.astype(np.int64) * (int(day.max()) - int(day.min()) + 1) + (
                day - int(day.min())
            )
            firsts = np.flatnonzero(np.bincount(key)) if key.size else np.array([], np.int64)
            slot = np.zeros(int(firsts[-1]) + 1 if firsts.size else 0, dtype=np.int64)
            slot[firsts] = np.arange(firsts.size)
            span = int(day.max()) - int(day.min()) + 1
            texts = np.array(
                [
                    _detail(
                        action,
                        extras[k // span],
                        np.datetime64(k % span + int(day.min()), "D").astype(object),
                    )
                    for k in firsts.tolist()
                ],
                dtype=object,
            )
            rows = rows + texts[slot[key]]
        else:
            group_detail = np.array(
                [_detail(action, g[1], None) if g is not None else "" for g in groups],
                dtype=object,
            )
            if any(group_detail):
                rows = rows + group_detail[inverse]
        found.add(rule.name, idx, labels, inverse, due, rows)


def _groups(*columns: np.ndarray) -> tuple[list[tuple[int, ...]], np.ndarray]:
    """The distinct rows of small-integer ``columns`` (values >= -1) in sorted order, and each
    row's group: one code per row and a presence table, no sort."""
    ints = [np.asarray(c, dtype=np.int64) + 1 for c in columns]
    base = max(int(c.max()) for c in ints) + 1
    code = np.zeros(ints[0].size, dtype=np.int64)
    for c in ints:
        code = code * base + c
    seen = np.zeros(base ** len(ints), dtype=bool)
    seen[code] = True
    present = np.flatnonzero(seen)
    inverse = (np.cumsum(seen) - 1)[code]
    uniq = []
    for value in present.tolist():
        digits = []
        for _ in ints:
            value, d = divmod(value, base)
            digits.append(d - 1)
        uniq.append(tuple(reversed(digits)))
    return uniq, inverse


def _needs_band(action: Action) -> bool:
    return action.type == "notify" and action.to == RESPONDER


def _tier_coverage(ctx: RuleContext, target: int) -> str:
    tier = ctx.model.tiers[target]
    layer = str(tier.layer)
    if layer == "named" and tier.has_csm:
        return f"assign_csm:{tier.name}"
    if layer == "pooled":
        return f"assign_pool:{tier.pool_name}"
    return f"assign_digital:{tier.name}"


def _label(
    ctx: RuleContext,
    rule: Rule,
    action: Action,
    tier: int,
    band: int,
    target: int,
    origin: int,
    playbooks: list[Any],
    notes: list[str],
) -> tuple[str, str] | None:
    """The action label for one (tier, band, target, origin) group, and a detail for the
    reason; None when the action does not apply to that group."""
    tiers = ctx.model.tiers
    name = tiers[tier].name if tier >= 0 else None
    kind = action.type
    if tier < 0 and (
        action.stage is not None
        or action.to == RESPONDER
        or (kind in ("assign", "move_tier") and action.tier in (None, "segment"))
    ):
        note = f"{rule.name}: accounts without a tier (no ACV) were skipped"
        if note not in notes:
            notes.append(note)
        return None
    if kind in ("assign", "assign_csm", "assign_pool", "move_tier") and target < 0:
        return None
    if kind == "assign":
        return _tier_coverage(ctx, target), ""
    if kind == "assign_csm":
        return f"assign_csm:{action.to or tiers[target].name}", ""
    if kind == "assign_pool":
        return f"assign_pool:{action.to or tiers[target].pool_name}", ""
    if kind == "start_playbook":
        if action.playbook is not None:
            return f"start_playbook:{action.playbook}", ""
        pb = playbook_for(playbooks, action.stage or "", name or "")
        if pb is None:
            note = f"{rule.name}: no {action.stage} playbook for tier {name}: action skipped"
            if note not in notes:
                notes.append(note)
            return None
        return f"start_playbook:{pb.name}", ""
    if kind == "create_task":
        return f"create_task:{action.text}", ""
    if kind == "notify":
        if action.to != RESPONDER:
            return f"notify:{action.to}", ""
        bands = ctx.health.band_names
        who = (
            (ctx.health.spec.responses or {}).get(name or "", {}).get(bands[band])
            if band >= 0
            else None
        )
        return (f"notify:{who}", f"band {bands[band]}") if who else None
    # move_tier
    if target == origin:
        return None
    return f"move_tier:{tiers[target].name}", f"from {tiers[origin].name}"


def _detail(action: Action, extra: str, due: dt.date | None) -> str:
    """The reason's tail; ``due`` is needed only by a temporary or overlapping tier move."""
    parts = [extra] if extra else []
    if action.type == "move_tier" and due is not None:
        if action.temporary_days:
            review = due + dt.timedelta(days=action.temporary_days)
            parts.append(f"temporary for {action.temporary_days} days (review {review})")
        if action.overlap_days:
            until = due + dt.timedelta(days=action.overlap_days)
            parts.append(
                f"warm handoff: {action.overlap_days} days' overlap with the previous "
                f"owner, until {until}"
            )
    return "; " + "; ".join(parts) if parts else ""
