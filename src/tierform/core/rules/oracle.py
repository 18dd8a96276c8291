"""Generated rule test cases: five sample accounts per rule with outcomes known by construction.

For each trigger kind the accounts sit on either side of the rule's boundary (and on it), so
the expected outcome follows from the construction; the condition and the expected action labels
are worked out here from the rule's declaration and the model, independently of the engine.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tierform.core.health.defaults import effective_health
from tierform.core.model import CoverageModel, Tier
from tierform.core.playbooks.library import effective_playbooks, playbook_for
from tierform.core.rules.spec import RESPONDER, Action, Rule, RuleCase

AS_OF = dt.date(2026, 1, 15)
CASES_PER_RULE = 5


def _mid_acv(tier: Tier) -> float:
    if tier.max_acv is None:
        return max(tier.min_acv * 2, 1.0)
    return (tier.min_acv + tier.max_acv) / 2


def _ranked(model: CoverageModel) -> list[Tier]:
    return sorted(model.tiers, key=lambda t: t.min_acv)


class _Oracle:
    def __init__(self, model: CoverageModel, rule: Rule) -> None:
        self.model = model
        self.rule = rule
        self.health = effective_health(model)
        self.bands = self.health.bands or []
        self.playbooks = effective_playbooks(model)
        self.ranked = _ranked(model)
        cond = rule.condition.tiers
        self.tiers = [t for t in model.tiers if cond is None or t.name in cond] or list(model.tiers)

    # -- what the model says ---------------------------------------------------------------
    def band_of(self, score: float | None) -> str | None:
        if score is None:
            return None
        for band in self.bands:  # highest first
            if score >= band.min:
                return band.name
        return None

    def band_mid(self, name: str) -> float:
        i = [b.name for b in self.bands].index(name)
        top = 100.0 if i == 0 else self.bands[i - 1].min
        return (self.bands[i].min + top) / 2

    def computed_tier(self, record: dict[str, Any]) -> Tier:
        if record.get("strategic") and self.model.segmentation.strategic_override:
            return self.ranked[-1]
        acv = float(record["acv"])
        return [t for t in self.ranked if t.min_acv <= acv][-1]

    def relative(self, word: str | None, tier: Tier) -> Tier | None:
        pos = self.ranked.index(tier)
        if word in (None, "segment"):
            return tier
        if word == "top":
            return self.ranked[-1]
        if word in ("up", "down"):
            new = pos + (1 if word == "up" else -1)
            return self.ranked[new] if 0 <= new < len(self.ranked) else None
        return next(t for t in self.model.tiers if t.name == word)

    def condition_holds(self, record: dict[str, Any], tier: Tier) -> bool:
        cond = self.rule.condition
        if cond.tiers is not None and tier.name not in cond.tiers:
            return False
        if cond.bands is not None and self.band_of(record.get("health_score")) not in cond.bands:
            return False
        if cond.strategic is not None and bool(record.get("strategic")) != cond.strategic:
            return False
        for cmp in cond.signals:
            value = record.get(cmp.field)
            if value is None:
                return False
            target: Any = cmp.value
            if not isinstance(value, str):
                value, target = float(value), float(target)
            ops = {
                "<": value < target,
                "<=": value <= target,
                ">": value > target,
                ">=": value >= target,
                "==": value == target,
                "!=": value != target,
            }
            if not ops[cmp.op]:
                return False
        return True

    def labels(self, record: dict[str, Any], before: Tier | None) -> list[str]:
        """The actions the rule declares for this account, as labels."""
        tier = self.computed_tier(record)
        if not self.condition_holds(record, tier):
            return []
        band = self.band_of(record.get("health_score"))
        out = []
        for action in self.rule.actions:
            label = self._label(action, tier, band, before)
            if label is not None:
                out.append(label)
        return sorted(out)

    def _label(
        self, action: Action, tier: Tier, band: str | None, before: Tier | None
    ) -> str | None:
        if action.tiers is not None and tier.name not in action.tiers:
            return None
        if action.bands is not None and band not in action.bands:
            return None
        target = self.relative(action.tier, tier)
        kind = action.type
        if kind == "assign" and target is not None:
            layer = str(target.layer)
            if layer == "named" and target.ratio is not None:
                return f"assign_csm:{target.name}"
            if layer == "pooled":
                return f"assign_pool:{target.pool_name}"
            return f"assign_digital:{target.name}"
        if kind == "assign_csm" and target is not None:
            return f"assign_csm:{action.to or target.name}"
        if kind == "assign_pool" and target is not None:
            return f"assign_pool:{action.to or target.pool_name}"
        if kind == "start_playbook":
            if action.playbook:
                return f"start_playbook:{action.playbook}"
            pb = playbook_for(self.playbooks, action.stage or "", tier.name)
            return None if pb is None else f"start_playbook:{pb.name}"
        if kind == "create_task":
            return f"create_task:{action.text}"
        if kind == "notify":
            if action.to != RESPONDER:
                return f"notify:{action.to}"
            who = (self.health.responses or {}).get(tier.name, {}).get(band or "")
            return None if not who else f"notify:{who}"
        if kind == "move_tier" and target is not None:
            origin = before or tier
            return None if target.name == origin.name else f"move_tier:{target.name}"
        return None

    # -- accounts --------------------------------------------------------------------------
    def account(self, tier: Tier, **values: Any) -> dict[str, Any]:
        record: dict[str, Any] = {
            "account_id": "GEN-1",
            "acv": _mid_acv(tier),
            "contract_start": (AS_OF - dt.timedelta(days=400)).isoformat(),
            "renewal_date": (AS_OF + dt.timedelta(days=300)).isoformat(),
        }
        bands = self.rule.condition.bands
        if bands:
            record["health_score"] = self.band_mid(bands[0])
        for cmp in self.rule.condition.signals:
            record[cmp.field] = _satisfy(cmp.op, cmp.value)
        record.update(values)
        return record

    def case(
        self,
        name: str,
        record: dict[str, Any],
        previous: dict[str, Any] | None,
        fires: bool,
        before: Tier | None = None,
        new_account: bool = False,
    ) -> RuleCase:
        expect = self.labels(record, before) if fires else []
        prev = (
            None if previous is None else {k: v for k, v in previous.items() if k != "account_id"}
        )
        return RuleCase(
            case=f"generated: {name}",
            as_of=AS_OF,
            account=record,
            previous=prev,
            new_account=new_account,
            expect=expect,
        )

    def pick(self, i: int) -> Tier:
        return self.tiers[i % len(self.tiers)]


def _satisfy(op: str, value: float | bool | str) -> Any:
    if isinstance(value, bool) or isinstance(value, str):
        return (
            value
            if op in ("==", "<=", ">=")
            else (f"{value}-other" if isinstance(value, str) else not value)
        )
    step = {"<": -1, "<=": 0, ">": 1, ">=": 0, "==": 0, "!=": 1}[op]
    return value + step


def generate_cases(model: CoverageModel, rule: Rule) -> list[RuleCase]:
    """Five cases for the rule, around the boundary of its trigger."""
    o = _Oracle(model, rule)
    kind = rule.trigger.type
    if kind == "days_before_date":
        return _days_before(o)
    if kind == "account_created":
        return _created(o)
    if kind == "threshold_crossed":
        return _threshold(o)
    if rule.trigger.field == "tier":
        return _tier_change(o)
    return _field_change(o)


def _days_before(o: _Oracle) -> list[RuleCase]:
    t = o.rule.trigger
    cases = []
    specs = [
        ("exactly the lead away", 0, True),
        ("a day inside the lead", -1, True),
        ("a day outside the lead", 1, False),
        ("the date is today", None, True),
        ("the date has passed", None, False),
    ]
    for i, (name, shift, fires) in enumerate(specs):
        tier = o.pick(i)
        lead = t.days if t.days_by_tier is None else t.days_by_tier.get(tier.name)
        if lead is None:
            lead, fires = 30, False
        days = lead + shift if shift is not None else (0 if fires else -1)
        record = o.account(tier, **{t.date_field: (AS_OF + dt.timedelta(days=days)).isoformat()})
        cases.append(
            o.case(f"{tier.name}, {t.date_field} {days} days away ({name})", record, None, fires)
        )
    return cases


def _created(o: _Oracle) -> list[RuleCase]:
    within = o.rule.trigger.within_days
    cases = []
    for i in range(2):
        tier = o.pick(i)
        cases.append(
            o.case(
                f"{tier.name} account not in the previous book",
                o.account(tier),
                None,
                True,
                new_account=True,
            )
        )
    tier = o.pick(2)
    cases.append(
        o.case(
            f"{tier.name} account already in the previous book",
            o.account(tier),
            o.account(tier),
            False,
        )
    )
    tier = o.pick(3)
    today = o.account(tier, contract_start=AS_OF.isoformat())
    cases.append(
        o.case(
            f"{tier.name} contract starts on the as-of date (no previous book)", today, None, True
        )
    )
    old = o.account(tier, contract_start=(AS_OF - dt.timedelta(days=within)).isoformat())
    cases.append(
        o.case(
            f"{tier.name} contract started {within} days ago (outside the window)", old, None, False
        )
    )
    return cases


def _threshold(o: _Oracle) -> list[RuleCase]:
    t = o.rule.trigger
    below = t.below is not None or t.below_by_tier is not None
    sign = -1 if below else 1
    name = t.field or ""
    cases = []

    def limit(tier: Tier) -> float | None:
        by_tier = t.below_by_tier if below else t.above_by_tier
        flat = t.below if below else t.above
        return by_tier.get(tier.name) if by_tier is not None else flat

    plans = [
        ("crossed since the previous book", 5, 1, True),
        ("reached exactly", 5, 0, False),
        ("beyond it, no previous book", None, 1, True),
        ("already beyond it before", -3, 6, False),
        ("short of it, no previous book", None, -1, False),
    ]
    for i, (label, before, now, fires) in enumerate(plans):
        tier = o.pick(i // 2)
        thr = limit(tier)
        if thr is None:
            thr, fires = 50.0, False
        value = thr + sign * now
        record = o.account(tier, **{name: value})
        previous = None
        if before is not None:
            previous = o.account(tier, **{name: thr - sign * before})
        cases.append(
            o.case(f"{tier.name}: {name} {value:g} vs {thr:g} ({label})", record, previous, fires)
        )
    return cases


def _tier_change(o: _Oracle) -> list[RuleCase]:
    t = o.rule.trigger
    ranked = o.ranked
    if len(ranked) < 2:
        return []
    cases = []
    up_ok = t.direction in ("any", "up")
    down_ok = t.direction in ("any", "down")

    def move(a: Tier, b: Tier, label: str, fires: bool) -> RuleCase:
        now = o.account(b)
        matches = fires and (t.to is None or b.name == t.to)
        return o.case(f"{a.name} -> {b.name} ({label})", now, o.account(a), matches, before=a)

    cond = o.rule.condition.tiers
    allowed = [i for i, tier in enumerate(ranked) if cond is None or tier.name in cond]
    up_to = next((i for i in allowed if i > 0), 1)
    down_to = next((i for i in allowed if i < len(ranked) - 1), 0)
    cases.append(move(ranked[up_to - 1], ranked[up_to], "expansion past a boundary", up_ok))
    cases.append(
        move(ranked[down_to + 1], ranked[down_to], "contraction below a boundary", down_ok)
    )
    same = ranked[allowed[0] if allowed else 0]
    cases.append(move(same, same, "same tier", False))
    cases.append(
        o.case(
            f"{same.name}: new account, no earlier tier",
            o.account(same),
            None,
            False,
            new_account=True,
        )
    )
    if len(ranked) > 2:
        cases.append(move(ranked[0], ranked[2], "two tiers up", up_ok))
    else:
        cases.append(move(ranked[1], ranked[0], "down again", down_ok))
    return cases


def _field_change(o: _Oracle) -> list[RuleCase]:
    t = o.rule.trigger
    name = t.field or ""
    tier = next((x for x in o.ranked if x is not o.ranked[-1]), o.ranked[0])
    plans: list[tuple[Any, Any, bool]]
    if isinstance(t.to, bool) or name == "strategic":
        to = True if t.to is None else bool(t.to)
        plans = [
            (not to, to, True),
            (to, to, False),
            (to, not to, t.to is None),
            (not to, not to, False),
        ]
    elif isinstance(t.to, str):
        plans = [
            (f"{t.to}-before", t.to, True),
            (t.to, t.to, False),
            (t.to, f"{t.to}-after", False),
            (f"{t.to}-x", f"{t.to}-y", False),
        ]
    else:
        base = 10.0 if t.to is None else float(t.to) - 5
        after = base + 5 if t.to is None else float(t.to)
        plans = [
            (base, after, t.direction in ("any", "up")),
            (after, after, False),
            (after, base, t.direction in ("any", "down") and t.to is None),
            (base, base + 20 if t.to is None else after, t.direction in ("any", "up")),
        ]
    cases = []
    for before, now, fires in plans:
        record = o.account(tier, **{name: now})
        prev = o.account(tier, **{name: before})
        before_tier = o.computed_tier(prev)
        cases.append(o.case(f"{name} {before} -> {now}", record, prev, fires, before=before_tier))
    cases.append(
        o.case(
            f"{name}: new account, no earlier value",
            o.account(tier, **{name: plans[0][1]}),
            None,
            False,
            new_account=True,
        )
    )
    return cases[:CASES_PER_RULE]
