"""Desired-state compilation: expected values computed by hand from the model's rules."""

from __future__ import annotations

import datetime as dt

from tierform.core.book import book_from_records
from tierform.core.loader import default_model
from tierform.sync.desired import compile_desired, renewal_windows
from tierform.sync.state import Kind, canon
from tierform.sync.work_items import work_item_id

AS_OF = dt.date(2025, 1, 15)


def test_coverage_fields_per_account() -> None:
    book = book_from_records(
        [
            {
                "account_id": "X1",
                "name": "Big Co",
                "acv": 250_000,
                "renewal_date": "2025-02-01",
                "previous_tier": "Mid-Market",
            },
            {"account_id": "X2", "name": "Tiny", "acv": 900, "renewal_date": "2024-12-01"},
        ]
    )
    state = compile_desired(default_model(), book, AS_OF)
    big, tiny = state.of(Kind.account)["X1"], state.of(Kind.account)["X2"]
    # 250,000 >= 100,000 -> Enterprise, named, high touch; moved up from Mid-Market.
    assert (big["tf_tier"], big["tf_layer"], big["tf_touch_model"]) == (
        "Enterprise",
        "named",
        "high_touch",
    )
    assert big["tf_migration"] == "up"
    # 2025-02-01 is 17 days after 2025-01-15 -> 0-30; 2024-12-01 is past -> overdue.
    assert big["tf_renewal_window"] == "0-30" and tiny["tf_renewal_window"] == "overdue"
    assert tiny["tf_tier"] == "Self-Serve" and "tf_migration" not in tiny
    assert state.label(Kind.account, "X1") == "Big Co"
    assert set(state.of(Kind.field)) >= {
        "tf_tier",
        "tf_csm",
        "tf_health_score",
        "tf_health_band",
        "tf_renewal_window",
        "tf_migration",
    }
    segments = state.of(Kind.segment)
    assert segments["tier-enterprise"]["filter"] == [
        {"field": "tf_tier", "op": "eq", "value": "Enterprise"}
    ]


def test_renewal_window_edges() -> None:
    days = [-1, 0, 30, 31, 60, 61, 90, 91, 180, 181, 400]
    book = book_from_records(
        [
            {
                "account_id": f"A{i}",
                "acv": 1,
                "renewal_date": (AS_OF + dt.timedelta(days=d)).isoformat(),
            }
            for i, d in enumerate(days)
        ]
    )
    assert renewal_windows(book, AS_OF) == [
        "overdue",
        "0-30",
        "0-30",
        "31-60",
        "31-60",
        "61-90",
        "61-90",
        "91-180",
        "91-180",
        "181+",
        "181+",
    ]


def test_work_item_ids_are_deterministic() -> None:
    a = work_item_id("A1", "rule:renewal-prep", "notify:csm")
    assert a == work_item_id("A1", "rule:renewal-prep", "notify:csm")
    assert a != work_item_id("A2", "rule:renewal-prep", "notify:csm")
    assert a.startswith("tf-") and len(a) == 23
    s1 = compile_desired(
        default_model(),
        book_from_records([{"account_id": "R1", "acv": 150_000, "renewal_date": "2025-03-01"}]),
        AS_OF,
    )
    s2 = compile_desired(
        default_model(),
        book_from_records([{"account_id": "R1", "acv": 150_000, "renewal_date": "2025-03-01"}]),
        AS_OF,
    )
    assert s1.of(Kind.work_item) == s2.of(Kind.work_item)


def test_canon_normalises_platform_noise() -> None:
    assert canon(3.0) == 3 and canon("") is None and canon(float("nan")) is None
    assert canon(dt.datetime(2025, 1, 2, 3, 4)) == "2025-01-02"
    assert canon(0.1 + 0.2) == 0.3
