"""The coverage-model document as plain data, drawn by the HTML and Markdown renderers.

Sections are built once from the engine's results; each renderer only decides how a block
looks. A :class:`Fig` is a number with the key of the engine figure it shows (a dotted path into
the report's JSON), so the rendered HTML can be checked against the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Status = Literal["pass", "warn", "fail", "info"]


@dataclass(frozen=True)
class Fig:
    """A figure as shown (``text``), with its JSON key and raw value."""

    text: str
    key: str | None = None
    value: float | int | str | None = None


@dataclass(frozen=True)
class Badge:
    """A check status, shown with a word and a symbol so it reads without colour."""

    status: Status


Inline = str | Fig | Badge | None


@dataclass
class Paragraph:
    parts: list[Inline]


@dataclass
class Heading:
    text: str


@dataclass
class Table:
    header: list[str]
    rows: list[list[Inline]] = field(default_factory=list)
    numeric: frozenset[int] = frozenset()
    foot: list[list[Inline]] = field(default_factory=list)
    caption: str | None = None
    wide: frozenset[int] = frozenset()  # columns of long text that deserve room


@dataclass
class Notice:
    """Something the reader must know: a missing section (``missing``) or a caveat (``note``)."""

    kind: Literal["missing", "note"]
    text: str


@dataclass
class Chart:
    """An inline SVG chart; ``data`` is its table when the numbers are not shown beside it."""

    id: str
    title: str
    svg: str
    data: Table | None = None


@dataclass
class KeyFigures:
    items: list[tuple[str, Fig]]


@dataclass
class ItemList:
    """A list of items, numbered when the order matters (the decisions asked of the reader)."""

    items: list[list[Inline]]
    ordered: bool = False


@dataclass
class Approval:
    """The sign-off block: one row per role, with room for a name, a signature and a date."""

    roles: list[tuple[str, str]]  # (role, name already known or "")


Block = Paragraph | Heading | Table | Notice | Chart | KeyFigures | ItemList | Approval


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> Section:
        self.blocks.extend(blocks)
        return self


@dataclass
class Document:
    """``header``: (label, value) lines identifying the inputs; ``summary``: the executive
    summary (page one, with the approval block); ``sections``: the recipe's numbered sections;
    ``plan``: the implementation sections after them (lettered A, B, ...)."""

    title: str
    subtitle: str
    summary: list[Block] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    header: list[tuple[str, str]] = field(default_factory=list)
    plan: list[Section] = field(default_factory=list)

    def charts(self) -> list[Chart]:
        parts = [*self.sections, *self.plan]
        return [b for s in parts for b in s.blocks if isinstance(b, Chart)]

    def numbered(self) -> list[tuple[str, Section]]:
        """Every section with its number: 1, 2, ... for the recipe's, A, B, ... for the plan."""
        out = [(str(i), s) for i, s in enumerate(self.sections, start=1)]
        return out + [(chr(ord("A") + i), s) for i, s in enumerate(self.plan)]
