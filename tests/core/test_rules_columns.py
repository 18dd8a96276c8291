"""The column-wise rules engine against a straightforward per-account reference.

The reference below evaluates each rule's actions one account at a time (label, due date,
reason) and deduplicates with a dict, the way the engine's output is specified; the engine must
give the same rows in the same order, with the same reasons and notes, on generated books where
many rules fire at once (tier moves with overlap and temporary reviews, health alerts, renewals,
new accounts, duplicates across rules).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from tierform.core.book import AccountBook, book_from_records
from tierform.core.health.spec import HealthSpec
from tierform.core.loader import default_model
from tierform.core.model import CoverageModel
from tierform.core.playbooks.library import effective_playbooks
from tierform.core.rules import engine
from tierform.core.rules.context import RuleContext
from tierform.core.rules.engine import effective_rules, run_rules
from tierform.core.rules.spec import Rule
from tierform.errors import ConfigError
from tierform.testing.sample import generate_accounts

AS_OF = dt.date(2026, 3, 1)


def reference(
    model: CoverageModel, book: AccountBook, previous: AccountBook | None, rules: list[Rule]
) -> tuple[list[tuple[str, str, str, dt.date, str]], list[str]]:
    """(account, rule, action, due, reason) rows and notes, one account at a time."""
    ctx = RuleContext(model, book, AS_OF, previous)
    playbooks = effective_playbooks(model)
    ids = [str(v) for v in book.table.column("account_id").to_pylist()]
    notes: list[str] = []
    rows: list[tuple[str, str, str, dt.date, str]] = []
    for rule in rules:
        if not rule.enabled:
            notes.append(f"{rule.name}: disabled")
            continue
        fired = engine._trigger(ctx, rule.trigger, rule.name, notes)
        if fired is None:
            continue
        fires, dates, reasons = fired
        fires = fires & engine._condition(ctx, rule)
        for action in rule.actions:
            tiers = None if action.tiers is None else {ctx.tier_index(t) for t in action.tiers}
            bands = None if action.bands is None else {ctx.band_index(b) for b in action.bands}
            groups: dict[tuple[int, int, int, int], Any] = {}
            picked = []
            for i in np.flatnonzero(fires).tolist():
                tier = int(ctx.tier[i])
                if tiers is not None and tier not in tiers:
                    continue
                if bands is not None and int(ctx.health.band_index[i]) not in bands:
                    continue
                picked.append(i)
            if not picked:
                continue
            idx = np.array(picked, dtype=np.int64)
            targets = ctx.relative_tier(action.tier, ctx.tier[idx])
            for k, i in enumerate(picked):
                tier = int(ctx.tier[i])
                band = int(ctx.health.band_index[i]) if engine._needs_band(action) else -1
                origin = tier
                if action.type == "move_tier" and ctx.prev_tier is not None:
                    before = ctx.prev_tier[i]
                    origin = tier if np.isnan(before) else int(before)
                groups[(tier, band, int(targets[k]), origin)] = None
            labels = {
                g: engine._label(ctx, rule, action, *g, playbooks, notes) for g in sorted(groups)
            }
            for k, i in enumerate(picked):
                tier = int(ctx.tier[i])
                band = int(ctx.health.band_index[i]) if engine._needs_band(action) else -1
                origin = tier
                if action.type == "move_tier" and ctx.prev_tier is not None:
                    before = ctx.prev_tier[i]
                    origin = tier if np.isnan(before) else int(before)
                found = labels[(tier, band, int(targets[k]), origin)]
                if found is None:
                    continue
                label, extra = found
                due = (dates[i] + np.timedelta64(action.due_days, "D")).astype(object)
                why = reasons(np.array([i], dtype=np.int64))[0]
                reason = why + engine._detail(action, extra, due)
                rows.append((ids[i], rule.name, label, due, reason))
    first: dict[tuple[str, str, dt.date], int] = {}
    out: list[tuple[str, str, str, dt.date, str]] = []
    for row in rows:
        key = (row[0], row[2], row[3])
        if key in first:
            kept = out[first[key]]
            out[first[key]] = (*kept[:4], f"{kept[4]}; also rule {row[1]}")
            continue
        first[key] = len(out)
        out.append(row)
    out.sort(key=lambda r: (r[3], r[0]))
    return out, notes


def books(n: int, seed: int) -> tuple[AccountBook, AccountBook]:
    """A previous and a current book: ACVs moved across tiers, strategic flips, health
    signals shifted, a tenth of the accounts new and a tenth gone."""
    rng = np.random.default_rng(seed)
    before = generate_accounts(n, seed=seed).to_pylist()
    after = []
    for i, rec in enumerate(before):
        now = dict(rec)
        if rng.random() < 0.3 and now.get("acv") is not None:
            now["acv"] = round(float(now["acv"]) * float(rng.choice([0.1, 0.5, 3.0, 12.0])), 2)
        if rng.random() < 0.1:
            now["strategic"] = not bool(now.get("strategic"))
        if rng.random() < 0.3:
            now["logins_per_week"] = 0.0
            now["feature_adoption"] = 0.05
        if rng.random() < 0.1:
            now["account_id"] = f"NEW-{i:05d}"
            now["contract_start"] = AS_OF - dt.timedelta(days=int(rng.integers(0, 10)))
        after.append(now)
    return book_from_records(before), book_from_records(after)


def extra_rules(model: CoverageModel) -> list[Rule]:
    """More rules that fire together: a temporary move, per-band alerts, a task duplicating the
    defaults' assignments, due-date offsets, a disabled rule and one on a missing column."""
    names = [t.name for t in model.tiers]
    specs: list[dict[str, Any]] = [
        {
            "name": "temp-bump",
            "trigger": {"type": "threshold_crossed", "field": "health_score", "below": 55},
            "actions": [
                {"type": "move_tier", "tier": "up", "temporary_days": 30, "overlap_days": 7},
                {"type": "notify", "to": "responder", "due_days": 2},
                {"type": "create_task", "text": "call", "due_days": 1, "tiers": names[:2]},
            ],
        },
        {
            "name": "route-again",
            "trigger": {"type": "account_created"},
            "actions": [{"type": "assign"}, {"type": "notify", "to": "ops"}],
        },
        {
            "name": "renewal-task",
            "trigger": {"type": "days_before_date", "days": 120},
            "actions": [{"type": "create_task", "text": "prep renewal", "due_days": 3}],
        },
        {
            "name": "off",
            "enabled": False,
            "trigger": {"type": "account_created"},
            "actions": [{"type": "notify", "to": "x"}],
        },
        {
            "name": "no-column",
            "trigger": {"type": "threshold_crossed", "field": "nps", "below": 1},
            "actions": [{"type": "notify", "to": "x"}],
        },
    ]
    return [Rule.model_validate(s) for s in specs]


