"""Render the document as one self-contained HTML file: inline CSS and SVG, no script, no
external font or image, so it opens offline and prints cleanly.

Every figure carries ``data-key`` (its path in the report's JSON) and ``data-value`` (the raw
number) so the figures a browser shows can be checked against the engine.
"""

from __future__ import annotations

from html import escape

from tierform import __version__
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

BADGE_TEXT = {"pass": "✓ pass", "warn": "! warn", "fail": "✗ fail", "info": "i info"}

CSS = """
:root{--ink:#1a1a1a;--muted:#5a5a5a;--line:#d9dde3;--accent:#1f4e79;--head:#eef2f7;
--pass:#1e6b24;--warn:#8a5a00;--fail:#b3261e}
*{box-sizing:border-box}
body{margin:0;color:var(--ink);background:#fff;
font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:32px 28px 64px}
header.doc{border-bottom:3px solid var(--accent);padding-bottom:12px;margin-bottom:20px}
h1{font-size:28px;margin:0 0 4px;line-height:1.2}
.subtitle{color:var(--muted);margin:0}
h2{font-size:21px;margin:44px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line);
color:var(--accent)}
h3{font-size:16px;margin:24px 0 6px}
p{margin:8px 0}
nav.toc{background:var(--head);border-radius:6px;padding:10px 18px;margin:18px 0}
nav.toc ol{margin:4px 0;padding-left:0;list-style:none;columns:2;column-gap:32px}
nav.toc a{color:var(--accent);text-decoration:none}
.table-wrap{overflow-x:auto;margin:10px 0 16px}
table{border-collapse:collapse;width:100%;font-size:13.5px}
table.narrow{width:auto;min-width:50%}
caption{caption-side:top;text-align:left;font-weight:600;color:var(--muted);padding:0 0 4px}
th,td{border-bottom:1px solid var(--line);padding:6px 9px;text-align:left;vertical-align:top}
thead th{background:var(--head);border-bottom:2px solid #9aa9bb;font-weight:600}
tbody tr:nth-child(even) td{background:#fafbfc}
tfoot td{font-weight:700;border-top:2px solid #9aa9bb;border-bottom:none}
th.wide{min-width:17em}
.num{text-align:right;font-variant-numeric:tabular-nums}
td.num{white-space:nowrap}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px;margin:16px 0}
.kpi{border:1px solid var(--line);border-left:4px solid var(--accent);border-radius:4px;
padding:10px 12px}
.kpi .label{display:block;color:var(--muted);font-size:12.5px}
.kpi .value{display:block;font-size:22px;font-weight:700;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:0 7px;border:1.5px solid;border-radius:10px;font-weight:700;
font-size:12px;white-space:nowrap}
.badge.pass{color:var(--pass)}.badge.warn{color:var(--warn);border-style:dashed}
.badge.fail{color:var(--fail);border-width:2.5px}.badge.info{color:var(--accent)}
.notice{border:1px solid;border-left-width:5px;border-radius:3px;padding:8px 12px;margin:12px 0}
.notice.missing{border-color:var(--fail);background:#fdf2f1}
.notice.note{border-color:#9aa9bb;background:#f5f7fa}
.notice strong{margin-right:4px}
figure.chart{margin:14px 0 18px}
figure.chart figcaption{font-weight:600;margin-bottom:4px}
svg.chart{display:block;width:100%;max-width:860px;height:auto}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:10px 0 0;
font-size:13px}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0;overflow-wrap:anywhere}
dl.meta dd code{font-size:12px}
#summary h2{margin-top:18px}
ol.decisions li,ul.items li{margin:4px 0}
table.approval{width:100%;margin:12px 0;font-size:14px}
table.approval th,table.approval td{border:1px solid #6b7785;padding:10px 12px}
table.approval td.sign{height:3.2em;min-width:12em}
footer{margin-top:48px;color:var(--muted);font-size:12.5px;border-top:1px solid var(--line);
padding-top:8px}
@page{size:A4;margin:15mm 13mm}
@media print{
body{font-size:10.5pt}
main{max-width:none;padding:0}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
h2{break-after:avoid;margin-top:28px}
h3,caption{break-after:avoid}
figure.chart,.kpis,.notice,tr,table.approval,dl.meta,ol.decisions{break-inside:avoid}
#summary{break-after:page}
table.approval th,table.approval td{border:1px solid #000}
table.approval td.sign{height:14mm}
thead{display:table-header-group}
.table-wrap{overflow:visible}
table{font-size:9pt}
nav.toc a{color:var(--ink)}
}
"""


