"""The engine's results as the report reads them, from one :func:`~tierform.core.design.design`.

A part that could not be computed for this model and book is a :class:`Part` with ``missing``
set: the report still renders and says, in that section, what is missing and why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tierform.core.book import AccountBook
from tierform.core.capacity import CapacityResult
from tierform.core.checks import Check
from tierform.core.design import design
from tierform.core.model import CoverageModel
from tierform.core.segment import SegmentResult


@dataclass
class Part:
    """An optional part's results, or why they are missing."""

    values: dict[str, Any] = field(default_factory=dict)
    missing: str | None = None

    def get(self, name: str) -> Any:
        return self.values.get(name)


@dataclass
class CurrentHeadcount:
    """CSMs covering each tier today, and where that figure comes from."""

    per_tier: list[int] | None
    source: str  # "roster", "book owners" or "unknown"


@dataclass
class ReportData:
    model: CoverageModel
    book: AccountBook
    seg: SegmentResult
    cap: CapacityResult
    current: CurrentHeadcount
    assign: Part
    health: Part
    playbooks: Part
    rules: Part

    def checks(self) -> list[tuple[str, str, Check]]:
        """Every check as (area, JSON key prefix, check), in the recipe's order."""
        out = [("Tiers", f"segment.checks.{i}", c) for i, c in enumerate(self.seg.checks)]
        out += [("Capacity", f"capacity.checks.{i}", c) for i, c in enumerate(self.cap.checks)]
        for area, name, found in (
            ("Books", "assign", self.assign.get("result")),
            ("Playbooks", "playbooks", self.playbooks.get("matrix")),
            ("Health", "health", self.health.get("result")),
            ("Rules", "rules", self.rules.get("tests")),
        ):
            checks = getattr(found, "checks", None) or []
            out += [
                (area, f"{name}.checks.{i}", c)
                for i, c in enumerate(checks)
                if isinstance(c, Check)
            ]
        return out

    def missing(self) -> dict[str, str]:
        parts = {
            "books": self.assign,
            "playbooks": self.playbooks,
            "health": self.health,
            "rules": self.rules,
        }
        return {k: p.missing for k, p in parts.items() if p.missing}

    def to_dict(self) -> dict[str, Any]:
        """The engine's figures the report shows, keyed as the document's ``Fig.key``s."""
        out: dict[str, Any] = {
            "segment": self.seg.to_dict(include_assignments=False),
            "capacity": self.cap.to_dict(),
            "current_headcount": {"per_tier": self.current.per_tier, "source": self.current.source},
        }
        assign = self.assign.get("result")
        if assign is not None:
            out["assign"] = assign.to_dict()
        health = self.health.get("result")
        if health is not None:  # the engine's health JSON without its per-account list
            out["health"] = {
                "weights": health.weights,
                "validation": health.validation,
                "checks": [c.to_dict() for c in health.checks],
            }
            out["health_by_tier"] = self.health.get("by_tier")
        matrix = self.playbooks.get("matrix")
        if matrix is not None:
            out["playbooks"] = matrix.to_dict()
        tests = self.rules.get("tests")
        if tests is not None:
            out["rules"] = tests.to_dict() | {"checks": [c.to_dict() for c in tests.checks]}
        out["missing"] = self.missing()
        return out


def current_headcount(
    model: CoverageModel, seg: SegmentResult, cap: CapacityResult
) -> CurrentHeadcount:
    """From the roster when the model has one, else the distinct owners in the book, each
    counted in the tier that holds most of their accounts."""
    if model.roster:
        return CurrentHeadcount([t.current_headcount or 0 for t in cap.tiers], "roster")
    owners = seg.book.text("owner")
    per_owner: dict[str, np.ndarray] = {}
    for owner, tier in zip(owners, seg.tier.tolist(), strict=True):
        if owner and tier >= 0:
            per_owner.setdefault(owner, np.zeros(len(model.tiers), dtype=int))[tier] += 1
    if not per_owner:
        return CurrentHeadcount(None, "unknown")
    per_tier = [0] * len(model.tiers)
    for tally in per_owner.values():
        per_tier[int(np.argmax(tally))] += 1
    return CurrentHeadcount(per_tier, "book owners")


MISSING = {
    "books": "Balanced books of business could not be built",
    "health": "Health scores could not be computed",
    "playbooks": "The playbook library could not be built",
    "rules": "The automation rules could not be run",
}


def gather(
    model: CoverageModel,
    book: AccountBook,
    *,
    as_of: dt.date | None = None,
    churn: str | Path | None = None,
) -> ReportData:
    """Run the engine once for the report (``churn``: a churn-history file)."""
    d = design(model, book, as_of or dt.date.today(), churn=churn, rule_tests=True)

    def missing(part: str) -> str | None:
        exc = d.errors.get(part)
        return f"{MISSING[part]}: {exc}" if exc is not None else None

    health = Part(missing=missing("health"))
    if d.health is not None:
        health.values = {
            "spec": d.specs.health,
            "result": d.health,
            "band_names": d.band_names(),
            "by_tier": d.health_by_tier(),
        }
    rules = Part({"rules": d.specs.rules})
    if d.rule_run is not None:
        rules.values["run"] = d.rule_run
    elif "rules" in d.errors:
        rules.values["note"] = f"Rule actions could not be computed: {d.errors['rules']}"
    if d.rule_tests is not None:
        rules.values["tests"] = d.rule_tests
    elif "rule_tests" in d.errors:
        rules.values["note"] = f"Rule tests could not run: {d.errors['rule_tests']}"
    return ReportData(
        model=model,
        book=book,
        seg=d.seg,
        cap=d.capacity,
        current=current_headcount(model, d.seg, d.capacity),
        assign=Part({"result": d.books} if d.books is not None else {}, missing("books")),
        health=health,
        playbooks=Part(
            {"playbooks": d.specs.playbooks, "matrix": d.matrix} if d.matrix is not None else {},
            missing("playbooks"),
        ),
        rules=rules,
    )
