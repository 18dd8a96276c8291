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

from tierform.core import arrow_compute as pc
from tierform.core.arrays import arrow_array, dense_ranks, true_mask
from tierform.core.background import Background
from tierform.core.book import AccountBook
from tierform.core.health.score import HealthResult
from tierform.core.model import CoverageModel
from tierform.core.playbooks.library import effective_playbooks, playbook_for
from tierform.core.playbooks.spec import Playbook
from tierform.core.rules.context import RuleContext, is_health_field
from tierform.core.rules.defaults import default_rules
from tierform.core.rules.reason_text import (
    CodedText,
    exact_codes,
    format_once,
    group_rows,
    tenths_codes,
)
from tierform.core.rules.run_result import DueAction, DueColumns, RulesRun
from tierform.core.rules.spec import RESPONDER, Action, Comparison, Rule, Trigger
from tierform.core.segment import SegmentResult

__all__ = ["DueAction", "RulesRun", "effective_rules", "run_rules"]

Reasons = Callable[[np.ndarray], CodedText]
Dates = Any  # a column of dates, one date broadcast to every row, or :class:`_RowDates`


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
    enabled = [i for i, rule in enumerate(rules) if rule.enabled]
    scored = [i for i in enabled if reads_health(rules[i])]
    behind = bool(scored) and len(scored) < len(enabled)
    if behind:
        # Health is scored on a second thread while the rules that do not read it are
        # evaluated first; their rows are still added in the rules' order.
        ctx.score_health_behind()
    outcomes = {i: _evaluate(ctx, rules[i], playbooks) for i in enabled if i not in scored}
    if behind:
        ctx.id_rank  # noqa: B018 -- wanted at the end; worked out while health is scored
    outcomes.update((i, _evaluate(ctx, rules[i], playbooks)) for i in scored)
    notes: list[str] = []
    found = _Found()
    for i, rule in enumerate(rules):
        outcome = outcomes.pop(i, None)
        if outcome is None:
            notes.append(f"{rule.name}: disabled")
            continue
        notes.extend(outcome.notes)
        for rows in outcome.rows:
            found.add(*rows)
    ctx.drop_texts()  # the reasons found hold the texts they use
    return RulesRun(as_of, notes=notes, columns=found.due_columns(ctx))


def reads_health(rule: Rule) -> bool:
    """Whether evaluating ``rule`` reads the health scores (a field, a band or a responder)."""
    fields = [rule.trigger.field, *(c.field for c in rule.condition.signals)]
    return (
        any(f is not None and is_health_field(f) for f in fields)
        or rule.condition.bands is not None
        or any(a.bands is not None or _needs_band(a) for a in rule.actions)
    )


