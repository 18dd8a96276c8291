"""Long tables written as rich writes them to a file, without rich's per-cell layout.

``tierform assign`` on a million accounts prints one row per CSM book (tens of thousands);
rich lays out each cell as a renderable, which costs seconds. When the output is plain (no
colour, no terminal) and every cell is printable ASCII that fits the console's width, the
bytes of rich's default table (heavy head box, one space of padding, left-justified) are
simple to write directly; anything else is printed by rich as before.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console


def print_table(
    console: Console, title: str | None, headers: Sequence[str], rows: Sequence[Sequence[str]]
) -> None:
    """Print the table as ``rich.table.Table(title=title)`` with these columns would."""
    text = plain_table(title, headers, rows, console.width) if _plain(console) else None
    if text is not None:
        console.file.write(text)
        console.file.flush()
        return
    from rich.table import Table

    table = Table(title=title)
    for header in headers:
        table.add_column(header)
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _plain(console: Console) -> bool:
    """Whether the console writes bare text: no colour, no terminal, no recording."""
    return console.color_system is None and not console.is_terminal and not console.record


def plain_table(
    title: str | None, headers: Sequence[str], rows: Sequence[Sequence[str]], width: int
) -> str | None:
    """The text rich writes for the table, or None where this cannot promise the same bytes
    (no rows, a cell that is not printable ASCII, a table wider than ``width``)."""
    if not rows or not headers or any(len(row) != len(headers) for row in rows):
        return None
    cells = [list(headers), *(list(row) for row in rows)]
    if not all(_simple(c) for row in cells for c in row):
        return None
    if title is not None and not (_simple(title) and 0 < len(title) <= width):
        return None
    widths = [max(len(row[k]) for row in cells) for k in range(len(headers))]
    if sum(widths) + 3 * len(widths) + 1 > width:
        return None
    bars = [w + 2 for w in widths]
    lines = [] if title is None else [title]
    lines.append("┏" + "┳".join("━" * b for b in bars) + "┓")
    lines.append(
        "┃" + "┃".join(f" {h.ljust(w)} " for h, w in zip(headers, widths, strict=True)) + "┃"
    )
    lines.append("┡" + "╇".join("━" * b for b in bars) + "┩")
    lines.extend(
        "│" + "│".join(f" {c.ljust(w)} " for c, w in zip(row, widths, strict=True)) + "│"
        for row in rows
    )
    lines.append("└" + "┴".join("─" * b for b in bars) + "┘")
    return "\n".join(lines) + "\n"


def _simple(text: str) -> bool:
    """Printable ASCII without leading or trailing spaces (rich keeps those as they are, but
    an empty or space-edged cell is not worth the risk)."""
    return text.isascii() and text.isprintable() and text == text.strip()
