"""tierform: coverage-model-as-code for customer-success platforms.

The Python API mirrors the commands::

    import tierform

    model = tierform.load_model("tierform.yaml")          # or tierform.default_model()
    book = tierform.read_book("accounts.csv", model.accounts)
    seg = tierform.segment(model, book)                    # seg.to_dict() == segment --format json
    cap = tierform.plan_capacity(model, seg)               # cap.to_dict() == capacity --format json
    books = tierform.assign_books(model, seg)
    rec = tierform.recommend(customers=len(book), budget=1500)
    d = tierform.design(model, book, as_of)                # every part at once: report, sync

Names resolve lazily, so ``import tierform`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from tierform.core.assign import assign_books
    from tierform.core.book import AccountBook, book_from_records, read_book
    from tierform.core.breaks import suggest_breaks
    from tierform.core.capacity import plan_capacity
    from tierform.core.design import design
    from tierform.core.loader import default_model, load_model
    from tierform.core.model import CoverageModel
    from tierform.core.recommend import recommend
    from tierform.core.roster import read_roster
    from tierform.core.scenario import growth_scenario
    from tierform.core.segment import segment
    from tierform.errors import TierformError

__all__ = [
    "AccountBook",
    "CoverageModel",
    "TierformError",
    "__version__",
    "assign_books",
    "book_from_records",
    "default_model",
    "design",
    "growth_scenario",
    "load_model",
    "plan_capacity",
    "read_book",
    "read_roster",
    "recommend",
    "segment",
    "suggest_breaks",
]


def __getattr__(name: str) -> Any:
    """Each name on first use (plain imports, so ``import tierform`` stays cheap)."""
    if name in ("load_model", "default_model"):
        from tierform.core import loader

        return getattr(loader, name)
    if name == "CoverageModel":
        from tierform.core import model

        return model.CoverageModel
    if name in ("read_book", "book_from_records", "AccountBook"):
        from tierform.core import book

        return getattr(book, name)
    if name == "segment":
        from tierform.core import segment

        return segment.segment
    if name == "suggest_breaks":
        from tierform.core import breaks

        return breaks.suggest_breaks
    if name == "plan_capacity":
        from tierform.core import capacity

        return capacity.plan_capacity
    if name == "growth_scenario":
        from tierform.core import scenario

        return scenario.growth_scenario
    if name == "assign_books":
        from tierform.core import assign

        return assign.assign_books
    if name == "read_roster":
        from tierform.core import roster

        return roster.read_roster
    if name == "recommend":
        from tierform.core import recommend

        return recommend.recommend
    if name == "design":
        from tierform.core import design

        return design.design
    if name == "TierformError":
        from tierform import errors

        return errors.TierformError
    raise AttributeError(f"module 'tierform' has no attribute {name!r}")