class _Outcome:
    """One rule's notes and action rows (:meth:`_Found.add`'s arguments), held until every rule
    is evaluated: they are added in the rules' order, whatever order they were found in."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.rows: list[tuple[Any, ...]] = []

    def add(self, *rows: Any) -> None:
        self.rows.append(rows)


def _evaluate(ctx: RuleContext, rule: Rule, playbooks: list[Playbook]) -> _Outcome:
    """The notes and action rows of one (enabled) rule."""
    out = _Outcome()
    fired = _trigger(ctx, rule.trigger, rule.name, out.notes)
    if fired is None:
        return out
    fires, dates, reasons = fired
    if _has_condition(rule):  # else it holds everywhere: no pass
        fires &= _condition(ctx, rule)
    if fires.any():
        _actions(ctx, rule, fires, dates, reasons, playbooks, out.notes, out)
    return out


# -- triggers --------------------------------------------------------------------------------
def _trigger(
    ctx: RuleContext, trigger: Trigger, rule: str, notes: list[str]
) -> tuple[np.ndarray, Dates, Reasons] | None:
    if trigger.type == "account_created":
        return _created(ctx, trigger)
    if trigger.type == "days_before_date":
        return _days_before(ctx, trigger)
    assert trigger.field is not None
    cur = ctx.value(trigger.field)
    if cur is None:
        notes.append(f"{rule}: the book has no {trigger.field!r}: not evaluated")
        return None
    today = np.broadcast_to(ctx.today, (ctx.n,))  # read only, nothing allocated
    if trigger.type == "threshold_crossed":
        limit = _limit(ctx, trigger)  # one column for the test and the reasons
        return (
            _threshold(ctx, trigger, cur, limit),
            today,
            _threshold_reasons(ctx, trigger, cur, limit),
        )
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
    if ctx.prev_index is not None:
        fires = ctx.prev_index < 0
        dates = np.where(np.isnat(start), ctx.today, start)

        def reasons(idx: np.ndarray) -> CodedText:
            return CodedText.same(idx.size, "new account: not in the previous book")
    else:
        window = np.timedelta64(trigger.within_days, "D")
        fires = ~np.isnat(start) & (start <= ctx.today) & (start > ctx.today - window)
        dates = start  # read only where the rule fires: never NaT there

        def reasons(idx: np.ndarray) -> CodedText:
            day = start[idx].astype("datetime64[D]", copy=False)
            return format_once(
                [exact_codes(day)], lambda row: f"new account: contract started {day[row]}"
            )

    return fires, dates, reasons


def _days_before(ctx: RuleContext, trigger: Trigger) -> tuple[np.ndarray, Dates, Reasons]:
    date = ctx.book.dates(trigger.date_field)
    if trigger.days_by_tier is not None:
        by_tier = np.array(
            [trigger.days_by_tier.get(t.name, np.nan) for t in ctx.model.tiers] + [np.nan],
            dtype=float,
        )
    else:
        by_tier = np.full(len(ctx.model.tiers) + 1, float(trigger.days or 0))
    # Leads are whole days, so whole days away compare as the float days did; a tier without
    # a lead reads -1, which no date on or after the as-of date is within.
    lead1 = _by_tier1(np.where(np.isnan(by_tier), -1, by_tier).astype(np.int64))
    away = (date - ctx.today).view(np.int64)  # a blank date reads as the most negative number
    fires = away >= 0
    fires &= away <= lead1.astype(_index_type(int(np.abs(lead1).max()) + 1))[ctx.tier1]
    rows = np.flatnonzero(fires)
    # Due the lead's days before the date, worked out for the accounts it fires on only.
    due = _RowDates(rows, date[rows] - lead1[ctx.tier1[rows]].astype("timedelta64[D]"))
    lead_of = _by_tier1(by_tier)

    def reasons(idx: np.ndarray) -> CodedText:
        # Few distinct (date, lead) pairs among many accounts: format each pair once.
        day = date[idx].astype("datetime64[D]", copy=False)
        days_away = (day - ctx.today).astype(float)
        lead_days = lead_of[ctx.tier1[idx]]

        def text(row: int) -> str:
            return (
                f"{trigger.date_field} {day[row]} is {int(days_away[row])} days away "
                f"(prep starts {int(lead_days[row])} days before)"
            )

        lead_code = np.nan_to_num(lead_days).astype(np.int64, copy=False)
        return format_once([exact_codes(day), lead_code], text)

    return fires, due, reasons


def _by_tier1(table: np.ndarray) -> np.ndarray:
    """A per-tier table (tiers, then no tier) reordered to be read by ``RuleContext.tier1``."""
    return np.concatenate([table[-1:], table[:-1]])


class _RowDates:
    """Dates known for some rows only (ascending ``rows``), read for rows among them."""

    def __init__(self, rows: np.ndarray, dates: np.ndarray) -> None:
        self.rows = rows
        self.dates = dates

    def __getitem__(self, idx: np.ndarray) -> np.ndarray:
        return self.dates[np.searchsorted(self.rows, idx)]


def _thresholds(
    ctx: RuleContext, by_tier: dict[str, float] | None, flat: float | None
) -> np.ndarray:
    if by_tier is None:
        return np.broadcast_to(np.float64(np.nan if flat is None else flat), (ctx.n,))
    return _tier_table(ctx, by_tier)[ctx.tier]  # no tier (-1) reads the table's last entry


def _tier_table(ctx: RuleContext, by_tier: dict[str, float]) -> np.ndarray:
    """Per-tier limits: the tiers in order, then NaN for accounts without a tier."""
    return np.array([by_tier.get(t.name, np.nan) for t in ctx.model.tiers] + [np.nan])


def _limit(ctx: RuleContext, trigger: Trigger) -> np.ndarray:
    """A threshold trigger's limit per account."""
    if trigger.below is not None or trigger.below_by_tier is not None:
        return _thresholds(ctx, trigger.below_by_tier, trigger.below)
    return _thresholds(ctx, trigger.above_by_tier, trigger.above)


