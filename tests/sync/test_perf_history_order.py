"""The plan's history, names, shared platform dicts and diff against straightforward references:
the shortcuts taken when a platform holds the book's accounts in the book's order (and the
look-ups taken when it does not), the diff that skips shared objects and has nothing to delete,
and the pooled owners and band names of a design."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_perf_plan_inputs import (  # the diff and history as they were, one object at a time
    check_merged,
    reference_diff,
    reference_history_of,
)

from tierform.core.book import AccountBook, book_from_records, read_book
from tierform.core.design import Design, design
from tierform.core.history import History, history_of_columns, with_history
from tierform.core.history_columns import AlignedNames
from tierform.core.loader import default_model
from tierform.core.model import CoverageLayer, CoverageModel, RosterEntry
from tierform.sync.change import Change, Op, diff_objects
from tierform.sync.desired import account_labels
from tierform.sync.desired_columns import account_rows
from tierform.sync.state import Kind, State
from tierform.testing.sample import generate_accounts, write_csv

TIERS = ["Enterprise", "Mid-Market", "SMB / Growth", "Self-Serve"]


def _model() -> CoverageModel:
    roster = [
        RosterEntry(name="Ana Ruiz", tier="Enterprise", email="ana@x.com"),
        RosterEntry(name="Zoë Ünal", tier="Enterprise"),
    ]
    return default_model().model_copy(update={"roster": roster})


def _book(n: int) -> AccountBook:
    records = [
        {"account_id": f"ACC-{i:04d}", "name": f"Café {i}", "acv": 1000.0 + 37 * i}
        for i in range(n)
    ]
    return book_from_records(records, _model().accounts)


def _platform_order(ids: list[str], order: str, rng: random.Random) -> list[str]:
    """The ids as a platform holds them: in the book's order, shuffled, half of them, or all
    but the first and one the book lacks."""
    keys = list(ids)
    if order == "shuffled":
        rng.shuffle(keys)
    elif order == "partial":
        keys = keys[::2]
    elif order == "extra":
        keys = [*keys[1:], "ACC-GONE"]
    return keys


@pytest.mark.parametrize("order", ["book", "shuffled", "partial", "extra"])
def test_with_history_and_describe_in_any_order(order: str) -> None:
    book = _book(300)
    rng = random.Random(4)
    keys = _platform_order(book.ids(), order, rng)
    tiers = {k: rng.choice(TIERS) for k in keys}
    owners = {k: rng.choice(["Ana Ruiz", "Zoë Ünal"]) for k in keys[::3]}
    history = History(tiers, owners, "test")
    check_merged(book, history, history)


def _book_with_own(n: int) -> AccountBook:
    """A book whose accounts carry some tiers and owners of their own (every fourth)."""
    records = [
        {
            "account_id": f"ACC-{i:04d}",
            "name": f"Café {i}",
            "acv": 1000.0 + 37 * i,
            "previous_tier": TIERS[i % 4] if i % 4 == 0 else None,
            "owner": "Own Person" if i % 4 == 1 else None,
        }
        for i in range(n)
    ]
    return book_from_records(records, _model().accounts)


@pytest.mark.parametrize("own", [False, True])
@pytest.mark.parametrize("blanks", [False, True])
@pytest.mark.parametrize("order", ["book", "shuffled", "partial", "extra"])
def test_history_read_as_columns_matches_the_dict_history(
    order: str, blanks: bool, own: bool
) -> None:
    """A platform's history kept as its columns (each id once) gives the book the same tiers
    and owners, and the same summary, as the same history built as dicts, one account at a
    time; blank and unknown values fall back to the book's own (``own``: it has some)."""
    model = _model()
    book = _book_with_own(400) if own else _book(400)
    ids = book.ids()
    rng = random.Random(7 + blanks)
    keys = _platform_order(ids, order, rng)
    tier_pool: list[Any] = [*TIERS, " enterprise ", "SELF-SERVE"]
    csm_pool: list[Any] = ["Ana Ruiz", "ANA@X.COM", "zoë ünal", "Someone"]
    if blanks:
        tier_pool += ["", "  ", None, "Gold"]
        csm_pool += ["", None, "  "]
    tiers = [rng.choice(tier_pool) for _ in keys]
    csms = [rng.choice(csm_pool) for _ in keys]
    got = history_of_columns(list(keys), tiers, csms, model, "src", unique=True)
    want = reference_history_of(list(zip(keys, tiers, csms, strict=True)), model)
    assert isinstance(got.tiers, AlignedNames) and isinstance(got.owners, AlignedNames)
    assert dict(got.tiers) == dict(want.tiers) and list(got.tiers) == list(want.tiers)
    assert dict(got.owners) == dict(want.owners) and list(got.owners) == list(want.owners)
    assert len(got.tiers) == len(want.tiers) and len(got.owners) == len(want.owners)
    assert got.notes == want.notes and bool(got.notes) == blanks
    assert all((k in got.tiers) == (k in want.tiers) for k in [*ids, "ACC-GONE", "nobody"])
    check_merged(book, got, want)


