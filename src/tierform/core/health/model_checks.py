"""Cross-field checks of the model's ``health`` section (key path, message), for validation."""

from __future__ import annotations

import math

from tierform.core.health.defaults import RECIPE_WEIGHTS, effective_health
from tierform.core.health.spec import BandSpec, Linear, Signal, Thresholds
from tierform.core.model import CoverageModel

Loc = tuple[str | int, ...]


def issues(model: CoverageModel) -> list[tuple[Loc, str]]:
    """Cross-field problems of the health section, as (key path, message)."""

    if model.health is None:
        return []
    spec = effective_health(model)
    given = model.health
    out: list[tuple[Loc, str]] = []
    tiers = [t.name for t in model.tiers]
    signals = spec.signals or {}
    dims = {s.dimension for s in signals.values()}
    weights = given.weights if given.weights is not None else RECIPE_WEIGHTS
    for name, sig in (given.signals or {}).items():
        where: Loc = ("health", "signals", name)
        if sig.dimension not in weights:
            out.append(
                (
                    (*where, "dimension"),
                    f"dimension {sig.dimension!r} has no weight (weights: {sorted(weights)})",
                )
            )
        out.extend(_normaliser_issues((*where, "normalise"), sig))
    if given.weights is not None:
        out.extend(_weight_issues(("health", "weights"), given.weights, dims))
    for tier, tw in (given.tier_weights or {}).items():
        where = ("health", "tier_weights", tier)
        if tier not in tiers:
            out.append((where, f"unknown tier {tier!r} (tiers: {', '.join(tiers)})"))
        out.extend(_weight_issues(where, tw, dims))
    bands = spec.bands or []
    if given.bands is not None:
        out.extend(_band_issues(given.bands))
    band_names = {b.name for b in bands}
    for tier, by_band in (given.responses or {}).items():
        where = ("health", "responses", tier)
        if tier not in tiers:
            out.append((where, f"unknown tier {tier!r} (tiers: {', '.join(tiers)})"))
        for band in by_band:
            if band not in band_names:
                out.append(((*where, band), f"unknown band {band!r} (bands: {sorted(band_names)})"))
    lo, good, top = given.validation.correlation
    if not -1 <= lo <= good <= top <= 1:
        out.append(
            (
                ("health", "validation", "correlation"),
                "must be [minimum, good, excellent] rising within -1..1",
            )
        )
    return out


def _weight_issues(where: Loc, weights: dict[str, float], dims: set[str]) -> list[tuple[Loc, str]]:
    out: list[tuple[Loc, str]] = []
    for dim, value in weights.items():
        if dim not in dims:
            out.append(
                (
                    (*where, dim),
                    f"unknown dimension {dim!r}: no signal feeds it "
                    f"(dimensions: {', '.join(sorted(dims))})",
                )
            )
        if value < 0:
            out.append(((*where, dim), f"weight {value:g} is negative"))
    total = sum(weights.values())
    if not math.isclose(total, 100, abs_tol=1e-6):
        out.append((where, f"weights sum to {total:g}, not 100"))
    return out


def _normaliser_issues(where: Loc, sig: Signal) -> list[tuple[Loc, str]]:
    norm = sig.normalise
    if isinstance(norm, Linear) and norm.worst == norm.best:
        return [(where, f"worst and best are both {norm.worst:g}: the signal cannot vary")]
    if isinstance(norm, Thresholds):
        values = [v for v, _ in norm.steps]
        out: list[tuple[Loc, str]] = []
        if any(b <= a for a, b in zip(values, values[1:], strict=False)):
            out.append(((*where, "steps"), "step values must rise strictly"))
        if any(not 0 <= s <= 100 for _, s in norm.steps):
            out.append(((*where, "steps"), "step scores must be within 0-100"))
        return out
    return []


def _band_issues(bands: list[BandSpec]) -> list[tuple[Loc, str]]:
    out: list[tuple[Loc, str]] = []
    names = [b.name for b in bands]
    mins = [b.min for b in bands]
    if len(set(names)) != len(names):
        out.append((("health", "bands"), "band names must be unique"))
    if any(b >= a for a, b in zip(mins, mins[1:], strict=False)):
        out.append((("health", "bands"), "list bands highest first, with falling minimums"))
    if bands and min(mins) != 0:
        out.append(
            (("health", "bands"), "the lowest band must start at 0 so every score has a band")
        )
    return out
