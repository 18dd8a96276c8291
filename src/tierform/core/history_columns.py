"""A history's names kept as the columns a platform was read as.

A platform read gives every account id (each once) and, beside each, its tier or CSM. Turned
into a dict, a million of them cost a third of a second, and matching that dict with the book
(a look-up per account, scattered over memory) as much again for each use. The book and the
platform usually hold the same ids in the same order: one list comparison then stands for
all the look-ups, and the dict is built only if something does look an account up.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cached_property
from itertools import compress


class AlignedNames(Mapping[str, str]):
    """Account id -> name, for the ids whose name is not blank (None or "")."""

    def __init__(self, ids: list[str], names: list[str | None]) -> None:
        if len(ids) != len(names):
            raise ValueError("a name column does not have one value per account id")
        self.ids = ids  # each id once (a platform's keys)
        self.names = names  # beside each id: its name (None or "": none)

    @cached_property
    def _by_id(self) -> dict[str, str]:
        return dict(compress(zip(self.ids, self.names, strict=True), self.names))  # type: ignore[arg-type]

    @cached_property
    def _count(self) -> int:
        return len(self.names) - self.names.count(None) - self.names.count("")

    def __getitem__(self, key: str) -> str:
        return self._by_id[key]

    def __contains__(self, key: object) -> bool:
        return key in self._by_id

    def __iter__(self) -> Iterator[str]:
        return compress(self.ids, self.names)

    def __len__(self) -> int:
        return self._count