@pytest.mark.parametrize("seed", [3, 11])
def test_engine_matches_the_per_account_reference(seed: int) -> None:
    model = default_model()
    before, after = books(1500, seed)
    rules = effective_rules(model) + extra_rules(model)
    run = run_rules(model, after, AS_OF, before, rules=rules)
    want, want_notes = reference(model, after, before, rules)
    got = [(a.account_id, a.rule, a.action, a.due, a.reason) for a in run.actions]
    assert len(want) > 1500  # many rules fire
    assert any("; also rule " in r[4] for r in want)  # and some ask the same thing
    assert any("temporary for 30 days" in r[4] for r in want)
    assert got == want
    assert run.notes == want_notes


def test_without_a_previous_book_matches_the_reference() -> None:
    model = default_model()
    _, book = books(800, 5)
    rules = effective_rules(model) + extra_rules(model)
    run = run_rules(model, book, AS_OF, rules=rules)
    want, want_notes = reference(model, book, None, rules)
    assert want
    assert [(a.account_id, a.rule, a.action, a.due, a.reason) for a in run.actions] == want
    assert run.notes == want_notes


def test_no_rule_fires_gives_no_actions() -> None:
    model = default_model()
    book = book_from_records([{"account_id": "A", "acv": 50_000.0}])
    rule = Rule.model_validate(
        {
            "name": "never",
            "trigger": {"type": "threshold_crossed", "field": "acv", "above": 1e12},
            "actions": [{"type": "notify", "to": "x"}],
        }
    )
    run = run_rules(model, book, AS_OF, rules=[rule])
    assert run.actions == [] and run.by_rule() == {}


