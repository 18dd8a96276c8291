"""Rule tests (recipe step 6 verify: test each rule with five sample accounts).

Two sources of cases: the ``tests`` of each rule in the model, and generated ones. A generated
case is built so that its outcome is known from the construction (a renewal exactly ``lead`` days
away must fire, one a day further must not; a score one point under the threshold after being
above it must fire, one exactly on it must not...). Its expected actions come from the rule's
declaration and the model by :mod:`tierform.core.rules.oracle`, not from the rule engine.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tierform.core.book import AccountBook, book_from_records
from tierform.core.checks import Check
from tierform.core.health.score import HealthResult, band_of, score_health
from tierform.core.model import AccountSource, CoverageModel
from tierform.core.rules.engine import effective_rules, run_rules
from tierform.core.rules.oracle import generate_cases
from tierform.core.rules.spec import Rule, RuleCase
from tierform.core.segment import segment
from tierform.errors import TierformError

BENCHMARK = (80.0, 95.0, 100.0)  # pass rate: minimum (>), good (>), excellent (=)
OVERRIDES = ("health_score",)


@dataclass
class CaseResult:
    rule: str
    case: str
    passed: bool
    expected: list[str]
    got: list[str]
    source: str = "model"

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "case": self.case,
            "passed": self.passed,
            "expected": self.expected,
            "got": self.got,
        }


@dataclass
class RulesTestResult:
    cases: list[CaseResult]
    checks: list[Check] = field(default_factory=list)

    @property
    def pass_rate(self) -> float:
        """Percent of cases passed (100 when there are none)."""
        if not self.cases:
            return 100.0
        return round(100 * sum(c.passed for c in self.cases) / len(self.cases), 2)

    @property
    def grade(self) -> str:
        lo, good, top = BENCHMARK
        rate = self.pass_rate
        return (
            "excellent"
            if rate >= top
            else "good"
            if rate > good
            else "minimum"
            if rate > lo
            else "below minimum"
        )

    def failed_rules(self) -> list[str]:
        return sorted({c.rule for c in self.cases if not c.passed})

    def to_dict(self) -> dict[str, Any]:
        return {"cases": [c.to_dict() for c in self.cases], "pass_rate": self.pass_rate}


def run_rule_tests(model: CoverageModel, generated: bool = True) -> RulesTestResult:
    results: list[CaseResult] = []
    for rule in effective_rules(model):
        if not rule.enabled:
            continue
        for case in rule.tests:
            results.append(run_case(model, rule, case, "model"))
        if generated:
            for case in generate_cases(model, rule):
                results.append(run_case(model, rule, case, "generated"))
    out = RulesTestResult(results)
    out.checks = _checks(out)
    return out


def run_case(model: CoverageModel, rule: Rule, case: RuleCase, source: str) -> CaseResult:
    """Evaluate one rule on the case's account; compare the action labels (as multisets)."""
    expected = sorted(case.expect)
    try:
        account, overrides = _split(case.account)
        book = book_from_records([account], AccountSource())
        previous = prev_over = None
        if case.new_account:
            previous = book_from_records(
                [{"account_id": "__previous__", "acv": 0.0}], AccountSource()
            )
        elif case.previous is not None:
            prev_record, prev_over = _split({"account_id": account["account_id"], **case.previous})
            previous = book_from_records([prev_record], AccountSource())
        health = _health(model, book, case.as_of, overrides)
        prev_health = (
            None if previous is None else _health(model, previous, case.as_of, prev_over or {})
        )
        run = run_rules(
            model, book, case.as_of, previous, health=health, rules=[rule], prev_health=prev_health
        )
        got = sorted(a.action for a in run.actions if a.account_id == str(account["account_id"]))
    except TierformError as exc:
        got = [f"error: {exc}"]
    return CaseResult(rule.name, case.case, got == expected, expected, got, source)


def _split(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, float]]:
    """Book columns, and the health figures the case sets directly."""
    account = {
        k: v for k, v in record.items() if k not in OVERRIDES and not k.startswith("health.")
    }
    account.setdefault("account_id", "CASE-1")
    overrides = {
        k: float(v) for k, v in record.items() if k in OVERRIDES or k.startswith("health.")
    }
    return account, overrides


def _health(
    model: CoverageModel, book: AccountBook, as_of: dt.date, overrides: dict[str, float]
) -> HealthResult:
    result = score_health(
        model, book, segment(model, book), as_of=as_of, churn=np.full(len(book), np.nan)
    )
    result.validation = None
    for key, value in overrides.items():
        if key == "health_score":
            result.score = np.full(len(book), value)
        else:
            result.dimensions[key[7:]] = np.full(len(book), value)
    if overrides:
        result.band_index = band_of(result.score, result.spec)
    return result


def _checks(result: RulesTestResult) -> list[Check]:
    lo, good, _ = BENCHMARK
    grade = result.grade
    failed = result.failed_rules()
    n = len(result.cases)
    passed = sum(c.passed for c in result.cases)
    return [
        Check(
            "rule_test_pass_rate",
            "fail" if grade == "below minimum" else "pass" if not failed else "warn",
            result.pass_rate,
            f"{passed} of {n} rule test cases passed ({result.pass_rate:g}%); benchmark > {lo:g}% "
            f"minimum, > {good:g}% good, 100% excellent"
            + (f"; failing rules: {', '.join(failed)}" if failed else ""),
            "disable the failing rule and run its process manually while debugging"
            if failed
            else None,
            grade,
        )
    ]