def _limit_by_tier1(ctx: RuleContext, trigger: Trigger) -> np.ndarray | None:
    """A per-tier limit as a table read by ``RuleContext.tier1``; None for a flat one."""
    below = trigger.below is not None or trigger.below_by_tier is not None
    by_tier = trigger.below_by_tier if below else trigger.above_by_tier
    return None if by_tier is None else _by_tier1(_tier_table(ctx, by_tier))


def _threshold(ctx: RuleContext, trigger: Trigger, cur: Any, limit: np.ndarray) -> np.ndarray:
    cur = _numbers(cur)
    prev = ctx.value(trigger.field or "", previous=True) if ctx.previous is not None else None
    below = trigger.below is not None or trigger.below_by_tier is not None
    with np.errstate(invalid="ignore"):
        now = cur < limit if below else cur > limit
        if prev is None:  # no earlier value anywhere: the level counts
            return np.asarray(now)
        prev_num = _numbers(prev)
        before = prev_num < limit if below else prev_num > limit
    # Crossed since the previous book; where there is no earlier value, the level counts.
    return now & (np.isnan(prev_num) | ~before)


def _threshold_reasons(ctx: RuleContext, trigger: Trigger, cur: Any, limit: np.ndarray) -> Reasons:
    below = trigger.below is not None or trigger.below_by_tier is not None
    word = "below" if below else "above"
    name = trigger.field
    table = _limit_by_tier1(ctx, trigger)

    def reasons(idx: np.ndarray) -> CodedText:
        values = _numbers(cur)[idx]
        prev = ctx.value(name or "", previous=True) if ctx.previous is not None else None
        # A limit or an earlier value that is one for every row (a flat limit, no earlier
        # book) groups nothing: it is read as a number, not coded per row. A per-tier limit
        # is coded once per tier: equal limits, equal codes, as coding each row's gives.
        before = _numbers(prev)[idx] if prev is not None else np.broadcast_to(np.nan, idx.shape)
        codes = [tenths_codes(values)]
        if table is None:
            limits = np.broadcast_to(limit[:1], idx.shape)
        else:
            tier1 = ctx.tier1[idx]
            limits = table[tier1]
            codes.append(exact_codes(table)[tier1])

        def text(row: int) -> str:
            v, t, b = float(values[row]), float(limits[row]), float(before[row])
            return f"{name} {v:.1f} {word} {t:g}" + ("" if b != b else f" (was {b:.1f})")

        if not _is_broadcast(before):
            codes.append(tenths_codes(before))
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
    changed = true_mask(pc.not_equal(cur_t, prev_t))
    if trigger.to is not None:
        changed &= true_mask(pc.equal(cur_t, pa.scalar(str(trigger.to))))
    return changed


def _ranked(ctx: RuleContext, tier: np.ndarray) -> np.ndarray:
    ok = ~np.isnan(tier) & (tier >= 0)
    out = np.full(tier.shape, np.nan)
    out[ok] = ctx.rank[tier[ok].astype(np.int64)]
    return out


def _change_reasons(ctx: RuleContext, name: str, cur: Any, prev: Any) -> Reasons:
    tiers = [t.name for t in ctx.model.tiers]

    def word(v: Any) -> str:
        if name == "tier":
            return tiers[int(v)] if v == v and v >= 0 else "none"
        if name == "strategic":
            return "yes" if v == 1 else "no"
        return f"{v:g}"

    def show(values: Any, idx: np.ndarray) -> list[str]:
        if isinstance(values, np.ndarray):
            return [word(v) for v in values[idx]]
        return [str(v) for v in pc.take(values, pa.array(idx)).to_pylist()]

    def acv_text(a: Any) -> str:
        return f" (ACV {a:,.0f})" if a == a else ""

    def reasons(idx: np.ndarray) -> CodedText:
        if isinstance(cur, np.ndarray) and isinstance(prev, np.ndarray):
            # Equal (before, after) print the same; the ACV tail is one text per account.
            before, after = prev[idx], cur[idx]

            def text(row: int) -> str:
                return f"{name} changed from {word(before[row])} to {word(after[row])}"

            head = format_once([exact_codes(before), exact_codes(after)], text)
            return head.plus(ctx.acv_tails.take(idx)) if name == "tier" else head
        acv = ctx.book.acv[idx] if name == "tier" else None
        extra = [acv_text(a) for a in acv] if acv is not None else [""] * idx.size
        return CodedText.each(
            [
                f"{name} changed from {b} to {a}{e}"
                for b, a, e in zip(show(prev, idx), show(cur, idx), extra, strict=True)
            ]
        )

    return reasons


