"""Small SVG bar charts drawn here (no chart library, no CDN): documents per year, per 文种."""
from __future__ import annotations

from markupsafe import Markup, escape


def bar_chart(counts: list[tuple[str, int]], *, label: str, width: int = 640, bar: int = 22, gap: int = 6,
              label_width: int = 140) -> Markup:
    """A horizontal bar chart, one bar per (name, count), largest count full width; escaped throughout."""
    if not counts:
        return Markup('<p class="empty">暂无数据 Nothing to chart yet.</p>')
    top = max(n for _, n in counts) or 1
    room = width - label_width - 60
    height = len(counts) * (bar + gap) + gap
    rows = []
    for i, (name, n) in enumerate(counts):
        y = gap + i * (bar + gap)
        w = max(1, round(room * n / top))
        rows.append(
            f'<g class="bar"><title>{escape(name)}: {n}</title>'
            f'<text x="{label_width - 8}" y="{y + bar * 0.7:.0f}" text-anchor="end">{escape(name)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{w}" height="{bar}" rx="2"></rect>'
            f'<text x="{label_width + w + 6}" y="{y + bar * 0.7:.0f}" class="count">{n}</text></g>')
    return Markup(f'<svg class="chart" role="img" aria-label="{escape(label)}" viewBox="0 0 {width} {height}" '
                  f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
                  f'{"".join(rows)}</svg>')
