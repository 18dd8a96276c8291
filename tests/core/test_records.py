"""Per-account lists held as columns read, and are written, as the lists of dicts they replace.

The reference for the JSON is the writer's list path (a list of dicts through orjson, chunk by
chunk), on the same records built as plain dicts; the reference for the analyses is each
result's ``to_dict()`` as it was (lists of dicts), on the same generated book.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import threading

import numpy as np
import pyarrow as pa
import pytest

from tierform.cli import jsonout
from tierform.core import records_json
from tierform.core.assign import assign_books
from tierform.core.book import book_from_records
from tierform.core.health.score import score_health
from tierform.core.loader import load_model
from tierform.core.records import (
    CodedField,
    FlagField,
    NestedField,
    NumberField,
    RecordColumns,
    TextField,
    coded,
)
from tierform.core.rules.engine import run_rules
from tierform.core.segment import segment
from tierform.testing.sample import generate_accounts

HOSTILE = ['quote " inside', "back\\slash", "new\nline\ttab", "\x00\x01\x1f\x7f", "é ü 中文 😀", ""]
AWKWARD = [
    -0.0,
    0.0,
    1e17,
    -1e-7,
    1.23456789,
    float("inf"),
    float("-inf"),
    float("nan"),
    99.99,
    100.0,
    2.5e15,
]


def written(data: object) -> bytes:
    out = io.BytesIO()
    jsonout.write_json(data, out.write)
    return out.getvalue()


def plain(records: RecordColumns) -> list[dict]:
    """The records built by hand from the columns, one dict per row (the reference)."""
    rows = []
    for i in range(len(records)):
        row = {}
        for f in records.fields:
            if isinstance(f, FlagField):
                if f.mask[i]:
                    row[f.name] = True
            else:
                row[f.name] = value_of(f, i)
        rows.append(row)
    return rows


def value_of(f, i):
    if isinstance(f, TextField):
        return f.values[i].as_py()
    if isinstance(f, CodedField):
        return f.labels[int(f.codes[i])]
    if isinstance(f, NumberField):
        v = float(f.values[i])
        return None if math.isnan(v) else v
    return {g.name: value_of(g, i) for g in f.fields}


def hostile_records(n: int, seed: int) -> RecordColumns:
    rng = np.random.default_rng(seed)
    ids = [f"ACC-{i:07d}" if i % 11 else HOSTILE[i % len(HOSTILE)] for i in range(n)]
    score = np.round(rng.random(n) * 100, 2)
    score[rng.random(n) < 0.2] = np.nan
    odd = rng.random(n) < 0.1
    score[odd] = rng.choice(AWKWARD, int(odd.sum()))
    wide = rng.normal(0, 1e9, n)  # not whole cents: every value its own text
    labels = ["Enterprise", "Mid-Market", None, 'we"ird\n', 3, 2.5, True]
    return RecordColumns(
        n,
        [
            TextField("account_id", pa.array(ids)),
            CodedField("tier", labels, rng.integers(0, len(labels), n)),
            NumberField("score", score),
            NestedField(
                "dimensions",
                (
                    NumberField("usage", np.round(rng.random(n) * 10, 2)),
                    NumberField("wide", wide),
                    TextField(
                        "note", pa.array([None if i % 3 else HOSTILE[i % 6] for i in range(n)])
                    ),
                    NestedField("empty", ()),
                ),
            ),
            FlagField("stale_renewal", rng.random(n) < 0.3),
            FlagField("strategic", rng.random(n) < 0.5),
        ],
    )


@pytest.mark.parametrize(
    "n", [1, 7, records_json.ROWS_PER_BLOCK, 2 * records_json.ROWS_PER_BLOCK + 3]
)
def test_records_are_written_byte_for_byte_as_their_dicts(n):
    records = hostile_records(n, seed=n)
    rows = plain(records)
    for wrap in (lambda x: {"summary": {"n": n}, "accounts": x, "checks": []}, lambda x: x):
        assert written(wrap(records)) == written(wrap(rows))
    parsed = json.loads(written({"accounts": records}))["accounts"]
    assert len(parsed) == n
    # And the standard library reads back the values (NaN and infinities as null).
    for got, want in zip(parsed, rows, strict=True):
        assert got["account_id"] == want["account_id"]
        assert got["score"] == (None if want["score"] in (math.inf, -math.inf) else want["score"])


NEAR_CENTS = [-0.0, 0.0, -1e-7, 1e-7, 0.005, -0.015, 1.234, 99.99, 100.0, -100.0, 0.1 + 0.2]


@pytest.mark.parametrize(
    "span",
    [
        200.0,  # a score's range: the texts cover the span, blocks find their codes
        (records_json.MAX_CENTS - 1) / 100,  # the widest span that still shares texts
        records_json.MAX_CENTS / 100,  # one cent wider: the whole-column codes
        2.0**52 / 100,  # cents beyond exact integers
    ],
)
def test_numbers_near_the_cent_grid_are_written_as_their_dicts(span):
    n = 2 * records_json.ROWS_PER_BLOCK + 5
    rng = np.random.default_rng(int(span) % 1000)
    values = np.round(rng.uniform(-span / 2, span / 2, n), 2)
    values[rng.random(n) < 0.1] = np.nan
    odd = rng.random(n) < 0.2
    values[odd] = rng.choice(NEAR_CENTS, int(odd.sum()))
    values[rng.random(n) < 0.05] += 1e-9  # off the cent grid
    values[[0, -1]] = [-span / 2, span / 2]  # the span's ends, exactly
    fields = [NumberField("v", values), NumberField("nan", np.full(n, np.nan))]
    records = RecordColumns(n, [TextField("id", pa.array([str(i) for i in range(n)])), *fields])
    assert written({"accounts": records}) == written({"accounts": plain(records)})


@pytest.mark.parametrize("wide_offsets", [False, True])
def test_blocks_with_and_without_numbers_of_their_own(monkeypatch, wide_offsets):
    """Blocks take from the whole texts, but a block with numbers off the cent grid takes
    from a source of its own; both read as the dicts, in every order, with texts that need
    escaping in both. ``wide_offsets``: the texts held with 64-bit offsets, the indexes int64."""
    if wide_offsets:
        monkeypatch.setattr(records_json, "MAX_BINARY_BYTES", 0)
        monkeypatch.setattr(records_json, "INT32_INDEXES", 0)
    block = records_json.ROWS_PER_BLOCK
    n = 3 * block + 5
    rng = np.random.default_rng(7)
    ids = [HOSTILE[i % len(HOSTILE)] + str(i) if i % 97 == 0 else f"A{i}" for i in range(n)]
    notes = [None if i % 4 else HOSTILE[i % len(HOSTILE)] for i in range(n)]
    score = np.round(rng.random(n) * 100, 2)
    score[block + 3 : block + 9] += 1e-9  # only the second block writes numbers of its own
    records = RecordColumns(
        n,
        [
            TextField("account_id", pa.chunked_array([ids[:block], ids[block:]])),
            NumberField("score", score),
            TextField("note", pa.array(notes)),
            CodedField("band", ["green", "red"], rng.integers(0, 2, n)),
        ],
    )
    assert written({"accounts": records}) == written({"accounts": plain(records)})
    assert written(records) == written(plain(records))


def test_records_read_as_the_list_of_dicts():
    records = hostile_records(50, seed=3)
    rows = plain(records)
    assert records == rows and not (records != rows)
    assert len(records) == 50 and list(records) == rows and records.to_list() == rows
    assert records[0] == rows[0] and records[-1] == rows[-1] and records[3:9] == rows[3:9]
    assert isinstance(records, list) and bool(records)
    assert rows[4] in records and list(reversed(records)) == rows[::-1]
    assert (
        json.loads(json.dumps({"a": records}, indent=2, default=str))["a"]
        == json.loads(json.dumps({"a": rows}, indent=2, default=str))["a"]
    )
    with pytest.raises(TypeError):
        records.append({})
    with pytest.raises(IndexError):
        records[50]


def test_an_empty_list_and_a_list_inside_a_non_text_keyed_dict():
    empty = RecordColumns(0, [TextField("account_id", pa.array([], pa.string()))])
    assert written({"accounts": empty}) == written({"accounts": []})
    assert written(empty) == written([])
    records = hostile_records(5, seed=1)
    assert written({1: records}) == written({1: plain(records)})


def test_flags_must_follow_a_field():
    with pytest.raises(ValueError):
        RecordColumns(1, [FlagField("x", np.array([True]))])
    with pytest.raises(ValueError):
        RecordColumns(
            1,
            [
                TextField("a", pa.array(["x"])),
                FlagField("x", np.array([True])),
                TextField("b", pa.array(["y"])),
            ],
        )


def test_coded_reads_repeating_text():
    field = coded("owner", ["Ana", None, "Sam", "Ana"])
    assert [field.labels[c] for c in field.codes] == ["Ana", None, "Sam", "Ana"]


# --- the analyses' per-account lists, columnar and as they were ---------------------------------


@pytest.fixture(scope="module")
def analysed():
    model = load_model(None)
    rows = generate_accounts(3000, seed=7, blank_acv_share=0.05).to_pylist()
    rows[5]["account_id"] = 'ACC "quoted"\\'
    book = book_from_records(rows)
    seg = segment(model, book)
    return model, book, seg


def test_segment_assignments(analysed):
    _, _, seg = analysed
    old, new = seg.to_dict(), seg.to_dict(columnar=True)
    assert isinstance(new["assignments"], RecordColumns)
    assert new == old
    assert written(new) == written(old)


def test_health_accounts(analysed):
    model, book, seg = analysed
    result = score_health(model, book, seg, as_of=dt.date(2027, 1, 1))
    old, new = result.to_dict(), result.to_dict(columnar=True)
    stale = ["stale_renewal" in a for a in old["accounts"]]
    assert any(stale) and not all(stale)  # the flag is exercised both ways
    assert new == old
    assert written(new) == written(old)


def test_rules_run_actions(analysed):
    model, book, seg = analysed
    run = run_rules(model, book, dt.date(2026, 11, 1), seg=seg)
    new = run.to_dict(columnar=True)
    counts = run.by_rule()
    assert run.count() == len(new["actions"])
    old = run.to_dict()  # builds the rows
    assert len(old["actions"]) > 100
    assert new == old
    assert written(new) == written(old)
    by_hand: dict[str, int] = {}
    for a in run.actions:
        by_hand[a.rule] = by_hand.get(a.rule, 0) + 1
    assert counts == by_hand and list(counts) == list(by_hand)


def test_assign_moves_and_assignments(analysed):
    model, book, seg = analysed
    result = assign_books(model, seg)
    old = result.to_dict(book.ids())
    new = result.to_dict(book.id_column(), columnar=True)
    assert new == old
    assert written(new) == written(old)


def test_a_write_that_stops_early_ends_the_block_thread():
    """Blocks are made two at a time, one on a second thread: a reader that stops (a closed
    pipe) leaves no thread behind, so the command can still leave at once."""
    records = hostile_records(3 * records_json.ROWS_PER_BLOCK, seed=5)
    items = records_json.record_items(records, 1)
    next(items)
    assert any(t.name == "tierform-in-turns" for t in threading.enumerate())
    items.close()
    assert not any(t.name == "tierform-in-turns" for t in threading.enumerate())
