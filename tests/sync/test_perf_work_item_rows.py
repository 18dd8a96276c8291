"""Where each due action's account sits in the book: the rules run's own rows (against a dict
of the book's ids, the look-up they replace), else found by id."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_perf_plan_inputs import AS_OF, _book, _history, _model, reference_work_items

from tierform.core.design import design
from tierform.sync.work_items import work_items


def dict_rows(ids: list[str], asked: list[str]) -> list[int | None]:
    position = dict(zip(ids, range(len(ids)), strict=True))  # the last row of a repeated id
    return [position.get(a) for a in asked]


@pytest.mark.parametrize("seed", [1, 2])
def test_a_runs_rows_are_its_accounts_rows_and_both_paths_give_the_same_items(
    tmp_path: Path, seed: int
) -> None:
    model = _model()
    book = _book(tmp_path, 1500, seed)
    d = design(model, book, AS_OF, history=_history(book, seed))
    assert d.rule_run is not None
    asked = [a.account_id for a in d.rule_run.actions]
    assert asked, "the generated book has due actions"
    rows = d.rule_run.action_rows()
    assert rows == dict_rows(d.book.ids(), asked)
    want = reference_work_items(d)
    assert work_items(d) == want
    d.rule_run.actions = list(d.rule_run.actions)  # rows given as such: no columns, no rows
    assert d.rule_run.action_rows() is None
    assert work_items(d) == want  # found by id instead