# -- conditions ------------------------------------------------------------------------------
def _has_condition(rule: Rule) -> bool:
    cond = rule.condition
    return not (
        cond.tiers is None and cond.bands is None and cond.strategic is None and not cond.signals
    )


def _condition(ctx: RuleContext, rule: Rule) -> np.ndarray:
    cond = rule.condition
    mask = np.ones(ctx.n, dtype=bool)
    if cond.tiers is not None:
        mask &= ctx.in_tiers(cond.tiers)
    if cond.bands is not None:
        mask &= ctx.in_bands(cond.bands)
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
    return true_mask(fn(values, pa.scalar(str(cmp.value))))


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
    """Values as float64, read only (a float64 column is handed as it is, not copied)."""
    if isinstance(values, np.ndarray):
        return values.astype(float, copy=False)
    return np.asarray(
        pc.cast(values, pa.float64(), safe=False).to_numpy(zero_copy_only=False), dtype=float
    )


# -- actions ---------------------------------------------------------------------------------
class _Found:
    """Every action found, as columns in the order the rules emit them (rule, action, account);
    rows become :class:`DueAction` objects only once, after deduplication and sorting. Reasons
    are codes into one list of texts. Each action's rows are held in the fewest bytes that
    fit (a large book finds an action for most accounts, several times over)."""

    def __init__(self) -> None:
        self.rules: list[str] = []
        self.labels: dict[str, int] = {}
        self.idx: list[np.ndarray] = []
        self.rule: list[tuple[int, int]] = []  # (rule, rows) per action
        self.label: list[np.ndarray] = []
        self.due: list[np.ndarray] = []  # per action: a column, or a 0-d date for every row
        self.reason: list[np.ndarray] = []
        self.texts: list[str] = []
        self.uses: dict[int, int] = {}  # label -> how many actions emit it
        self._lists: list[tuple[list[str], int]] = []  # text lists already added, and where

    def add(
        self,
        rule: str,
        idx: np.ndarray,
        labels: list[str],
        group: np.ndarray,
        due: np.ndarray,
        reason: CodedText,
    ) -> None:
        """Rows ``idx`` of ``rule``, each labelled ``labels[group[row]]``, due on ``due`` (a
        column, or one date for all)."""
        if not self.rules or self.rules[-1] != rule:
            self.rules.append(rule)
        ids = np.array([self.labels.setdefault(t, len(self.labels)) for t in labels], np.int32)
        self.idx.append(idx.astype(_index_type(max(int(idx[-1]) + 1, 1)), copy=False))
        self.rule.append((len(self.rules) - 1, idx.size))
        self.label.append(ids[group])
        present = np.zeros(len(labels), dtype=bool)
        present[group] = True
        for label in set(ids[present].tolist()):
            self.uses[label] = self.uses.get(label, 0) + 1
        self.due.append(due)
        offset = self._offset(reason.texts)
        codes = np.empty(idx.size, dtype=_index_type(len(self.texts)))
        np.add(reason.codes, offset, out=codes, casting="unsafe")
        self.reason.append(codes)

    def _offset(self, texts: list[str]) -> int:
        """Where ``texts`` sit in the shared list (actions of one rule share their reasons)."""
        for known, at in self._lists:
            if known is texts:
                return at
        at = len(self.texts)
        self.texts.extend(texts)
        self._lists.append((texts, at))
        return at

    def due_actions(self, ctx: RuleContext) -> list[DueAction]:
        """:meth:`due_columns` as rows."""
        return self.due_columns(ctx).rows()

    def due_columns(self, ctx: RuleContext) -> DueColumns:
        """One row per account, action and due date (later rules asking the same are named in
        the first one's reason), sorted by due date then account, ties in emission order.
        The rows found are handed over: call once."""
        if not self.idx:
            return DueColumns(
                pa.array([], type=pa.string()),
                [],
                np.array([], dtype=np.int64),
                [],
                np.array([], dtype=np.int64),
                np.array([], dtype="datetime64[D]"),
                np.array([], dtype=np.int64),
                [],
            )
        sizes = [size for _, size in self.rule]
        rule = np.repeat(
            np.array([r for r, _ in self.rule], dtype=_small_type(len(self.rules))), sizes
        )
        due = np.concatenate(
            [_due_column(d, size) for d, size in zip(self.due, sizes, strict=True)]
        )
        # The actions' own columns are released as each is joined (a lower peak).
        idx = _joined(self.idx)
        label = _joined(self.label)
        reason = _joined(self.reason)
        self.rule, self.due = [], []
        texts = list(self.texts)
        day = due.astype("datetime64[D]", copy=False).view(np.int64)
        rank = ctx.id_rank
        account = rank[idx]
        order = _stable_order(day, account)
        # Only a label emitted by two actions (or an id on two rows) can repeat a row.
        shared = np.zeros(len(self.labels), dtype=bool)
        shared[[k for k, uses in self.uses.items() if uses > 1]] = True
        if rank.size and int(rank.max()) < rank.size:
            shared[:] = True
        sel = np.flatnonzero(shared[label[order]]) if shared.any() else np.zeros(0, np.int64)
        at = order[sel]
        later, first = repeats(label[at], day[at], account[at])
        later, first = sel[later], sel[first]
        if later.size:
            _name_repeats(order[later], order[first], rule, self.rules, reason, texts)
            keep = np.ones(order.size, dtype=bool)
            keep[later] = False
            final = order[keep]
        else:
            final = order
        rows = idx[final]
        ids = Background(lambda: pc.take(ctx.book.id_column(), arrow_array(rows)))
        codes, used = _used_texts(reason[final], texts)  # meanwhile, here
        return DueColumns(
            rules=list(self.rules),
            rule=rule[final],
            labels=list(self.labels),
            label=label[final],
            due=due[final],
            reason=codes,
            reasons=used,
            book_rows=rows,
            ids=ids.result(),
        )


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """The parts as one column, emptying ``parts`` as they are copied."""
    out = np.empty(sum(p.size for p in parts), dtype=np.result_type(*parts))
    at = 0
    parts.reverse()
    while parts:
        part = parts.pop()
        out[at : at + part.size] = part
        at += part.size
    return out


