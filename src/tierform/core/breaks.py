"""Natural breaks in the ACV distribution: exact optimal 1-D k-means on log10(ACV).

The optimum minimises the within-cluster sum of squares; on sorted data the clusters are
contiguous, so it is a dynamic programme D[k][i] = min_j D[k-1][j] + cost(j, i). The optimal j
is monotone in i, so each layer is solved by divide and conquer; all sub-problems of one depth
are evaluated together as one numpy pass (about log2(n) passes of O(n) work per layer). Equal
values are merged with weights first, which keeps it exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tierform.core.model import CoverageModel


@dataclass
class Clustering:
    """Cluster ``c`` holds the sorted unique values ``[starts[c], starts[c+1])``."""

    values: np.ndarray
    weights: np.ndarray
    starts: list[int]
    cost: float


def _prefix(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    w = np.concatenate([[0.0], np.cumsum(weights)])
    s1 = np.concatenate([[0.0], np.cumsum(weights * values)])
    s2 = np.concatenate([[0.0], np.cumsum(weights * values * values)])
    return w, s1, s2


def _cost(
    j: np.ndarray, i: np.ndarray, w: np.ndarray, s1: np.ndarray, s2: np.ndarray
) -> np.ndarray:
    """Sum of squared deviations of points j..i-1 (half-open), vectorised."""
    cw = w[i] - w[j]
    c1 = s1[i] - s1[j]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = s2[i] - s2[j] - np.where(cw > 0, c1 * c1 / np.where(cw > 0, cw, 1), 0.0)
    return np.maximum(out, 0.0)


def _layer(
    prev: np.ndarray, k: int, n: int, pre: tuple[np.ndarray, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """D[k][i] for i in [k, n] given D[k-1] (``prev``), with argmins; monotone D&C by levels."""
    w, s1, s2 = pre
    best = np.full(n + 1, np.inf)
    arg = np.zeros(n + 1, dtype=np.int64)
    # Each task: solve i in [ilo, ihi] knowing the optimum j lies in [jlo, jhi].
    ilo, ihi = np.array([k]), np.array([n])
    jlo, jhi = np.array([k - 1]), np.array([n - 1])
    while ilo.size:
        mid = (ilo + ihi) // 2
        top = np.minimum(jhi, mid - 1)
        lengths = top - jlo + 1
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        task = np.repeat(np.arange(mid.size), lengths)
        j = jlo[task] + (np.arange(lengths.sum()) - offsets[task])
        i = mid[task]
        total = prev[j] + _cost(j, i, w, s1, s2)
        seg_min = np.minimum.reduceat(total, offsets)
        is_min = total <= seg_min[task]
        first = np.where(is_min, np.arange(total.size), total.size)
        pick = np.minimum.reduceat(first, offsets)
        opt = j[pick]
        best[mid] = seg_min
        arg[mid] = opt
        left = mid - 1 >= ilo
        right = mid + 1 <= ihi
        ilo, ihi, jlo, jhi = (
            np.concatenate([ilo[left], mid[right] + 1]),
            np.concatenate([mid[left] - 1, ihi[right]]),
            np.concatenate([jlo[left], opt[right]]),
            np.concatenate([opt[left], jhi[right]]),
        )
    return best, arg


def optimal_clusters(values: np.ndarray, k: int, weights: np.ndarray | None = None) -> Clustering:
    """Exact k-clustering of 1-D ``values`` minimising the within-cluster sum of squares."""
    if weights is None:
        uniq, counts = np.unique(values, return_counts=True)
        weights = counts.astype(float)
        values = uniq.astype(float)
    n = values.size
    k = max(1, min(k, n))
    pre = _prefix(values, weights)
    idx = np.arange(n + 1)
    d = _cost(np.zeros(n + 1, dtype=np.int64), idx, *pre)
    d[0] = np.inf if n else 0.0
    args = []
    for layer in range(2, k + 1):
        d, arg = _layer(d, layer, n, pre)
        args.append(arg)
    starts = [n]
    for arg in reversed(args):
        starts.append(int(arg[starts[-1]]))
    starts.append(0)
    starts = sorted(set(starts) - {n})
    return Clustering(values, weights, starts, float(d[n]))


def nice(value: float) -> float:
    """Round to two significant figures (a boundary a leader can say out loud)."""
    if value <= 0:
        return 0.0
    digits = int(np.floor(np.log10(value))) - 1
    return float(round(value, -digits))


def suggest_breaks(model: CoverageModel, acv: np.ndarray, k: int | None = None) -> dict[str, Any]:
    """Data-driven tier bounds: k = number of tiers unless given; lowest tier starts at 0."""
    k = k or len(model.tiers)
    positive = acv[np.isfinite(acv) & (acv > 0)]
    if positive.size < k:
        return {"k": k, "breaks": [], "message": "too few accounts with an ACV to find breaks"}
    uniq, counts = np.unique(positive, return_counts=True)
    result = optimal_clusters(np.log10(uniq), k, counts.astype(float))
    bounds = [float(uniq[s]) for s in result.starts[1:]]  # exact ACVs, no log round trip
    ordered = model.tiers_low_to_high
    edges = [0.0, *bounds, np.inf]
    clusters = []
    for c in range(len(edges) - 1):
        lo, hi = edges[c], edges[c + 1]
        members = (acv >= lo) & (acv < hi) if c else (acv < hi)
        members &= np.isfinite(acv)
        clusters.append(
            {
                "tier": ordered[c].name if len(ordered) == len(edges) - 1 else None,
                "min_acv": round(lo, 2),
                "max_acv": None if hi == np.inf else round(hi, 2),
                "suggested_min_acv": nice(lo),
                "current_min_acv": ordered[c].min_acv if len(ordered) == len(edges) - 1 else None,
                "accounts": int(members.sum()),
                "arr": round(float(acv[members].sum()), 2),
            }
        )
    return {
        "k": k,
        "breaks": [round(b, 2) for b in bounds],
        "suggested": [nice(b) for b in bounds],
        "clusters": clusters,
        "within_ss_log10": round(result.cost, 6),
    }
