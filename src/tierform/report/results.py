"""Run the engine for the report: the core results, and each optional part if it is installed.

Health scoring, playbooks and automation rules are separate parts of tierform. When one is not
importable the report still renders and says, in that section, what is missing.
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tierform.core.book import AccountBook
from tierform.core.capacity import CapacityResult, plan_capacity
from tierform.core.checks import Check
from tierform.core.model import CoverageModel
from tierform.core.segment import SegmentResult, segment
from tierform.errors import TierformError


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


def optional(module: str, *names: str) -> tuple[list[Any] | None, str | None]:
    """The named functions of an optional module, or a sentence saying what is missing."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        name = exc.name or ""
        if module.startswith(name) and name:
            return None, f"{module} is not part of this installation"
        if name.startswith("tierform."):  # present, but a part it builds on is not
            return None, f"{module} needs {name}, which is not part of this installation"
        raise
    absent = [n for n in names if not callable(getattr(mod, n, None))]
    if absent:
        return None, f"{module} does not provide {', '.join(absent)}"
    return [getattr(mod, n) for n in names], None


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


def _assign(model: CoverageModel, seg: SegmentResult) -> Part:
    funcs, missing = optional("tierform.core.assign", "assign_books")
    if funcs is None:
        return Part(missing=f"Balanced books of business: {missing}.")
    try:
        return Part({"result": funcs[0](model, seg)})
    except TierformError as exc:
        return Part(missing=f"Balanced books of business could not be built: {exc}")


def health_by_tier(
    model: CoverageModel, seg: SegmentResult, bands: list[str | None], names: list[str]
) -> list[dict[str, int]]:
    """Accounts per health band in each tier (tier order, band order ``names``)."""
    table = [dict.fromkeys(names, 0) for _ in model.tiers]
    for tier, band in zip(seg.tier.tolist(), bands, strict=True):
        if tier >= 0 and band in table[tier]:
            table[tier][band] += 1
    return table


def _health(
    model: CoverageModel,
    book: AccountBook,
    seg: SegmentResult,
    as_of: dt.date | None,
    churn: str | Path | None,
) -> Part:
    funcs, missing = optional("tierform.core.health", "score_health", "effective_health")
    if funcs is None:
        return Part(missing=f"Health scoring: {missing}.")
    score_health, effective_health = funcs
    kwargs: dict[str, Any] = {"as_of": as_of}
    if churn is not None:
        validation, why = optional("tierform.core.health_validation", "read_churn")
        if validation is None:
            return Part(missing=f"Churn history cannot be read: {why}.")
        kwargs |= {"churn": validation[0](churn, book), "churn_source": str(churn)}
    try:
        spec = effective_health(model)
        result = score_health(model, book, seg, **kwargs)
    except TierformError as exc:
        return Part(missing=f"Health scores could not be computed: {exc}")
    names = [str(n) for n in getattr(result, "band_names", [])]
    bands = [None if b is None else str(b) for b in list(result.band)]
    names += [b for b in dict.fromkeys(bands) if b is not None and b not in names]
    return Part(
        {
            "spec": spec,
            "result": result,
            "band_names": names,
            "by_tier": health_by_tier(model, seg, bands, names),
        }
    )


def _playbooks(model: CoverageModel) -> Part:
    funcs, missing = optional("tierform.core.playbooks", "effective_playbooks", "coverage_matrix")
    if funcs is None:
        return Part(missing=f"Playbook library: {missing}.")
    try:
        playbooks = funcs[0](model)
        return Part({"playbooks": playbooks, "matrix": funcs[1](model, playbooks)})
    except TierformError as exc:
        return Part(missing=f"The playbook library could not be built: {exc}")


def _rules(
    model: CoverageModel, book: AccountBook, seg: SegmentResult, health: Part, as_of: dt.date | None
) -> Part:
    funcs, missing = optional("tierform.core.rules", "effective_rules")
    if funcs is None:
        return Part(missing=f"Automation rules: {missing}.")
    try:
        part = Part({"rules": funcs[0](model)})
    except TierformError as exc:
        return Part(missing=f"The automation rules could not be built: {exc}")
    extra, _ = optional("tierform.core.rules", "test_rules", "run_rules")
    if extra is None:
        part.values["note"] = "Rule tests and due actions are not part of this installation."
        return part
    test_rules, run_rules = extra
    try:
        part.values["tests"] = test_rules(model)
        part.values["run"] = run_rules(
            model, book, as_of or dt.date.today(), seg=seg, health=health.get("result")
        )
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("tierform."):
            raise
        part.values["note"] = f"Rule tests are not available: {exc.name} is missing."
    except TierformError as exc:
        part.values["note"] = f"Rule tests could not run: {exc}"
    return part


def gather(
    model: CoverageModel,
    book: AccountBook,
    *,
    as_of: dt.date | None = None,
    churn: str | Path | None = None,
) -> ReportData:
    """Run every part of the engine the report draws on (``churn``: a churn-history file)."""
    seg = segment(model, book)
    cap = plan_capacity(model, seg)
    health = _health(model, book, seg, as_of, churn)
    return ReportData(
        model=model,
        book=book,
        seg=seg,
        cap=cap,
        current=current_headcount(model, seg, cap),
        assign=_assign(model, seg),
        health=health,
        playbooks=_playbooks(model),
        rules=_rules(model, book, seg, health, as_of),
    )
