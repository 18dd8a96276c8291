"""Indented JSON text of a :class:`RecordColumns`, encoded from its columns a block at a time.

The bytes are exactly those of ``orjson.dumps(list(records), option=OPT_INDENT_2)``'s items as
the CLI writes them (see ``tierform.cli.jsonout``): every value's text comes from orjson itself
(each distinct label once, each number once per distinct cent value, anything else row by row),
and a record is its template's literal pieces and its values' texts, put together by one
``take`` per block. A literal is joined to each shared text of the value that follows it (and
one left standing after such a value, to the end of its texts), so a record takes about one
text per value. No Python object per record is built. Blocks are made two at a time, one on a
second thread (``take`` lets go of the interpreter lock).

The head and every text column's texts are put together once (:class:`_Source`), so a block
takes straight from them: copying the head for each block cost more than the block's own
``take`` where the head is long (a rules run's reasons). Only a block with numbers of its own
to write (off the cent grid) takes from a source of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import orjson
import pyarrow as pa

from tierform.core import arrow_compute as pc
from tierform.core.arrays import arrow_array, true_mask
from tierform.core.background import in_turns
from tierform.core.records import (
    CodedField,
    FlagField,
    NestedField,
    NumberField,
    RecordColumns,
    TextField,
)

INDENT = b"  "
ROWS_PER_BLOCK = 8192
MAX_CENTS = 1 << 18  # distinct cent values kept as one shared list of texts per number field
MAX_BINARY_BYTES = (1 << 31) - 1  # beyond this, texts are held with 64-bit offsets
INT32_INDEXES = 1 << 31  # a block indexes its texts with int32 below this many (half the bytes)
_NEEDS_ESCAPE = r'[\x00-\x1f"\\]'  # what orjson escapes in a string; everything else is as is
_SCAN_BYTES = 1 << 20  # bytes scanned at a time for what needs escaping (cache-sized steps)


@dataclass
class _Slot:
    """A value's place in the record: where its texts sit in the shared head, how to index."""

    field: TextField | CodedField | NumberField | FlagField
    head: int = 0  # position of this slot's shared texts in the head
    quoted: bool = False  # text whose quotes are in the literal pieces (no blanks)
    cents: np.ndarray | None = None  # per record: index into the shared texts, or -1
    low: int | None = None  # else: the first shared cent value, each block finds its codes
    negative_zero: bool = False  # the column holds -0.0 (written "-0.0", not as 0.0's text)
    null: int = 0  # position of "null" in the head
    prefix: bytes = b""  # the literal just before the value, joined to each of its texts
    suffix: bytes = b""  # a literal just after it, joined to the end of each of its texts


def _may_need_escape(values: pa.Array | pa.ChunkedArray) -> bool:
    """A byte scan of the text buffers: the exact regex runs only where this says maybe (a
    sliced array's buffer may hold bytes outside the slice: they can only say maybe)."""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    for chunk in chunks:
        if not (pa.types.is_string(chunk.type) or pa.types.is_binary(chunk.type)):
            return True
        data = chunk.buffers()[2]
        if data is None:
            continue
        raw = np.frombuffer(data, dtype=np.uint8)
        for start in range(0, raw.size, _SCAN_BYTES):
            part = raw[start : start + _SCAN_BYTES]
            if (part < 0x20).any() or (part == 0x22).any() or (part == 0x5C).any():
                return True
    return False


