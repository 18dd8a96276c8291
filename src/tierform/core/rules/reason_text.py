"""Reason texts for many accounts from few distinct texts: rows are grouped by codes that
guarantee the same text, each group's text is formatted once, and rows take theirs by index.

A million accounts crossing a health threshold print a few thousand distinct reasons; formatting
one f-string per account costs more than the rest of the rule run.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tierform.core.arrays import arrow_array

# Values within this distance (in tenths) of a rounding tie are printed one by one.
_TIE_MARGIN = 1e-6
# Beyond this magnitude a product by ten is too coarse to tell a tie from its neighbours.
_SAFE_ABS = 1e6


def tenths_codes(values: np.ndarray) -> np.ndarray:
    """A code per value such that values with equal codes print the same with ``:.1f``.

    NaN share one code; values near a rounding tie, infinite or huge get a code of their own.
    """
    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):
        x = v * 10.0
        k = np.floor(x + 0.5)
        frac = x - np.floor(x)
        safe = np.isfinite(v) & (np.abs(v) < _SAFE_ABS) & (np.abs(frac - 0.5) > _TIE_MARGIN)
    code = np.where(safe, k, 0).astype(np.int64) * 2 + np.signbit(v)
    # Codes of safe values lie within +-2e7; the others sit far outside that range.
    code[np.isnan(v)] = -(2**40)
    alone = ~safe & ~np.isnan(v)
    code[alone] = 2**40 + np.flatnonzero(alone)
    return code


def exact_codes(values: np.ndarray) -> np.ndarray:
    """A code per value that is equal only for identical values (floats by their bits)."""
    v = np.ascontiguousarray(values)
    if v.dtype.kind == "f":
        return v.astype(np.float64).view(np.int64)
    if v.dtype.kind == "M":
        return v.astype("datetime64[D]").view(np.int64)
    return v.astype(np.int64)


def group_rows(*codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's group (equal codes in every column, equal group) and one row per group."""
    n = codes[0].size
    group = np.zeros(n, dtype=np.int64)
    size = 1
    for code in codes:
        encoded = arrow_array(np.asarray(code, dtype=np.int64)).dictionary_encode()
        width = len(encoded.dictionary)
        joined = group * width + np.asarray(encoded.indices.to_numpy(), dtype=np.int64)
        again = arrow_array(joined).dictionary_encode()
        group = np.asarray(again.indices.to_numpy(), dtype=np.int64)
        size = len(again.dictionary)
    if n == 0:
        return group, np.zeros(0, dtype=np.int64)
    row = np.empty(size, dtype=np.int64)
    row[group] = np.arange(n)  # any row stands for its group: all print the same
    return group, row


def format_once(codes: list[np.ndarray], text: Callable[[int], str]) -> np.ndarray:
    """``text(row)`` for every row as an object array, called once per group of ``codes``."""
    if not codes or codes[0].size == 0:
        return np.empty(0, dtype=object)
    group, row = group_rows(*codes)
    texts = np.empty(row.size, dtype=object)
    texts[:] = [text(r) for r in row.tolist()]
    return texts[group]
