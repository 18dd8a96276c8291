"""Inline SVG charts: grouped and 100 %-stacked horizontal bars.

Every series has a colour *and* a fill pattern and every bar carries its value as text, so the
charts read in greyscale print and without colour vision. No script, no external font.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
WIDTH = 860
LABEL_W = 160
VALUE_W = 120
BAR_H = 16
GROUP_GAP = 14
HALO = 'stroke="#ffffff" stroke-width="3" paint-order="stroke"'  # text stays legible on fills
LEGEND_H = 30
AXIS_H = 26


@dataclass(frozen=True)
class Style:
    """A fill: base colour, pattern (solid, diagonal, dots, cross) and the colour of text on it."""

    color: str
    pattern: str
    ink: str = "#ffffff"


SERIES_STYLES = (
    Style("#1f4e79", "solid"),
    Style("#d9822b", "diagonal"),
    Style("#5b8c5a", "dots"),
    Style("#7b4f9d", "cross"),
)
BAND_STYLES = {
    "green": Style("#2e7d32", "solid"),
    "yellow": Style("#f2c94c", "dots", "#1a1a1a"),
    "orange": Style("#e8711a", "diagonal", "#1a1a1a"),
    "red": Style("#b3261e", "cross"),
}


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    style: Style
    labels: Sequence[str] | None = None


def _pattern(pid: str, style: Style) -> str:
    if style.pattern == "solid":
        return ""
    base = f'<rect width="8" height="8" fill="{style.color}"/>'
    mark = {
        "diagonal": '<path d="M0 0L0 8" stroke="#ffffff" stroke-width="3"/>',
        "dots": '<circle cx="4" cy="4" r="1.6" fill="#1a1a1a"/>',
        "cross": '<path d="M0 0L0 8M0 0L8 0" stroke="#ffffff" stroke-width="2"/>',
    }[style.pattern]
    rotate = ' patternTransform="rotate(45)"' if style.pattern != "dots" else ""
    return (
        f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse"{rotate}>'
        f"{base}{mark}</pattern>"
    )


def _fill(pid: str, style: Style) -> str:
    return style.color if style.pattern == "solid" else f"url(#{pid})"


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round axis ticks from 0 to at least ``top`` (1-2-5 steps)."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    n = math.ceil(top / step - 1e-9)
    return [i * step for i in range(n + 1)]


def _short(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _legend(cid: str, items: list[tuple[str, str, str]], y: float) -> list[str]:
    """Swatches and names in one row; items are (name, fill, stroke-dash or '')."""
    out, x = [], float(LABEL_W)
    for name, fill, dash in items:
        extra = f' stroke="#333" stroke-dasharray="{dash}"' if dash else ' stroke="#333"'
        out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="14" height="14" fill="{fill}"{extra}/>')
        out.append(f'<text x="{x + 19:.1f}" y="{y + 11.5:.1f}">{escape(name)}</text>')
        x += 19 + 7.2 * len(name) + 22
    return out


def _frame(cid: str, title: str, height: float, defs: list[str], body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{cid}" class="chart" role="img" '
        f'aria-labelledby="{cid}-title" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'font-family="{FONT}" font-size="12" fill="#1a1a1a">'
        f'<title id="{cid}-title">{escape(title)}</title>'
        f"<defs>{''.join(defs)}</defs>{''.join(body)}</svg>"
    )


def grouped_bars(
    cid: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[float], str],
    top: float | None = None,
    bands: Sequence[tuple[float, float] | None] | None = None,
    band_name: str = "Benchmark band",
    ref: tuple[float, str] | None = None,
) -> str:
    """Horizontal grouped bars: one group per category, one bar per series, value at bar end."""
    values = [v for s in series for v in s.values if v is not None]
    peak = max([*values, *(b[1] for b in bands or [] if b), ref[0] if ref else 0, 0])
    ticks = nice_ticks(top if top is not None else peak * 1.05)
    scale_max = ticks[-1]
    plot_w = WIDTH - LABEL_W - VALUE_W

    def x(v: float) -> float:
        return LABEL_W + plot_w * (v / scale_max if scale_max else 0)

    group_h = len(series) * BAR_H + (len(series) - 1) * 3
    height = LEGEND_H + len(categories) * (group_h + GROUP_GAP) + AXIS_H + 8
    defs = [_pattern(f"{cid}-p{k}", s.style) for k, s in enumerate(series)]
    legend = [(s.name, _fill(f"{cid}-p{k}", s.style), "") for k, s in enumerate(series)]
    if bands and any(bands):
        legend.append((band_name, "#e6e6e6", "4 2"))
    body = _legend(cid, legend, 6)
    plot_top = LEGEND_H + 4
    plot_bottom = plot_top + len(categories) * (group_h + GROUP_GAP)
    for t in ticks:
        body.append(
            f'<line x1="{x(t):.1f}" y1="{plot_top - 2}" x2="{x(t):.1f}" '
            f'y2="{plot_bottom:.1f}" stroke="#d0d0d0" stroke-width="0.8"/>'
        )
        body.append(
            f'<text x="{x(t):.1f}" y="{plot_bottom + 15:.1f}" text-anchor="middle" '
            f'fill="#444">{escape(fmt(t))}</text>'
        )
    for i, name in enumerate(categories):
        y0 = plot_top + i * (group_h + GROUP_GAP) + GROUP_GAP / 2
        band = bands[i] if bands else None
        if band is not None:  # around the first series' bar, the one the band is about
            body.append(
                f'<rect x="{x(band[0]):.1f}" y="{y0 - 3:.1f}" '
                f'width="{max(x(band[1]) - x(band[0]), 1.5):.1f}" height="{BAR_H + 6}" '
                'fill="#e6e6e6" stroke="#555" stroke-dasharray="4 2"/>'
            )
        body.append(
            f'<text x="{LABEL_W - 8}" y="{y0 + group_h / 2 + 4:.1f}" text-anchor="end" '
            f'font-weight="600">{escape(_short(name))}</text>'
        )
        for k, s in enumerate(series):
            v = s.values[i]
            y = y0 + k * (BAR_H + 3)
            text = (s.labels[i] if s.labels else None) or ("n/a" if v is None else fmt(v))
            w = 0.0 if v is None else max(x(v) - LABEL_W, 0.0)
            if w > 0:
                body.append(
                    f'<rect x="{LABEL_W}" y="{y:.1f}" width="{w:.1f}" height="{BAR_H}" '
                    f'fill="{_fill(f"{cid}-p{k}", s.style)}" stroke="#1a1a1a" '
                    'stroke-width="0.6"/>'
                )
            body.append(
                f'<text x="{LABEL_W + w + 5:.1f}" y="{y + BAR_H - 4:.1f}" {HALO}>'
                f"{escape(text)}</text>"
            )
    if ref is not None:
        rx = x(ref[0])
        body.append(
            f'<line x1="{rx:.1f}" y1="{plot_top - 4}" x2="{rx:.1f}" y2="{plot_bottom:.1f}" '
            'stroke="#b3261e" stroke-width="1.5" stroke-dasharray="6 3"/>'
        )
        body.append(
            f'<text x="{rx + 4:.1f}" y="{plot_bottom - 4:.1f}" fill="#b3261e" {HALO}>'
            f"{escape(ref[1])}</text>"
        )
    body.append(
        f'<line x1="{LABEL_W}" y1="{plot_top - 4}" x2="{LABEL_W}" y2="{plot_bottom:.1f}" '
        'stroke="#1a1a1a"/>'
    )
    return _frame(cid, title, height, defs, body)


def stacked_bars(
    cid: str,
    title: str,
    categories: Sequence[str],
    parts: Sequence[Series],
) -> str:
    """100 % stacked bars per category; each part shows its count when there is room."""
    plot_w = WIDTH - LABEL_W - VALUE_W
    height = LEGEND_H + len(categories) * (BAR_H + 8 + GROUP_GAP) + AXIS_H
    defs = [_pattern(f"{cid}-p{k}", p.style) for k, p in enumerate(parts)]
    body = _legend(
        cid, [(p.name, _fill(f"{cid}-p{k}", p.style), "") for k, p in enumerate(parts)], 6
    )
    plot_top = LEGEND_H + 6
    for i, name in enumerate(categories):
        y = plot_top + i * (BAR_H + 8 + GROUP_GAP)
        total = sum(p.values[i] or 0 for p in parts)
        body.append(
            f'<text x="{LABEL_W - 8}" y="{y + BAR_H - 1:.1f}" text-anchor="end" '
            f'font-weight="600">{escape(_short(name))}</text>'
        )
        x = float(LABEL_W)
        for k, p in enumerate(parts):
            v = p.values[i] or 0
            if not total or not v:
                continue
            w = plot_w * v / total
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{BAR_H + 8}" '
                f'fill="{_fill(f"{cid}-p{k}", p.style)}" stroke="#1a1a1a" '
                'stroke-width="0.6"/>'
            )
            text = p.labels[i] if p.labels else f"{v:,.0f}"
            if w >= 8 * len(text) + 6:
                body.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + BAR_H:.1f}" text-anchor="middle" '
                    f'font-weight="700" fill="{p.style.ink}" stroke="{p.style.color}" '
                    f'stroke-width="3" paint-order="stroke">{escape(text)}</text>'
                )
            x += w
        note = f"n = {total:,.0f}" if total else "no accounts"
        body.append(
            f'<text x="{LABEL_W + plot_w + 6:.1f}" y="{y + BAR_H:.1f}" fill="#444">'
            f"{escape(note)}</text>"
        )
    return _frame(cid, title, height, defs, body)
