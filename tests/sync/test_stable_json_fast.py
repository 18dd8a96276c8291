"""The fast encoder behind checksums and payload hashes writes the standard library's bytes:
journals written before keep comparing equal."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from enum import Enum
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tierform.sync.state import payload_hash, stable_json


def reference(value: Any) -> str:
    """The encoding journals were written with."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def reference_hash(value: Any) -> str:
    return hashlib.sha256(reference(value).encode()).hexdigest()


leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.floats(min_value=-1e6, max_value=1e6).map(lambda f: round(f, 6))
    | st.text(alphabet=st.characters(blacklist_categories=("Cs",)))
)
values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=20,
)


@settings(max_examples=600, deadline=None)
@given(values)
def test_same_bytes_as_the_standard_encoder(value: Any) -> None:
    assert stable_json(value) == reference(value)
    assert payload_hash(["account", "ACC-1", value]) == reference_hash(["account", "ACC-1", value])


class Colour(Enum):
    red = "r"


def test_floats_at_the_exponent_edges_and_other_types() -> None:
    edge = [0.0, -0.0, 1e-4, 9.999e-5, 1e-5, 1e-7, 1e15, 9.9e15, 1e16, 1e22, 5e-324, 72.5, 2.0**53]
    odd = [
        dt.date(2025, 1, 15),
        dt.datetime(2025, 1, 15, 8, 30),
        Colour.red,
        (1, "a"),
        {1: "int key"},
        2**64,
        float("nan"),
        float("inf"),
        "lone \ud800 surrogate".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
    ]
    for value in [*edge, *odd, edge, {"x": edge, "y": odd}]:
        assert stable_json(value) == reference(value), value
        assert payload_hash(value) == reference_hash(value), value


def test_a_known_account_payload_hash_is_unchanged() -> None:
    # Independently computed: sha256 of the compact, key-sorted JSON text below.
    text = '["account","ACC-000001",{"tf_health_score":72.5,"tf_open_tasks":2,"tf_tier":"SMB"}]'
    data = {"tf_tier": "SMB", "tf_open_tasks": 2, "tf_health_score": 72.5}
    assert stable_json(["account", "ACC-000001", data]) == text
    assert (
        payload_hash(["account", "ACC-000001", data]) == hashlib.sha256(text.encode()).hexdigest()
    )
