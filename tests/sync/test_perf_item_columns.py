"""Work items made as columns from the rules run against the one-at-a-time references: the items
of ``reference_work_items`` (per action, dicts of the book), the state of ``reference_state``
(per account, every value through ``State.put``), and small hand-made cases for each step."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from test_fast_build_state import _same, reference_state
from test_perf_plan_inputs import AS_OF, _book, _history, _model, reference_work_items

from tierform.core.book import AccountBook
from tierform.core.design import Specs, design
from tierform.core.loader import default_model
from tierform.sync.desired import InFlight, _allowed, _next_steps, build_state, desired_state
from tierform.sync.golive import WorkItemPolicy
from tierform.sync.item_columns import ItemColumns, _distinct, _earliest, rule_item_columns
from tierform.sync.work_items import AccountLists, WorkItem, _keep_earliest, work_items


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("with_history", [False, True])
def test_columns_give_the_reference_items_in_order(
    tmp_path: Path, seed: int, with_history: bool
) -> None:
    model = _model()
    book = _book(tmp_path, 2500, seed)
    history = _history(book, seed) if with_history else None
    d = design(model, book, AS_OF, history=history)
    want = reference_work_items(d)
    got = rule_item_columns(d, AccountLists.of(d))
    assert got is not None and len(got) == len(want)
    assert got.items() == want
    assert [i.external_id for i in got.items()] == [i.external_id for i in want]
    sources = {i.source.split(":")[0] for i in want}
    assert sources == {"rule", "playbook"}, "the book gives rule and playbook items"
    if with_history:
        assert any(i.title.startswith("handoff_from:") for i in want), "warm handoffs"


def test_tier_moves_without_playbook_tasks(tmp_path: Path) -> None:
    """Warm handoffs (two tasks per action) where automation runs every playbook (no steps)."""
    base = _model()
    automated = [p.model_copy(update={"owner": "automation"}) for p in Specs.of(base).playbooks]
    model = base.model_copy(update={"playbooks": automated})
    book = _book(tmp_path, 2500, 2)
    d = design(model, book, AS_OF, history=_history(book, 2))
    want = reference_work_items(d)
    assert any(i.title.startswith("handoff_from:") for i in want)
    assert not any(i.source.startswith("playbook:") for i in want)
    got = rule_item_columns(d, AccountLists.of(d))
    assert got is not None and got.items() == want


def test_the_desired_state_from_columns_is_the_reference_state(tmp_path: Path) -> None:
    model = _model()
    book = _book(tmp_path, 2000, 4)
    d = design(model, book, AS_OF, history=_history(book, 4))
    _same(desired_state(d), reference_state(d, reference_work_items(d)))


def test_go_live_rollout_and_kept_items_as_columns(tmp_path: Path) -> None:
    model = _model()
    book = _book(tmp_path, 2000, 5)
    d = design(model, book, AS_OF, history=_history(book, 5))
    policy = WorkItemPolicy(not_before=AS_OF + dt.timedelta(days=3), rollout=("Enterprise",))
    tier_of = dict(zip(book.ids(), d.seg.tier_names(), strict=True))
    want = [i for i in reference_work_items(d) if policy.keeps(i.due, tier_of.get(i.account_id))]
    assert want, "some items are kept"
    aid = book.ids()[0]
    platform = {  # tasks a platform holds in a handoff overlap: odd values and no due date
        "tf-kept-1": {"account_id": aid, "title": "Warm handoff", "due": "2025-01-10"},
        "tf-kept-2": {"account_id": "not-in-book", "reason": 7, "assignee": True},
    }
    kept = InFlight(items=platform, next_step={aid: "Warm handoff"})
    want += [
        WorkItem.kept(k, v, kept.next_step.get(str(v["account_id"]))) for k, v in platform.items()
    ]
    _same(desired_state(d, policy, kept), reference_state(d, want))


def test_a_book_repeating_an_id_is_made_one_item_at_a_time() -> None:
    table = pa.table({"account_id": ["A", "B", "A"], "acv": [10.0, 20.0, 30.0]})
    book = AccountBook(table, np.array([10.0, 20.0, 30.0]), np.zeros(3, dtype=bool), np.arange(3))
    assert not book.ids_unique()
    d = design(default_model(), book, AS_OF)
    assert rule_item_columns(d, AccountLists.of(d)) is None
    unique = AccountBook(table.slice(0, 2), np.array([10.0, 20.0]), np.zeros(2, bool), np.arange(2))
    assert unique.ids_unique()


def test_actions_given_as_rows_take_the_one_at_a_time_path(tmp_path: Path) -> None:
    model = _model()
    book = _book(tmp_path, 800, 6)
    d = design(model, book, AS_OF)
    assert d.rule_run is not None
    d.rule_run.actions = list(d.rule_run.actions)
    lists = AccountLists.of(d)
    assert rule_item_columns(d, lists) is None
    assert work_items(d, lists) == reference_work_items(d)


def test_earliest_keeps_what_keep_earliest_keeps() -> None:
    rng = np.random.default_rng(7)
    for size in (0, 1, 2, 50, 3000):
        key = rng.integers(0, max(size // 3, 1), size)
        day = rng.integers(0, 5, size)
        found: dict[str, WorkItem] = {}
        for k, (g, t) in enumerate(zip(key.tolist(), day.tolist(), strict=True)):
            item = WorkItem(str(g), "s", "t", dt.date(2025, 1, 1) + dt.timedelta(days=t), str(k))
            _keep_earliest(found, item)
        assert [int(str(i.reason)) for i in found.values()] == _earliest(key, day)


def test_distinct_codes_match_numpy_unique() -> None:
    rng = np.random.default_rng(3)
    for codes in (
        rng.integers(0, 40, 1000),
        rng.integers(-5000, 90_000, 2000),  # too spread for a table: sorted
        np.array([7]),
        np.zeros(0, dtype=np.int64),
    ):
        seen, where = _distinct(codes)
        want_seen, want_where = np.unique(codes, return_inverse=True)
        assert seen.tolist() == want_seen.tolist()
        assert where.tolist() == want_where.reshape(-1).tolist()


def _items(rows: list[tuple[str, dt.date | None, int, str, str]]) -> list[WorkItem]:
    out = []
    for aid, due, rank, title, text in rows:
        item = WorkItem(aid, "rule:r", title, due, None, None, text, rank)
        out.append(item)
    return out


def test_next_steps_take_the_first_by_due_rank_and_code_then_list_order() -> None:
    d1, d2 = dt.date(2025, 2, 1), dt.date(2025, 3, 1)
    items = _items(
        [
            ("A", d2, 1, "b", "A later"),
            ("A", d1, 1, "z", "A first day, last code"),
            ("A", d1, 1, "c", "A first"),
            ("A", d1, 1, "c", "A tie, later in the list"),
            ("B", None, 0, "a", "B no date"),
            ("B", d2, 2, "a", "B dated"),
            ("C", d1, 2, "a", "C kept"),
            ("C", d1, 1, "x", "C made"),
            ("X", d1, 1, "a", "not in the book"),
        ]
    )
    ids = ["C", "A", "D", "B"]
    lists = AccountLists(ids, [None] * 4, [None] * 4, [None] * 4, True)
    steps, counts = _next_steps(ItemColumns.of(items, {a: i for i, a in enumerate(ids)}), lists)
    assert steps == ["C made", "A first", None, "B dated"]
    assert counts == [2, 4, None, 2]
    repeated = AccountLists(["A", "B", "A"], [None] * 3, [None] * 3, [None] * 3, False)
    steps, counts = _next_steps(ItemColumns.of(items, {"A": 2, "B": 1}), repeated)
    assert steps == ["A first", "B dated", "A first"] and counts == [4, 2, 4]


def test_allowed_keeps_what_the_policy_keeps() -> None:
    d1 = dt.date(2025, 2, 1)
    items = _items(
        [
            ("A", d1, 1, "t", "a"),
            ("B", d1 + dt.timedelta(days=9), 1, "t", "b"),
            ("C", None, 0, "t", "c"),
            ("X", d1 + dt.timedelta(days=9), 1, "t", "x"),
        ]
    )
    ids = ["A", "B", "C"]
    lists = AccountLists(ids, ["Enterprise", "Mid-Market", "Enterprise"], [None] * 3, ids, True)
    columns = ItemColumns.of(items, {a: i for i, a in enumerate(ids)})
    tier = dict(zip(ids, lists.tiers, strict=True))
    for policy in (
        WorkItemPolicy(not_before=d1 + dt.timedelta(days=1)),
        WorkItemPolicy(rollout=("Enterprise",)),
        WorkItemPolicy(not_before=d1, rollout=("Mid-Market", "Enterprise")),
        WorkItemPolicy(),
    ):
        want = [i.text for i in items if policy.keeps(i.due, tier.get(i.account_id))]
        assert _allowed(columns, policy, lists).text == want


def test_take_and_join_keep_the_odd_items_apart() -> None:
    items = _items([("A", None, 1, "t", "a"), ("B", None, 1, "t", "b")])
    odd = WorkItem("C", "rule:r", "t", None, 5, None, "c")  # a number as the reason
    stamped = WorkItem("D", "rule:r", "t", dt.datetime(2025, 2, 1, 9, 30))  # a datetime
    both = ItemColumns.of(items, {}) + ItemColumns.of([odd, stamped], {})
    assert both.day[-1] == (dt.date(2025, 2, 1) - dt.date(1970, 1, 1)).days
    assert both.odd == frozenset({2, 3}) and [i.text for i in both.items()] == ["a", "b", "c", "t"]
    picked = both.take(np.array([2, 0]))
    assert picked.odd == frozenset({0}) and picked.text == ["c", "a"]
    assert picked.row.tolist() == [-1, -1]


def test_build_state_takes_items_as_a_list_or_as_columns(tmp_path: Path) -> None:
    model = _model()
    book = _book(tmp_path, 600, 8)
    d = design(model, book, AS_OF)
    lists = AccountLists.of(d)
    items = work_items(d, lists)
    _same(build_state(d, ItemColumns.of(items, lists.position)), build_state(d, items))
