"""Capacity: the recipe's formula, grading, roster triggers and the growth scenario."""

from __future__ import annotations

import math

import pytest

from tierform.core.book import book_from_records
from tierform.core.capacity import headcount_for, plan_capacity
from tierform.core.loader import load_model_text
from tierform.core.model import RosterEntry
from tierform.core.scenario import MAX_NEW_ACCOUNTS, growth_scenario, parse_growth
from tierform.core.segment import segment

STAGES = "{onboarding: a, adoption: b, value_delivery: c, renewal: d, expansion: e, escalation: f}"


def accounts(spec: list[tuple[int, float]], owners: dict[int, str] | None = None):
    """``spec``: (count, acv) groups; ids A0, A1, ... in order."""
    rows, i = [], 0
    for count, acv in spec:
        for _ in range(count):
            rows.append({"account_id": f"A{i}", "acv": acv, "owner": (owners or {}).get(i)})
            i += 1
    return book_from_records(rows)


def test_headcount_formula_by_hand():
    # 100 accounts / 15 * 1.15 = 7.667 FTE -> 8 CSMs; exact multiples do not round up.
    assert headcount_for(100, 15, 1.15) == (pytest.approx(100 / 15 * 1.15), 8)
    assert headcount_for(300, 150, 1.0) == (2.0, 2)
    assert headcount_for(5, None, 1.15) == (0.0, 0)


def test_capacity_per_tier_and_cost_grade(model):
    # 30 Enterprise @ $200K, 100 Mid-Market @ $50K, 300 SMB @ $10K, 200 Self-Serve @ $2K.
    book = accounts([(30, 200_000), (100, 50_000), (300, 10_000), (200, 2_000)])
    result = plan_capacity(model, segment(model, book))
    rows = {t.name: t for t in result.tiers}
    # Enterprise 30/15*1.15 = 2.3 -> 3; Mid-Market 100/50*1.15 = 2.3 -> 3;
    # SMB 300/150*1.15 = 2.3 -> 3.
    assert [
        rows[n].headcount for n in ("Enterprise", "Mid-Market", "SMB / Growth", "Self-Serve")
    ] == [3, 3, 3, 0]
    assert rows["Enterprise"].fte == pytest.approx(2.3)
    assert rows["Enterprise"].arr_per_csm == pytest.approx(6_000_000 / 3)
    assert rows["Mid-Market"].cost == 3 * 120_000
    assert rows["Mid-Market"].cost_pct_arr == pytest.approx(100 * 360_000 / 5_000_000)
    arr = 6_000_000 + 5_000_000 + 3_000_000 + 400_000
    assert result.total_headcount == 9 and result.total_cost == 9 * 120_000
    assert result.cost_pct_arr == pytest.approx(100 * 1_080_000 / arr)  # 7.5 %: excellent
    cost = next(c for c in result.checks if c.id == "cost_pct_arr")
    assert (cost.status, cost.grade) == ("pass", "excellent")


@pytest.mark.parametrize(
    ("cost_pct", "grade", "status"),
    [
        (7.5, "excellent", "pass"),
        (8.5, "good", "pass"),
        (6.5, "good", "pass"),
        (11.0, "minimum acceptable", "pass"),
        (5.5, "minimum acceptable", "pass"),
        (13.0, "below minimum", "fail"),
        (4.0, "below minimum", "fail"),
    ],
)
def test_cost_grades(model, cost_pct, grade, status):
    from tierform.core.capacity import grade_cost

    assert grade_cost(model, cost_pct) == (status, grade)


def test_arr_per_csm_limit(model):
    # 10 Enterprise accounts at $2M: 1 CSM (10/15*1.15 = 0.77) carrying $20M > $5M.
    result = plan_capacity(model, segment(model, accounts([(10, 2_000_000)])))
    check = next(c for c in result.checks if c.id == "arr_per_csm:Enterprise")
    assert check.status == "fail" and check.figure == 20_000_000


