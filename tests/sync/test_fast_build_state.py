"""The column-wise ``build_state`` against the straightforward per-account construction it
replaced (kept here as the reference), on the same generated books."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from tierform.core.book import read_book
from tierform.core.design import Design, design
from tierform.core.history import History
from tierform.core.loader import default_model
from tierform.core.model import CoverageModel
from tierform.sync.desired import (
    MIGRATIONS,
    build_state,
    migrations,
    model_objects,
    renewal_windows,
)
from tierform.sync.desired_columns import _round
from tierform.sync.fields import field_name
from tierform.sync.state import Kind, State
from tierform.sync.work_items import WorkItem, work_items
from tierform.testing.sample import generate_accounts, write_csv

AS_OF = dt.date(2025, 1, 15)


def reference_state(
    d: Design, items: list[WorkItem], moving: dict[str, str] | None = None
) -> State:
    """One account at a time, every value through ``State.put`` (canon_data)."""
    model, book = d.model, d.book
    health_result = d.health
    dimensions = dict(health_result.dimensions) if health_result is not None else {}
    ids, names, tiers, owners = book.ids(), book.text("name"), d.seg.tier_names(), d.owners()
    bands = list(health_result.band) if health_result is not None else [None] * len(book)
    dims = sorted(dimensions)
    state = model_objects(model, d.specs, d.band_names(), dims, d.seg.score is not None)
    tier_by_name = {t.name: t for t in model.tiers}
    windows = renewal_windows(book, d.as_of)
    moves = migrations(model, book, tiers, new_is_none=d.history is not None)
    if moving:
        moves = [
            moving.get(a, m) if m == MIGRATIONS[2] else m for a, m in zip(ids, moves, strict=True)
        ]
    scores = _round(d.seg.score, 1)
    health = _round(
        None if health_result is None else np.asarray(health_result.score, dtype=float), 1
    )
    due: dict[str, list[WorkItem]] = {}
    for item in items:
        due.setdefault(item.account_id, []).append(item)
    for i, aid in enumerate(ids):
        tier = tier_by_name.get(tiers[i] or "")
        data: dict[str, Any] = {
            "tf_tier": tiers[i],
            "tf_touch_model": tier.touch_model.value if tier else None,
            "tf_layer": tier.layer.value if tier else None,
            "tf_csm": owners[i],
            "tf_health_band": bands[i],
            "tf_renewal_window": windows[i],
            "tf_migration": moves[i],
        }
        if scores:
            data["tf_segment_score"] = scores[i]
        if health:
            data["tf_health_score"] = health[i]
        for dim in dims:
            data[f"tf_health_{field_name(dim)}"] = _round(dimensions[dim], 1)[i]
        held = due.get(aid)
        if held:
            first = min(held, key=lambda w: (w.due or dt.date.max, w.rank, w.title))
            data["tf_next_step"] = first.text
            data["tf_open_tasks"] = len(held)
        state.put(Kind.account, aid, data, label=names[i])
    for item in sorted(items, key=lambda w: w.external_id):
        state.put(
            Kind.work_item,
            item.external_id,
            {
                "account_id": item.account_id,
                "title": item.text,
                "due": item.due,
                "source": item.source,
                "reason": item.reason,
                "assignee": item.assignee,
            },
            label=f"{item.text} ({item.account_id})",
        )
    return state


def _book(tmp_path: Path, n: int, seed: int) -> Path:
    table = generate_accounts(n, seed=seed)
    rng = np.random.default_rng(seed)
    previous = rng.choice(
        np.array(["Enterprise", "Mid-Market", "SMB / Growth", "Self-Serve", ""], dtype=object), n
    )
    table = table.append_column("previous_tier", pa.array(previous, pa.string()))
    path = tmp_path / f"book-{seed}.csv"
    write_csv(table, str(path))
    return path


def _multi_factor() -> CoverageModel:
    model = default_model()
    return model.model_copy(
        update={"segmentation": model.segmentation.model_copy(update={"method": "multi_factor"})}
    )


def _same(got: State, want: State) -> None:
    assert got.objects.keys() == want.objects.keys()
    for kind in want.objects:
        assert list(got.of(kind).items()) == list(want.of(kind).items()), kind
    assert got.labels == want.labels
    assert got.remote_ids == want.remote_ids


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("scored", [False, True])
def test_column_wise_state_equals_per_account_reference(
    tmp_path: Path, seed: int, scored: bool
) -> None:
    model = _multi_factor() if scored else default_model()
    book = read_book(_book(tmp_path, 3000, seed), model.accounts)
    d = design(model, book, AS_OF)
    items = work_items(d)
    assert items, "the generated book has due work items"
    _same(build_state(d, items), reference_state(d, items))


def test_history_and_moves_in_flight_match_reference(tmp_path: Path) -> None:
    model = default_model()
    book = read_book(_book(tmp_path, 2000, 3), model.accounts)
    d = design(model, book, AS_OF)
    d.history = History()  # a platform with no history yet: new accounts did not move
    items = work_items(d)
    ids = book.ids()
    moving = {ids[0]: "up", ids[5]: "down", ids[7]: "up"}
    _same(build_state(d, items, moving), reference_state(d, items, moving))


def test_no_work_items_adds_no_work_item_kind(tmp_path: Path) -> None:
    model = default_model()
    book = read_book(_book(tmp_path, 200, 4), model.accounts)
    d = design(model, book, AS_OF)
    state = build_state(d, [])
    assert Kind.work_item not in state.objects and Kind.work_item not in state.labels
    _same(state, reference_state(d, []))
