"""A bar chart as inline SVG, drawn on the server (no JavaScript)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape


def bar_chart(bars: Sequence[tuple[str, float]], *, title: str, description: str,
              width: int = 640, height: int = 260, chart_id: str = "chart") -> str:
    """An accessible SVG bar chart of ``(label, value)`` pairs: ``role="img"`` named by its
    ``<title>`` and ``<desc>``; each bar has its own ``<title>`` with its value."""
    left, bottom, top = 48, 40, 16
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max((v for _, v in bars), default=0.0) or 1.0
    step = plot_w / max(len(bars), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" class="chart" '
             f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
             f'<title id="{chart_id}-title">{escape(title)}</title>',
             f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 8}" y2="{top + plot_h}" '
             'stroke="#555"/>',
             f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="11">'
             f'{_number(peak)}</text>',
             f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="11">0</text>']
    for i, (label, value) in enumerate(bars):
        h = max(value, 0.0) / peak * plot_h
        x = left + i * step + step * 0.15
        y = top + plot_h - h
        parts.append(f'<g class="bar"><rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" '
                     f'height="{h:.1f}" fill="#b22222"><title>{escape(label)}: '
                     f'{_number(value)}</title></rect>'
                     f'<text x="{x + step * 0.35:.1f}" y="{top + plot_h + 16}" '
                     f'text-anchor="middle" font-size="11">{escape(label)}</text>'
                     f'<text x="{x + step * 0.35:.1f}" y="{max(y - 4, 10):.1f}" '
                     f'text-anchor="middle" font-size="10">{_number(value)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")