def test_aligned_names_refuse_columns_of_two_lengths() -> None:
    with pytest.raises(ValueError, match="one value per account id"):
        AlignedNames(["a", "b"], ["Gold"])


class _Text(str):
    """A text of another type (the shared name must stay a plain ``str``)."""


@pytest.mark.parametrize(
    "case", ["same", "renamed", "shuffled", "blank", "subclass", "missing", "none", "empty"]
)
def test_account_labels_match_reference(case: str) -> None:
    ids = [f"A{i}" for i in range(50)]
    named: list[Any] = [f"Ünï {i}" for i in range(50)]
    had: dict[str, Any] | None = {a: str(n) for a, n in zip(ids, named, strict=True)}
    assert had is not None
    if case == "renamed":
        had["A7"] = "Other"
    elif case == "shuffled":
        had = dict(reversed(had.items()))
    elif case == "blank":
        named[3] = None
        named[4] = ""
    elif case == "subclass":
        had["A9"] = _Text(had["A9"])
    elif case == "missing":
        del had["A11"]
    elif case == "none":
        had = None
    elif case == "empty":
        had = {}
    got = account_labels(ids, named, had)
    # the reference: each name the platform holds as the same plain text is taken from it
    shared = [
        o if type(o) is str and o == n else n
        for o, n in zip(map((had or {}).get, ids), named, strict=True)
    ]
    want = {a: n for a, n in zip(ids, shared, strict=True) if n}
    assert list(got.items()) == list(want.items())
    assert all(got[a] is want[a] for a in want)  # the same objects are held
    assert got is not had


