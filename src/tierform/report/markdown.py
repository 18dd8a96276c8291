"""Render the document as Markdown: the same sections, tables and figures as the HTML.

Charts are linked as SVG files written beside the document (``charts/<id>.svg``); their numbers
are in the tables beside them, so they read in any Markdown viewer.
"""

from __future__ import annotations

import re

from tierform.report.document import (
    Approval,
    Badge,
    Block,
    Chart,
    Document,
    Fig,
    Heading,
    Inline,
    ItemList,
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
    if isinstance(b, ItemList):
        return "\n".join(
            (f"{i}. " if b.ordered else "- ") + "".join(inline(p) for p in item)
            for i, item in enumerate(b.items, start=1)
        )
    if isinstance(b, Approval):
        rows = [f"| {escape_md(role)} | {escape_md(name)} |  |  |" for role, name in b.roles]
        return "\n".join(
            ["*Approval*", "", "|  | Name | Signature | Date |", "| --- | --- | --- | --- |", *rows]
        )
    if isinstance(b, KeyFigures):
        return "\n".join(f"- **{escape_md(name)}:** {inline(fig)}" for name, fig in b.items)
    raise TypeError(f"unknown block {b!r}")


def section(s: Section, number: str) -> str:
    parts = [f"## {number}. {escape_md(s.title)}"]
    parts += [block(b) for b in s.blocks]
    return "\n\n".join(parts)


def slug(heading: str) -> str:
    """The anchor common Markdown viewers give a heading."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def render_markdown(doc: Document) -> str:
    head = [f"# {escape_md(doc.title)}", f"Coverage model: {escape_md(doc.subtitle)}"]
    if doc.header:
        head.append(
            "\n".join(
                f"- **{escape_md(name)}:** "
                + (f"`{value}`" if "sha256" in name.lower() else escape_md(value))
                for name, value in doc.header
            )
        )
        head.append("## Executive summary")
    head += [block(b) for b in doc.summary]
    numbered = doc.numbered()
    head.append(
        "\n".join(f"- [{n}. {escape_md(s.title)}](#{slug(f'{n}. {s.title}')})" for n, s in numbered)
    )
    body = [section(s, n) for n, s in numbered]
    return "\n\n".join(head + body) + "\n"
