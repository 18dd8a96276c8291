"""tierform: coverage-model-as-code for customer-success platforms.

The Python API mirrors the commands::

    import tierform

    model = tierform.load_model("tierform.yaml")          # or tierform.default_model()
    book = tierform.read_book("accounts.csv", model.accounts)
    seg = tierform.segment(model, book)                    # seg.to_dict() == segment --format json
    cap = tierform.plan_capacity(model, seg)               # cap.to_dict() == capacity --format json
    books = tierform.assign_books(model, seg)
    rec = tierform.recommend(customers=len(book), budget=1500)

Names resolve lazily, so ``import tierform`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_model": "tierform.core.loader",
    "default_model": "tierform.core.loader",
    "CoverageModel": "tierform.core.model",
    "read_book": "tierform.core.book",
    "book_from_records": "tierform.core.book",
    "AccountBook": "tierform.core.book",
    "segment": "tierform.core.segment",
    "suggest_breaks": "tierform.core.breaks",
    "plan_capacity": "tierform.core.capacity",
    "growth_scenario": "tierform.core.scenario",
    "assign_books": "tierform.core.assign",
    "read_roster": "tierform.core.roster",
    "recommend": "tierform.core.recommend",
    "TierformError": "tierform.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tierform' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
