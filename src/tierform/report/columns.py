"""Per-account facts the report needs, read from the book's columns in one pass.

A million-account book is a few arrays; turning a column into a million Python strings to look
up twenty of them, or to count a few hundred owners, costs more than the whole computation.
These helpers take only the rows asked for, or group by integer codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tierform.core.book import AccountBook


@dataclass(frozen=True)
class Codes:
    """A text column as one integer per account (-1: blank) and the distinct texts."""

    codes: np.ndarray
    names: list[str]


def _string(book: AccountBook, name: str) -> pa.Array | None:
    col = book.column(name)
    if col is None or not pa.types.is_string(col.type):
        return None
    return col.combine_chunks() if col.num_chunks else pa.array([], pa.string())


def text_codes(book: AccountBook, name: str) -> Codes | None:
    """``name`` as codes, blank (None or "") as -1; None when the column is absent or not text
    (the callers then read it as Python values)."""
    arr = _string(book, name)
    if arr is None:
        return None
    encoded = pc.dictionary_encode(arr)
    names = encoded.dictionary.to_pylist()
    codes = np.asarray(pc.fill_null(encoded.indices, -1).to_numpy(), dtype=np.int64)
    blank = [k for k, text in enumerate(names) if not text]
    if blank:
        codes = np.where(np.isin(codes, blank), -1, codes)
    return Codes(codes, names)


def take_text(book: AccountBook, name: str, rows: np.ndarray) -> list[str | None]:
    """Column ``name`` at ``rows`` as Python values (all None when the book lacks it)."""
    col = book.column(name)
    if col is None:
        return [None] * len(rows)
    return col.take(pa.array(rows, pa.int64())).to_pylist()


def take_ids(book: AccountBook, rows: np.ndarray) -> list[str]:
    """The account ids at ``rows``, as :meth:`AccountBook.ids` spells them."""
    return [str(x) for x in take_text(book, "account_id", rows)]


def names_by_id(book: AccountBook, ids: Sequence[str]) -> dict[str, str | None]:
    """The account name of each of ``ids`` (few), found without listing the whole book."""
    if not ids:
        return {}
    col = _string(book, "account_id")
    if col is None:
        return dict(zip(book.ids(), book.text("name"), strict=True))
    rows = np.flatnonzero(
        np.asarray(pc.is_in(col, value_set=pa.array(list(ids), pa.string())).to_numpy(False))
    )
    return dict(zip(take_ids(book, rows), take_text(book, "name", rows), strict=True))
