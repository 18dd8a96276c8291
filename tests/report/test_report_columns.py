"""The report's per-account figures read from columns equal a plain loop over the accounts, and
the figures the document and the workbook share are computed once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

import tierform.report.results as results_module
from tierform.core.book import AccountBook, read_book
from tierform.core.loader import default_model
from tierform.core.segment import Reason
from tierform.report import gather, write_report
from tierform.report.boundaries import edge_cases
from tierform.report.columns import names_by_id, text_codes
from tierform.report.results import ReportData, current_headcount
from tierform.report.sections_core import _owner_tally
from tierform.testing.sample import generate_accounts, write_csv

from .conftest import AS_OF


def _with_owners(book: AccountBook, owners: list[str | None]) -> AccountBook:
    table = book.table
    column = pa.array(owners, pa.string())
    if "owner" in table.column_names:
        table = table.set_column(table.column_names.index("owner"), "owner", column)
    else:
        table = table.append_column("owner", column)
    book.table = table
    return book


@pytest.fixture()
def data(tmp_path: Path) -> ReportData:
    """A generated book whose owners include blanks, empty text and owners split evenly."""
    path = tmp_path / "accounts.csv"
    write_csv(generate_accounts(400, seed=3), str(path))
    model = default_model()
    book = read_book(path, model.accounts)
    rng = np.random.default_rng(9)
    pool = ["Ana", "Sam", "Lee", "", None, "Zoë", "ana"]
    owners = [pool[k] for k in rng.integers(0, len(pool), len(book)).tolist()]
    return gather(model, _with_owners(book, owners), as_of=AS_OF)


def test_owner_tally_equals_a_loop(data: ReportData) -> None:
    tally: dict[str, list[float]] = {}
    for owner, value in zip(data.book.text("owner"), data.book.acv.tolist(), strict=True):
        if owner:
            entry = tally.setdefault(owner, [0, 0.0])
            entry[0] += 1
            entry[1] += 0.0 if value != value else value
    assert set(tally) == {"Ana", "Sam", "Lee", "Zoë", "ana"}
    assert _owner_tally(data) == tally  # same order of additions: equal to the last bit


def test_current_headcount_equals_a_loop_and_breaks_ties_to_the_first_tier(
    data: ReportData,
) -> None:
    n = len(data.model.tiers)
    per_owner: dict[str, list[int]] = {}
    for owner, tier in zip(data.book.text("owner"), data.seg.tier.tolist(), strict=True):
        if owner and tier >= 0:
            per_owner.setdefault(owner, [0] * n)[tier] += 1
    want = [0] * n
    for counts in per_owner.values():
        want[counts.index(max(counts))] += 1
    got = current_headcount(data.model, data.seg, data.cap)
    assert (got.per_tier, got.source) == (want, "book owners")

    tiers = data.seg.tier.tolist()
    first = next(i for i, t in enumerate(tiers) if t == 0)
    last = next(i for i, t in enumerate(tiers) if t == n - 1)
    owners: list[str | None] = [None] * len(tiers)
    owners[first] = owners[last] = "Tie"  # one account in the top tier, one in the lowest
    book = _with_owners(data.book, owners)
    seg = data.seg
    seg.book = book
    tie = current_headcount(data.model, seg, data.cap)
    assert tie.per_tier == [1] + [0] * (n - 1)


def test_no_owner_at_all_is_unknown(data: ReportData) -> None:
    book = _with_owners(data.book, ["", None] * (len(data.book) // 2))
    data.seg.book = book
    assert current_headcount(data.model, data.seg, data.cap).per_tier is None
    assert text_codes(book, "owner") is not None and _owner_tally(data) == {}


def test_edge_cases_equal_a_loop(data: ReportData) -> None:
    book, seg = data.book, data.seg
    ids, names, acv = book.ids(), book.text("name"), book.acv.tolist()
    tiers = seg.tier_names()
    found = edge_cases(data)
    kinds = {
        "strategic": (found.strategic, seg.reason == Reason.strategic),
        "hysteresis": (found.hysteresis, seg.reason == Reason.kept_previous),
        "proxied": (found.proxied, np.asarray(book.acv_proxied, dtype=bool)),
        "untiered": (found.untiered, seg.tier < 0),
    }
    for listed, mask in kinds.values():
        rows = np.flatnonzero(mask).tolist()
        assert [e.account_id for e in listed] == [ids[i] for i in rows]
        assert [e.name for e in listed] == [names[i] or "" for i in rows]
        assert [e.tier for e in listed] == [tiers[i] for i in rows]
        assert [e.acv for e in listed] == [None if acv[i] != acv[i] else acv[i] for i in rows]
    previous = book.text("previous_tier")
    rows = np.flatnonzero(seg.reason == Reason.kept_previous).tolist()
    assert [e.detail for e in found.hysteresis] == [
        f"kept previous tier {previous[i] or ''}" for i in rows
    ]
    assert found.strategic and found.untiered


def test_names_by_id_finds_only_the_asked_accounts(data: ReportData) -> None:
    ids, names = data.book.ids(), data.book.text("name")
    asked = [ids[5], ids[77], "no-such-account"]
    assert names_by_id(data.book, asked) == {ids[5]: names[5], ids[77]: names[77]}
    assert names_by_id(data.book, []) == {}


def test_the_document_and_workbook_share_one_breaks_and_growth_run(
    data: ReportData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"breaks": 0, "growth": 0}
    breaks, growth = results_module.suggest_breaks, results_module.growth_scenario

    def count_breaks(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["breaks"] += 1
        return breaks(*args, **kwargs)

    def count_growth(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["growth"] += 1
        return growth(*args, **kwargs)

    monkeypatch.setattr(results_module, "suggest_breaks", count_breaks)
    monkeypatch.setattr(results_module, "growth_scenario", count_growth)
    write_report(data, tmp_path / "out", growth_pct=25)
    assert calls == {"breaks": 1, "growth": 1}
