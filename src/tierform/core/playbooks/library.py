"""The playbook library and the lifecycle coverage matrix (recipe steps 2 and 4).

The matrix has a cell per lifecycle stage and tier, covered by the playbooks that run there or
else by the tier's touchpoint; an empty cell is a gap, with the recipe's fix: borrow the adjacent
tier's approach. The library is graded against the recipe's playbook-coverage benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tierform.core.checks import Check
from tierform.core.model import CoverageModel, Tier
from tierform.core.playbooks.defaults import default_playbooks, expansion_tiers
from tierform.core.playbooks.spec import STAGES, Playbook

__all__ = ["Cell", "CoverageMatrix", "coverage_matrix", "effective_playbooks", "playbook_for"]

GRADES = ("below minimum", "minimum", "good", "excellent")


def effective_playbooks(model: CoverageModel) -> list[Playbook]:
    """The model's playbooks, or the built-in library when the section is absent."""
    return list(model.playbooks) if model.playbooks is not None else default_playbooks(model)


def playbook_for(playbooks: list[Playbook], stage: str, tier: str) -> Playbook | None:
    """The first playbook for ``stage`` that runs in ``tier``."""
    for pb in playbooks:
        if pb.stage == stage and tier in pb.tiers:
            return pb
    return None


@dataclass
class Cell:
    stage: str
    tier: str
    playbooks: list[str]
    touchpoint: str | None
    fix: str | None = None

    @property
    def covered_by(self) -> str | None:
        return "playbook" if self.playbooks else "touchpoint" if self.touchpoint else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "tier": self.tier,
            "playbooks": self.playbooks,
            "touchpoint": self.touchpoint,
            "covered_by": self.covered_by,
            "fix": self.fix,
        }


@dataclass
class CoverageMatrix:
    """Lifecycle stage x tier; ``grade`` is the recipe's playbook-coverage benchmark level."""

    stages: list[str]
    tiers: list[str]
    cells: dict[tuple[str, str], Cell]
    playbooks: list[Playbook]
    grade: str
    checks: list[Check] = field(default_factory=list)

    def cell(self, stage: str, tier: str) -> Cell:
        return self.cells[(stage, tier)]

    @property
    def gaps(self) -> list[Cell]:
        return [c for c in self.cells.values() if c.covered_by is None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "stages": self.stages,
            "tiers": self.tiers,
            "matrix": {
                s: {t: self.cells[(s, t)].to_dict() for t in self.tiers} for s in self.stages
            },
            "gaps": [c.to_dict() for c in self.gaps],
            "grade": self.grade,
            "checks": [c.to_dict() for c in self.checks],
        }


def coverage_matrix(
    model: CoverageModel, playbooks: list[Playbook] | None = None
) -> CoverageMatrix:
    """Build the matrix for the model's (or the given) playbooks and grade it."""
    playbooks = effective_playbooks(model) if playbooks is None else playbooks
    tiers = [t.name for t in model.tiers]
    cells: dict[tuple[str, str], Cell] = {}
    for stage in STAGES:
        for tier in model.tiers:
            names = [pb.name for pb in playbooks if pb.stage == stage and tier.name in pb.tiers]
            points = {str(k): v for k, v in tier.touchpoints.items()}
            text = (points.get(stage) or "").strip() or None
            cells[(stage, tier.name)] = Cell(stage, tier.name, names, text)
    for cell in cells.values():
        if cell.covered_by is None:
            cell.fix = _borrow(model, cells, cell)
    matrix = CoverageMatrix(list(STAGES), tiers, cells, playbooks, "below minimum")
    matrix.grade, matrix.checks = _grade(model, matrix)
    return matrix


def _borrow(model: CoverageModel, cells: dict[tuple[str, str], Cell], gap: Cell) -> str:
    """Recipe step 2 fix: map the stage to the most similar adjacent tier's approach."""
    order = model.tiers_low_to_high
    pos = [t.name for t in order].index(gap.tier)
    me = order[pos]
    neighbours = [order[i] for i in (pos - 1, pos + 1) if 0 <= i < len(order)]
    neighbours.sort(key=lambda t: (t.layer != me.layer, t.min_acv > me.min_acv))
    for tier in neighbours:
        cell = cells[(gap.stage, tier.name)]
        if cell.covered_by is not None:
            what = (
                f"playbook {cell.playbooks[0]!r}"
                if cell.playbooks
                else f"touchpoint {cell.touchpoint!r}"
            )
            return f"borrow {tier.name}'s approach ({what}), then customise it for {gap.tier}"
    return f"no adjacent tier covers {gap.stage} either: design a {gap.stage} playbook"


def _has(matrix: CoverageMatrix, stage: str, tier: str) -> bool:
    return bool(matrix.cells[(stage, tier)].playbooks)


def _missing(matrix: CoverageMatrix, stage: str, tiers: list[Tier] | list[str]) -> list[str]:
    names = [t if isinstance(t, str) else t.name for t in tiers]
    return [f"{stage} in {n}" for n in names if not _has(matrix, stage, n)]


def _grade(model: CoverageModel, matrix: CoverageMatrix) -> tuple[str, list[Check]]:
    """Minimum: onboarding + renewal playbooks everywhere; good: + adoption (tiers with CSMs) and
    expansion (high-touch and hybrid tiers); excellent: every stage covered in every tier and
    every playbook with an escalation path."""
    csm_tiers = [t for t in model.tiers if t.has_csm]
    checks: list[Check] = []
    step4 = _missing(matrix, "onboarding", csm_tiers) + _missing(matrix, "renewal", csm_tiers)
    checks.append(
        Check(
            "playbook_minimum",
            "fail" if step4 else "pass",
            len(step4),
            "onboarding + renewal playbooks exist for every tier with CSMs"
            if not step4
            else f"missing: {', '.join(step4)}",
            "start with onboarding playbooks only, then expand iteratively" if step4 else None,
        )
    )
    minimum = _missing(matrix, "onboarding", model.tiers) + _missing(matrix, "renewal", model.tiers)
    good = _missing(matrix, "adoption", csm_tiers) + _missing(
        matrix, "expansion", expansion_tiers(model)
    )
    gaps = [f"{c.stage} in {c.tier}" for c in matrix.gaps]
    no_escalation = [pb.name for pb in matrix.playbooks if not (pb.escalation or "").strip()]
    if minimum:
        grade, missing = GRADES[0], minimum
    elif good:
        grade, missing = GRADES[1], good
    elif gaps or no_escalation:
        grade = GRADES[2]
        missing = gaps + [f"escalation path of {n!r}" for n in no_escalation]
    else:
        grade, missing = GRADES[3], []
    checks.append(
        Check(
            "playbook_coverage",
            "fail" if grade == GRADES[0] else "pass",
            sum(1 for c in matrix.cells.values() if c.playbooks),
            f"playbook coverage: {grade}"
            + (
                f"; next level needs {', '.join(missing)}"
                if missing
                else " (all stages covered, every playbook escalates)"
            ),
            "add the missing playbooks (tierform playbooks lists the defaults)"
            if missing
            else None,
            grade,
        )
    )
    for cell in matrix.gaps:
        checks.append(
            Check(
                f"lifecycle_gap:{cell.stage}:{cell.tier}",
                "warn",
                None,
                f"no playbook or touchpoint covers {cell.stage} in {cell.tier}",
                cell.fix,
            )
        )
    return grade, checks