def test_roster_loads_and_hiring_triggers(model):
    model.roster = [
        RosterEntry(name="Ana", tier="Enterprise"),
        RosterEntry(name="Bo", tier="Enterprise"),
        RosterEntry(name="Cy", tier="Mid-Market"),
    ]
    # Ana: 21 Enterprise accounts (> 20); Bo: 5; Cy: 66 Mid-Market (> 65) at $50K = $3.3M (> $3M).
    owners = {i: "Ana" for i in range(21)} | {i: "Bo" for i in range(21, 26)}
    owners |= {i: "Cy" for i in range(26, 92)}
    owners[92] = "Zed"
    book = accounts([(26, 150_000), (67, 50_000)], owners)
    result = plan_capacity(model, segment(model, book))
    loads = {c.name: c for c in result.csms}
    assert (loads["Ana"].accounts, loads["Ana"].utilisation) == (21, pytest.approx(21 / 15))
    assert loads["Cy"].arr == 66 * 50_000
    ids = {c.id for c in result.checks}
    assert {"hiring_trigger:Ana", "hiring_trigger:Cy", "hiring_trigger_arr:Cy"} <= ids
    assert "hiring_trigger:Bo" not in ids
    assert "owners_not_in_roster" in ids
    assert [t.current_headcount for t in result.tiers] == [2, 1, 0, 0]


def test_high_touch_reallocation_above_60(model):
    model.roster = [RosterEntry(name="Ana", tier="Enterprise", capacity=100)]
    book = accounts([(61, 150_000)], {i: "Ana" for i in range(61)})
    ids = {c.id for c in plan_capacity(model, segment(model, book)).checks}
    assert "reallocate:Ana" in ids


FLAT = f"""
tiers:
  - {{name: Covered, min_acv: 0, touch_model: hybrid, layer: named,
     ratio: {{min: 10, max: 100, target: 44}}, touchpoints: {STAGES}}}
capacity: {{buffer: 1.0}}
"""

REDESIGN = f"""
tiers:
  - {{name: Strategic, min_acv: 150000, touch_model: high_touch, layer: named,
     ratio: {{min: 8, max: 15, target: 10}}, touchpoints: {STAGES}}}
  - {{name: Pooled, min_acv: 40000, max_acv: 150000, touch_model: hybrid, layer: pooled,
     ratio: {{min: 30, max: 75, target: 50}}, touchpoints: {STAGES}}}
  - {{name: Digital, min_acv: 0, max_acv: 40000, touch_model: digital, layer: pooled,
     ratio: {{min: 100, max: 500, target: 200}}, touchpoints: {STAGES}}}
capacity: {{buffer: 1.0}}
"""


def test_thirty_million_scenario_hire_two():
    """$30M ARR, 8 CSMs on 350 accounts (1:44); +80 logos -> 430 accounts needs 10 (hire 2)."""
    model = load_model_text(FLAT, "flat.yaml")
    book = accounts([(350, 30_000_000 / 350)])
    seg = segment(model, book)
    assert plan_capacity(model, seg).total_headcount == math.ceil(350 / 44)  # 8
    scenario = growth_scenario(model, seg, 80)
    assert scenario["accounts_after"] == 430
    assert scenario["hire"]["hires"] == math.ceil(430 / 44) - 8 == 2
    # One tier and no lower tier to demote into: redesign cannot hold it flat.
    assert scenario["redesign"]["holds_headcount_flat"] is False


def test_thirty_million_scenario_redesign_holds_flat():
    """The concept's optimal answer: 3 CSMs on the top 30 (1:10), 4 pooled on 200 (1:50),
    1 running the digital program for the bottom 200 (1:200) -> 430 accounts on 8 CSMs."""
    model = load_model_text(REDESIGN, "redesign.yaml")
    book = accounts([(30, 300_000), (200, 60_000), (200, 30_000)])
    result = plan_capacity(model, segment(model, book))
    assert [t.headcount for t in result.tiers] == [3, 4, 1]
    assert result.total_headcount == 8
    assert sum(t.arr for t in result.tiers) == 9_000_000 + 12_000_000 + 6_000_000


