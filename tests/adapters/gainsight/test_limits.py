"""Limits and faults: paced under the fixed window, 429 and 5xx survived, the daily budget."""

from __future__ import annotations

import json

import pytest

from tierform.adapters.gainsight.budget import DailyBudgetExceeded
from tierform.sync.adapter import ApplyContext
from tierform.sync.state import Kind

from . import states
from .states import ext


def _aligned(fake, n):
    for i in range(1, n + 1):
        assert fake.company(ext(i))["Tf_Health_Score__gc"] == 50 + i


def test_paced_under_100_per_minute(fake, syncer, clock):
    states.seed(fake, 300)
    desired = states.desired(300)
    sync = syncer()
    assert sync.apply(sync.plan(desired)).ok
    assert fake.rate_limited == 0 and fake.log.count(status=429) == 0
    per_minute: dict[int, int] = {}
    for e in fake.log.entries:
        per_minute[int(e.at // 60)] = per_minute.get(int(e.at // 60), 0) + 1
    assert max(per_minute.values()) <= 100
    _aligned(fake, 300)


def test_429_and_5xx_survived(fake, syncer):
    states.seed(fake, 60)
    desired = states.desired(60)
    fake.inject(429, times=3, methods={"PUT"})
    fake.inject(503, times=2, path_contains="/query/")
    fake.inject(429, times=2, path_contains="/cta/list")
    report = syncer().apply(syncer().plan(desired))
    assert report.ok
    _aligned(fake, 60)
    assert all(len(fake.ctas_with_key(states.task_key(i))) == 1 for i in range(2, 61, 2))
    assert syncer().plan(desired).is_empty


def test_window_spent_by_others_recovers(fake, syncer, clock):
    states.seed(fake, 5)
    fake.per_minute = 4
    sync = syncer(rate_limit_per_minute=50)  # faster than this tenant allows
    assert sync.apply(sync.plan(states.desired(5))).ok
    assert fake.rate_limited > 0
    _aligned(fake, 5)


def test_daily_budget_refusal_before_any_write(fake, syncer, tmp_path):
    states.seed(fake, 120)
    sync = syncer(daily_budget=100)
    plan = sync.plan(states.desired(120))
    sync.adapter.gs.daily_budget = fake.log.total + 5  # 5 left after the plan's reads
    writes = len(fake.log.writes())
    with pytest.raises(DailyBudgetExceeded) as err:
        sync.apply(plan)
    text = str(err.value)
    # 1 check + 3 Company batches + 1 read-back + 1 picklist + 2 CTA batches + 1 CTA listing
    assert "needs about 9 Gainsight API requests" in text and "--force" in text
    assert len(fake.log.writes()) == writes + 1  # only the auth check's query
    assert err.value.exit_code == 2
    usage = json.loads((tmp_path / ".tierform" / "gainsight-usage.json").read_text())
    assert sum(next(iter(usage.values())).values()) == fake.log.total


def test_daily_budget_force(fake, make_adapter):
    states.seed(fake, 3)
    from tierform.sync.engine import Syncer
    from tierform.sync.journal import Journal

    adapter = make_adapter(daily_budget=5)
    plan = Syncer(adapter, Journal(adapter.context.base_dir / "j.sqlite")).plan(states.desired(3))
    ctx = ApplyContext("run-1", desired=plan.desired)
    ctx.force = True  # type: ignore[attr-defined]  # what the engine's --force would set
    results = list(adapter.apply(plan.changes, ctx))
    assert all(r.ok for r in results) and len(results) == len(plan.changes)


def test_budget_counts_other_runs_today(fake, syncer):
    states.seed(fake, 3)
    syncer(daily_budget=30).apply(syncer(daily_budget=30).plan(states.desired(3)))
    desired = states.desired(3)
    desired.put(Kind.account, ext(1), states.account_data(1) | {"tf_health_score": 1})
    sync = syncer(daily_budget=30)
    plan = sync.plan(desired)
    sync.adapter.gs.daily_budget = fake.log.total + 2  # tierform's own requests fill the day
    with pytest.raises(DailyBudgetExceeded, match="already used by tierform"):
        sync.apply(plan)
