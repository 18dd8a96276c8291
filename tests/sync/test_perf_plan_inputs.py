"""Work items, the history, the moves in flight and the diff against straightforward
per-account references (the forms they had before being made column-wise), on generated books
with tier moves, repeated and blank names, unicode and roster people."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from tierform.core.book import AccountBook, read_book
from tierform.core.design import Design, design
from tierform.core.history import History, _blank, describe, history_of, people, with_history
from tierform.core.loader import default_model
from tierform.core.model import CoverageModel, RosterEntry
from tierform.sync.change import Change, Op, diff_data, diff_objects
from tierform.sync.desired import MIGRATIONS, InFlight, desired_state, in_flight
from tierform.sync.state import Kind, State
from tierform.sync.work_items import (
    DUE_HORIZON_DAYS,
    Handoff,
    WorkItem,
    _keep_earliest,
    _lower_first,
    _move,
    _on_tier_change,
    human_title,
    work_items,
)
from tierform.testing.sample import generate_accounts, write_csv

AS_OF = dt.date(2025, 1, 15)
TIERS = ["Enterprise", "Mid-Market", "SMB / Growth", "Self-Serve"]


def reference_work_items(d: Design) -> list[WorkItem]:
    if d.rule_run is None:
        return []
    ids = d.book.ids()
    owner_of = dict(zip(ids, d.owners(), strict=True))
    name_of = dict(zip(ids, d.book.text("name"), strict=True))
    before = dict(zip(ids, d.book.text("owner"), strict=True))
    tier_of = dict(zip(ids, d.seg.tier_names(), strict=True))
    rules = {r.name: r for r in d.specs.rules}
    playbooks = {p.name: p for p in d.specs.playbooks}
    horizon = d.as_of + dt.timedelta(days=DUE_HORIZON_DAYS)
    found: dict[str, WorkItem] = {}
    for action in d.rule_run.actions:
        aid, rule, label, due, reason = action
        assignee = owner_of.get(aid)
        who = name_of.get(aid) or aid
        pb = playbooks.get(label.split(":", 1)[1]) if label.startswith("start_playbook:") else None
        if pb is not None and pb.owner != "automation" and pb.steps:
            why = f"{reason}; via rule {rule}" if reason else f"rule {rule}"
            for step in pb.steps:
                step_due = due + dt.timedelta(days=step.day)
                if step_due <= horizon:
                    text = f"{pb.name}: {_lower_first(step.action)} with {who}"
                    item = WorkItem(
                        aid, f"playbook:{pb.name}", f"{pb.name}: {step.action}", step_due, why,
                        assignee, text,
                    )  # fmt: skip
                    _keep_earliest(found, item)
            continue
        if label.startswith("move_tier:"):
            hand = Handoff(aid, rule, label, due, reason, who, _move(rules.get(rule)))
            for item in hand.items(assignee, before.get(aid), tier_of.get(aid)):
                _keep_earliest(found, item)
            continue
        text = human_title(label, rule, who)
        _keep_earliest(found, WorkItem(aid, f"rule:{rule}", label, due, reason, assignee, text))
    return list(found.values())


def _model() -> CoverageModel:
    base = default_model()
    roster = [
        RosterEntry(name="Ana Ruiz", tier="Enterprise", email="ana@x.com"),
        RosterEntry(name="Bo Chen", tier="Mid-Market"),
        RosterEntry(name="Zoë Ünal", tier="Enterprise"),
    ]
    return base.model_copy(update={"roster": roster})


def _book(tmp_path: Path, n: int, seed: int) -> AccountBook:
    table = generate_accounts(n, seed=seed)
    rng = np.random.default_rng(seed)
    names = table.column("name").to_pylist()
    for i in range(0, n, 9):
        names[i] = "" if i % 2 else "Ünïcode Café {x}"  # blank, and braces in a name
    for i in range(3, n, 31):
        names[i] = names[0]  # repeated names
    table = table.set_column(table.column_names.index("name"), "name", pa.array(names))
    previous = rng.choice(np.array([*TIERS, ""], dtype=object), n)
    table = table.append_column("previous_tier", pa.array(previous, pa.string()))
    path = tmp_path / f"book-{seed}.csv"
    write_csv(table, str(path))
    return read_book(path, _model().accounts)


def _history(book: AccountBook, seed: int) -> History:
    rng = np.random.default_rng(seed + 100)
    ids = book.ids()
    tiers = {a: TIERS[int(i)] for a, i in zip(ids, rng.integers(0, 4, len(ids)), strict=True)}
    people_ = ["Ana Ruiz", "Bo Chen", "Zoë Ünal", "someone@else.org"]
    owners = {
        a: people_[int(i)] for a, i in zip(ids[::3], rng.integers(0, 4, len(ids)), strict=False)
    }
    return History(tiers, owners, "test")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_work_items_match_reference(tmp_path: Path, seed: int) -> None:
    model = _model()
    book = _book(tmp_path, 2500, seed)
    for history in (None, _history(book, seed)):
        d = design(model, book, AS_OF, history=history)
        want = reference_work_items(d)
        assert want, "the generated book has due work items"
        got = work_items(d)
        assert got == want
        assert [i.external_id for i in got] == [i.external_id for i in want]


def reference_history_of(rows: list[tuple[Any, Any, Any]], model: CoverageModel) -> History:
    names = {t.name.casefold(): t.name for t in model.tiers}
    who = people(model)
    tiers: dict[str, str] = {}
    owners: dict[str, str] = {}
    unknown: dict[str, int] = {}
    for account_id, tier, csm in rows:
        key = str(account_id)
        if _blank(tier) is None:
            pass
        elif str(tier).strip().casefold() in names:
            tiers[key] = names[str(tier).strip().casefold()]
        else:
            unknown[str(tier)] = unknown.get(str(tier), 0) + 1
        owner = _blank(csm)
        if owner is not None:
            owners[key] = who.get(owner.casefold(), owner)
    notes = tuple(
        f"src: tier {name!r} on {n} account(s) is not a tier of the model: those accounts "
        "have no previous tier (hysteresis and tier-change rules skip them)"
        for name, n in sorted(unknown.items())
    )
    return History(tiers, owners, "src", notes)


def _sample_rows(
    seed: int, n: int, tier_pool: list[Any], csm_pool: list[Any], numbers: bool
) -> list[tuple[Any, Any, Any]]:
    """``n`` rows drawn from the pools over ``n // 2.5`` ids (repeats), every fifth id given as
    a number where ``numbers``."""
    rng = np.random.default_rng(seed)
    draws = zip(
        rng.integers(0, int(n / 2.5), n),
        rng.integers(0, len(tier_pool), n),
        rng.integers(0, len(csm_pool), n),
        strict=True,
    )
    return [
        (int(i) if numbers and not i % 5 else f"A{int(i)}", tier_pool[int(t)], csm_pool[int(c)])
        for i, t, c in draws
    ]


def _check_history_of(rows: list[tuple[Any, Any, Any]], model: CoverageModel) -> History:
    got = history_of(rows, model, "src")
    want = reference_history_of(rows, model)
    assert dict(got.tiers) == dict(want.tiers) and list(got.tiers) == list(want.tiers)
    assert dict(got.owners) == dict(want.owners) and list(got.owners) == list(want.owners)
    assert got.notes == want.notes
    return got


def test_history_of_matches_reference() -> None:
    model = _model()
    tier_pool: list[Any] = [
        *TIERS, " enterprise ", "MID-MARKET", "Gold", "", "  ", None, 3.0, 7, 2.5, "Ünï", True,
    ]  # fmt: skip
    csm_pool: list[Any] = [
        "Ana Ruiz", "ANA@X.COM", " ana@x.com", "zoë ünal", "Bo Chen", "", None, 12.0, 1.5,
        "Someone", "  ", True, 1,
    ]  # fmt: skip
    assert _check_history_of(_sample_rows(5, 1000, tier_pool, csm_pool, True), model).notes
    assert history_of([], model, "src") == History({}, {}, "src", ())


def test_history_of_texts_matches_reference() -> None:
    """Tiers and CSMs all text (as platforms hold them)."""
    model = _model()
    tier_pool = [*TIERS, " enterprise ", "MID-MARKET", "Gold", "gold", "", "  ", None, "Ünï"]
    csm_pool = ["Ana Ruiz", "ANA@X.COM", " ana@x.com", "zoë ünal", "", None, "Someone", "  "]
    got = _check_history_of(_sample_rows(6, 2000, tier_pool, csm_pool, False), model)
    assert len(got.notes) == 3  # Gold, gold, Ünï


def check_merged(book: AccountBook, history: History, want: History) -> None:
    """``with_history`` and ``describe`` of ``history`` as a look-up per account in ``want``
    (its tiers and owners as dicts) gives them: the history's value, else the book's."""
    merged = with_history(book, history)
    ids = book.ids()
    for column, values in (("previous_tier", want.tiers), ("owner", want.owners)):
        own = book.text(column)
        assert merged.text(column) == [values.get(a, o) for a, o in zip(ids, own, strict=True)]
    tiers = sum(1 for a in ids if a in want.tiers)
    owners = sum(1 for a in ids if a in want.owners)
    assert describe(history, book) == (
        f"previous state from {want.source}: a tier for {tiers} and a CSM for {owners} of "
        f"{len(ids)} account(s)"
    )


def test_with_history_and_describe_match_reference(tmp_path: Path) -> None:
    book = _book(tmp_path, 800, 4)
    history = _history(book, 4)
    check_merged(book, history, history)
    ids = book.ids()
    numbers = History({ids[0]: 5, ids[1]: "x"}, {}, "n")  # type: ignore[dict-item]
    merged = with_history(book, numbers).text("previous_tier")
    assert merged[:2] == ["5", "x"] and merged[2:] == book.text("previous_tier")[2:]


def reference_in_flight(d: Design, existing: State) -> InFlight:
    moves = [r for r in d.specs.rules if _on_tier_change(r)]
    days = max((o for r in moves for o, t in [_move(r)] if o and not t), default=0)
    if not days:
        return InFlight()
    sources = {f"rule:{r.name}" for r in moves}
    accounts = existing.of(Kind.account)
    tier_of = dict(zip(d.book.ids(), d.seg.tier_names(), strict=True))
    out = InFlight()
    for key, data in existing.of(Kind.work_item).items():
        aid = str(data.get("account_id"))
        held = accounts.get(aid, {})
        move = held.get("tf_migration")
        if (
            str(data.get("source")) not in sources
            or move not in MIGRATIONS[:2]
            or held.get("tf_tier") != tier_of.get(aid)
        ):
            continue
        try:
            due = dt.date.fromisoformat(str(data.get("due")))
        except ValueError:
            continue
        if due + dt.timedelta(days=days) >= d.as_of:
            out.items[key] = data
            out.migration[aid] = str(move)
            if held.get("tf_next_step"):
                out.next_step[aid] = str(held["tf_next_step"])
    return out


def test_in_flight_and_desired_state_beside_the_platform(tmp_path: Path) -> None:
    model = _model()
    book = _book(tmp_path, 1500, 6)
    history = _history(book, 6)
    before = design(model, book, AS_OF - dt.timedelta(days=10), history=history)
    platform = desired_state(before)  # what an earlier sync left on the platform
    items = platform.objects[Kind.work_item]
    for n, key in enumerate(list(items)[:40]):
        items[key] = {**items[key], "due": "not a date"} if n % 4 == 0 else items[key]
    d = design(model, book, AS_OF, history=history)
    kept = in_flight(d, platform)
    assert kept == reference_in_flight(d, platform)
    assert kept.items, "moves in their overlap"
    assert in_flight(d, State()) == reference_in_flight(d, State())

    alone = desired_state(d, None, kept)
    for like in (platform, desired_state(d)):  # a platform that lags, and an aligned one
        beside = desired_state(d, None, kept, like=like)
        assert beside.objects == alone.objects and beside.labels == alone.labels
        for kind in (Kind.account, Kind.work_item):
            assert list(beside.of(kind)) == list(alone.of(kind))
            shared = [k for k, v in beside.of(kind).items() if v is like.of(kind).get(k)]
            same = [k for k, v in alone.of(kind).items() if v == like.of(kind).get(k)]
            assert shared == same, kind
            assert shared or like is platform, kind


def reference_diff(kind: Kind, desired: State, existing: State) -> list[tuple[Any, ...]]:
    want, have = desired.of(kind), existing.of(kind)
    out = []
    for key, data in want.items():
        old = have.get(key)
        if old is None:
            out.append((Op.create, key, data, None, diff_data(None, data)))
        elif old != data:
            out.append((Op.update, key, data, old, diff_data(old, data)))
    for key in sorted(have.keys() - want.keys()):
        out.append((Op.delete, key, None, have[key], []))
    return out


def _changes(changes: list[Change]) -> list[tuple[Any, ...]]:
    done = [(c.op, c.key, c.data, c.existing, c.diffs) for c in changes]
    return [c for c in done if c[0] is not Op.delete] + sorted(
        (c for c in done if c[0] is Op.delete), key=lambda c: c[1]
    )


def test_diff_objects_matches_reference() -> None:
    rng = np.random.default_rng(8)
    shared = {"s": "x"}
    want: dict[str, dict[str, Any]] = {}
    have: dict[str, dict[str, Any]] = {}
    for i in range(600):
        key = f"k{i}-é"
        data = {"a": int(rng.integers(0, 3)), "b": "t" if i % 2 else "ü"}
        r = rng.random()
        if r < 0.2:
            want[key] = data  # a create
        elif r < 0.4:
            have[key] = data  # a delete
        elif r < 0.6:
            want[key] = have[key] = shared  # the very same object
        elif r < 0.8:
            want[key], have[key] = data, dict(data)  # equal, not the same
        else:
            want[key], have[key] = data, {**data, "a": 1.5}  # an update
    desired = State({Kind.account: want}, {Kind.account: {k: f"L{k}" for k in want}})
    existing = State({Kind.account: have}, {}, {Kind.account: {k: f"r{k}" for k in have}})
    got = diff_objects(Kind.account, desired, existing)
    assert _changes(got) == reference_diff(Kind.account, desired, existing)
    for c in got:
        assert c.label == (desired.label(Kind.account, c.key) if c.op is not Op.delete else None)
        assert c.remote_id == (None if c.op is Op.create else f"r{c.key}")
    assert diff_objects(Kind.account, State(), State()) == []


@pytest.mark.parametrize("own", [False, True])
def test_snapshot_history_matches_reference(own: bool) -> None:
    from tierform.sync.snapshot import Snapshot

    model = _model()
    rng = np.random.default_rng(11)
    tiers: list[Any] = [*TIERS, "gold", "", None, 2.0, " enterprise"]
    csms: list[Any] = ["Ana Ruiz", "ana@x.com", "", None, 12.0, 7, "Zoë Ünal", "x"]
    accounts: dict[str, dict[str, Any]] = {}
    for i in range(300):
        data: dict[str, Any] = {"tf_tier": tiers[int(rng.integers(0, len(tiers)))]}
        if i % 4:
            data["tf_csm"] = csms[int(rng.integers(0, len(csms)))]
        accounts[f"A{i}-é"] = data
    owners = {f"A{i}-é": ("Bo Chen" if i % 2 else "") for i in range(0, 300, 7)} if own else {}
    snap = Snapshot("t", "xlsx", State({Kind.account: accounts}), owners)
    rows = [(k, d.get("tf_tier"), snap.csm(k)) for k, d in accounts.items()]
    assert snap.history(model) == history_of(rows, model, "target 't'")
    assert snap.history(model).notes