class _Template:
    """A record as literal pieces and value slots, in order."""

    def __init__(self, records: RecordColumns, level: int) -> None:
        self.parts: list[bytes | _Slot] = []
        self.head: list[bytes] = []
        pad = INDENT * (level + 1)
        self._literal(b",\n" + pad + b"{")
        plain = [f for f in records.fields if not isinstance(f, FlagField)]
        self._fields(plain, pad + INDENT)
        for flag in records.fields:
            if isinstance(flag, FlagField):
                slot = self._slot(flag)
                true = b",\n" + pad + INDENT + orjson.dumps(flag.name) + b": true"
                self.head += [slot.prefix, slot.prefix + true]
        self._literal(b"\n" + pad + b"}")
        self.program: list[int | _Slot] = []  # a literal piece as its position in the head
        for part in self.parts:
            if isinstance(part, bytes):
                self.program.append(len(self.head))
                self.head.append(part)
            else:
                self.program.append(part)

    def _slot(self, f: TextField | CodedField | NumberField | FlagField) -> _Slot:
        """A slot whose texts sit in the head: the literal before it joins each of them, so a
        record takes one text fewer per such value."""
        prefix = self.parts.pop() if self.parts and isinstance(self.parts[-1], bytes) else b""
        assert isinstance(prefix, bytes)
        slot = _Slot(f, head=len(self.head), prefix=prefix)
        self.parts.append(slot)
        return slot

    def _literal(self, text: bytes) -> None:
        """A literal piece; right after a value with shared texts (all of them in the head
        since the value's slot was made), it is joined to the end of each of them instead: a
        record takes one text fewer again."""
        last = self.parts[-1] if self.parts else None
        if isinstance(last, bytes):
            self.parts[-1] = last + text
        elif isinstance(last, _Slot) and not isinstance(last.field, TextField):
            last.suffix += text
            self.head[last.head :] = [shared + text for shared in self.head[last.head :]]
        else:
            self.parts.append(text)

    def _fields(
        self, fields: list[TextField | CodedField | NumberField | NestedField], pad: bytes
    ) -> None:
        for i, f in enumerate(fields):
            self._literal((b"," if i else b"") + b"\n" + pad + orjson.dumps(f.name) + b": ")
            if isinstance(f, NestedField):
                if not f.fields:
                    self._literal(b"{}")
                    continue
                self._literal(b"{")
                self._fields(list(f.fields), pad + INDENT)
                self._literal(b"\n" + pad + b"}")
            elif isinstance(f, TextField):
                self._text(f)
            elif isinstance(f, CodedField):
                slot = self._slot(f)
                self.head += [slot.prefix + orjson.dumps(label) for label in f.labels]
            else:
                self._number(f)

    def _text(self, f: TextField) -> None:
        slot = _Slot(f, quoted=f.values.null_count == 0)
        if slot.quoted:
            self._literal(b'"')
            self.parts.append(slot)
            self._literal(b'"')
        else:
            self.parts.append(slot)

    def _number(self, f: NumberField) -> None:
        """Values that are whole cents share one text per cent value; the rest are encoded
        per block. When the column's values span few enough cents, the texts cover that span
        and each block works out its own codes (a few passes over rows in cache rather than
        over the whole column)."""
        v = np.asarray(f.values, dtype=np.float64)
        slot = self._slot(f)
        span = _cent_span(v)
        if span is not None and span[1] - span[0] < MAX_CENTS:
            slot.low = span[0]
            slot.negative_zero = bool(np.signbit(v[v == 0]).any())
            self._cent_texts(slot, *span)
        else:
            slot.cents = self._column_codes(slot, v)
        slot.null = len(self.head)
        self.head.append(slot.prefix + b"null")

    def _column_codes(self, slot: _Slot, v: np.ndarray) -> np.ndarray:
        """Per value, its index into the shared texts (added here when few enough) or -1."""
        with np.errstate(invalid="ignore", over="ignore"):
            cents = np.rint(v * 100)
            # NaN and infinities fail the bound; a value off the cent grid fails the equality.
            ok = (np.abs(cents) < 2.0**52) & (cents / 100 == v)
        zero = np.flatnonzero(cents == 0)
        ok[zero[np.signbit(v[zero])]] = False  # -0.0 equals 0.0 but is written "-0.0"
        codes = np.full(v.size, -1, dtype=np.int64)
        whole = cents[ok]
        if whole.size:
            low, high = int(whole.min()), int(whole.max())
            if high - low < MAX_CENTS:
                codes[ok] = whole.astype(np.int64) - low
                self._cent_texts(slot, low, high)
        return codes

    def _cent_texts(self, slot: _Slot, low: int, high: int) -> None:
        shared = (np.arange(low, high + 1, dtype=np.float64) / 100).tolist()
        texts = orjson.dumps(shared)[1:-1].split(b",")
        self.head += [slot.prefix + text for text in texts]


