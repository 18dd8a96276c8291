"""The recipe's path A-D decision tree."""

from __future__ import annotations

import pytest

from tierform.core.recommend import recommend


@pytest.mark.parametrize(
    ("customers", "existing", "budget", "plg", "path", "adapter"),
    [
        (60, None, None, False, "A", "xlsx"),
        (60, "none", 0, False, "A", "xlsx"),
        (60, "gainsight", None, False, "C", "gainsight"),
        (300, None, 1500, False, "B", "vitally"),
        (300, "churnzero", 1500, False, "B", "churnzero"),
        (300, None, 0, False, "A", "xlsx"),  # no budget for tooling: spreadsheet, warned
        (2000, None, 4000, False, "C", "gainsight"),
        (2000, "totango", None, False, "C", "totango"),
        (2000, None, 1000, False, "B", "vitally"),  # budget below path C
        (20000, None, 8000, True, "D", "gainsight"),
        (20000, None, 8000, False, "C", "gainsight"),  # 5,000+ but no PLG motion
    ],
)
def test_decision_tree(customers, existing, budget, plg, path, adapter):
    rec = recommend(customers, existing, budget, plg)
    assert (rec.path, rec.adapter) == (path, adapter)
    assert str(customers) in rec.reason


def test_reasons_explain_fallbacks():
    assert "breaks above about 100 accounts" in recommend(300, None, 0).reason
    assert "product analytics" in recommend(9000, None, None, True).reason
    assert "another path" in recommend(300, "gainsight", 1000).reason
