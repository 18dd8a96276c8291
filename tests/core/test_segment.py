"""Segmentation against hand-worked books."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from tierform.core.book import book_from_records
from tierform.core.breaks import optimal_clusters, suggest_breaks
from tierform.core.segment import segment


def book(*rows):
    return book_from_records([dict(account_id=f"A{i}", **r) for i, r in enumerate(rows)])


def tiers_of(model, b):
    return segment(model, b).tier_names()


def test_acv_bounds_are_half_open(model):
    b = book(*({"acv": v} for v in (0, 4999.99, 5000, 24999, 25000, 99999.99, 100000, 5e6)))
    assert tiers_of(model, b) == [
        "Self-Serve",
        "Self-Serve",
        "SMB / Growth",
        "SMB / Growth",
        "Mid-Market",
        "Mid-Market",
        "Enterprise",
        "Enterprise",
    ]


def test_missing_acv_is_unassigned_and_counted(model):
    b = book({"acv": 1000}, {"acv": None}, {"acv": 200000})
    result = segment(model, b)
    data = result.to_dict()
    assert data["summary"] == {
        "accounts": 3,
        "assigned": 2,
        "missing_acv": 1,
        "proxied_acv": 0,
        "method": "acv",
    }
    cov = next(c for c in data["checks"] if c["id"] == "tier_coverage")
    # 2 of 3 = 66.67 %, below the 95 % minimum: fail.
    assert cov["status"] == "fail" and cov["figure"] == 66.67
    assert data["assignments"][1]["tier"] is None


def test_tier_table_and_distribution_checks(model):
    # 1 Enterprise, 2 Mid-Market, 6 SMB, 1 Self-Serve: shares 10/20/60/10 %.
    acvs = [150_000, 50_000, 30_000] + [10_000] * 6 + [1_000]
    result = segment(model, book(*({"acv": v} for v in acvs)))
    rows = {t["name"]: t for t in result.tier_rows()}
    total = sum(acvs)
    assert rows["Enterprise"]["accounts"] == 1 and rows["Enterprise"]["arr"] == 150_000
    assert rows["Mid-Market"]["share_accounts"] == 20.0
    assert rows["SMB / Growth"]["share_arr"] == round(100 * 60_000 / total, 2)
    checks = {c.id: c for c in result.checks}
    assert checks["distribution:Enterprise"].status == "pass"  # 10 % in 5-15 %
    assert checks["distribution:Mid-Market"].status == "pass"  # 20 % in 20-30 %
    assert checks["distribution:SMB / Growth"].status == "pass"  # 60 % in 50-70 %
    # ARR: Enterprise 150K of 291K = 51.5 % > 40 %: suggest a split.
    conc = checks["arr_concentration"]
    assert conc.status == "warn" and conc.figure == round(100 * 150_000 / total, 2)
    assert "splitting Enterprise" in conc.recovery


def test_strategic_override_goes_to_top_tier(model):
    b = book({"acv": 2000, "strategic": True}, {"acv": 2000, "strategic": False})
    result = segment(model, b)
    assert result.tier_names() == ["Enterprise", "Self-Serve"]
    assert "strategic" in result.assignments()[0]["reason"]


def test_hysteresis_keeps_previous_tier_within_margin(model):
    # Margin 10 %: a previous Mid-Market account stays until ACV >= 110K or < 22.5K.
    b = book(
        {"acv": 101_000, "previous_tier": "Mid-Market"},
        {"acv": 110_000, "previous_tier": "Mid-Market"},
        {"acv": 23_000, "previous_tier": "Mid-Market"},
        {"acv": 22_000, "previous_tier": "mid-market"},
        {"acv": 99_000, "previous_tier": "Enterprise"},
        {"acv": 89_000, "previous_tier": "Enterprise"},
        {"acv": 99_000, "previous_tier": None},
    )
    assert tiers_of(model, b) == [
        "Mid-Market",
        "Enterprise",
        "Mid-Market",
        "SMB / Growth",
        "Enterprise",
        "Mid-Market",
        "Mid-Market",
    ]
    model.segmentation.hysteresis = None
    assert tiers_of(model, b)[0] == "Enterprise"


def test_multi_factor_score_by_hand(model):
    model.segmentation.method = "multi_factor"
    model.segmentation.strategic_override = False
    # ARR score: log10 scale from $1K (0) to $1M (100): $10K -> 33.33, $100K -> 66.67.
    # complexity 5 -> 1.0, growth 1 -> 0.0 (1-5 scaled to 0-1).
    b = book(
        {"acv": 10_000, "complexity": 5, "growth_potential": 1, "strategic": True},
        {"acv": 100_000, "complexity": 3, "growth_potential": 3, "strategic": False},
        {"acv": 10_000},
    )
    result = segment(model, b)
    s1 = 0.40 * 100 / 3 + 0.25 * 100 + 0.20 * 0 + 0.15 * 100
    s2 = 0.40 * 200 / 3 + 0.25 * 50 + 0.20 * 50
    s3 = 0.40 * 100 / 3 + 0.25 * 50 + 0.20 * 50  # blank levels count as medium
    assert result.score.tolist() == pytest.approx([s1, s2, s3])
    # Bounds: an average account at each tier's min ACV; Enterprise 0.4*66.67+22.5 = 49.17,
    # Mid-Market 0.4*log-scale(25K)+22.5, SMB 0.4*log-scale(5K)+22.5.
    mm = 0.4 * 100 * (math.log10(25_000) - 3) / 3 + 22.5
    smb = 0.4 * 100 * (math.log10(5_000) - 3) / 3 + 22.5
    assert s1 > 0.4 * 200 / 3 + 22.5 > mm  # s1 = 53.33: a complex strategic $10K account
    # The score reaches Enterprise, but $10K is SMB / Growth by ACV: one tier up at most.
    assert result.tier_names() == ["Mid-Market", "Enterprise", "SMB / Growth"]
    assert smb < s3 < mm


def test_multi_factor_is_acv_for_an_average_account(model):
    model.segmentation.method = "multi_factor"
    acvs = [1_000, 4_999, 5_000, 30_000, 99_000, 100_001, 400_000]
    b = book(*({"acv": v, "complexity": 3, "growth_potential": 3} for v in acvs))
    mf = tiers_of(model, b)
    model.segmentation.method = "acv"
    assert mf == tiers_of(model, b)


def _brute(values, k):
    x = np.sort(values)
    best = math.inf
    for cuts in itertools.combinations(range(1, len(x)), k - 1):
        b = [0, *cuts, len(x)]
        cost = sum(((x[b[i] : b[i + 1]] - x[b[i] : b[i + 1]].mean()) ** 2).sum() for i in range(k))
        best = min(best, cost)
    return best


def test_optimal_clusters_match_brute_force():
    rng = np.random.default_rng(3)
    for _ in range(120):
        n, k = int(rng.integers(2, 10)), int(rng.integers(1, 5))
        x = np.round(rng.normal(0, 1, n), 1)
        if np.unique(x).size < k:
            continue
        assert optimal_clusters(x, k).cost == pytest.approx(_brute(x, k), abs=1e-9)


def test_suggest_breaks_finds_planted_gaps(model):
    rng = np.random.default_rng(5)
    groups = [
        rng.uniform(1_000, 2_000, 50),
        rng.uniform(20_000, 30_000, 30),
        rng.uniform(200_000, 300_000, 15),
        rng.uniform(2e6, 3e6, 5),
    ]
    acv = np.concatenate(groups)
    result = suggest_breaks(model, acv)
    # Each break is the smallest ACV of the next planted group.
    assert result["breaks"] == pytest.approx([round(g.min(), 2) for g in groups[1:]])
    assert [c["accounts"] for c in result["clusters"]] == [50, 30, 15, 5]
    assert result["suggested"][0] == float(round(groups[1].min(), -3))


def test_without_checks_the_tiers_reasons_and_scores_are_the_same(model):
    """Health and rules read only the tiers: their segmentation skips the checks, nothing
    else."""
    rows = [{"acv": v, "strategic": i % 7 == 0} for i, v in enumerate([None, 0, 4999, 5e4, 2e5])]
    b = book(*rows * 3)
    multi = model.model_copy(deep=True)
    multi.segmentation.method = "multi_factor"
    for m in (model, multi):
        full, bare = segment(m, b), segment(m, b, with_checks=False)
        assert full.checks and bare.checks == []
        assert bare.tier.tolist() == full.tier.tolist()
        assert bare.reason.tolist() == full.reason.tolist()
        if m is multi:
            assert full.score is not None and bare.score is not None
            np.testing.assert_array_equal(bare.score, full.score)
        else:
            assert full.score is None and bare.score is None