def _value_attr(value: float | int | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return repr(float(value)) if isinstance(value, float) else str(int(value))


def inline(part: Inline) -> str:
    if part is None:
        return ""
    if isinstance(part, Badge):
        return f'<span class="badge {part.status}">{BADGE_TEXT[part.status]}</span>'
    if isinstance(part, Fig):
        if part.key is None:
            return f'<span class="fig">{escape(part.text)}</span>'
        return (
            f'<span class="fig" data-key="{escape(part.key)}" '
            f'data-value="{escape(_value_attr(part.value))}">{escape(part.text)}</span>'
        )
    return escape(part).replace("\n", "<br>")


def _cell(tag: str, part: Inline, numeric: bool, wide: bool = False) -> str:
    classes = " ".join(c for c, on in (("num", numeric), ("wide", wide)) if on)
    cls = f' class="{classes}"' if classes else ""
    return f"<{tag}{cls}>{inline(part)}</{tag}>"


def table(t: Table) -> str:
    head = "".join(_cell("th", h, i in t.numeric, i in t.wide) for i, h in enumerate(t.header))
    body = "".join(
        "<tr>" + "".join(_cell("td", c, i in t.numeric) for i, c in enumerate(row)) + "</tr>"
        for row in t.rows
    )
    foot = "".join(
        "<tr>" + "".join(_cell("td", c, i in t.numeric) for i, c in enumerate(row)) + "</tr>"
        for row in t.foot
    )
    caption = f"<caption>{escape(t.caption)}</caption>" if t.caption else ""
    tfoot = f"<tfoot>{foot}</tfoot>" if foot else ""
    narrow = ' class="narrow"' if len(t.header) <= 2 else ""
    return (
        f'<div class="table-wrap"><table{narrow}>{caption}<thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody>{tfoot}</table></div>"
    )


def block(b: Block) -> str:
    if isinstance(b, Paragraph):
        return "<p>" + "".join(inline(p) for p in b.parts) + "</p>"
    if isinstance(b, Heading):
        return f"<h3>{escape(b.text)}</h3>"
    if isinstance(b, Table):
        return table(b)
    if isinstance(b, Notice):
        word = "Missing:" if b.kind == "missing" else "Note:"
        return (
            f'<div class="notice {b.kind}" role="note"><strong>{word}</strong>'
            f"{escape(b.text)}</div>"
        )
    if isinstance(b, Chart):
        return f'<figure class="chart"><figcaption>{escape(b.title)}</figcaption>{b.svg}</figure>'
    if isinstance(b, ItemList):
        tag, cls = ("ol", "decisions") if b.ordered else ("ul", "items")
        items = "".join("<li>" + "".join(inline(p) for p in item) + "</li>" for item in b.items)
        return f'<{tag} class="{cls}">{items}</{tag}>'
    if isinstance(b, Approval):
        rows = "".join(
            f'<tr><th scope="row">{escape(role)}</th><td class="sign">{escape(name)}</td>'
            '<td class="sign"></td><td class="sign"></td></tr>'
            for role, name in b.roles
        )
        return (
            '<table class="approval" aria-label="Approval"><caption>Approval</caption>'
            "<thead><tr><th></th><th>Name</th><th>Signature</th><th>Date</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
    if isinstance(b, KeyFigures):
        items = "".join(
            f'<div class="kpi"><span class="label">{escape(name)}</span>'
            f'<span class="value">{inline(fig)}</span></div>'
            for name, fig in b.items
        )
        return f'<div class="kpis">{items}</div>'
    raise TypeError(f"unknown block {b!r}")


def section(s: Section, number: str) -> str:
    body = "".join(block(b) for b in s.blocks)
    return f'<section id="{escape(s.id)}"><h2>{number}. {escape(s.title)}</h2>{body}</section>'


def meta(lines: list[tuple[str, str]]) -> str:
    """The header's identification lines; checksums in monospace so they can be compared."""
    if not lines:
        return ""
    items = "".join(
        f"<dt>{escape(name)}</dt><dd>"
        + (f"<code>{escape(value)}</code>" if "sha256" in name.lower() else escape(value))
        + "</dd>"
        for name, value in lines
    )
    return f'<dl class="meta">{items}</dl>'


def render_html(doc: Document) -> str:
    numbered = doc.numbered()
    toc = "".join(
        f'<li><a href="#{escape(s.id)}">{escape(n)}. {escape(s.title)}</a></li>'
        for n, s in numbered
    )
    summary = "".join(block(b) for b in doc.summary)
    heading = "<h2>Executive summary</h2>" if doc.header else ""
    sections = "".join(section(s, n) for n, s in numbered)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(doc.title)}: coverage model</title><style>{CSS}</style></head>"
        f'<body><main><header class="doc"><h1>{escape(doc.title)}</h1>'
        f'<p class="subtitle">Coverage model: {escape(doc.subtitle)}</p>{meta(doc.header)}'
        "</header>"
        f'<section id="summary" aria-label="Summary">{heading}{summary}</section>'
        f'<nav class="toc" aria-label="Contents"><strong>Contents</strong><ol>{toc}</ol></nav>'
        f"{sections}<footer>Written by tierform {escape(__version__)}.</footer>"
        "</main></body></html>\n"
    )
