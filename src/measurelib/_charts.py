"""Small, accessible inline-SVG charts for self-contained HTML reports.

Every chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>``; callers also
show the numbers in a table next to it (text alternatives for people who cannot see the
chart). Texts are escaped. No JavaScript, no external files: reports open offline.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["Series", "bar_chart", "heatmap", "line_chart"]

# Colour-blind-safe palette (Okabe & Ito 2008), dark enough for 3:1 contrast on white.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
_FONT = 'font-family="system-ui, sans-serif"'


@dataclass(frozen=True)
class Series:
    """One line or set of bars: a name, y values, and a dash style."""

    name: str
    values: Sequence[float | None]
    dashed: bool = False
    markers: bool = True


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not math.isfinite(lo) or not math.isfinite(hi):
        return [0.0, 1.0]
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=raw)
    start = math.floor(lo / step) * step
    ticks = []
    v = start
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 10))
        v += step
    return ticks


def _fmt(v: float) -> str:
    return f"{v:g}" if abs(v) >= 0.01 or v == 0 else f"{v:.2g}"


def _frame(title: str, desc: str, width: int, height: int, body: list[str]) -> str:
    ident = "c" + hashlib.sha1(f"{title}\0{desc}".encode()).hexdigest()[:10]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px" aria-labelledby="{ident}t {ident}d">'
        f'<title id="{ident}t">{escape(title)}</title><desc id="{ident}d">{escape(desc)}</desc>'
        + "".join(body) + "</svg>"
    )


def _reference_lines(body: list[str], hlines: Sequence[tuple[float, str]], left: float,
                     plot_w: float, y: Callable[[float], float]) -> None:
    for yv, label in hlines:
        body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(yv):.1f}" y2="{y(yv):.1f}" '
                    'stroke="#444" stroke-dasharray="2 3"/>')
        body.append(f'<text x="{left + plot_w - 4}" y="{y(yv) - 4:.1f}" text-anchor="end">'
                    f'{escape(label)}</text>')


def _y_title(body: list[str], title: str, middle: float) -> None:
    if title:
        body.append(f'<text transform="translate(14,{middle:.1f}) rotate(-90)" '
                    f'text-anchor="middle">{escape(title)}</text>')


def line_chart(
    series: Sequence[Series],
    x_labels: Sequence[str],
    *,
    title: str,
    desc: str,
    x_title: str = "",
    y_title: str = "",
    hlines: Sequence[tuple[float, str]] = (),
    width: int = 640,
    height: int = 320,
) -> str:
    """A line chart with an axis, gridlines, a legend and optional horizontal reference lines."""
    left, right, top, bottom = 56, 16, 16, 56 + 18 * ((len(series) + 1) // 2)
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for v in s.values if v is not None and math.isfinite(v)]
    values += [y for y, _ in hlines]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    ticks = _nice_ticks(min(lo, 0.0) if lo > 0 and lo < hi * 0.2 else lo, hi)
    y0, y1 = ticks[0], ticks[-1]
    n = max(len(x_labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / n)

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - y0) / (y1 - y0 or 1))

    body: list[str] = [f'<g {_FONT} font-size="12" fill="#222">']
    for t in ticks:
        body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
                    'stroke="#ddd"/>')
        body.append(f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end">{_fmt(t)}</text>')
    step = max(1, math.ceil(n / 14))
    for i, label in enumerate(x_labels):
        if i % step == 0:
            body.append(f'<text x="{x(i):.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
                        f'{escape(str(label))}</text>')
    body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" '
                f'y2="{top + plot_h}" stroke="#444"/>')
    _reference_lines(body, hlines, left, plot_w, y)
    for k, s in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        pts = [(x(i), y(v)) for i, v in enumerate(s.values) if v is not None and math.isfinite(v)]
        if len(pts) > 1:
            d = " ".join(f"{px:.1f},{py:.1f}" for px, py in pts)
            dash = ' stroke-dasharray="6 4"' if s.dashed else ""
            body.append(f'<polyline points="{d}" fill="none" stroke="{colour}" '
                        f'stroke-width="2"{dash}/>')
        if s.markers:
            for px, py in pts:
                body.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>')
    if x_title:
        body.append(f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h + 34}" '
                    f'text-anchor="middle">{escape(x_title)}</text>')
    _y_title(body, y_title, top + plot_h / 2)
    ly = top + plot_h + 48
    for k, s in enumerate(series):
        lx = left + (k % 2) * (plot_w / 2)
        yy = ly + 18 * (k // 2)
        colour = PALETTE[k % len(PALETTE)]
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        body.append(f'<line x1="{lx:.1f}" x2="{lx + 24:.1f}" y1="{yy - 4}" y2="{yy - 4}" '
                    f'stroke="{colour}" stroke-width="2"{dash}/>')
        body.append(f'<text x="{lx + 30:.1f}" y="{yy}">{escape(s.name)}</text>')
    body.append("</g>")
    return _frame(title, desc, width, height, body)


def bar_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    desc: str,
    y_title: str = "",
    y_max: float | None = None,
    hlines: Sequence[tuple[float, str]] = (),
    percent: bool = False,
    width: int = 640,
    height: int = 300,
) -> str:
    """Grouped vertical bars, one group per label, one bar per series."""
    left, right, top, bottom = 56, 16, 16, 64 + 18 * ((len(series) + 1) // 2)
    plot_w, plot_h = width - left - right, height - top - bottom
    vals = [v for s in series for v in s.values if v is not None and math.isfinite(v)]
    hi = y_max if y_max is not None else max(vals + [y for y, _ in hlines] + [1e-9])
    ticks = _nice_ticks(0.0, hi)
    y1 = ticks[-1]
    n = max(len(labels), 1)
    group_w = plot_w / n
    bar_w = group_w * 0.8 / max(len(series), 1)

    def y(v: float) -> float:
        return top + plot_h * (1 - v / (y1 or 1))

    body = [f'<g {_FONT} font-size="12" fill="#222">']
    for t in ticks:
        label = f"{t * 100:g}%" if percent else _fmt(t)
        body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
                    'stroke="#ddd"/>')
        body.append(f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end">{label}</text>')
    for k, s in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        for i, v in enumerate(s.values):
            if v is None or not math.isfinite(v):
                continue
            bx = left + i * group_w + group_w * 0.1 + k * bar_w
            body.append(f'<rect x="{bx:.1f}" y="{y(v):.1f}" width="{bar_w:.1f}" '
                        f'height="{max(0.0, top + plot_h - y(v)):.1f}" fill="{colour}"/>')
    for i, label in enumerate(labels):
        cx = left + (i + 0.5) * group_w
        body.append(f'<text x="{cx:.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
                    f'{escape(str(label))}</text>')
    body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" '
                f'y2="{top + plot_h}" stroke="#444"/>')
    _reference_lines(body, hlines, left, plot_w, y)
    _y_title(body, y_title, top + plot_h / 2)
    ly = top + plot_h + 40
    for k, s in enumerate(series):
        lx = left + (k % 2) * (plot_w / 2)
        yy = ly + 18 * (k // 2)
        body.append(f'<rect x="{lx:.1f}" y="{yy - 10}" width="12" height="12" '
                    f'fill="{PALETTE[k % len(PALETTE)]}"/>')
        body.append(f'<text x="{lx + 18:.1f}" y="{yy}">{escape(s.name)}</text>')
    body.append("</g>")
    return _frame(title, desc, width, height, body)


def heatmap(
    rows: Sequence[str],
    cols: Sequence[str],
    values: Sequence[Sequence[float | None]],
    *,
    title: str,
    desc: str,
    lo: float = -1.0,
    hi: float = 1.0,
    cell: int = 44,
) -> str:
    """A diverging heatmap (blue negative, orange positive) with the value printed in each cell."""
    left = 12 + 7 * max((len(r) for r in rows), default=4)
    top = 28
    width = left + cell * len(cols) + 12
    height = top + cell * len(rows) + 12

    def colour(v: float) -> str:
        t = max(-1.0, min(1.0, (2 * (v - lo) / (hi - lo or 1)) - 1))
        base = (0, 114, 178) if t < 0 else (213, 94, 0)
        a = 0.65 * abs(t)  # stays light enough for dark text (contrast > 7:1)
        r, g, b = (round(255 + (c - 255) * a) for c in base)
        return f"#{r:02x}{g:02x}{b:02x}"

    body = [f'<g {_FONT} font-size="12" fill="#222">']
    for j, c in enumerate(cols):
        body.append(f'<text x="{left + cell * (j + 0.5):.1f}" y="{top - 8}" '
                    f'text-anchor="middle">{escape(c)}</text>')
    for i, r in enumerate(rows):
        yy = top + cell * i
        body.append(f'<text x="{left - 6}" y="{yy + cell / 2 + 4:.1f}" text-anchor="end">'
                    f'{escape(r)}</text>')
        for j, _ in enumerate(cols):
            v = values[i][j]
            fill = "#f4f4f4" if v is None or not math.isfinite(v) else colour(v)
            body.append(f'<rect x="{left + cell * j}" y="{yy}" width="{cell - 2}" '
                        f'height="{cell - 2}" fill="{fill}"/>')
            if v is not None and math.isfinite(v):
                body.append(f'<text x="{left + cell * j + cell / 2 - 1:.1f}" '
                            f'y="{yy + cell / 2 + 3:.1f}" text-anchor="middle" '
                            f'fill="#111">{v:.2f}</text>')
    body.append("</g>")
    return _frame(title, desc, width, height, body)
