"""The engine's results as the report reads them, from one :func:`~tierform.core.design.design`.

:class:`ReportData` holds the :class:`~tierform.core.design.Design` itself and exposes its parts
with their own types; a part the engine could not compute is ``None``, and :meth:`missing` says
why, so each section can state what is missing instead of guessing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from tierform.core.assign import AssignResult
from tierform.core.book import AccountBook
from tierform.core.breaks import suggest_breaks
from tierform.core.capacity import CapacityResult
from tierform.core.checks import Check
from tierform.core.design import Design, design
from tierform.core.health.score import HealthResult
from tierform.core.health.spec import HealthSpec
from tierform.core.model import CoverageModel
from tierform.core.playbooks.library import CoverageMatrix
from tierform.core.playbooks.spec import Playbook
from tierform.core.rules.engine import RulesRun
from tierform.core.rules.spec import Rule
from tierform.core.rules.testing import RulesTestResult
from tierform.core.scenario import growth_scenario
from tierform.core.segment import SegmentResult
from tierform.report.columns import text_codes

MissingPart = Literal["books", "health", "playbooks", "rules"]

MISSING: dict[MissingPart, str] = {
    "books": "Balanced books of business could not be built",
    "health": "Health scores could not be computed",
    "playbooks": "The playbook library could not be built",
    "rules": "The automation rules could not be run",
}
# The parts whose absence empties a section; a failed rule run is a note beside the rule list.
SECTION_PARTS: tuple[MissingPart, ...] = ("books", "playbooks", "health")


@dataclass(frozen=True)
class CurrentHeadcount:
    """CSMs covering each tier today, and where that figure comes from."""

    per_tier: list[int] | None
    source: str  # "roster", "book owners" or "unknown"


@dataclass(frozen=True)
class Provenance:
    """What a signed copy must be matched against: the inputs' files and their checksums."""

    model_file: Path | None  # None: the built-in default model
    model_sha256: str | None
    book_file: Path | None  # None: a book built in memory
    book_sha256: str | None
    generated_on: dt.date
    prepared_by: str | None = None


@dataclass(frozen=True)
class PlatformSupport:
    """What the recommended platform's adapter writes through its API and what stays on its
    build sheet (``(kind, why)``): supplied by the caller that knows the installed adapters."""

    adapter: str
    writes: tuple[str, ...]
    build_sheet: tuple[tuple[str, str], ...]


def sha256_file(path: Path | None) -> str | None:
    """The sha256 of a file's bytes, or None when there is no file to hash."""
    if path is None or not path.is_file():
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class ReportData:
    """Everything the document and workbook show, typed as the engine returns it."""

    design: Design
    current: CurrentHeadcount
    provenance: Provenance
    platform: PlatformSupport | None = None
    _memo: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    """Figures both the document and the workbook read, each computed once per book."""

    def _once(self, key: Any, compute: Any) -> Any:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    @property
    def model(self) -> CoverageModel:
        return self.design.model

    @property
    def book(self) -> AccountBook:
        return self.design.book

    @property
    def as_of(self) -> dt.date:
        return self.design.as_of

    @property
    def seg(self) -> SegmentResult:
        return self.design.seg

    @property
    def cap(self) -> CapacityResult:
        return self.design.capacity

    @property
    def books(self) -> AssignResult | None:
        return self.design.books

    @property
    def health(self) -> HealthResult | None:
        return self.design.health

    @property
    def health_spec(self) -> HealthSpec:
        return self.design.specs.health

    @property
    def matrix(self) -> CoverageMatrix | None:
        return self.design.matrix

    @property
    def playbooks(self) -> list[Playbook]:
        return self.design.specs.playbooks

    @property
    def rules(self) -> list[Rule]:
        return self.design.specs.rules

    @property
    def rule_run(self) -> RulesRun | None:
        return self.design.rule_run

    @property
    def rule_tests(self) -> RulesTestResult | None:
        return self.design.rule_tests

    def band_names(self) -> list[str]:
        names: list[str] = self._once("band_names", self.design.band_names)
        return list(names)

    def health_by_tier(self) -> list[dict[str, int]]:
        table: list[dict[str, int]] = self._once("health_by_tier", self.design.health_by_tier)
        return [dict(row) for row in table]

    def breaks(self) -> dict[str, Any]:
        """The natural breaks of the book's ACVs (``segment --suggest-breaks``); read only."""
        found: dict[str, Any] = self._once(
            "breaks", lambda: suggest_breaks(self.model, np.asarray(self.book.acv, np.float64))
        )
        return found

    def growth(self, add_accounts: int) -> dict[str, Any]:
        """The hire-or-redesign scenario for ``add_accounts`` new accounts; read only."""
        found: dict[str, Any] = self._once(
            ("growth", add_accounts),
            lambda: growth_scenario(self.model, self.seg, add_accounts),
        )
        return found

    def missing(self, part: MissingPart) -> str | None:
        """Why ``part`` is missing (books, health, playbooks), or None when it was computed.
        The rule list always stands: a failed rule run or rule test is :meth:`rules_note`."""
        if part == "rules":
            return None
        exc = self.design.errors.get(part)
        return f"{MISSING[part]}: {exc}" if exc is not None else None

    def missing_parts(self) -> dict[str, str]:
        """Every missing part and why, keyed by part name."""
        out: dict[str, str] = {}
        for part in SECTION_PARTS:
            why = self.missing(part)
            if why is not None:
                out[part] = why
        return out

    def rules_note(self) -> str | None:
        """Why the rules section lacks its actions due or its test results, if it does."""
        errors = self.design.errors
        note = None
        if self.rule_run is None and "rules" in errors:
            note = f"Rule actions could not be computed: {errors['rules']}"
        if self.rule_tests is None and "rule_tests" in errors:
            note = f"Rule tests could not run: {errors['rule_tests']}"
        return note

    def checks(self) -> list[tuple[str, str, Check]]:
        """Every check as (area, JSON key prefix, check), in the recipe's order."""
        out = [("Tiers", f"segment.checks.{i}", c) for i, c in enumerate(self.seg.checks)]
        out += [("Capacity", f"capacity.checks.{i}", c) for i, c in enumerate(self.cap.checks)]
        parts: list[tuple[str, str, list[Check]]] = [
            ("Books", "assign", self.books.checks if self.books else []),
            ("Playbooks", "playbooks", self.matrix.checks if self.matrix else []),
            ("Health", "health", self.health.checks if self.health else []),
            ("Rules", "rules", self.rule_tests.checks if self.rule_tests else []),
        ]
        for area, name, checks in parts:
            out += [(area, f"{name}.checks.{i}", c) for i, c in enumerate(checks)]
        return out

    def to_dict(self) -> dict[str, Any]:
        """The engine's figures the report shows, keyed as the document's ``Fig.key``s."""
        out: dict[str, Any] = {
            "segment": self.seg.to_dict(include_assignments=False),
            "capacity": self.cap.to_dict(),
            "current_headcount": {"per_tier": self.current.per_tier, "source": self.current.source},
        }
        if self.books is not None:
            out["assign"] = self.books.to_dict()
        if self.health is not None:  # the engine's health JSON without its per-account list
            out["health"] = {
                "weights": self.health.weights,
                "validation": self.health.validation,
                "checks": [c.to_dict() for c in self.health.checks],
            }
            out["health_by_tier"] = self.health_by_tier()
        if self.matrix is not None:
            out["playbooks"] = self.matrix.to_dict()
        if self.rule_tests is not None:
            tests = self.rule_tests
            out["rules"] = tests.to_dict() | {"checks": [c.to_dict() for c in tests.checks]}
        out["missing"] = self.missing_parts()
        return out