def _small_type(count: int) -> type[np.signedinteger[Any]]:
    """The smallest signed integer type for codes below ``count``."""
    for kind in (np.int8, np.int16, np.int32):
        if count <= np.iinfo(kind).max + 1:
            return kind
    return np.int64


def _name_repeats(
    later: np.ndarray,
    first: np.ndarray,
    rule: np.ndarray,
    rules: list[str],
    reason: np.ndarray,
    texts: list[str],
) -> None:
    """Append ``; also rule <name>`` to each kept row's reason for every row repeating it
    (rows ``later`` repeat rows ``first``), in emission order; one text per distinct reason
    and list of names."""
    by_pos = np.argsort(later, kind="stable")
    later, first = later[by_pos], first[by_pos]
    grouped = np.argsort(first, kind="stable")  # each kept row's repeats together, in order
    later, first = later[grouped], first[grouped]
    new = np.ones(first.size, dtype=bool)
    new[1:] = first[1:] != first[:-1]
    starts = np.flatnonzero(new)
    kept = first[starts]
    count = np.diff(np.append(starts, first.size))
    # The names appended to a kept row, as one code: its repeats' rules as digits.
    base = len(rules) + 1
    tail = np.zeros(kept.size, dtype=np.int64)
    exact = int(count.max()) * np.log2(base) < 62
    if exact:
        for j in range(int(count.max())):
            has = count > j
            tail[has] = tail[has] * base + rule[later[starts[has] + j]] + 1
    else:  # too many names for one code: each kept row gets its own text
        tail = np.arange(kept.size, dtype=np.int64)
    group, row = group_rows(reason[kept], tail)
    names = [rules[r] for r in rule[later].tolist()]
    bounds = np.append(starts, first.size).tolist()
    made = []
    for r in row.tolist():
        also = "".join(f"; also rule {n}" for n in names[bounds[r] : bounds[r + 1]])
        made.append(texts[int(reason[kept[r]])] + also)
    reason[kept] = len(texts) + group
    texts.extend(made)


