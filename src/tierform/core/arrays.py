"""numpy arrays as Arrow arrays without ``pa.array``, whose masked-array check loads
``numpy.ma`` (tens of milliseconds that every small command would pay)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def arrow_array(values: np.ndarray) -> pa.Array:
    """A numeric or boolean 1-d array as an Arrow array with no nulls (NaN stays NaN)."""
    values = np.ascontiguousarray(values)
    if values.dtype == np.bool_:
        bits = np.packbits(values, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), values.size, [None, pa.py_buffer(bits)])
    return pa.Array.from_buffers(
        pa.from_numpy_dtype(values.dtype), values.size, [None, pa.py_buffer(values)]
    )
