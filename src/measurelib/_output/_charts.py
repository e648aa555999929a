"""Small, accessible inline-SVG charts for self-contained HTML reports.

Every chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>``; callers also
show the numbers in a table next to it (text alternatives for people who cannot see the
chart). Texts are escaped. No JavaScript, no external files: reports open offline.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["Series", "bar_chart", "hbar_chart", "heatmap", "line_chart", "run_chart"]

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


def _value(v: object, digits: int = 1) -> str:
    """A count or score as printed beside a bar or point; text (``"<5"``) as it is."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return "–"
    if isinstance(v, int):
        return str(v)
    return "–" if math.isnan(v) else f"{v:.{digits}f}"


def hbar_chart(rows: Sequence[tuple[str, object]], title: str, desc: str,
               colours: Sequence[str] | None = None, width: int = 560) -> str:
    """Horizontal bars of counts; a value that is not a number (a suppressed count such as
    ``"<5"``) is drawn as an outlined stub with its text.
    """
    h = 34 * len(rows) + 10
    label_w = 190
    numeric = [v for _, v in rows if isinstance(v, (int, float))]
    top = max(numeric) if numeric else 1
    top = top or 1
    parts: list[str] = []
    for i, (label, v) in enumerate(rows):
        y = 8 + 34 * i
        colour = (colours[i % len(colours)] if colours else "#1d70b8")
        parts.append(f'<text x="{label_w - 8}" y="{y + 18}" text-anchor="end" '
                     f'font-size="14" fill="#0b0c0c">{escape(label)}</text>')
        if isinstance(v, (int, float)):
            bw = (width - label_w - 70) * float(v) / top
            parts.append(f'<rect x="{label_w}" y="{y}" width="{bw:.1f}" height="24" '
                         f'fill="{colour}"/>')
            parts.append(f'<text x="{label_w + bw + 6:.1f}" y="{y + 18}" font-size="14" '
                         f'fill="#0b0c0c">{escape(_value(v))}</text>')
        else:
            parts.append(f'<rect x="{label_w}" y="{y}" width="8" height="24" fill="none" '
                         f'stroke="{colour}" stroke-dasharray="2 2"/>')
            parts.append(f'<text x="{label_w + 14}" y="{y + 18}" font-size="14" '
                         f'fill="#0b0c0c">{escape(_value(v))}</text>')
    return _frame(title, desc, width, h, parts)


def run_chart(points: Sequence[tuple[str, object]], title: str, desc: str, *,
              limits: Mapping[str, float | None] | None = None,
              bands: Sequence[tuple[float, float, str]] | None = None,
              y_range: tuple[float, float] | None = None, width: int = 600,
              height: int = 240, percent: bool = False, big: bool = False) -> str:
    """Values over labelled points (e.g. months), with optional XmR limits (``centre``,
    ``lower``, ``upper``) or band shading; ``big`` is the large-print variant with each value
    printed above its point.
    """
    left, right, top_pad, bottom = (60, 20, 16, 44)
    fs = 18 if big else 12
    vals = [float(v) for _, v in points if isinstance(v, (int, float))]
    if y_range is None:
        lower = limits.get("lower") if limits else None
        upper = limits.get("upper") if limits else None
        lo = min(vals + ([lower] if lower is not None else [])) if vals else 0.0
        hi = max(vals + ([upper] if upper is not None else [])) if vals else 1.0
        pad = (hi - lo) * 0.1 or 1.0
        y_range = (lo - pad, hi + pad)
    y0, y1 = y_range
    pw, ph = width - left - right, height - top_pad - bottom

    def sx(i: int) -> float:
        return left + (pw * (i + 0.5) / max(len(points), 1))

    def sy(v: float) -> float:
        return top_pad + ph * (1 - (v - y0) / ((y1 - y0) or 1))

    parts: list[str] = []
    blist = bands or []
    for idx, (lo_b, hi_b, label) in enumerate(blist):
        # shade up to the midpoint between bands, so whole-number bands meet
        if idx > 0:
            lo_b = (blist[idx - 1][1] + lo_b) / 2
        if idx + 1 < len(blist):
            hi_b = (hi_b + blist[idx + 1][0]) / 2
        a, b = max(lo_b, y0), min(hi_b, y1)
        if b <= a:
            continue
        shade = ["#e8f1f8", "#f3f2f1"][idx % 2]
        parts.append(f'<rect x="{left}" y="{sy(b):.1f}" width="{pw}" '
                     f'height="{sy(a) - sy(b):.1f}" fill="{shade}"/>')
        parts.append(f'<text x="{left + pw - 4}" y="{sy(b) + fs + 2:.1f}" text-anchor="end" '
                     f'font-size="{fs}" fill="#505a5f">{escape(label)}</text>')
    parts.append(f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{top_pad + ph}" '
                 'stroke="#0b0c0c"/>')
    parts.append(f'<line x1="{left}" y1="{top_pad + ph}" x2="{left + pw}" y2="{top_pad + ph}" '
                 'stroke="#0b0c0c"/>')
    for frac in (0, 0.5, 1):
        tick = y0 + (y1 - y0) * frac
        text = f"{100 * tick:.0f}%" if percent else f"{tick:.0f}"
        parts.append(f'<text x="{left - 6}" y="{sy(tick) + 4:.1f}" text-anchor="end" '
                     f'font-size="{fs}" fill="#0b0c0c">{escape(text)}</text>')
    if limits and limits.get("centre") is not None:
        for key, dash in (("centre", ""), ("lower", "6 4"), ("upper", "6 4")):
            lim = limits.get(key)
            if lim is None or not (y0 <= lim <= y1):
                continue
            parts.append(f'<line x1="{left}" y1="{sy(lim):.1f}" x2="{left + pw}" '
                         f'y2="{sy(lim):.1f}" '
                         f'stroke="#d4351c" stroke-width="1" stroke-dasharray="{dash}"/>')
    step = max(1, math.ceil(len(points) / 12))
    prev: tuple[float, float] | None = None
    for i, (label, v) in enumerate(points):
        if i % step == 0:
            parts.append(f'<text x="{sx(i):.1f}" y="{top_pad + ph + fs + 6}" '
                         f'text-anchor="middle" font-size="{fs}" '
                         f'fill="#0b0c0c">{escape(label)}</text>')
        if not isinstance(v, (int, float)):
            prev = None
            continue
        x, y = sx(i), sy(float(v))
        if prev is not None:
            parts.append(f'<line x1="{prev[0]:.1f}" y1="{prev[1]:.1f}" x2="{x:.1f}" '
                         f'y2="{y:.1f}" stroke="#1d70b8" stroke-width="{3 if big else 2}"/>')
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{7 if big else 4}" '
                     'fill="#1d70b8"/>')
        if big:
            parts.append(f'<text x="{x:.1f}" y="{y - 12:.1f}" text-anchor="middle" '
                         f'font-size="{fs}" font-weight="bold">{escape(_value(v, 0))}</text>')
        prev = (x, y)
    return _frame(title, desc, width, height, parts)
