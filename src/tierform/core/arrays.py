"""numpy arrays as Arrow arrays without ``pa.array``, whose masked-array check loads
``numpy.ma`` (tens of milliseconds that every small command would pay), and Arrow's answers
(tests, look-ups) as numpy arrays."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from tierform.core import arrow_compute as pc


def arrow_array(values: np.ndarray) -> pa.Array:
    """A numeric or boolean 1-d array as an Arrow array with no nulls (NaN stays NaN)."""
    values = np.ascontiguousarray(values)
    if values.dtype == np.bool_:
        bits = np.packbits(values, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), values.size, [None, pa.py_buffer(bits)])
    return pa.Array.from_buffers(
        pa.from_numpy_dtype(values.dtype), values.size, [None, pa.py_buffer(values)]
    )


def true_mask(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean Arrow array (a test's answer) as one bool per value, blanks false."""
    return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool)


def positions_in(values: pa.Array | pa.ChunkedArray, value_set: pa.Array) -> np.ndarray:
    """Each value's position in ``value_set`` (Arrow's ``index_in``), -1 where it is absent."""
    index = pc.index_in(values, value_set=value_set)
    return np.asarray(pc.fill_null(index, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def validity_mask(bitmap: pa.Buffer, offset: int, n: int) -> np.ndarray:
    """An Arrow validity bitmap (least significant bit first) as one bool per value, read from
    the buffer itself (no ``is_valid`` array)."""
    bits = np.unpackbits(np.frombuffer(bitmap, dtype=np.uint8), bitorder="little")
    return bits[offset : offset + n].view(bool)


def bounds_at_or_below(
    bounds: np.ndarray, values: np.ndarray, dtype: type[np.integer[Any]] = np.intp
) -> np.ndarray:
    """``np.searchsorted(bounds, values, side="right")`` for a model's few (ascending) bounds,
    such as tiers, bands or steps: one comparison per bound is several times quicker than a
    binary search per value. ``dtype``: the counts' type (one byte is enough for the few
    bounds counted; more, or unsorted ones, are searched and come back as ``intp``)."""
    if len(bounds) > 16 or not (bounds[1:] >= bounds[:-1]).all():  # unsorted, or NaN bounds
        return np.searchsorted(bounds, values, side="right")
    pos = np.zeros(len(values), dtype=dtype)
    reached = np.empty(len(values), dtype=bool)
    for bound in bounds.tolist():
        np.greater_equal(values, bound, out=reached)
        pos += reached
    pos[np.isnan(values)] = len(bounds)  # NaN sorts after every number
    return pos


def one_of(values: np.ndarray, allowed: list[int]) -> np.ndarray:
    """``np.isin(values, allowed)`` for small integer codes (tier or band indexes, -1 for
    none): one look-up in a table of the codes rather than a pass per allowed code."""
    if not allowed or values.size == 0:
        return np.isin(values, allowed)
    low = min(int(values.min()), min(allowed))
    high = max(int(values.max()), max(allowed))
    if high - low > 1 << 16:
        return np.isin(values, allowed)
    table = np.zeros(high - low + 1, dtype=bool)
    table[np.asarray(allowed, dtype=np.int64) - low] = True
    return table[values.astype(np.int64) - low]


def distinct(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` (sorted distinct values) for integer codes, without the
    masked-array check that loads ``numpy.ma`` (floats: NaN would not be collapsed)."""
    ordered = np.sort(values, axis=None)
    if ordered.size == 0:
        return ordered
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def dense_ranks(
    codes: np.ndarray, size: int, dtype: Any = np.int64
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of ``codes`` (each in ``[0, size)``) in ascending order, and each
    code's rank among them (as ``dtype``): a presence table and its running count, no sort."""
    seen = np.zeros(size, dtype=bool)
    seen[codes] = True
    slot = np.cumsum(seen, dtype=dtype)
    slot -= 1
    return np.flatnonzero(seen), slot[codes]
