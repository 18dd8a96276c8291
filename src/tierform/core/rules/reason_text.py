"""Reason texts for many accounts from few distinct texts: rows are grouped by codes that
guarantee the same text, each group's text is formatted once, and rows keep a code into the
list of texts (:class:`CodedText`) until the output needs strings.

A million accounts crossing a health threshold print a few thousand distinct reasons; formatting
one f-string per account costs more than the rest of the rule run.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tierform.core import arrow_compute as pc
from tierform.core.arrays import arrow_array, dense_ranks

# Values within this distance (in tenths) of a rounding tie are printed one by one.
_TIE_MARGIN = 1e-6
# Beyond this magnitude a product by ten is too coarse to tell a tie from its neighbours.
_SAFE_ABS = 1e6
_SMALL_WHOLE = 2.0**40  # whole floats below this are coded by value (and sign)


def tenths_codes(values: np.ndarray) -> np.ndarray:
    """A code per value such that values with equal codes print the same with ``:.1f``.

    NaN share one code; values near a rounding tie, infinite or huge get a code of their own.
    The codes span little more than the values do, so grouping them needs no hashing.
    """
    v = np.asarray(values, dtype=float)
    if np.isnan(v).all():  # no earlier values at all: one code
        return np.zeros(v.size, dtype=np.int64)
    # The steps of ``where(safe, floor(10 v + 0.5), 0) * 2 + signbit(v)`` in three buffers
    # (a large book's reasons code a million values); safe values give whole numbers below
    # 10**7, exact in float64, so one cast at the end gives the same integer codes.
    with np.errstate(invalid="ignore", over="ignore"):
        x = np.multiply(v, 10.0)
        k = np.add(x, 0.5)
        np.floor(k, out=k)
        frac = np.floor(x)
        np.subtract(x, frac, out=frac)
        frac -= 0.5
        np.abs(frac, out=frac)
        safe = frac > _TIE_MARGIN
        del frac
        np.abs(v, out=x)
        safe &= x < _SAFE_ABS  # also false for NaN and infinities
    k[~safe] = 0.0
    k *= 2.0
    k += np.signbit(v)
    code = k.astype(np.int64)
    if not safe.all():
        low, high = _span(code[safe])
        nan = np.isnan(v)
        code[nan] = low - 1
        alone = np.flatnonzero(~safe & ~nan)
        code[alone] = high + 1 + np.arange(alone.size)
    return code


def exact_codes(values: np.ndarray) -> np.ndarray:
    """A code per value that is equal only for identical values (floats by their bits, but
    whole floats such as tier indexes by value and sign, every NaN alike: they print the same,
    and a narrow span of codes is grouped without hashing)."""
    v = np.ascontiguousarray(values)
    if v.dtype.kind == "f":
        v = v.astype(np.float64)
        with np.errstate(invalid="ignore"):
            known = ~np.isnan(v)
            whole = bool((np.abs(v[known]) < _SMALL_WHOLE).all()) and bool(
                (v[known] == np.floor(v[known])).all()
            )
        if not whole:
            return v.view(np.int64)
        code = np.where(known, v, 0.0).astype(np.int64) * 2 + np.signbit(v)
        code[~known] = (int(code[known].min()) if known.any() else 0) - 1
        return code
    if v.dtype.kind == "M":
        return v.astype("datetime64[D]", copy=False).view(np.int64)
    return v.astype(np.int64)


# A code column whose values span at most this many (times the rows) is compacted through a
# presence table; a wider one is hashed.
_TABLE_SPAN = 4


class CodedText:
    """Text per row held as a code per row into a list of texts (``texts[codes[i]]``): rows
    share the few distinct reasons until the output needs them as strings."""

    __slots__ = ("codes", "texts")

    def __init__(self, codes: np.ndarray, texts: list[str]) -> None:
        self.codes = np.asarray(codes, dtype=np.int64)
        self.texts = texts

    @classmethod
    def same(cls, n: int, text: str) -> CodedText:
        """``n`` rows reading ``text``."""
        return cls(np.zeros(n, dtype=np.int64), [text])

    @classmethod
    def each(cls, texts: list[str]) -> CodedText:
        """One text per row, as given."""
        return cls(np.arange(len(texts), dtype=np.int64), texts)

    def __len__(self) -> int:
        return int(self.codes.size)

    def __getitem__(self, row: int) -> str:
        return self.texts[int(self.codes[row])]

    def tolist(self) -> list[str]:
        texts = self.texts
        return [texts[c] for c in self.codes.tolist()]

    def take(self, rows: np.ndarray) -> CodedText:
        """The texts of ``rows`` (sharing this list of texts)."""
        return CodedText(self.codes[rows], self.texts)

    def plus(self, tail: CodedText) -> CodedText:
        """Each row's text followed by the same row's ``tail``: one join per distinct pair."""
        if len(tail.texts) == 1 and not tail.texts[0]:
            return self
        group, row = group_rows(self.codes, tail.codes)
        head, rest = self.codes[row].tolist(), tail.codes[row].tolist()
        texts = [self.texts[h] + tail.texts[t] for h, t in zip(head, rest, strict=True)]
        return CodedText(group, texts)


def _span(code: np.ndarray) -> tuple[int, int]:
    return (int(code.min()), int(code.max())) if code.size else (0, 0)


def compact_codes(code: np.ndarray) -> tuple[np.ndarray, int]:
    """Each value's rank among the distinct values of ``code`` (any order that keeps equal
    values equal), and how many there are."""
    code = np.asarray(code, dtype=np.int64)
    if code.size == 0:
        return code, 0
    low, high = _span(code)
    if high - low <= _TABLE_SPAN * code.size + 1024:
        used, ranks = dense_ranks(code - low, high - low + 1)
        return ranks, used.size
    encoded = pc.dictionary_encode(arrow_array(code))
    return np.asarray(encoded.indices.to_numpy(), dtype=np.int64), len(encoded.dictionary)


def group_rows(*codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's group (equal codes in every column, equal group) and one row per group.
    Columns of small spans are combined as they are and compacted once."""
    n = codes[0].size
    limit = _TABLE_SPAN * n + 1024
    group = np.zeros(n, dtype=np.int64)
    size, dense = 1, False
    for code in codes:
        code = np.asarray(code, dtype=np.int64)
        low, high = _span(code)
        if size * (high - low + 1) <= limit:
            group, size = group * (high - low + 1) + (code - low), size * (high - low + 1)
            dense = False
            continue
        if size > n:
            group, size = compact_codes(group)
        own, width = compact_codes(code)
        group, size = compact_codes(group * width + own)
        dense = True
    if not dense:
        group, size = compact_codes(group)
    if n == 0:
        return group, np.zeros(0, dtype=np.int64)
    row = np.empty(size, dtype=np.int64)
    row[group] = np.arange(n)  # any row stands for its group: all print the same
    return group, row


def format_once(codes: list[np.ndarray], text: Callable[[int], str]) -> CodedText:
    """``text(row)`` for every row, called once per group of ``codes``."""
    if not codes or codes[0].size == 0:
        return CodedText(np.zeros(0, dtype=np.int64), [])
    group, row = group_rows(*codes)
    return CodedText(group, [text(r) for r in row.tolist()])


class RowTexts:
    """A text per book row, formatted the first time a rule asks for that row and kept for the
    rules after it (several rules name the same accounts' ACV)."""

    def __init__(self, n: int, text: Callable[[int], str]) -> None:
        self.codes = np.full(n, -1, dtype=np.int64)
        self.texts: list[str] = []
        self._text = text

    def take(self, rows: np.ndarray) -> CodedText:
        """The texts of ``rows`` (distinct row numbers)."""
        missing = rows[self.codes[rows] < 0]
        if missing.size:
            self.codes[missing] = len(self.texts) + np.arange(missing.size)
            self.texts.extend(map(self._text, missing.tolist()))
        return CodedText(self.codes[rows], list(self.texts))
