"""One run of the whole engine: the coverage design a report shows and a sync provisions.

Segmentation, capacity, books of business, health, the playbook library and the automation
rules always ship together; :func:`design` computes each once, from sections resolved once
(:class:`Specs`), and hands the result to every consumer (the report, the desired state of a
sync, the CLI). A part that cannot be computed for this model and book (a roster that cannot
cover its tier, a health signal with no column) does not stop the others: its error is kept in
:attr:`Design.errors`, and each consumer decides whether that is fatal (a sync) or a note in the
document (a report).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np

from tierform.core.assign import AssignResult, assign_books
from tierform.core.book import AccountBook
from tierform.core.capacity import CapacityResult, plan_capacity
from tierform.core.health.churn_validation import BOOK_CHURN_SOURCE, read_churn
from tierform.core.health.defaults import effective_health
from tierform.core.health.score import HealthResult, score_health
from tierform.core.health.spec import HealthSpec
from tierform.core.history import History, with_history
from tierform.core.model import CoverageLayer, CoverageModel
from tierform.core.playbooks.library import CoverageMatrix, coverage_matrix, effective_playbooks
from tierform.core.playbooks.spec import Playbook
from tierform.core.rules.engine import RulesRun, effective_rules, run_rules
from tierform.core.rules.spec import Rule
from tierform.core.rules.testing import RulesTestResult, run_rule_tests
from tierform.core.segment import SegmentResult, segment
from tierform.errors import TierformError

T = TypeVar("T")


@dataclass(frozen=True)
class Specs:
    """The model's health, playbook and rule sections with the built-in defaults filled in."""

    health: HealthSpec
    playbooks: list[Playbook]
    rules: list[Rule]

    @classmethod
    def of(cls, model: CoverageModel) -> Specs:
        return cls(effective_health(model), effective_playbooks(model), effective_rules(model))


@dataclass
class Design:
    """Every result of the engine for one model, book and as-of date.

    A part is ``None`` exactly when it failed; ``errors`` then holds why, under the part's
    name (``"books"``, ``"health"``, ``"playbooks"``, ``"rules"``, ``"rule_tests"``).
    """

    model: CoverageModel
    book: AccountBook
    as_of: dt.date
    specs: Specs
    seg: SegmentResult
    capacity: CapacityResult
    books: AssignResult | None = None
    health: HealthResult | None = None
    matrix: CoverageMatrix | None = None
    rule_run: RulesRun | None = None
    rule_tests: RulesTestResult | None = None
    errors: dict[str, TierformError] = field(default_factory=dict)
    history: History | None = None

    def require(self, *parts: str) -> None:
        """Raise the error of the first of ``parts`` that failed (for consumers that cannot
        go on without it, such as a sync)."""
        for part in parts:
            if part in self.errors:
                raise self.errors[part]

    def owners(self) -> list[str | None]:
        """Each account's CSM (named tiers, from the books) or pool (pooled tiers); None for
        digital tiers. Without a roster, named tiers have no owner yet."""
        if self.model.roster and self.books is not None:
            return list(self.books.owner)
        # One entry per tier, and None last: an account in no tier (-1) reads it.
        pools = [t.pool_name if t.layer is CoverageLayer.pooled else None for t in self.model.tiers]
        pools.append(None)
        n = len(self.model.tiers)
        tier = np.asarray(self.seg.tier)
        return list(map(pools.__getitem__, np.where((tier >= 0) & (tier < n), tier, n).tolist()))

    def band_names(self) -> list[str]:
        """Health band names in the spec's order: every account's band is one of them (a
        score's band is the spec's band at its index)."""
        if self.health is None:
            return []
        return [str(n) for n in self.health.band_names]

    def health_by_tier(self) -> list[dict[str, int]]:
        """Accounts per health band in each tier (tier order, band order :meth:`band_names`),
        counted from the tier and band indices."""
        names = self.band_names()
        tiers = len(self.model.tiers)
        if self.health is None or not names:
            return [dict.fromkeys(names, 0) for _ in range(tiers)]
        tier = np.asarray(self.seg.tier, dtype=np.int64)
        band = np.asarray(self.health.band_index, dtype=np.int64)
        width = len(names)
        ok = (tier >= 0) & (tier < tiers) & (band >= 0)
        counts = np.bincount(tier[ok] * width + band[ok], minlength=tiers * width)
        return [dict(zip(names, row, strict=True)) for row in counts.reshape(tiers, width).tolist()]


def design(
    model: CoverageModel,
    book: AccountBook,
    as_of: dt.date,
    *,
    churn: str | Path | None = None,
    rule_tests: bool = False,
    history: History | None = None,
    previous: AccountBook | None = None,
) -> Design:
    """Run the engine once. ``churn``: a churn-history file to validate the health score
    against; ``rule_tests``: also run each rule's test cases (the report shows them).

    ``history``: the tier and CSM each account has today (a platform's, or a previous
    export's); it becomes the book's ``previous_tier`` and ``owner`` columns, so hysteresis,
    the fewest-handoffs balancing and the tier-change rules start from it (:attr:`Design.book`
    is that book). ``previous``: an earlier account book, for rules on any field's change.
    """
    specs = Specs.of(model)
    book = with_history(book, history)
    outcome = read_churn(churn, book) if churn is not None else None  # a bad file stops here
    seg = segment(model, book)
    out = Design(model, book, as_of, specs, seg, plan_capacity(model, seg), history=history)
    out.books = _part(out, "books", lambda: assign_books(model, seg))
    out.health = _part(
        out,
        "health",
        lambda: score_health(
            model,
            book,
            seg,
            as_of=as_of,
            spec=specs.health,
            churn=outcome,
            churn_source=str(churn) if churn is not None else BOOK_CHURN_SOURCE,
        ),
    )
    out.matrix = _part(out, "playbooks", lambda: coverage_matrix(model, specs.playbooks))
    out.rule_run = _part(
        out,
        "rules",
        lambda: run_rules(
            model,
            book,
            as_of,
            previous,
            seg=seg,
            health=out.health,
            rules=specs.rules,
            playbooks=specs.playbooks,
        ),
    )
    if rule_tests:
        out.rule_tests = _part(out, "rule_tests", lambda: run_rule_tests(model))
    return out


def _part(out: Design, name: str, compute: Callable[[], T]) -> T | None:
    try:
        return compute()
    except TierformError as exc:
        out.errors[name] = exc
        return None
