"""``--format json`` output: the same data as the standard library encoder gave, faster.

The reference is the emitter as it was, ``json.dumps(data, indent=2, default=str)``: every test
compares parsed output (and, where no spelling can differ, the exact bytes) against it on the
same data, and the commands are run twice on the same books, once with each emitter.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import io
import json
import uuid
from collections import namedtuple
from typing import Any

import numpy as np
import pytest
from pydantic import BaseModel

from tierform.cli import jsonout
from tierform.core.loader import starter_text
from tierform.testing.sample import generate_accounts, write_csv


def reference(data: Any) -> bytes:
    """The emitter as it was (a ``Later`` member, which it never saw, as its value)."""

    def default(value: Any) -> Any:
        return value.get() if isinstance(value, jsonout.Later) else str(value)

    return (json.dumps(data, indent=2, default=default) + "\n").encode()


def encoded(data: Any) -> bytes:
    out = io.BytesIO()
    jsonout.write_json(data, out.write)
    return out.getvalue()


class Colour(enum.StrEnum):
    red = "red"


class Rank(enum.IntEnum):
    high = 3


@dataclasses.dataclass
class Point:
    x: int


class Owner(BaseModel):
    name: str


Pair = namedtuple("Pair", "a b")


def every_kind() -> dict[str, Any]:
    return {
        "text": "plain",
        "unicode": "Zoë → Ærø ✓ 東京",
        "int": 7,
        "negative": -12,
        "float": 0.1,
        "big float": 10510526045.84,
        "tiny": 1.5e-7,
        "huge": 1e16,
        "bool": True,
        "none": None,
        "np.float64": np.float64(2124626.25),
        "np.int64": np.int64(3),
        "np.float32": np.float32(0.5),
        "np.bool_": np.bool_(True),
        "array": np.array([1.0, 2.5]),
        "date": dt.date(2026, 11, 1),
        "datetime": dt.datetime(2026, 11, 1, 9, 30, tzinfo=dt.UTC),
        "time": dt.time(9, 30),
        "decimal": decimal.Decimal("12.50"),
        "uuid": uuid.UUID(int=7),
        "str enum": Colour.red,
        "int enum": Rank.high,
        "tuple": (1, "a"),
        "named tuple": Pair(1, 2),
        "dataclass": Point(1),
        "model": Owner(name="Ana"),
        "set": {1},
        "nested": {"list": [[], {}, [1, [2, {"deep": None}]]], "empty": {}},
        "keys": {1: "int", 2.5: "float", False: "bool", None: "null", Colour.red: "enum"},
        "beyond 64 bits": 2**70,
    }


def test_every_kind_of_value_parses_as_before():
    data = every_kind()
    assert json.loads(encoded(data)) == json.loads(reference(data))


def test_values_the_old_encoder_stringified_are_still_strings():
    """Hand-written expectations: what ``default=str`` made of each value."""
    out = json.loads(encoded(every_kind()))
    assert out["np.float64"] == 2124626.25  # a float subclass: a number
    assert out["np.int64"] == "3" and out["np.float32"] == "0.5" and out["np.bool_"] == "True"
    assert out["array"] == "[1.  2.5]"
    assert out["date"] == "2026-11-01"
    assert out["datetime"] == "2026-11-01 09:30:00+00:00"  # str(), not isoformat()
    assert out["decimal"] == "12.50"
    assert out["str enum"] == "red" and out["int enum"] == 3
    assert out["tuple"] == [1, "a"] and out["named tuple"] == [1, 2]
    assert out["dataclass"] == "Point(x=1)"
    assert out["model"] == "name='Ana'"
    assert out["keys"] == {
        "1": "int",
        "2.5": "float",
        "false": "bool",
        "null": "null",
        "red": "enum",
    }
    assert out["beyond 64 bits"] == 2**70


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), np.float64("nan")])
def test_nan_and_infinity_are_written_as_null(value):
    """They are not JSON (the old encoder wrote the non-standard NaN/Infinity tokens)."""
    out = encoded({"figure": value, "list": [1.0, value]})
    assert b"NaN" not in out and b"Infinity" not in out
    assert json.loads(out) == {"figure": None, "list": [1.0, None]}


def test_nan_is_null_on_the_slow_path_too():
    """A value the compiled encoder refuses (an int beyond 64 bits) goes the slow way."""
    out = encoded({"big": 2**70, "nan": float("nan"), "rows": [[float("inf")]]})
    assert json.loads(out) == {"big": 2**70, "nan": None, "rows": [[None]]}


def test_lone_surrogates_are_escaped_as_before():
    data = {"name": "bad \udcff byte"}
    assert json.loads(encoded(data)) == json.loads(reference(data))


@pytest.mark.parametrize(
    "data",
    [
        {"a": 1, "b": [1, 2, 3], "c": {"d": "e", "f": [True, None]}, "g": [], "h": {}},
        [{"id": f"ACC-{i:06d}", "tier": None if i % 5 else "SMB", "n": i} for i in range(10)],
        "just text",
        42,
        [],
        {},
    ],
)
def test_ascii_text_and_integers_are_byte_identical(data):
    assert encoded(data) == reference(data)


def long_rows(n: int) -> list[dict[str, Any]]:
    return [
        {
            "account_id": f"ACC-{i:06d}",
            "tier": ["Enterprise", None][i % 2],
            "n": i,
            "ok": i % 3 == 0,
        }
        for i in range(n)
    ]


@pytest.mark.parametrize("n", [jsonout.CHUNK + 1, 2 * jsonout.CHUNK, 3 * jsonout.CHUNK + 17])
def test_long_lists_written_in_chunks_are_byte_identical(n):
    rows = long_rows(n)
    top_level = {"summary": {"accounts": n}, "accounts": rows, "checks": [], "empty": {}}
    for data in (top_level, rows):
        pieces = list(jsonout.chunks(data))
        assert len(pieces) > 3  # really written in pieces
        assert encoded(data) == reference(data)


def test_a_dict_with_non_text_keys_is_written_whole():
    data = {1: long_rows(jsonout.CHUNK + 1)}
    assert len(list(jsonout.chunks(data))) == 1
    assert json.loads(encoded(data)) == json.loads(reference(data))


@pytest.mark.parametrize("n", [3, jsonout.CHUNK + 1])
def test_a_later_member_is_written_as_its_value(n):
    rows = long_rows(n)
    figures = {"auc": 0.75, "grade": "good"}
    data = {"accounts": rows, "validation": jsonout.Later(lambda: figures), "checks": []}
    assert encoded(data) == reference({"accounts": rows, "validation": figures, "checks": []})


def test_a_later_member_is_asked_for_once_the_members_before_it_are_written():
    """In a document written member by member; a short one is encoded whole, at once."""
    out = io.BytesIO()
    asked_at: list[int] = []

    def validation() -> dict[str, Any]:
        asked_at.append(len(out.getvalue()))
        return {"auc": 0.75}

    data = {"accounts": long_rows(jsonout.CHUNK + 1), "validation": jsonout.Later(validation)}
    jsonout.write_json(data, out.write)
    assert asked_at == [out.getvalue().index(b'"validation"') + len(b'"validation": ')]


# --- the commands, run on the same books with the old and the new emitter ----------------------


@pytest.fixture
def old_emitter(monkeypatch):
    """Swap the old encoder in for one run."""

    calls: list[Any] = []

    def old_write(data: Any, write: Any) -> None:
        calls.append(data)
        write(reference(data))

    def use() -> list[Any]:
        monkeypatch.setattr(jsonout, "write_json", old_write)
        return calls

    return use


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The built-in model and 3,000 generated accounts (blank ACVs, owners, signals, churn)."""
    folder = tmp_path_factory.mktemp("generated")
    write_csv(generate_accounts(3000, seed=5, blank_acv_share=0.05), str(folder / "accounts.csv"))
    (folder / "tierform.yaml").write_text(starter_text(), encoding="utf-8")
    return folder / "tierform.yaml"