def _column_texts(values: pa.Array | pa.ChunkedArray, quoted: bool) -> pa.Array:
    """A text column as its JSON texts: escaped where orjson escapes, and, unless its quotes
    are in the literal pieces (``quoted``), in quotes, a blank as ``null``."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    escape = None
    if _may_need_escape(values):
        escape = true_mask(pc.match_substring_regex(values, _NEEDS_ESCAPE))
    values = pc.cast(values, pa.binary())
    if escape is not None and escape.any():
        raw = pc.take(values, arrow_array(np.flatnonzero(escape))).to_pylist()
        fixed = [orjson.dumps(text.decode())[1:-1] for text in raw]
        values = pc.replace_with_mask(values, arrow_array(escape), pa.array(fixed, pa.binary()))
    if not quoted:
        values = pc.fill_null(pc.binary_join_element_wise(b'"', values, b'"', b""), b"null")
    return values


class _Source:
    """What the blocks take from: the head, then each text slot's texts in full (``at``: where
    a slot's first text sits). Held with 64-bit offsets when the texts pass 2 GiB."""

    def __init__(self, template: _Template) -> None:
        self.text_slots = [
            p for p in template.program if isinstance(p, _Slot) and isinstance(p.field, TextField)
        ]
        head = pa.array(template.head, type=pa.binary())
        texts = []
        for slot in self.text_slots:
            assert isinstance(slot.field, TextField)
            texts.append(_column_texts(slot.field.values, slot.quoted))
        size = head.nbytes + sum(t.nbytes for t in texts)
        self.type = pa.binary() if size <= MAX_BINARY_BYTES else pa.large_binary()
        self.head = pc.cast(head, self.type)
        self.at: dict[int, int] = {}
        at = len(head)
        for slot, column in zip(self.text_slots, texts, strict=True):
            self.at[id(slot)] = at
            at += len(column)
        self.values = pa.concat_arrays([self.head, *(pc.cast(t, self.type) for t in texts)])

    def rows(self, slot: _Slot, start: int, stop: int) -> pa.Array:
        """A text slot's texts for records ``start`` to ``stop``."""
        return self.values.slice(self.at[id(slot)] + start, stop - start)


def _cent_span(v: np.ndarray) -> tuple[int, int] | None:
    """The cents of the column's smallest and largest value, when every value but NaN is
    finite and their cents are exact integers; else None. Rounding is monotonic, so every
    whole-cent value's cents lie in that span."""
    if not v.size:
        return None
    with np.errstate(invalid="ignore", over="ignore"):
        low, high = np.rint(np.array([np.fmin.reduce(v), np.fmax.reduce(v)]) * 100).tolist()
    if not (abs(low) < 2.0**52 and abs(high) < 2.0**52):  # NaN and infinities fail too
        return None
    return int(low), int(high)


def _block_index(values: np.ndarray, slot: _Slot) -> tuple[np.ndarray, np.ndarray]:
    """:meth:`_Template._column_codes` for one block of a column with a known span: each
    value's index into the head, and where that index is not one (NaN, off the cent grid,
    -0.0), for the caller to fill. The span holds no infinity (:func:`_cent_span`)."""
    assert slot.low is not None
    with np.errstate(invalid="ignore"):
        cents = values * 100
        np.rint(cents, out=cents)
        off = cents / 100 != values  # NaN and a value off the cent grid
        index = cents.astype(np.int64)  # NaN's is any number: it is filled by the caller
    if slot.negative_zero:
        off |= (cents == 0) & np.signbit(values)  # -0.0 equals 0.0 but is written "-0.0"
    index += slot.head - slot.low
    return index, off


