"""Health score against churn history: correlation with retention, AUC, churned below 60.

Churn is a float column aligned with the book: 1 = churned, 0 = retained, NaN = unknown (left
out). Retention is ``1 - churn``, so a sound score correlates positively with it.
"""

from __future__ import annotations

import math
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import pyarrow as pa

from tierform.core import arrow_compute as pc
from tierform.core.arrays import positions_in, true_mask
from tierform.core.book import AccountBook, read_book
from tierform.core.checks import Check, Status
from tierform.core.health.spec import Validation
from tierform.core.model import AccountSource
from tierform.errors import BookError, Issue

BOOK_CHURN_SOURCE = "churned column"  # the validation's source when the book holds the churn
_TRUE = ["true", "yes", "y", "1", "churned", "t", "x"]
_FALSE = ["false", "no", "n", "0", "retained", "f", "active"]


def outcome_column(col: pa.ChunkedArray) -> np.ndarray:
    """A churn flag column (bool, 0/1 or yes/no text) as float: 1, 0 or NaN."""
    if (
        pa.types.is_boolean(col.type)
        or pa.types.is_integer(col.type)
        or pa.types.is_floating(col.type)
    ):
        values = np.asarray(pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
        if pa.types.is_boolean(col.type) and col.null_count == 0:
            return values  # 0.0 and 1.0 already
        flags = (values != 0).astype(float)
        flags[np.isnan(values)] = np.nan
        return flags
    text = pc.utf8_trim_whitespace(pc.utf8_lower(pc.cast(col, pa.string())))
    true = true_mask(pc.is_in(text, value_set=pa.array(_TRUE)))
    false = true_mask(pc.is_in(text, value_set=pa.array(_FALSE)))
    return np.where(true, 1.0, np.where(false, 0.0, np.nan))


def churn_outcome(book: AccountBook) -> np.ndarray | None:
    """The book's own ``churned`` column, if it has one."""
    col = book.column("churned")
    return None if col is None else outcome_column(col)


def read_churn(path: str | Path, book: AccountBook) -> np.ndarray:
    """Churn history from a file of account ids, aligned with ``book``.

    With a ``churned`` column, each listed account takes its flag and unlisted ones are unknown;
    without it, the file lists the churned accounts and every other account counts as retained.
    """
    history = read_book(path, AccountSource())
    ids = pa.array(book.ids(), pa.string())
    idx = positions_in(ids, pa.array(history.ids(), pa.string()))
    if history.has("churned"):
        flags = outcome_column(history.table.column("churned"))
        return np.where(idx >= 0, flags[np.clip(idx, 0, None)], np.nan)
    if len(history) == 0:
        raise BookError([Issue("the churn file lists no accounts", file=str(path))])
    return (idx >= 0).astype(float)


def correlation(score: np.ndarray, retained: np.ndarray) -> float | None:
    """Pearson correlation (point-biserial for a 0/1 retention); None if either is constant."""
    if score.size < 2 or np.std(score) == 0 or np.std(retained) == 0:
        return None
    rows = np.empty((2, score.size))
    rows[0] = score
    rows[1] = retained
    return rows_correlation(rows)


def rows_correlation(rows: np.ndarray, first: np.ndarray | None = None) -> float | None:
    """``np.corrcoef(rows[0], rows[1])[0, 1]`` computed in ``rows`` (a new 2 x n float array,
    changed in place): the same steps on the same numbers, without corrcoef's copies of a
    large book's columns. ``first``: the values of ``rows[0]``, to give None where
    ``np.std(first)`` is 0 (read from the deviations computed here, not from a new column)."""
    n = rows.shape[1]
    rows -= rows.mean(axis=1)[:, None]
    if first is not None and _constant(rows[0], first):
        return None
    c = np.dot(rows, rows.T)
    c *= np.true_divide(1, n - 1)
    stddev = np.sqrt(np.diag(c))
    c /= stddev[:, None]
    c /= stddev[None, :]
    np.clip(c, -1, 1, out=c)
    return float(c[0, 1])


def _constant(deviation: np.ndarray, values: np.ndarray) -> bool:
    """``np.std(values) == 0`` from ``values``' deviations from their mean (the ones np.std
    squares): all are 0 when the widest is 0; the widest squares clear of underflow (so the
    mean square is not 0) when it is at least 1e-150; only in between is np.std asked."""
    widest = float(np.maximum(deviation.max(), -deviation.min()))  # NaN stays NaN
    if widest == 0:
        return True
    if not widest < 1e-150:  # also NaN: np.std is NaN then, not 0
        return False
    return bool(np.std(values) == 0)


def auc(score: np.ndarray, positive: np.ndarray) -> float | None:
    """P(score of a random positive > score of a random negative), ties counting one half."""
    pos = score[positive]
    neg = score[~positive]
    pos.sort()
    neg.sort()
    return auc_sorted(pos, neg)


def auc_sorted(pos: np.ndarray, neg: np.ndarray) -> float | None:
    """:func:`auc` from the positives' and the negatives' scores, each sorted ascending."""
    n_pos, n_neg = pos.size, neg.size
    if n_pos == 0 or n_neg == 0:
        return None
    # Mann-Whitney U from pair counts: for every positive, the negatives below it plus half
    # those equal (the rank sum less n_pos (n_pos + 1) / 2). Each side sorted on its own is
    # quicker than ranking the whole column, and the smaller side is looked up in the larger
    # (sorted look-ups stay in cache); whole and half counts are exact in float64, so either
    # direction gives the same U.
    if n_pos <= n_neg:
        below = int(np.searchsorted(neg, pos, side="left").sum())
        ties = int(np.searchsorted(neg, pos, side="right").sum()) - below
    else:
        # For every negative, the positives above it: n_pos less those at or below it.
        upto = int(np.searchsorted(pos, neg, side="right").sum())
        ties = upto - int(np.searchsorted(pos, neg, side="left").sum())
        below = n_pos * n_neg - upto
    u = float(below) + float(ties) / 2
    return u / (n_pos * n_neg)


def point_biserial_ceiling(churn_rate: float) -> float | None:
    """The largest correlation a continuous (normal) score can reach with a 0/1 outcome of this
    rate: phi(z_p) / sqrt(p (1 - p)). It is 0.80 at a 50 % churn rate and 0.58 at 10 %, so a
    bare correlation read against 0.4/0.6/0.75 understates a score on a rare outcome."""
    if not 0 < churn_rate < 1:
        return None
    normal = NormalDist()
    z = normal.inv_cdf(churn_rate)
    return normal.pdf(z) / math.sqrt(churn_rate * (1 - churn_rate))


def grade_auc(a: float | None) -> str:
    """AUC leads: 0.5 is chance; 0.7 acceptable, 0.8 good, 0.9 excellent discrimination."""
    if a is None or a < 0.7:
        return "below minimum"
    return "excellent" if a >= 0.9 else "good" if a >= 0.8 else "minimum"


def grade_correlation(r: float | None, bands: tuple[float, float, float]) -> str:
    lo, good, top = bands
    if r is None or r <= lo:
        return "below minimum"
    return "excellent" if r > top else "good" if r > good else "minimum"


def validate_scores(
    score: np.ndarray, churn: np.ndarray, spec: Validation, source: str
) -> tuple[dict[str, Any], list[Check]]:
    """The validation figures and the recipe's checks on them."""
    ok = ~np.isnan(score)
    ok &= ~np.isnan(churn)
    n = int(np.count_nonzero(ok))
    s, churned = (score, churn == 1) if n == ok.size else (score[ok], churn[ok] == 1)
    kept = ~churned
    n_churned = int(np.count_nonzero(churned))
    # Retention (0/1) is constant exactly when no account or every account churned.
    r: float | None = None
    spare: np.ndarray | None = None
    if n >= 2 and 0 < n_churned < n:
        rows = np.empty((2, n))
        rows[0] = s
        rows[1] = kept
        r = rows_correlation(rows, first=s)  # None if the scores are constant
        spare = rows.reshape(-1)  # done with: the two sides are copied into it below
        del rows
    # Each side once: its mean (in the book's order, as a mean of the side is summed), then
    # sorted for the AUC and for the shares below a limit.
    if spare is not None:
        lost = np.compress(churned, s, out=spare[:n_churned])
        held = np.compress(kept, s, out=spare[n_churned:n])
    else:
        lost, held = s[churned], s[kept]
    mean_churned = None if not n_churned else round(float(lost.mean()), 2)
    mean_retained = None if n_churned == n else round(float(held.mean()), 2)
    lost.sort()
    held.sort()
    a = auc_sorted(held, lost)
    threshold = spec.churn_threshold

    def below(limit: float, side: np.ndarray) -> float | None:
        # The share of a side below ``limit``: its count over its size, as the mean of
        # ``side < limit`` is (the scores here are never NaN).
        if not side.size:
            return None
        return round(100 * float(int(np.searchsorted(side, limit, side="left")) / side.size), 2)

    grade = grade_correlation(r, spec.correlation)
    rate = n_churned / n if n else 0.0
    ceiling = point_biserial_ceiling(rate)
    figures: dict[str, Any] = {
        "source": source,
        "accounts": n,
        "churned": n_churned,
        "correlation": None if r is None else round(r, 4),
        "auc": None if a is None else round(a, 4),
        "churned_below_60": below(60, lost),
        "retained_below_60": below(60, held),
        "churn_threshold": threshold,
        "churned_below_threshold": below(threshold, lost),
        "mean_score_churned": mean_churned,
        "mean_score_retained": mean_retained,
        "grade": grade,
        "churn_rate": round(100 * rate, 2),
        "correlation_ceiling": None if ceiling is None else round(ceiling, 4),
        "correlation_of_ceiling": None if r is None or not ceiling else round(r / ceiling, 4),
        "auc_grade": grade_auc(a),
    }
    return figures, validation_checks(figures, spec)


def validation_checks(figures: dict[str, Any], spec: Validation) -> list[Check]:
    lo, good, top = spec.correlation
    r = figures["correlation"]
    grade = figures["grade"]
    a = figures.get("auc")
    auc_grade = figures.get("auc_grade", grade_auc(a))
    ceiling = figures.get("correlation_ceiling")
    relative = figures.get("correlation_of_ceiling")
    checks = [
        Check(
            "health_auc",
            "pass" if auc_grade != "below minimum" else "warn",
            a,
            "AUC (a retained account outscores a churned one): "
            + ("n/a" if a is None else f"{a:.3f}")
            + f" ({auc_grade}; 0.5 is chance, 0.7 minimum, 0.8 good, 0.9 excellent)",
            None
            if auc_grade != "below minimum"
            else "increase the usage-based dimensions (or run tierform health --calibrate)",
            auc_grade,
        )
    ]
    context = (
        ""
        if ceiling is None
        else f"; at a {figures.get('churn_rate', 0):g}% churn rate no score can exceed "
        f"{ceiling:.2f} (point-biserial ceiling)"
        + ("" if relative is None else f", this is {100 * relative:.0f}% of it")
    )
    # Below the recipe's minimum is a fail only when the ceiling leaves room to reach it and the
    # score also sits low against the ceiling; otherwise the benchmark itself is out of reach.
    reachable = ceiling is None or ceiling > lo
    low_vs_ceiling = relative is None or relative <= lo
    failing = grade == "below minimum" and (reachable and low_vs_ceiling or r is None or r <= 0)
    status: Status = "fail" if failing else "warn" if grade == "below minimum" else "pass"
    checks.append(
        Check(
            "health_churn_correlation",
            status,
            r,
            f"score-retention correlation {'n/a' if r is None else f'{r:.3f}'} over "
            f"{figures['accounts']} accounts ({figures['churned']} churned); benchmark > {lo:g} "
            f"minimum, > {good:g} good, > {top:g} excellent{context}",
            "increase the usage-based dimensions (or run tierform health --calibrate)"
            if grade == "below minimum"
            else None,
            grade,
        )
    )
    share = figures["churned_below_threshold"]
    target = spec.churned_below_min_pct
    t = spec.churn_threshold
    if share is None:
        checks.append(
            Check(
                "health_churned_below", "info", None, "no churned account in the history to check"
            )
        )
    else:
        passed = share >= target
        checks.append(
            Check(
                "health_churned_below",
                "pass" if passed else "warn",
                share,
                f"{share:.1f}% of churned accounts score below {t:g} (target {target:g}%)",
                None
                if passed
                else "start with a simple 3-factor score and iterate (recipe step 5)",
            )
        )
    return checks
