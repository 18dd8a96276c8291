"""Reason texts formatted once per group of equal codes: every row must read exactly as the
per-row f-string the engine used before (the reference here), on values chosen to sit on
rounding ties, at negative zero, NaN, infinities and huge magnitudes."""

from __future__ import annotations

import numpy as np
import pytest

from tierform.core.rules.reason_text import exact_codes, format_once, group_rows, tenths_codes


def tricky_values(seed: int, n: int = 20_000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ties = np.arange(-200, 200) / 20  # k/20: exact ties and their binary neighbours
    near = np.concatenate([ties, np.nextafter(ties, np.inf), np.nextafter(ties, -np.inf)])
    special = np.array([0.0, -0.0, -0.04, 0.04, np.nan, -np.nan, np.inf, -np.inf, 1e6, -1e6])
    special = np.concatenate([special, [1e12 + 0.05, 2.0**53, 0.35, 0.45, 2.675, 99.95]])
    spread = rng.uniform(-150, 150, n)
    rounded = np.round(rng.uniform(0, 100, n), 2)  # how a score or a signal often looks
    return rng.permutation(np.concatenate([near, special, spread, rounded]))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_tenths_codes_never_join_values_that_print_differently(seed: int) -> None:
    values = tricky_values(seed)
    codes = tenths_codes(values)
    printed: dict[int, str] = {}
    for code, v in zip(codes.tolist(), values.tolist(), strict=True):
        assert printed.setdefault(code, f"{v:.1f}") == f"{v:.1f}"


def test_tenths_codes_group_most_rows() -> None:
    """The point of the codes: a few hundred texts for many thousands of scores."""
    values = np.random.default_rng(5).uniform(0, 100, 50_000)
    assert len(set(tenths_codes(values).tolist())) <= 1001


@pytest.mark.parametrize("seed", [4, 5])
def test_format_once_equals_the_row_by_row_text(seed: int) -> None:
    rng = np.random.default_rng(seed)
    v = tricky_values(seed)
    t = rng.choice([40.0, 55.5, 60.0, np.nan], v.size)
    b = np.where(rng.random(v.size) < 0.3, np.nan, tricky_values(seed + 10)[: v.size])
    expected = [
        f"health_score {x:.1f} below {y:g}" + ("" if z != z else f" (was {z:.1f})")
        for x, y, z in zip(v.tolist(), t.tolist(), b.tolist(), strict=True)
    ]
    calls: list[int] = []

    def text(row: int) -> str:
        calls.append(row)
        x, y, z = float(v[row]), float(t[row]), float(b[row])
        return f"health_score {x:.1f} below {y:g}" + ("" if z != z else f" (was {z:.1f})")

    got = format_once([tenths_codes(v), exact_codes(t), tenths_codes(b)], text)
    assert got.tolist() == expected
    assert len(calls) < v.size  # formatted once per group, not once per row


def test_dates_and_integers_by_exact_codes() -> None:
    day = np.array(["2026-11-01", "2026-11-02", "2026-11-01", "NaT"], dtype="datetime64[D]")
    lead = np.array([30, 30, 60, 30])
    got = format_once([exact_codes(day), lead], lambda r: f"{day[r]} / {lead[r]}")
    assert got.tolist() == [f"{d} / {x}" for d, x in zip(day, lead, strict=True)]


def test_group_rows_keys_on_every_column() -> None:
    a = np.array([1, 1, 2, 2, 1])
    b = np.array([7, 8, 7, 7, 7])
    group, row = group_rows(a, b)
    pairs = list(zip(a.tolist(), b.tolist(), strict=True))
    for i in range(a.size):
        for j in range(a.size):
            assert (group[i] == group[j]) == (pairs[i] == pairs[j])
    assert sorted(pairs[r] for r in row.tolist()) == sorted(set(pairs))


def test_no_rows() -> None:
    empty = np.zeros(0)
    assert format_once([tenths_codes(empty)], lambda r: "never").tolist() == []
