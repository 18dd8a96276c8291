"""The rules engine's lean column steps against plain references: groups of one-byte tier and
band codes against the general group finder, tier and band filters against ``np.isin``, the
merge of ascending runs against a lexsort, tenths codes against their first formula, and the
in-place linear normaliser against a new array, and the renewal lead's accounts, due dates
and reasons against a reading of each account."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from tierform.core.book import book_from_records
from tierform.core.health.normalise import linear
from tierform.core.health.score import days_from, score_health
from tierform.core.loader import default_model
from tierform.core.rules import engine
from tierform.core.rules.context import RuleContext
from tierform.core.rules.reason_text import tenths_codes
from tierform.core.rules.spec import RESPONDER, Action, Trigger


def fake_context(seed: int, tiers: int, bands: int, n: int) -> Any:
    rng = np.random.default_rng(seed)
    tier = rng.integers(-1, tiers, n)
    band = rng.integers(-1, bands, n).astype(np.int8)
    ctx = SimpleNamespace(
        model=SimpleNamespace(tiers=[SimpleNamespace(name=f"T{i}") for i in range(tiers)]),
        health=SimpleNamespace(band_names=[f"B{i}" for i in range(bands)], band_index=band),
        tier=tier,
        tier1=(tier + 1).astype(np.int8),
        band1=(band.astype(np.int16) + 1),
    )
    ctx.tier_index = lambda name: int(name[1:])
    ctx.band_index = lambda name: int(name[1:])
    # A target that depends on the tier only, as every relative tier word does.
    ctx.relative_tier = lambda word, t: np.where(t >= 0, (t + 1) % tiers, -1)
    return ctx


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("kind", ["notify", "assign"])
def test_tier_band_groups_are_the_general_groups(seed: int, kind: str) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.choice([1, 7, 2000]))
    ctx = fake_context(seed, int(rng.integers(1, 6)), int(rng.integers(1, 5)), n)
    action = Action(type="notify", to=RESPONDER) if kind == "notify" else Action(type="assign")
    idx = np.flatnonzero(rng.random(n) < 0.7)
    if idx.size == 0:
        idx = np.array([0])
    tier = ctx.tier[idx]
    band = (
        ctx.health.band_index[idx].astype(np.int64) if kind == "notify" else np.full(idx.size, -1)
    )
    want_uniq, want_inverse = engine._groups(tier, band, ctx.relative_tier(None, tier), tier)
    uniq, inverse = engine._tier_band_groups(ctx, action, idx)
    assert uniq == want_uniq
    assert inverse.tolist() == want_inverse.tolist()


@pytest.mark.parametrize("seed", range(3))
def test_tier_and_band_filters_are_isin(seed: int) -> None:
    ctx = fake_context(seed, 4, 3, 500)
    for names in (["T0"], ["T1", "T3"], ["T0", "T1", "T2", "T3"]):
        want = np.isin(ctx.tier, [ctx.tier_index(t) for t in names])
        assert np.array_equal(RuleContext.in_tiers(ctx, names), want)
    for names in (["B2"], ["B0", "B1"]):
        want = np.isin(ctx.health.band_index, [ctx.band_index(b) for b in names])
        assert np.array_equal(RuleContext.in_bands(ctx, names), want)


@pytest.mark.parametrize("seed", range(4))
def test_runs_of_ascending_accounts_sort_as_the_lexsort(seed: int) -> None:
    rng = np.random.default_rng(seed)
    days, accounts = [], []
    for _ in range(int(rng.integers(1, 8))):  # actions: one due day, accounts ascending
        size = int(rng.integers(0, 400))
        accounts.append(np.sort(rng.integers(1, 300, size)))
        days.append(np.full(size, int(rng.integers(-3, 3))))
    size = int(rng.integers(0, 60))  # one action with its own day per row
    accounts.append(np.sort(rng.integers(1, 300, size)))
    days.append(rng.integers(-400, 400, size))
    day, account = np.concatenate(days), np.concatenate(accounts)
    want = np.lexsort((np.arange(day.size), account, day))
    assert np.array_equal(engine._stable_order(day, account), want)


def first_tenths_codes(values: np.ndarray) -> np.ndarray:
    """The tenths codes as first written: a new array per step."""
    v = np.asarray(values, dtype=float)
    if np.isnan(v).all():
        return np.zeros(v.size, dtype=np.int64)
    with np.errstate(invalid="ignore", over="ignore"):
        x = v * 10.0
        k = np.floor(x + 0.5)
        frac = x - np.floor(x)
        safe = np.isfinite(v) & (np.abs(v) < 1e6) & (np.abs(frac - 0.5) > 1e-6)
    code = np.where(safe, k, 0).astype(np.int64) * 2 + np.signbit(v)
    if not safe.all():
        known = code[safe]
        low, high = (int(known.min()), int(known.max())) if known.size else (0, 0)
        nan = np.isnan(v)
        code[nan] = low - 1
        alone = np.flatnonzero(~safe & ~nan)
        code[alone] = high + 1 + np.arange(alone.size)
    return code


@pytest.mark.parametrize("seed", range(5))
def test_tenths_codes_are_the_first_formula(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.choice([1, 5, 3000]))
    values = rng.uniform(-200, 200, n)
    values[rng.random(n) < 0.1] = np.nan
    special = [0.05, 0.15, -0.05, -0.0, 0.0, np.inf, -np.inf, 2e6, -2e6, 999999.95, 12.25]
    values[: min(n, len(special))] = special[: min(n, len(special))]
    values[n // 2 :] = np.round(values[n // 2 :], 2)  # repeats, and ties at the half tenth
    assert np.array_equal(tenths_codes(values), first_tenths_codes(values))
    assert np.array_equal(tenths_codes(np.full(4, np.nan)), np.zeros(4, dtype=np.int64))


@pytest.mark.parametrize("seed", range(3))
def test_linear_in_place_equals_a_new_array(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.uniform(-5, 15, 2000)
    values[rng.random(2000) < 0.1] = np.nan
    values[:3] = [-0.0, 0.0, 10.0]
    for worst, best in ((0.0, 10.0), (72.0, 4.0), (-0.2, 0.1)):
        want = linear(values, worst, best)
        own = values.copy()
        got = linear(own, worst, best, out=own)
        assert got is own
        assert np.array_equal(got, want, equal_nan=True)
        assert np.array_equal(np.signbit(got), np.signbit(want))


def test_broadcasts_are_told_from_columns() -> None:
    assert engine._is_broadcast(np.broadcast_to(1.0, (5,)))
    assert not engine._is_broadcast(np.ones(5))
    assert not engine._is_broadcast(np.broadcast_to(1.0, (1,)))
    due = engine._due(np.broadcast_to(np.datetime64("2026-01-01", "D"), (4,)), np.arange(2), 3)
    assert due.ndim == 0 and due == np.datetime64("2026-01-04", "D")
    dates = np.array(["2026-01-01", "2026-02-01", "NaT"], dtype="datetime64[D]")
    col = engine._due(dates, np.array([0, 1]), 2)
    assert col.tolist() == (dates[:2] + np.timedelta64(2, "D")).tolist()
    assert dates[0] == np.datetime64("2026-01-01", "D")  # the book's dates are not changed


@pytest.mark.parametrize("days", [None, 0, 45])
def test_days_before_fires_and_dues_as_each_account_reads(days: int | None) -> None:
    model = default_model()
    as_of = dt.date(2026, 11, 1)
    rng = np.random.default_rng(days or 7)
    acvs = [None, 0.5, 3e3, 8e3, 3e4, 2e5, 1e6]
    records = []
    for i in range(300):
        renewal = as_of + dt.timedelta(days=int(rng.integers(-30, 200)))
        records.append(
            {
                "account_id": f"A{i:04d}",
                "acv": acvs[i % len(acvs)],
                "renewal_date": None if i % 11 == 0 else renewal.isoformat(),
            }
        )
    book = book_from_records(records)
    ctx = RuleContext(model, book, as_of)
    by_tier = {"Enterprise": 120, "Mid-Market": 90, "SMB / Growth": 60}
    trigger = Trigger.model_validate(
        {"type": "days_before_date", "days": days}
        if days is not None
        else {"type": "days_before_date", "days_by_tier": by_tier}
    )
    fires, dates, reasons = engine._days_before(ctx, trigger)
    want_fires, want_due, want_text = [], {}, {}
    for i in range(len(book)):
        tier = int(ctx.tier[i])
        lead = by_tier.get(model.tiers[tier].name) if days is None and tier >= 0 else days
        date = book.dates("renewal_date")[i]
        away = None if np.isnat(date) else int((date - ctx.today).astype(int))
        hit = lead is not None and away is not None and 0 <= away <= lead
        want_fires.append(hit)
        if hit:
            assert lead is not None and away is not None
            want_due[i] = date - np.timedelta64(lead, "D")
            want_text[i] = (
                f"renewal_date {date} is {away} days away (prep starts {lead} days before)"
            )
    assert fires.tolist() == want_fires
    idx = np.flatnonzero(fires)
    assert [engine._due(dates, idx, 0)[k] for k in range(idx.size)] == [
        want_due[i] for i in idx.tolist()
    ]
    assert reasons(idx).tolist() == [want_text[i] for i in idx.tolist()]


def test_rules_score_health_without_checks_as_with_them() -> None:
    model = default_model()
    records = [
        {
            "account_id": f"A{i}",
            "acv": [None, 2e3, 9e3, 4e4, 3e5][i % 5],
            "logins_per_week": None if i % 7 == 0 else float(i % 9),
            "support_tickets": i % 12,
            "renewal_date": f"2026-{1 + i % 12:02d}-15",
        }
        for i in range(60)
    ]
    book = book_from_records(records)
    full = score_health(model, book, as_of=dt.date(2026, 11, 1), validate=False)
    bare = score_health(model, book, as_of=dt.date(2026, 11, 1), validate=False, with_checks=False)
    assert full.checks and not bare.checks
    assert np.array_equal(full.score, bare.score, equal_nan=True)
    assert np.array_equal(full.band_index, bare.band_index)
    assert full.dimensions.keys() == bare.dimensions.keys()
    for name, values in full.dimensions.items():
        assert np.array_equal(values, bare.dimensions[name], equal_nan=True)


@pytest.mark.parametrize("chunks", [1, 3])
def test_days_from_a_date_column_are_the_datetime_days(chunks: int) -> None:
    rng = np.random.default_rng(chunks)
    days = rng.integers(-800, 800, 90)
    dates = [
        None if i % 9 == 0 else (dt.date(2026, 11, 1) + dt.timedelta(days=int(d))).isoformat()
        for i, d in enumerate(days)
    ]
    book = book_from_records(
        [{"account_id": f"A{i}", "renewal_date": d} for i, d in enumerate(dates)]
    )
    column = book.table.column("renewal_date")
    pieces = np.array_split(np.arange(len(book)), chunks)
    split = pa.chunked_array([column.combine_chunks().slice(p[0], p.size) for p in pieces])
    book.table = book.table.set_column(
        book.table.column_names.index("renewal_date"), "renewal_date", split
    )
    assert pa.types.is_date32(column.type)
    for as_of in (dt.date(2026, 11, 1), dt.date(1969, 12, 31)):
        stamps = book.dates("renewal_date")
        want = (stamps - np.datetime64(as_of, "D")).astype(float)
        want[np.isnat(stamps)] = np.nan
        assert np.array_equal(days_from(book, "renewal_date", as_of), want, equal_nan=True)