def test_redesign_demotes_smallest_accounts_to_hold_headcount():
    model = load_model_text(REDESIGN, "redesign.yaml")
    model.roster = [RosterEntry(name=f"S{i}", tier="Strategic") for i in range(3)]
    model.roster += [RosterEntry(name=f"P{i}", pool="Pooled pool") for i in range(4)]
    model.roster += [RosterEntry(name="D0", pool="Digital pool")]
    # 30 Strategic (full at 3 x 10), 200 Pooled (full at 4 x 50), 100 Digital; +33 accounts.
    book = accounts([(30, 300_000), (200, 60_000), (100, 30_000)])
    scenario = growth_scenario(model, segment(model, book), 33)
    # New accounts split by today's mix 30:200:100 of 33 -> 3, 20, 10 (exact, no remainder).
    hire = {r["tier"]: r for r in scenario["hire"]["tiers"]}
    assert [hire[t]["accounts"] for t in ("Strategic", "Pooled", "Digital")] == [33, 220, 110]
    # Hire: 33/10 -> 4 (+1), 220/50 -> 5 (+1), 110/200 -> 1 (+0).
    assert scenario["hire"]["hires"] == 2
    red = {r["tier"]: r for r in scenario["redesign"]["tiers"]}
    # Redesign: Strategic keeps 30 and demotes 3; Pooled holds 200 of 223 and demotes 23;
    # Digital takes 110 + 23 = 133 <= 200: no hire.
    assert red["Strategic"]["demoted_to_next_tier"] == 3
    assert red["Pooled"]["demoted_to_next_tier"] == 23
    assert red["Digital"]["accounts"] == 133
    assert scenario["redesign"]["holds_headcount_flat"] is True
    assert scenario["redesign"]["headcount"] == 8 and scenario["hire"]["headcount"] == 10


def test_parse_growth():
    assert parse_growth(None, "40%", 350) == 140
    assert parse_growth(80, None, 350) == 80
    assert parse_growth(None, None, 350) is None
    assert parse_growth(None, " -20 ", 350) == -70
    assert parse_growth(-1000, None, 350) == -1000  # a shrink past the book: clamped later


@pytest.mark.parametrize(
    ("growth", "words"),
    [
        ("lots", "is not a percentage"),
        ("-100%", "is not a percentage"),
        ("nan", "is not a percentage"),
        ("inf%", "is not a percentage"),
        ("1e400%", "is not a percentage"),  # read as infinity
        ("1e300%", "more than 10,000,000"),  # finite, but its product is not
        ("2857142.9%", "more than 10,000,000"),  # 350 x 28,571.429 = 10,000,000.15
    ],
)
def test_parse_growth_refuses_what_no_scenario_can_draw(growth: str, words: str) -> None:
    with pytest.raises(ValueError, match=words) as err:
        parse_growth(None, growth, 350)
    assert repr(growth) in str(err.value)


def test_the_most_new_accounts_a_scenario_draws() -> None:
    assert MAX_NEW_ACCOUNTS == 10_000_000
    assert parse_growth(None, "2857142.8%", 350) == 10_000_000  # 350 x 28,571.428 = 9,999,999.8
    assert parse_growth(MAX_NEW_ACCOUNTS, None, 350) == MAX_NEW_ACCOUNTS
    with pytest.raises(ValueError, match="--add-accounts 10000001 would add more than"):
        parse_growth(MAX_NEW_ACCOUNTS + 1, None, 350)


def test_linear_quantiles_match_numpy() -> None:
    import numpy as np

    from tierform.core.scenario import linear_quantiles

    rng = np.random.default_rng(5)
    for n in (1, 2, 3, 250):
        values = rng.lognormal(10, 1.1, n)
        probs = (np.arange(41) + 0.5) / 41
        assert np.allclose(linear_quantiles(values, probs), np.quantile(values, probs))
