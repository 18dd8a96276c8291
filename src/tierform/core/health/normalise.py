"""Normalisers: a raw signal column onto 0-100, on whole columns (NaN in, NaN out).

Every normaliser returns a new array the caller may change in place (the scoring sums reuse it
rather than allocate another column per step); given ``out``, a linear one writes there instead
(the raw column itself, when the caller owns it: one column fewer to allocate per signal).
"""

from __future__ import annotations

import numpy as np

from tierform.core.arrays import bounds_at_or_below
from tierform.core.health.spec import Linear, Normaliser, Percentile, Thresholds


def normalise(
    values: np.ndarray,
    norm: Normaliser,
    groups: np.ndarray | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """``values`` (float64, NaN = missing) on 0-100 by the declared normaliser.

    ``groups`` (tier index per account) is used by a percentile normaliser ``within: tier``;
    ``out``: where a linear normaliser may write (``values`` itself is allowed).
    """
    if isinstance(norm, Linear):
        return linear(values, norm.worst, norm.best, out)
    if isinstance(norm, Thresholds):
        return thresholds(values, norm.steps)
    if isinstance(norm, Percentile):
        if norm.within == "tier" and groups is not None:
            out = np.full(values.shape, np.nan)
            for g in np.unique(groups):
                member = groups == g
                out[member] = percentile_rank(values[member])
        else:
            out = percentile_rank(values)
        if not norm.higher_is_better:
            np.subtract(100, out, out=out)
        return out
    raise TypeError(f"unknown normaliser {norm!r}")


def linear(
    values: np.ndarray, worst: float, best: float, out: np.ndarray | None = None
) -> np.ndarray:
    """0 at ``worst``, 100 at ``best``, clipped; works in either direction.

    The steps of ``clip((values - worst) / (best - worst), 0, 1) * 100`` in one buffer (``out``
    if given, else a new one); scaling before clipping gives the same numbers (x * 100 stays
    within [0, 100] exactly when x is within [0, 1], and keeps its sign outside).
    """
    out = np.subtract(values, worst, dtype=float, out=out)
    with np.errstate(invalid="ignore"):
        np.divide(out, best - worst, out=out)
        np.multiply(out, 100, out=out)
        np.clip(out, 0.0, 100.0, out=out)
    return out


def thresholds(values: np.ndarray, steps: list[tuple[float, float]]) -> np.ndarray:
    """The score of the last step whose value is reached (below the first: the first's score)."""
    at = np.array([v for v, _ in steps], dtype=float)
    score = np.array([s for _, s in steps], dtype=float)
    if not (at[1:] >= at[:-1]).all():  # unsorted or NaN steps: as a binary search reads them
        pos = np.searchsorted(at, np.nan_to_num(values, nan=at[0]), side="right")
        idx = np.clip(pos - 1, 0, None)
        return np.where(np.isnan(values), np.nan, score[idx])
    # Ascending steps: the index of the last step reached is the number of later steps reached,
    # counted in one byte per account (NaN's index is replaced below).
    out = score[bounds_at_or_below(at[1:], values, dtype=np.uint8)]  # no wide index copy
    out[np.isnan(values)] = np.nan
    return out


def percentile_rank(values: np.ndarray) -> np.ndarray:
    """Mid-rank percentile (share below plus half the ties), 0-100, among the known values."""
    known = values[~np.isnan(values)]
    out = np.full(values.shape, np.nan)
    if known.size == 0:
        return out
    ordered = np.sort(known)
    ok = ~np.isnan(values)
    below = np.searchsorted(ordered, values[ok], side="left")
    upto = np.searchsorted(ordered, values[ok], side="right")
    out[ok] = (below + upto) / 2 / known.size * 100
    return out