def test_health_is_scored_behind_the_other_rules_whose_rows_keep_the_rules_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The rules that read health are evaluated last, while it is scored on a second thread;
    the rows and notes still come in the rules' order (the reference evaluates in order)."""
    started: list[str] = []
    real = RuleContext.score_health_behind

    def spy(ctx: RuleContext) -> None:
        real(ctx)
        assert ctx._scoring is not None
        started.append(ctx._scoring.name)

    monkeypatch.setattr(RuleContext, "score_health_behind", spy)
    model = default_model()
    _, book = books(600, 8)
    rules = effective_rules(model) + extra_rules(model)
    assert [engine.reads_health(r) for r in rules[:4]] == [False, True, True, False]
    run = run_rules(model, book, AS_OF, rules=rules)
    want, want_notes = reference(model, book, None, rules)
    assert started == ["tierform-health"]
    assert [(a.account_id, a.rule, a.action, a.due, a.reason) for a in run.actions] == want
    assert run.notes == want_notes


def test_health_alone_or_given_is_not_scored_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(RuleContext, "score_health_behind", lambda ctx: calls.append(1))
    model = default_model()
    _, book = books(200, 9)
    by_name = {r.name: r for r in effective_rules(model)}
    run_rules(model, book, AS_OF, rules=[by_name["health-drop-alert"]])  # nothing to overlap
    run_rules(model, book, AS_OF, rules=[by_name["route-by-acv-tier"]])  # no health read
    assert calls == []


def test_an_error_scoring_health_behind_is_raised_by_the_run() -> None:
    spec = {
        "signals": {
            "nps": {
                "dimension": "sentiment",
                "column": "nps_score",
                "normalise": {"type": "linear", "worst": 0, "best": 10},
            }
        },
        "weights": {"sentiment": 100},
        "tier_weights": {},
    }
    model = default_model()
    model = model.model_copy(update={"health": HealthSpec.model_validate(spec)})
    _, book = books(100, 4)
    with pytest.raises(ConfigError, match="column 'nps_score' is not in the book"):
        run_rules(model, book, AS_OF, rules=effective_rules(default_model()))


@pytest.mark.parametrize(
    ("spec", "reads"),
    [
        ({"trigger": {"type": "account_created"}}, False),
        ({"trigger": {"type": "threshold_crossed", "field": "acv", "above": 1}}, False),
        ({"trigger": {"type": "threshold_crossed", "field": "health_score", "below": 1}}, True),
        ({"trigger": {"type": "threshold_crossed", "field": "health.usage", "above": 1}}, True),
        ({"trigger": {"type": "field_change", "field": "band"}}, True),
        (
            {
                "trigger": {"type": "account_created"},
                "condition": {"signals": [{"field": "band", "op": "==", "value": "red"}]},
            },
            True,
        ),
        ({"trigger": {"type": "account_created"}, "condition": {"bands": ["red"]}}, True),
        (
            {
                "trigger": {"type": "account_created"},
                "actions": [{"type": "notify", "to": "x", "bands": ["red"]}],
            },
            True,
        ),
        (
            {
                "trigger": {"type": "account_created"},
                "actions": [{"type": "notify", "to": "responder"}],
            },
            True,
        ),
    ],
)
def test_which_rules_read_health(spec: dict[str, Any], reads: bool) -> None:
    rule = Rule.model_validate({"name": "r", "actions": [{"type": "notify", "to": "x"}], **spec})
    assert engine.reads_health(rule) is reads