def _used_texts(codes: np.ndarray, texts: list[str]) -> tuple[np.ndarray, list[str]]:
    """The codes renumbered over the texts they use, and those texts (in list order)."""
    if not texts:
        return codes, texts
    used, ranks = dense_ranks(codes, len(texts), _index_type(len(texts)))
    return ranks, [texts[i] for i in used.tolist()]


def repeats(label: np.ndarray, day: np.ndarray, account: np.ndarray) -> tuple[np.ndarray, ...]:
    """Rows (already sorted by day, account, emission) repeating an earlier row's account,
    label and day, and for each the first such row: repeats sit in one run of equal day and
    account, so each row is compared with the few rows before it in its run."""
    n = label.size
    if n < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    start = np.ones(n, dtype=bool)
    start[1:] = (day[1:] != day[:-1]) | (account[1:] != account[:-1])
    run = np.cumsum(start) - 1
    heads = np.flatnonzero(start)
    length = np.diff(np.append(heads, n))
    if int(length.max()) < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    rows = np.flatnonzero(length[run] > 1)
    place = rows - heads[run[rows]]  # position within its run
    first = np.full(rows.size, -1, dtype=np.int64)
    for k in range(1, int(length.max())):
        back = np.flatnonzero(place >= k)
        same = label[rows[back]] == label[rows[back] - k]
        first[back[same]] = rows[back[same]] - k  # the largest k wins: the earliest row
    found = first >= 0
    return rows[found], first[found]


# Runs of ascending codes (actions emitted in account order) are merged by numpy's stable sort
# of wide integers (timsort) faster than radix passes sort them, while at most this share of
# rows starts a new run.
_FEW_DESCENTS = 1 / 8


def _stable_order(*keys: np.ndarray) -> np.ndarray:
    """Row order sorted by ``keys`` (first key first), equal rows keeping their order: one
    stable sort of a combined code when it fits 63 bits (merging its ascending runs when they
    are long, else by radix), else a lexsort."""
    code: np.ndarray | None = None
    room = 1
    for key in keys:
        low, high = (int(key.min()), int(key.max())) if key.size else (0, 0)
        room *= high - low + 1
        if room >= 2**62:
            return np.lexsort((np.arange(keys[0].size), *reversed(keys)))
        if code is None:
            code = key.astype(np.int64)  # a copy, combined in place below
            code -= low
        else:
            code *= high - low + 1
            code += key
            code -= low
    assert code is not None
    if code.size > 1 and np.count_nonzero(code[1:] < code[:-1]) <= _FEW_DESCENTS * code.size:
        return np.argsort(code, kind="stable")
    return radix_order(code, room)


