"""The rules engine's ordering and deduplication shortcuts against plain references: a radix
sort against numpy's stable argsort, the run-wise repeat search against a dict of first
occurrences, and the previous book's rows against ``index_in``."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tierform.core.rules.context import RuleContext, id_rank
from tierform.core.rules.engine import _stable_order, radix_order, repeats


def codes(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [
        np.zeros(0, dtype=np.int64),
        np.zeros(7, dtype=np.int64),
        np.array([5], dtype=np.int64),
        rng.integers(0, 3, 1000),
        rng.integers(0, 1 << 16, 5000),
        rng.integers(0, 1 << 17, 5000),
        rng.integers(0, 1 << 40, 5000),
        rng.integers(0, 1 << 62, 5000),
        np.sort(rng.integers(0, 1 << 33, 3000))[::-1].copy(),
        np.repeat(rng.integers(0, 1 << 20, 50), 40),
    ]


@pytest.mark.parametrize("seed", range(3))
def test_radix_order_is_the_stable_argsort(seed: int) -> None:
    for code in codes(seed):
        room = int(code.max()) + 1 if code.size else 1
        assert np.array_equal(radix_order(code, room), np.argsort(code, kind="stable"))


@pytest.mark.parametrize("seed", range(4))
def test_stable_order_is_the_lexsort(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 3000))
    day = rng.integers(-400, 400, n)
    account = rng.integers(1, int(rng.choice([5, 10**6, 2**40])), n)
    want = np.lexsort((np.arange(n), account, day))
    assert np.array_equal(_stable_order(day, account), want)


def reference_repeats(
    label: np.ndarray, day: np.ndarray, account: np.ndarray
) -> tuple[list[int], list[int]]:
    first: dict[tuple[int, int, int], int] = {}
    later, kept = [], []
    for i, key in enumerate(zip(account.tolist(), label.tolist(), day.tolist(), strict=True)):
        if key in first:
            later.append(i)
            kept.append(first[key])
        else:
            first[key] = i
    return later, kept


@pytest.mark.parametrize("seed", range(6))
def test_repeats_match_the_first_occurrence(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.choice([0, 1, 2, 50, 4000]))
    label = rng.integers(0, int(rng.choice([1, 3, 8])), n)
    day = rng.integers(0, int(rng.choice([1, 3, 30])), n)
    account = rng.integers(0, int(rng.choice([1, 5, 500])), n)
    order = np.lexsort((np.arange(n), account, day))  # what the engine sorts by first
    label, day, account = label[order], day[order], account[order]
    later, kept = repeats(label, day, account)
    want_later, want_kept = reference_repeats(label, day, account)
    assert later.tolist() == want_later
    assert kept.tolist() == want_kept


@pytest.mark.parametrize(
    ("now", "before"),
    [
        (["a", "b", "c"], ["a", "b", "c"]),
        (["a", "b", "a"], ["a", "b", "a"]),  # a repeated id: its first row in both
        (["b", "a", "c"], ["a", "b", "c"]),
        (["a", "b"], ["a", "b", "c"]),
        (["é", "中"], ["é", "中"]),
        ([], []),
    ],
)
def test_previous_rows_are_the_index_in_the_previous_ids(now: list[str], before: list[str]) -> None:
    def table(ids: list[str]) -> pa.Table:
        return pa.table({"account_id": pa.chunked_array([pa.array(ids, pa.string())])})

    ctx = SimpleNamespace(
        book=SimpleNamespace(table=table(now)),
        previous=SimpleNamespace(table=table(before)),
        n=len(now),
        id_rank=id_rank(table(now)),
    )
    want = pc.index_in(pa.array(now, pa.string()), value_set=pa.array(before, pa.string()))
    expected = np.asarray(want.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    got = RuleContext.prev_index.func(ctx)  # type: ignore[attr-defined]
    assert np.array_equal(got, expected)


def mostly_sorted(seed: int) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    ids = [f"ACC-{i:06d}" for i in sorted(set(rng.integers(0, 10**6, 2000).tolist()))]
    tail = [ids[int(i)] for i in rng.integers(0, len(ids), 5)]  # repeats of run ids
    return [
        ids + ["ACC-1000000"],  # a longer id sorting inside the run
        ids + ["ACC-", "ZZZ", "0", "ACC-000000x", "é", "ACC-1000000", "ZZZ"],
        ["zz", "0"] + ids + tail,
        ids[:700] + ["ACC-5"] + ids[700:] + ["a", "A", "ACC-5"],
        ids[::-1],  # every id its own run: the general rank
        ids[:10] + ids[5:],  # two runs sharing ids
        ["b", "a"],
        ["中", "é", "z"],
    ]


@pytest.mark.parametrize("seed", range(4))
def test_mostly_ascending_ids_rank_as_the_dense_text_rank(seed: int) -> None:
    for ids in mostly_sorted(seed):
        column = pa.chunked_array(
            [pa.array(ids[:50], pa.string()), pa.array(ids[50:], pa.string())]
        )
        expected = pc.rank(column, sort_keys="ascending", tiebreaker="dense").to_numpy()
        assert np.array_equal(id_rank(pa.table({"account_id": column})), expected)