def record_items(records: RecordColumns, level: int) -> Iterator[memoryview]:
    """The records as the lines between the brackets of an indented list at ``level``: items
    joined by ``,\\n``, each line indented as orjson's OPT_INDENT_2 output moved ``level`` steps
    right (what ``jsonout`` writes for a list of dicts). Each block is a view of the Arrow
    buffer it was gathered in, written without a copy."""
    if not len(records):
        return
    template = _Template(records, level)
    source = _Source(template)
    n = len(records)

    def block(k: int) -> memoryview:
        start = k * ROWS_PER_BLOCK
        return _block(template, source, start, min(start + ROWS_PER_BLOCK, n))

    made = in_turns(block, -(-n // ROWS_PER_BLOCK))
    try:
        for k, text in enumerate(made):
            yield text[2:] if k == 0 else text  # the first record has no separator
    finally:
        made.close()  # a write that failed: the second thread ends here, not when collected


def _block(template: _Template, source: _Source, start: int, stop: int) -> memoryview:
    """One block's records. Its numbers off the cent grid are texts of its own: such a block
    takes from the head, its rows' texts and those (one copy of the head); any other block
    takes from ``source`` itself."""
    n = stop - start
    own = len(source.head) + n * len(source.text_slots)  # where the block's own texts begin
    fits = len(source.values) + own + n * len(template.program) < INT32_INDEXES
    idx = np.empty((n, len(template.program)), dtype=np.int32 if fits else np.int64)
    extras: list[pa.Array] = []
    texts: list[tuple[int, _Slot]] = []
    for j, part in enumerate(template.program):
        if isinstance(part, int):
            idx[:, j] = part
        elif isinstance(part.field, TextField):
            texts.append((j, part))
        else:
            index, extra = _slot_index(part, start, stop, own)
            if extra is not None:
                extras.append(pc.cast(extra, source.type))
                own += len(extra)
            idx[:, j] = index
    if extras:
        rows = [source.rows(slot, start, stop) for _, slot in texts]
        values = pa.concat_arrays([source.head, *rows, *extras])
        for k, (j, _) in enumerate(texts):
            idx[:, j] = np.arange(len(source.head) + k * n, len(source.head) + (k + 1) * n)
    else:
        values = source.values
        for j, slot in texts:
            at = source.at[id(slot)]
            idx[:, j] = np.arange(at + start, at + stop)
    gathered = pc.take(values, arrow_array(idx.ravel()))
    width = np.int64 if pa.types.is_large_binary(gathered.type) else np.int32
    offsets = np.frombuffer(
        gathered.buffers()[1], dtype=width, count=gathered.offset + len(gathered) + 1
    )
    data = gathered.buffers()[2]
    return memoryview(data[int(offsets[gathered.offset]) : int(offsets[-1])])


def _slot_index(
    slot: _Slot, start: int, stop: int, base: int
) -> tuple[np.ndarray, pa.Array | None]:
    """Per record of the block: the index of its number's text, and any texts this block adds
    (placed at ``base``)."""
    f = slot.field
    if isinstance(f, CodedField):
        return slot.head + np.asarray(f.codes[start:stop], dtype=np.int64), None
    if isinstance(f, FlagField):
        return slot.head + np.asarray(f.mask[start:stop], dtype=np.int64), None
    assert isinstance(f, NumberField)
    values = np.asarray(f.values[start:stop], dtype=np.float64)
    if slot.low is not None:
        index, off = _block_index(values, slot)
    else:
        assert slot.cents is not None
        codes = slot.cents[start:stop]
        index, off = slot.head + codes, codes < 0
    rest = np.flatnonzero(off)  # NaN, and values written one by one
    if rest.size == 0:
        return index, None
    nan = np.isnan(values[rest])
    index[rest[nan]] = slot.null
    rest = rest[~nan]
    if rest.size == 0:
        return index, None
    texts = orjson.dumps(values[rest].tolist())[1:-1].split(b",")
    if slot.prefix or slot.suffix:
        texts = [slot.prefix + text + slot.suffix for text in texts]
    index[rest] = base + np.arange(rest.size)
    return index, pa.array(texts, type=pa.binary())
