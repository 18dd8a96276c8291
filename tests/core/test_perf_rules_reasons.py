"""Reasons kept as codes into a list of texts read as the per-row strings they stand for: the
grouping, the joining of a reason and its tail, change reasons, the first rows of a run and the
JSON of the reason column, each against a plain per-row reference."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from tierform.core.book import book_from_records
from tierform.core.loader import default_model
from tierform.core.records import RecordColumns, TextField
from tierform.core.records_json import record_items
from tierform.core.rules import engine
from tierform.core.rules.context import RuleContext
from tierform.core.rules.reason_text import (
    CodedText,
    compact_codes,
    exact_codes,
    group_rows,
    tenths_codes,
)
from tierform.core.rules.run_result import DueColumns, RulesRun

TEXTS = ["", "a", 'quote " and \\ back', "tab\there", "é ünï 中文", "line\nbreak", "a"]


def columns(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    n = int(rng.choice([0, 1, 9, 3000]))
    return [
        rng.integers(0, 4, n),
        rng.integers(-(2**40), 2**40, n),
        np.repeat(np.int64(2**50), n),
        rng.integers(-3, 3, n) * 10**12,
        tenths_codes(np.where(rng.random(n) < 0.2, np.nan, rng.uniform(0, 100, n))),
    ]


@pytest.mark.parametrize("seed", range(4))
def test_group_rows_groups_equal_tuples_only(seed: int) -> None:
    cols = columns(seed)
    rng = np.random.default_rng(seed)
    for k in (1, 2, 3, 5):
        picked = [cols[int(i)] for i in rng.choice(len(cols), k)]
        group, row = group_rows(*picked)
        tuples = list(zip(*(c.tolist() for c in picked), strict=True))
        first: dict[tuple[int, ...], int] = {}
        for g, t in zip(group.tolist(), tuples, strict=True):
            assert first.setdefault(t, g) == g
        assert len(set(first.values())) == len(first) == row.size
        assert sorted(tuples[r] for r in row.tolist()) == sorted(first)


@pytest.mark.parametrize("seed", range(3))
def test_compact_codes_are_dense_and_keep_equality(seed: int) -> None:
    for code in columns(seed):
        dense, size = compact_codes(code)
        assert size == len(set(code.tolist()))
        if code.size:
            assert set(dense.tolist()) == set(range(size))
        pairs = set(zip(code.tolist(), dense.tolist(), strict=True))
        assert len(pairs) == size


@pytest.mark.parametrize("seed", range(4))
def test_plus_reads_as_the_joined_strings(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.choice([0, 1, 500]))
    head = CodedText(rng.integers(0, len(TEXTS), n), list(TEXTS))
    tail = CodedText(rng.integers(0, 3, n), ["", "; tail", "; é"])
    joined = head.plus(tail)
    assert joined.tolist() == [a + b for a, b in zip(head.tolist(), tail.tolist(), strict=True)]
    assert [joined[i] for i in range(n)] == joined.tolist()
    empty = CodedText(np.zeros(n, dtype=np.int64), [""])
    assert head.plus(empty).tolist() == head.tolist()


def test_change_reasons_read_as_the_per_row_texts() -> None:
    model = default_model()
    records = [
        {"account_id": f"A{i}", "acv": acv, "strategic": i % 3 == 0}
        for i, acv in enumerate([5e3, 1e6, None, 0.5, 2.5, 0.4, 1234567.5, 1e6, 80_000])
    ]
    book = book_from_records(records)
    ctx = RuleContext(model, book, dt.date(2026, 11, 1))
    tiers = [t.name for t in model.tiers]
    rng = np.random.default_rng(0)
    n = len(book)
    cur = rng.choice([np.nan, -1.0, 0.0, 1.0, 2.0], n)
    prev = rng.choice([np.nan, 0.0, 1.0, 3.0], n)
    idx = np.array([0, 2, 3, 4, 5, 6, 7, 8, 1, 1])

    def word(v: float) -> str:
        return tiers[int(v)] if v == v and v >= 0 else "none"

    got = engine._change_reasons(ctx, "tier", cur, prev)(idx).tolist()
    want = []
    for i in idx.tolist():
        a = float(book.acv[i])
        tail = f" (ACV {a:,.0f})" if a == a else ""
        want.append(f"tier changed from {word(prev[i])} to {word(cur[i])}{tail}")
    assert got == want
    flags = engine._change_reasons(ctx, "strategic", cur, prev)(idx).tolist()

    def yes(v: float) -> str:
        return "yes" if v == 1 else "no"

    assert flags == [
        f"strategic changed from {yes(prev[i])} to {yes(cur[i])}" for i in idx.tolist()
    ]
    numbers = engine._change_reasons(ctx, "x", cur, prev)(idx).tolist()
    assert numbers == [f"x changed from {prev[i]:g} to {cur[i]:g}" for i in idx.tolist()]
    text = pa.chunked_array([pa.array(["é", None, "b", "c", "d", "e", "f", "g", "h"])])
    mixed = engine._change_reasons(ctx, "name", text, prev)(idx).tolist()
    values = text.to_pylist()
    assert mixed == [f"name changed from {prev[i]:g} to {values[i]}" for i in idx.tolist()]


def due_columns(n: int, distinct: int, seed: int) -> tuple[DueColumns, list[str]]:
    rng = np.random.default_rng(seed)
    texts = [f"{TEXTS[i % len(TEXTS)]} #{i}" for i in range(distinct)]
    code = rng.integers(0, distinct, n)
    cols = DueColumns(
        ids=pa.array([f"ID-{i}" for i in range(n)], type=pa.string()),
        rules=["r1", "r2"],
        rule=rng.integers(0, 2, n),
        labels=["x", "y"],
        label=rng.integers(0, 2, n),
        due=np.datetime64("2026-11-01") + rng.integers(0, 40, n).astype("timedelta64[D]"),
        reason=code,
        reasons=texts,
    )
    return cols, [texts[c] for c in code.tolist()]


@pytest.mark.parametrize(("n", "distinct"), [(0, 1), (1, 1), (400, 3), (400, 390), (50, 400)])
def test_reason_column_writes_the_per_row_strings(n: int, distinct: int) -> None:
    cols, plain = due_columns(n, distinct, n + distinct)
    records = cols.records()
    assert [r["reason"] for r in records] == plain
    assert records.to_list() == [a.to_dict() for a in cols.rows()]
    reference = RecordColumns(
        n,
        [f for f in records.fields if f.name != "reason"]
        + [TextField("reason", pa.array(plain, type=pa.string()))],
    )
    assert list(record_items(records, 1)) == list(record_items(reference, 1))


@pytest.mark.parametrize("limit", [-500, -3, -1, 0, 1, 7, 400, 10**6])
def test_first_rows_are_the_slice_of_all_rows(limit: int) -> None:
    cols, _ = due_columns(400, 20, 1)
    run = RulesRun(dt.date(2026, 11, 1), columns=cols)
    assert run.first(limit) == RulesRun(dt.date(2026, 11, 1), columns=cols).actions[:limit]
    assert run.actions[:limit] == run.first(limit)


@pytest.mark.parametrize("seed", range(4))
def test_exact_codes_join_identical_floats_only(seed: int) -> None:
    rng = np.random.default_rng(seed)
    pool = [0.0, -0.0, 1.0, -1.0, 3.0, -3.0, np.nan, -np.nan, 2.0**39, -(2.0**39), 7.0]
    if seed % 2:
        pool += [0.5, 1e300, np.inf]  # not all whole: coded by their bits
    values = rng.choice(np.array(pool), 300)
    codes = exact_codes(values).tolist()
    bits = values.view(np.int64).tolist()
    nan = np.isnan(values).tolist()
    for i in range(values.size):
        for j in range(values.size):
            same = (nan[i] and nan[j]) or bits[i] == bits[j]
            if seed % 2 and nan[i] and nan[j]:
                same = bits[i] == bits[j]
            assert (codes[i] == codes[j]) == same
