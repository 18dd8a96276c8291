"""Render the document as Markdown: the same sections, tables and figures as the HTML.

Charts are linked as SVG files written beside the document (``charts/<id>.svg``); their numbers
are in the tables beside them, so they read in any Markdown viewer.
"""

from __future__ import annotations

import re

from tierform.report.document import (
    Badge,
    Block,
    Chart,
    Document,
    Fig,
    Heading,
    Inline,
    KeyFigures,
    Notice,
    Paragraph,
    Section,
    Table,
)
from tierform.report.html import BADGE_TEXT

CHART_DIR = "charts"
_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def escape_md(text: str) -> str:
    """User text stays literal: Markdown and HTML syntax characters are backslash-escaped."""
    return _SPECIAL.sub(r"\\\1", text).replace("\n", "<br>")


def inline(part: Inline) -> str:
    if part is None:
        return ""
    if isinstance(part, Badge):
        return f"**{BADGE_TEXT[part.status]}**"
    if isinstance(part, Fig):
        return escape_md(part.text)
    return escape_md(part)


def table(t: Table) -> str:
    align = ["---:" if i in t.numeric else "---" for i in range(len(t.header))]
    lines = []
    if t.caption:
        lines += [f"*{escape_md(t.caption)}*", ""]
    lines.append("| " + " | ".join(escape_md(h) for h in t.header) + " |")
    lines.append("| " + " | ".join(align) + " |")
    for row in t.rows:
        lines.append("| " + " | ".join(inline(c) for c in row) + " |")
    for row in t.foot:
        lines.append("| " + " | ".join(f"**{inline(c)}**" if c else "" for c in row) + " |")
    return "\n".join(lines)


def block(b: Block) -> str:
    if isinstance(b, Paragraph):
        return "".join(inline(p) for p in b.parts)
    if isinstance(b, Heading):
        return f"### {escape_md(b.text)}"
    if isinstance(b, Table):
        return table(b)
    if isinstance(b, Notice):
        word = "Missing:" if b.kind == "missing" else "Note:"
        return f"> **{word}** {escape_md(b.text)}"
    if isinstance(b, Chart):
        image = f"![{escape_md(b.title)}]({CHART_DIR}/{b.id}.svg)"
        return image if b.data is None else f"{image}\n\n{table(b.data)}"
    if isinstance(b, KeyFigures):
        return "\n".join(f"- **{escape_md(name)}:** {inline(fig)}" for name, fig in b.items)
    raise TypeError(f"unknown block {b!r}")


def section(s: Section, number: int) -> str:
    parts = [f"## {number}. {escape_md(s.title)}"]
    parts += [block(b) for b in s.blocks]
    return "\n\n".join(parts)


def slug(heading: str) -> str:
    """The anchor common Markdown viewers give a heading."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def render_markdown(doc: Document) -> str:
    head = [f"# {escape_md(doc.title)}", f"Coverage model: {escape_md(doc.subtitle)}"]
    head += [block(b) for b in doc.summary]
    head.append(
        "\n".join(
            f"{i}. [{escape_md(s.title)}](#{slug(f'{i}. {s.title}')})"
            for i, s in enumerate(doc.sections, start=1)
        )
    )
    body = [section(s, i) for i, s in enumerate(doc.sections, start=1)]
    return "\n\n".join(head + body) + "\n"
