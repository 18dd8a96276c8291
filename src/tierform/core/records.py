"""Per-account lists held as columns: the objects a list of dicts would hold, built only if read.

A command's JSON carries one object per account (a million on a large book). Building those dicts
costs more than the analysis; a :class:`RecordColumns` keeps the columns the engine already has
and reads as the same sequence of dicts, while the JSON writer encodes it from the columns.

Only the dataclasses live here (no numpy or pyarrow import), so the JSON writer can recognise a
``RecordColumns`` without loading the engine's libraries.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, SupportsIndex, overload

if TYPE_CHECKING:  # held, never computed on here: the JSON writer imports this module cheaply
    import numpy as np
    import pyarrow as pa

JsonScalar = str | float | int | bool | None


@dataclass(frozen=True)
class TextField:
    """Text per record (None for a blank)."""

    name: str
    values: pa.Array | pa.ChunkedArray


@dataclass(frozen=True)
class CodedField:
    """A value from a short list per record: ``labels[codes[i]]`` (tier names, bands, reasons)."""

    name: str
    labels: Sequence[JsonScalar]
    codes: np.ndarray


@dataclass(frozen=True)
class NumberField:
    """A float per record; NaN reads as None (JSON null)."""

    name: str
    values: np.ndarray


@dataclass(frozen=True)
class FlagField:
    """A key present, with the value ``true``, only on the records where ``mask`` is set."""

    name: str
    mask: np.ndarray


@dataclass(frozen=True)
class NestedField:
    """An object per record, itself made of fields (flags not allowed inside)."""

    name: str
    fields: tuple[TextField | CodedField | NumberField | NestedField, ...]


Field = TextField | CodedField | NumberField | FlagField | NestedField
ROWS_PER_BLOCK = 8192  # records turned into Python objects at a time when iterated


class RecordColumns(list[dict[str, Any]]):
    """``length`` records, each a dict of ``fields`` in order; flags come last, after at least
    one field every record has (so every record's JSON object keeps one shape).

    It reads as a list (length, items, slices, iteration, equality with a list), and is a
    ``list`` so that encoders that walk lists item by item (the standard library's with an
    indent) write its records. Encoders that read a list's storage directly (orjson, or the
    standard library's without an indent) would see no items: ``tierform.cli.jsonout`` writes it
    from its columns at the top two levels of a document, and ``to_list()`` gives a plain list
    for anything else. It cannot be changed.
    """

    def __init__(self, length: int, fields: Sequence[Field]) -> None:
        super().__init__()
        self.length = length
        self.fields = tuple(fields)
        flags = [i for i, f in enumerate(self.fields) if isinstance(f, FlagField)]
        if flags and (flags[0] == 0 or flags != list(range(flags[0], len(self.fields)))):
            raise ValueError("flag fields come last, after at least one other field")
        if not self.fields:
            raise ValueError("a record needs at least one field")

    def __len__(self) -> int:
        return self.length

    @overload  # type: ignore[override]
    def __getitem__(self, index: SupportsIndex) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: SupportsIndex | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self._block(i, i + 1)[0] for i in range(*index.indices(self.length))]
        i = operator.index(index)
        if i < 0:
            i += self.length
        if not 0 <= i < self.length:
            raise IndexError("record index out of range")
        return self._block(i, i + 1)[0]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for start in range(0, self.length, ROWS_PER_BLOCK):
            yield from self._block(start, min(start + ROWS_PER_BLOCK, self.length))

    def __reversed__(self) -> Iterator[dict[str, Any]]:
        return reversed(self.to_list())

    def __contains__(self, value: object) -> bool:
        return any(record == value for record in self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RecordColumns({self.length} records: {', '.join(f.name for f in self.fields)})"

    def __add__(self, other: list[dict[str, Any]]) -> list[dict[str, Any]]:  # type: ignore[override]
        return self.to_list() + list(other)

    def copy(self) -> list[dict[str, Any]]:
        return self.to_list()

    def to_list(self) -> list[dict[str, Any]]:
        """The records as a plain list of dicts."""
        return list(iter(self))

    def _read_only(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("RecordColumns cannot be changed: use to_list() for a list")

    append = extend = insert = pop = remove = sort = reverse = clear = _read_only  # type: ignore[assignment]
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _read_only  # type: ignore[assignment]

    def _block(self, start: int, stop: int) -> list[dict[str, Any]]:
        """Records ``start`` to ``stop`` as dicts."""
        plain = [f for f in self.fields if not isinstance(f, FlagField)]
        names = [f.name for f in plain]
        rows = [
            dict(zip(names, values, strict=True))
            for values in zip(*(_values(f, start, stop) for f in plain), strict=True)
        ]
        for flag in self.fields:
            if isinstance(flag, FlagField):
                for i, on in enumerate(flag.mask[start:stop].tolist()):
                    if on:
                        rows[i][flag.name] = True
        return rows


def _values(f: Field, start: int, stop: int) -> list[Any]:
    if isinstance(f, TextField):
        return list(f.values.slice(start, stop - start).to_pylist())
    if isinstance(f, CodedField):
        labels = list(f.labels)
        return [labels[c] for c in f.codes[start:stop].tolist()]
    if isinstance(f, NumberField):
        return [None if v != v else v for v in f.values[start:stop].tolist()]
    if isinstance(f, NestedField):
        names = [g.name for g in f.fields]
        columns = [_values(g, start, stop) for g in f.fields]
        if not columns:
            return [{} for _ in range(stop - start)]
        return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    raise TypeError(f"not a record field: {f!r}")


def coded(name: str, values: Sequence[str | None]) -> CodedField:
    """A text field whose values repeat (owners, reasons), as labels and a code per record."""
    import numpy as np
    import pyarrow as pa

    from tierform.core import arrow_compute as pc

    encoded = pc.dictionary_encode(pa.array(values, type=pa.string()))
    labels: list[JsonScalar] = list(encoded.dictionary.to_pylist())
    codes = pc.fill_null(encoded.indices, len(labels)).to_numpy(zero_copy_only=False)
    labels.append(None)
    return CodedField(name, labels, np.asarray(codes, dtype=np.int64))