def radix_order(code: np.ndarray, room: int) -> np.ndarray:
    """``np.argsort(code, kind="stable")`` for codes in ``[0, room)``: a stable sort by each
    16-bit digit, lowest first (numpy sorts 16-bit integers by counting, in linear time)."""
    order = np.argsort((code & 0xFFFF).astype(np.uint16), kind="stable")
    shift = 16
    while room > 1 << shift:
        digit = ((code[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
        shift += 16
    return order


def _actions(
    ctx: RuleContext,
    rule: Rule,
    fires: np.ndarray,
    dates: Dates,
    reasons: Reasons,
    playbooks: list[Any],
    notes: list[str],
    found: _Outcome,
) -> None:
    """Add the rows of ``rule``'s actions to ``found``: labels per (tier, band, target, origin)
    group, reasons once per account, all as columns."""
    chunks: list[
        tuple[Action, np.ndarray, list[tuple[str, str] | None], np.ndarray, np.ndarray]
    ] = []
    for action in rule.actions:
        mask = fires
        if action.tiers is not None:
            mask = mask & ctx.in_tiers(action.tiers)
        if action.bands is not None:
            mask = mask & ctx.in_bands(action.bands)
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            continue
        if action.type == "move_tier" and ctx.prev_tier is not None:
            tier = ctx.tier[idx]
            band = np.full(idx.size, -1)
            target = ctx.relative_tier(action.tier, tier)
            before = ctx.prev_tier[idx]
            origin = np.where(np.isnan(before), tier, np.nan_to_num(before)).astype(np.int64)
            uniq, inverse = _groups(tier, band, target, origin)
        else:
            uniq, inverse = _tier_band_groups(ctx, action, idx)
        groups = [
            _label(ctx, rule, action, int(t), int(b), int(g), int(o), playbooks, notes)
            for t, b, g, o in uniq
        ]
        ok = np.array([g is not None for g in groups], dtype=bool)
        if not ok.all():
            keep = ok[inverse]
            idx, inverse = idx[keep], inverse[keep]
        if idx.size == 0:
            continue
        due = _due(dates, idx, action.due_days)
        chunks.append((action, idx, groups, inverse, due))
    if not chunks:
        return
    if len(chunks) == 1:
        every, at = chunks[0][1], None
    else:
        wanted = np.zeros(ctx.n, dtype=bool)
        for chunk in chunks:
            wanted[chunk[1]] = True
        every = np.flatnonzero(wanted)
        at = np.cumsum(wanted, dtype=_index_type(every.size))  # row -> its place in ``every``
        at -= 1
    why = reasons(every)
    for action, idx, groups, inverse, due in chunks:
        rows = why if at is None else why.take(at[idx])
        labels = [g[0] if g is not None else "" for g in groups]
        if action.type == "move_tier" and (action.temporary_days or action.overlap_days):
            extras = [g[1] if g is not None else "" for g in groups]
            # One text per (group, due date): a few hundred, however many accounts.
            pair, first = group_rows(inverse, _due_column(due, idx.size).view(np.int64))
            days = _due_column(due, idx.size)[first].astype(object).tolist()
            details = [
                _detail(action, extras[g], d)
                for g, d in zip(inverse[first].tolist(), days, strict=True)
            ]
            rows = rows.plus(CodedText(pair, details))
        else:
            group_detail = [_detail(action, g[1], None) if g is not None else "" for g in groups]
            if any(group_detail):
                rows = rows.plus(CodedText(inverse, group_detail))
        found.add(rule.name, idx, labels, inverse, due, rows)


def _is_broadcast(values: np.ndarray) -> bool:
    """Whether ``values`` is one value seen on every row (a broadcast, nothing allocated)."""
    return values.ndim == 1 and values.size > 1 and values.strides[0] == 0


def _due(dates: Dates, idx: np.ndarray, days: int) -> np.ndarray:
    """The due dates of rows ``idx``: a 0-d array when ``dates`` is one date for every row
    (a broadcast), else a column."""
    step = np.timedelta64(days, "D")
    if isinstance(dates, np.ndarray) and _is_broadcast(dates):
        return np.asarray(dates[0] + step)
    due = dates[idx]
    if days:
        due += step
    return due


def _due_column(due: np.ndarray, n: int) -> np.ndarray:
    """:func:`_due`'s dates as a column of ``n`` rows."""
    return np.full(n, due) if due.ndim == 0 else due


def _index_type(n: int) -> type[np.signedinteger[Any]]:
    """Positions below ``n`` in four bytes when they fit."""
    return np.int32 if n < 2**31 else np.int64


def _tier_band_groups(
    ctx: RuleContext, action: Action, idx: np.ndarray
) -> tuple[list[tuple[int, ...]], np.ndarray]:
    """:func:`_groups` of (tier, band, target, origin) for rows ``idx`` when the target and the
    origin follow from the tier: the distinct (tier, band) pairs of one small code per row,
    in the same order and with the same group numbers."""
    bands = len(ctx.health.band_names) + 1 if _needs_band(action) else 1
    key = ctx.tier1[idx].astype(np.int32)
    if bands > 1:
        key *= bands
        key += ctx.band1[idx]
    present, inverse = dense_ranks(key, (len(ctx.model.tiers) + 1) * bands, np.int32)
    tier = present // bands - 1
    band = present % bands - 1
    target = ctx.relative_tier(action.tier, tier)
    uniq: list[tuple[int, ...]] = [
        (int(t), int(b), int(g), int(t))
        for t, b, g in zip(tier.tolist(), band.tolist(), target.tolist(), strict=True)
    ]
    return uniq, inverse


def _groups(*columns: np.ndarray) -> tuple[list[tuple[int, ...]], np.ndarray]:
    """The distinct rows of small-integer ``columns`` (values >= -1) in sorted order, and each
    row's group: one code per row and a presence table, no sort."""
    ints = [np.asarray(c, dtype=np.int64) + 1 for c in columns]
    base = max(int(c.max()) for c in ints) + 1
    code = np.zeros(ints[0].size, dtype=np.int64)
    for c in ints:
        code = code * base + c
    present, inverse = dense_ranks(code, base ** len(ints))
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