COMMANDS = [
    ["segment", "--suggest-breaks"],
    ["capacity", "--growth", "40%"],
    ["assign"],
    ["health"],
    ["health", "--calibrate"],
    ["rules", "run", "--as-of", "2026-11-01"],
    ["validate"],
    ["recommend"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("book", ["example", "generated"])
def test_commands_emit_the_same_data_as_before(run, example, generated, old_emitter, args, book):
    config = example if book == "example" else generated
    argv = [*args, "-c", str(config), "--accounts", str(config.parent / "accounts.csv")]
    new = run(*argv, "--format", "json")
    assert new.exit_code == 0, new.output
    used = old_emitter()
    old = run(*argv, "--format", "json")
    assert old.exit_code == 0, old.output
    assert len(used) == 1  # the second run really went through the old encoder
    assert json.loads(new.stdout) == json.loads(old.stdout)
    assert "NaN" not in new.stdout and "Infinity" not in new.stdout


def test_schema_emits_the_same_data_as_before(run, old_emitter):
    new = run("schema").stdout
    used = old_emitter()
    assert json.loads(new) == json.loads(run("schema").stdout)
    assert len(used) == 1


def test_pieces_written_behind_arrive_whole_and_in_order():
    out = io.BytesIO()
    pieces = [bytes([i % 256]) * (i * 37 % 5000) for i in range(500)]
    with jsonout.written_behind(out.write, depth=2) as write:
        for piece in pieces:
            write(memoryview(piece))
    assert out.getvalue() == b"".join(pieces)


def test_a_failed_write_behind_is_raised_and_stops_the_writing():
    written = []

    def write(piece):
        if len(written) == 3:
            raise BrokenPipeError("closed")
        written.append(bytes(piece))

    with pytest.raises(BrokenPipeError):
        with jsonout.written_behind(write, depth=1) as put:
            for i in range(1000):
                put(b"%d" % i)
    assert written == [b"0", b"1", b"2"]


def test_an_error_while_encoding_ends_the_writer():
    out = io.BytesIO()
    with pytest.raises(ValueError, match="bad"):
        with jsonout.written_behind(out.write) as put:
            put(b"first")
            raise ValueError("bad")
    assert out.getvalue() == b"first"