def current_headcount(
    model: CoverageModel, seg: SegmentResult, cap: CapacityResult
) -> CurrentHeadcount:
    """From the roster when the model has one, else the distinct owners in the book, each
    counted in the tier that holds most of their accounts."""
    if model.roster:
        return CurrentHeadcount([t.current_headcount or 0 for t in cap.tiers], "roster")
    n = len(model.tiers)
    codes = text_codes(seg.book, "owner")
    if codes is None:
        per_owner: dict[str, np.ndarray] = {}
        for owner, tier in zip(seg.book.text("owner"), seg.tier.tolist(), strict=True):
            if owner and tier >= 0:
                per_owner.setdefault(owner, np.zeros(n, dtype=int))[tier] += 1
        tallies = list(per_owner.values())
    else:  # accounts per (owner, tier) from integer codes, one row per owner
        tier = np.asarray(seg.tier, dtype=np.int64)
        ok = (codes.codes >= 0) & (tier >= 0)
        cells = np.bincount(codes.codes[ok] * n + tier[ok], minlength=len(codes.names) * n)
        table = cells.reshape(len(codes.names), n)
        tallies = list(table[table.sum(axis=1) > 0])
    if not tallies:
        return CurrentHeadcount(None, "unknown")
    per_tier = [0] * n
    for tally in tallies:  # each owner in the tier holding most of their accounts (first on ties)
        per_tier[int(np.argmax(tally))] += 1
    return CurrentHeadcount(per_tier, "book owners")


def gather(
    model: CoverageModel,
    book: AccountBook,
    *,
    as_of: dt.date | None = None,
    churn: str | Path | None = None,
    model_file: str | Path | None = None,
    generated_on: dt.date | None = None,
    prepared_by: str | None = None,
    platform: PlatformSupport | None = None,
) -> ReportData:
    """Run the engine once for the report (``churn``: a churn-history file; ``model_file``:
    the file the model was read from, hashed for the header; None = the built-in default)."""
    d = design(model, book, as_of or dt.date.today(), churn=churn, rule_tests=True)
    model_path = Path(model_file) if model_file is not None else None
    book_path = Path(book.source) if Path(book.source).is_file() else None
    provenance = Provenance(
        model_path,
        sha256_file(model_path),
        book_path,
        sha256_file(book_path),
        generated_on or dt.date.today(),
        prepared_by,
    )
    return ReportData(d, current_headcount(model, d.seg, d.capacity), provenance, platform)