@pytest.mark.parametrize("values", ["scalars", "lists"])
@pytest.mark.parametrize("order", ["book", "shuffled", "partial", "aligned"])
def test_account_rows_reuse_the_platforms_dicts_in_any_order(order: str, values: str) -> None:
    """``aligned``: the platform holds every account exactly as desired, in the book's order
    (the dict of them all is then copied whole); ``lists``: a field of lists, so dicts are
    built first and then matched."""
    ids = [f"A{i}" for i in range(200)]
    rng = random.Random(2)
    columns: dict[str, list[Any]] = {
        "tf_tier": [rng.choice([*TIERS, None]) for _ in ids],
        "tf_score": [rng.choice([1, 2.5, None, 70.3]) for _ in ids],
    }
    if values == "lists":
        columns["tf_tags"] = [rng.choice([["a"], ["a", "b"], None]) for _ in ids]
    built = account_rows(ids, columns)
    like: dict[str, dict[str, Any]] = {}
    for i, aid in enumerate(ids):
        data = dict(built[aid])
        if order == "aligned":
            pass
        elif i % 5 == 0:
            data["tf_tier"] = "Changed"
        elif i % 7 == 0 and data.get("tf_score") == 1:
            data["tf_score"] = 1.0  # equal, not exactly the same: not shared
        like[aid] = data
    keys = list(ids)
    if order == "shuffled":
        rng.shuffle(keys)
    elif order == "partial":
        keys = keys[: len(keys) // 2]
    like = {k: like[k] for k in keys}
    got = account_rows(ids, columns, like)
    assert got == built and list(got) == ids
    assert got is not like  # the caller may add to it
    for aid in ids:
        old = like.get(aid)
        exact = old == built[aid] and all(type(old[k]) is type(v) for k, v in built[aid].items())
        assert (got[aid] is old) == bool(old is not None and exact)


def _as_rows(changes: list[Change]) -> list[tuple[Any, ...]]:
    creates = [c for c in changes if c.op is not Op.delete]
    deletes = sorted((c for c in changes if c.op is Op.delete), key=lambda c: c.key)
    return [(c.op, c.key, c.data, c.existing, c.diffs) for c in [*creates, *deletes]]


@pytest.mark.parametrize(
    "case", ["aligned", "swap", "create", "delete", "mixed", "updated", "reordered", "crossed"]
)
def test_diff_objects_skips_shared_and_finds_deletes(case: str) -> None:
    rng = random.Random(case)
    desired, existing = State(), State()
    for i in range(300):
        data = {"tf_a": rng.choice(["x", "ÿ", 3]), "tf_b": rng.choice([1.5, "", None])}
        existing.put(Kind.account, f"K{i}", data)
        desired.objects.setdefault(Kind.account, {})[f"K{i}"] = existing.of(Kind.account)[f"K{i}"]
    want = desired.objects[Kind.account]
    if case in ("swap", "mixed"):  # as many keys on each side, one apart
        del want["K5"]
        want["NEW"] = {"tf_a": "x"}
    if case in ("create", "mixed"):
        want["NEW2"] = {"tf_a": "y"}
    if case in ("delete", "mixed"):
        del want["K9"]
        want["K10"] = {"tf_a": "changed"}
    if case == "updated":  # the same keys in the same order, some objects not shared
        want["K3"] = {"tf_a": "changed"}
        want["K4"] = dict(want["K4"])  # equal, another object: no change
        want["K7"] = {**want["K7"], "tf_c": 1}
    if case == "reordered":  # the same keys in another order, one object changed
        keys = list(want)
        rng.shuffle(keys)
        desired.objects[Kind.account] = want = {k: want[k] for k in keys}
        want["K8"] = {"tf_a": "changed"}
    if case == "crossed":  # two keys trade places and objects: each now wants the other's
        have = existing.objects[Kind.account]
        have["K0"], have["K1"] = {"tf_a": "zero"}, {"tf_a": "one"}
        keys = ["K1", "K0", *[k for k in want if k not in ("K0", "K1")]]
        crossed = {"K1": have["K0"], "K0": have["K1"]}
        desired.objects[Kind.account] = want = {k: crossed.get(k, want[k]) for k in keys}
    got = diff_objects(Kind.account, desired, existing)
    assert _as_rows(got) == reference_diff(Kind.account, desired, existing)
    assert bool(got) == (case != "aligned")
    if case in ("updated", "reordered", "crossed"):
        updated = {"updated": {"K3", "K7"}, "reordered": {"K8"}, "crossed": {"K0", "K1"}}[case]
        assert {c.key for c in got} == updated and {c.op for c in got} == {Op.update}


def test_design_owners_and_band_names_match_reference() -> None:
    model = default_model().model_copy(update={"roster": []})
    records = [
        {"account_id": f"ACC-{i:04d}", "name": f"C {i}", "acv": float(a)}
        for i, a in enumerate(np.random.default_rng(3).lognormal(9, 2, 400))
    ]
    d = design(model, book_from_records(records, model.accounts), dt.date(2025, 1, 15))
    pools = {i: t.pool_name for i, t in enumerate(model.tiers) if t.layer is CoverageLayer.pooled}
    assert pools  # the default model pools a tier
    assert d.owners() == [pools.get(i) for i in d.seg.tier.tolist()]
    d.seg.tier[:3] = [-1, len(model.tiers), -5]  # no tier, and indices past either end
    assert d.owners()[:3] == [None, None, None]
    assert d.health is not None
    names = [str(n) for n in d.health.band_names]
    seen = dict.fromkeys(str(b) for b in d.health.band if b is not None)
    assert d.band_names() == names + [b for b in seen if b not in names]


def test_health_by_tier_matches_reference(tmp_path: Path) -> None:
    path = tmp_path / "book.csv"
    write_csv(generate_accounts(600, seed=4), str(path))
    model = default_model()
    d = design(model, read_book(path, model.accounts), dt.date(2025, 1, 15))
    assert d.health is not None and (d.health.band_index >= 0).all()
    d.health.band_index[3:6] = -1  # accounts with no band
    d.seg.tier[6:9] = -1  # and in no tier
    got = d.health_by_tier()
    assert got == reference_health_by_tier(d)
    placed = (d.seg.tier >= 0) & (d.health.band_index >= 0)
    assert sum(sum(row.values()) for row in got) == int(placed.sum()) > 500


def reference_health_by_tier(d: Design) -> list[dict[str, int]]:
    """Accounts per band in each tier, one account at a time."""
    assert d.health is not None
    names = d.band_names()
    table = [dict.fromkeys(names, 0) for _ in d.model.tiers]
    for tier, band in zip(d.seg.tier.tolist(), d.health.band, strict=True):
        if tier >= 0 and band is not None:
            table[tier][str(band)] += 1
    return table


def test_with_history_in_book_order_and_empty() -> None:
    book = _book(20)
    ids = book.ids()
    history = History(dict.fromkeys(ids, "Enterprise"), {}, "file")
    assert with_history(book, history).text("previous_tier") == ["Enterprise"] * len(ids)
    assert with_history(book, History()) is book


def test_account_rows_leave_out_a_field_no_account_has() -> None:
    ids = ["A", "B", "Ç"]
    columns: dict[str, list[Any]] = {
        "tf_a": ["x", None, ""],
        "tf_none": [None, None, None],
        "tf_n": [1, 2.5, None],
    }
    want = {
        aid: {k: columns[k][i] for k in sorted(columns) if columns[k][i] not in (None, "")}
        for i, aid in enumerate(ids)
    }
    got = account_rows(ids, columns)
    assert got == want and all(list(got[a]) == list(want[a]) for a in ids)
