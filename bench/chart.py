"""The cold-start chart of docs/performance.md: a small SVG bar chart, no plotting library.

One bar per built function at its median, a thin line from its fastest to its
slowest run, and the median written beside it. Plain SVG with its own colours,
so it reads the same on a light or a dark page.
"""

from __future__ import annotations

from html import escape

from .common import Series

WIDTH = 720
LABEL_WIDTH = 270  # left column: the subject names
BAR_HEIGHT = 26
GAP = 14
TOP = 40
BOTTOM = 30
BAR_COLOUR = "#4c78a8"
HIGHLIGHT = "#f58518"  # the bar of the project as it deploys


def cold_start_svg(series: dict[str, Series], *, title: str, highlight: str | None = None) -> str:
    """An SVG of ``series`` (label -> cold starts in ms), in the order given."""
    measured = {label: s for label, s in series.items() if s.values}
    scale_max = max((s.high for s in measured.values()), default=1.0) * 1.1
    plot_width = WIDTH - LABEL_WIDTH - 90  # room for the median's text on the right
    height = TOP + len(series) * (BAR_HEIGHT + GAP) + BOTTOM

    def x(ms: float) -> float:
        return LABEL_WIDTH + plot_width * ms / scale_max

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="13" role="img">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="10" y="22" font-size="15" font-weight="bold" fill="#222">{escape(title)}</text>',
    ]
    for index, (label, values) in enumerate(series.items()):
        y = TOP + index * (BAR_HEIGHT + GAP)
        middle = y + BAR_HEIGHT / 2
        name = escape(label.replace("`", ""))  # Markdown's code marks mean nothing in SVG
        parts.append(f'<text x="10" y="{middle + 4:.1f}" fill="#222">{name}</text>')
        if not values.values:
            parts.append(f'<text x="{LABEL_WIDTH}" y="{middle + 4:.1f}" fill="#888">not measured</text>')
            continue
        colour = HIGHLIGHT if label == highlight else BAR_COLOUR
        parts += [
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{x(values.median) - LABEL_WIDTH:.1f}" '
            f'height="{BAR_HEIGHT}" fill="{colour}"/>',
            f'<line x1="{x(values.low):.1f}" y1="{middle:.1f}" x2="{x(values.high):.1f}" y2="{middle:.1f}" '
            'stroke="#222" stroke-width="1.5"/>',
            f'<text x="{x(values.high) + 6:.1f}" y="{middle + 4:.1f}" fill="#222">{values.median:.0f} ms</text>',
        ]
    axis_y = height - BOTTOM + 8
    parts.append(
        f'<text x="{LABEL_WIDTH}" y="{axis_y + 12}" fill="#555" font-size="11">'
        "bar: median; line: fastest to slowest run; process start to the first GET /health 200</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
