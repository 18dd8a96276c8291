"""The rules engine's shortcuts give what the general computations give."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tierform.core.rules.context import id_rank


@pytest.mark.parametrize("seed", range(10))
def test_account_rank_is_the_dense_text_rank(seed: int) -> None:
    rng = random.Random(seed)
    ids = sorted({f"ACC-{rng.randint(0, 10**6):07d}" for _ in range(rng.randint(0, 60))})
    variants = [ids, ids[::-1], rng.sample(ids, len(ids)), ids + ids[:3], ["b", "a", "b"]]
    variants += [["A-9", "A-10"], ["é", "z"], ["x"], []]
    for values in variants:
        column = pa.chunked_array([pa.array(values, pa.string())])
        expected = pc.rank(column, sort_keys="ascending", tiebreaker="dense").to_numpy()
        assert np.array_equal(id_rank(pa.table({"account_id": column})), expected)
