"""Fit the dimension weights to churn history, with a held-out split so the fit cannot flatter.

Each weight group (a tier with its own weights, and the default weights for the rest) is fitted
on its own accounts. The fit maximises the score-retention correlation over integer weights of at
least ``min_weight`` that sum to 100: a coarse lattice search on the covariance of the dimensions,
then a fine one around the best point. Only the training part of the history is used; the
before/after figures are measured on the held-out part with the real scoring function, and a
group whose held-out correlation would fall keeps its weights.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tierform.core.checks import Check, Status
from tierform.core.health.churn_validation import auc, correlation
from tierform.core.health.score import HealthResult, score_columns

MIN_EVENTS = 20  # churned and retained accounts each, in a group's training part


@dataclass
class GroupFit:
    """One weight group: the weights before and after, and held-out figures for both."""

    group: str
    accounts: int
    train: int
    test: int
    before: dict[str, float]
    after: dict[str, float]
    test_before: dict[str, float | None]
    test_after: dict[str, float | None]
    accepted: bool
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "accounts": self.accounts,
            "train": self.train,
            "test": self.test,
            "before": self.before,
            "after": self.after,
            "test_before": self.test_before,
            "test_after": self.test_after,
            "accepted": self.accepted,
            "note": self.note,
        }


@dataclass
class Calibration:
    """The fitted weights per group, the overall held-out figures and the checks on them."""

    groups: list[GroupFit]
    holdout: float
    seed: int
    weights: dict[str, float]
    tier_weights: dict[str, dict[str, float]]
    test_before: dict[str, float | None]
    test_after: dict[str, float | None]
    checks: list[Check] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(g.accepted and g.after != g.before for g in self.groups)

    def to_dict(self) -> dict[str, Any]:
        return {
            "holdout": self.holdout,
            "seed": self.seed,
            "groups": [g.to_dict() for g in self.groups],
            "test_before": self.test_before,
            "test_after": self.test_after,
            "weights": self.weights,
            "tier_weights": self.tier_weights,
            "checks": [c.to_dict() for c in self.checks],
        }


def calibrate(
    result: HealthResult,
    churn: np.ndarray,
    *,
    holdout: float = 0.3,
    seed: int = 0,
    min_weight: float = 5.0,
) -> Calibration:
    """Fit weights to ``churn`` (1 churned, 0 retained, NaN unknown) for every weight group."""
    spec = result.spec
    # A dimension no signal feeds is never given a weight: its weight is the fit's to spend.
    fed = {s.dimension for s in (spec.signals or {}).values()}
    dims = [d for d in result.dimensions if d in fed]
    n = len(result.score)
    rng = np.random.default_rng(seed)
    test = np.zeros(n, dtype=bool)
    test[rng.permutation(n)[: int(round(holdout * n))]] = True
    known = ~np.isnan(churn)
    retained = np.where(known, 1.0 - churn, np.nan)
    tier_names = [t.name for t in result.model.tiers]
    own = set(spec.tier_weights or {})
    group_of = np.array([tier_names.index(t) if t in own else -1 for t in tier_names] + [-1])
    group = group_of[np.where(result.tier >= 0, result.tier, len(tier_names))]
    weights = {k: float(v) for k, v in (spec.weights or {}).items()}
    tier_weights = {
        t: {k: float(v) for k, v in w.items()} for t, w in (spec.tier_weights or {}).items()
    }
    fits: list[GroupFit] = []
    for g in sorted(set(group.tolist()), key=lambda x: (x >= 0, x)):
        name = "default" if g < 0 else tier_names[g]
        before = weights if g < 0 else tier_weights[name]
        member = group == g
        fit = _fit_group(
            name, before, dims, result, retained, member, test, spec.missing, min_weight
        )
        fits.append(fit)
        if fit.accepted:
            if g < 0:
                weights = fit.after
            else:
                tier_weights[name] = fit.after
    matrix_before = _matrix(result, dims, spec.weights or {}, spec.tier_weights or {})
    matrix_after = _matrix(result, dims, weights, tier_weights)
    scored = test & known
    fed_dims = {d: result.dimensions[d] for d in dims}
    figures_before = _figures(
        score_columns(fed_dims, matrix_before, result.tier, spec), retained, scored
    )
    figures_after = _figures(
        score_columns(fed_dims, matrix_after, result.tier, spec), retained, scored
    )
    cal = Calibration(fits, holdout, seed, weights, tier_weights, figures_before, figures_after)
    cal.checks = _checks(cal)
    return cal


def _matrix(
    result: HealthResult,
    dims: list[str],
    weights: dict[str, float],
    tier_weights: dict[str, dict[str, float]],
) -> np.ndarray:
    rows = [tier_weights.get(t.name, weights) for t in result.model.tiers] + [weights]
    return np.array([[float(r.get(d, 0.0)) for d in dims] for r in rows])


def _figures(score: np.ndarray, retained: np.ndarray, mask: np.ndarray) -> dict[str, float | None]:
    ok = mask & ~np.isnan(score)
    s, y = score[ok], retained[ok]
    r = correlation(s, y)
    a = auc(s, y == 1)
    churned = y == 0
    below = None if not churned.any() else round(100 * float((s[churned] < 60).mean()), 2)
    return {
        "correlation": None if r is None else round(r, 4),
        "auc": None if a is None else round(a, 4),
        "churned_below_60": below,
    }


def _fit_group(
    name: str,
    before: dict[str, float],
    dims: list[str],
    result: HealthResult,
    retained: np.ndarray,
    member: np.ndarray,
    test: np.ndarray,
    missing: Any,
    min_weight: float,
) -> GroupFit:
    train = member & ~test & ~np.isnan(retained)
    held = member & test & ~np.isnan(retained)
    base: dict[str, Any] = {
        "group": name,
        "accounts": int(member.sum()),
        "train": int(train.sum()),
        "test": int(held.sum()),
        "before": dict(before),
    }
    y = retained[train]
    events = min(int((y == 0).sum()), int((y == 1).sum()))
    fitted = [d for d in dims if not np.isnan(result.dimensions[d][train]).all()]
    fixed = {d: float(before.get(d, 0.0)) for d in dims if d not in fitted}
    budget = 100.0 - sum(fixed.values())
    note = None
    if events < MIN_EVENTS:
        note = (
            f"too little churn history to fit ({events} churned or retained in training, "
            f"need {MIN_EVENTS})"
        )
    elif not fitted:
        note = "no dimension has data"
    elif budget < min_weight * len(fitted):
        note = f"dimensions without data hold {100 - budget:g}%: no room for the minimum weights"
    if note is not None:
        same = _score_figures(result, before, dims, retained, held)
        return GroupFit(
            **base, after=dict(before), test_before=same, test_after=same, accepted=False, note=note
        )
    x = np.column_stack([_impute(result.dimensions[d][train], missing) for d in fitted])
    w = lattice_fit(x, y, budget, min_weight)
    after = {d: float(before.get(d, 0.0)) for d in dims}
    after.update(fixed)
    after.update({d: float(v) for d, v in zip(fitted, w, strict=True)})
    after = {k: after[k] for k in before if k in after} | {
        k: v for k, v in after.items() if k not in before
    }
    fig_before = _score_figures(result, before, dims, retained, held)
    fig_after = _score_figures(result, after, dims, retained, held)
    r0, r1 = fig_before["correlation"], fig_after["correlation"]
    accepted = r1 is not None and (r0 is None or r1 >= r0)
    if fixed:
        note = f"no data for {', '.join(sorted(fixed))}: kept their weight"
    if not accepted:
        note = "held-out correlation would fall: weights kept"
    return GroupFit(
        **base,
        after=after if accepted else dict(before),
        test_before=fig_before,
        test_after=fig_after,
        accepted=accepted,
        note=note,
    )


def _score_figures(
    result: HealthResult,
    weights: dict[str, float],
    dims: list[str],
    retained: np.ndarray,
    mask: np.ndarray,
) -> dict[str, float | None]:
    idx = np.flatnonzero(mask)
    sub = {d: result.dimensions[d][idx] for d in dims}
    row = np.array([[float(weights.get(d, 0.0)) for d in dims]])
    score = score_columns(sub, row, np.zeros(idx.size, dtype=np.int64), result.spec)
    return _figures(score, retained[idx], np.ones(idx.size, dtype=bool))


def _impute(values: np.ndarray, missing: Any) -> np.ndarray:
    """Blank dimension values as the scoring treats them: neutral, or carrying no signal."""
    fill = missing.neutral_score if missing.dimension == "neutral" else float(np.nanmean(values))
    return np.where(np.isnan(values), fill, values)


def compositions(total: int, parts: int) -> np.ndarray:
    """Every vector of ``parts`` non-negative integers summing to ``total`` (stars and bars)."""
    if parts == 1:
        return np.array([[total]], dtype=np.int64)
    bars = np.array(
        list(itertools.combinations(range(total + parts - 1), parts - 1)), dtype=np.int64
    ).reshape(-1, parts - 1)
    edges = np.column_stack([np.full(len(bars), -1), bars, np.full(len(bars), total + parts - 1)])
    return np.diff(edges, axis=1) - 1


def lattice_fit(x: np.ndarray, y: np.ndarray, budget: float, min_weight: float) -> np.ndarray:
    """Integer weights >= ``min_weight`` summing to ``budget`` that maximise corr(x @ w, y)."""
    d = x.shape[1]
    if d == 1:
        return np.array([budget])
    cov = np.cov(np.column_stack([x, y]), rowvar=False)
    sigma, c = cov[:d, :d], cov[:d, d]

    def objective(w: np.ndarray) -> np.ndarray:
        num = w @ c
        den = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", w, sigma, w), 1e-12))
        return num / den

    spare = budget - min_weight * d
    coarse_step = 5.0
    steps = int(spare // coarse_step)
    grid = compositions(steps, d) * coarse_step + min_weight
    grid[:, 0] += spare - steps * coarse_step
    best = grid[int(np.argmax(objective(grid)))]
    offsets = np.array(list(itertools.product(range(-4, 5), repeat=d - 1)), dtype=float)
    fine = np.column_stack([best[:-1] + offsets, best[-1] - offsets.sum(axis=1)])
    fine = fine[(fine >= min_weight).all(axis=1)]
    fine = np.vstack([best[None, :], fine])
    return fine[int(np.argmax(objective(fine)))]


def _checks(cal: Calibration) -> list[Check]:
    before, after = cal.test_before["correlation"], cal.test_after["correlation"]
    fitted = [g for g in cal.groups if g.accepted]
    text = (
        f"held-out correlation {before if before is not None else 'n/a'} -> "
        f"{after if after is not None else 'n/a'}; AUC {cal.test_before['auc']} -> "
        f"{cal.test_after['auc']}; fitted {len(fitted)} of {len(cal.groups)} weight group(s) "
        f"on {100 * (1 - cal.holdout):.0f}% of the history"
    )
    worse = before is not None and after is not None and after < before
    status: Status
    recovery: str | None
    if worse:
        status, recovery = "warn", "keep the current weights"
    elif not cal.changed:
        # Nothing fitted or nothing moved: there is nothing to pass.
        status, recovery = "info", None
        notes = "; ".join(f"{g.group}: {g.note}" for g in cal.groups if g.note)
        text += "; weights unchanged" + (f" ({notes})" if notes else "")
    else:
        status, recovery = "pass", None
    return [Check("health_calibration", status, after, text, recovery)]
