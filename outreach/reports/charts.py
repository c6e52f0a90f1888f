"""SVG bar and line charts drawn as text on the server (pure: no database, no Flask).

The charts need no script and no stylesheet: colours are presentation attributes, so the same
SVG shows in a page, in a saved file and inside the PDF report (fpdf2 draws it). Every number is
written as a text label beside its bar or point; ``<title>`` and ``<desc>`` name the chart and
list its values for screen readers, and the page puts the same numbers in a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape
from xml.sax.saxutils import quoteattr

BAR_COLOUR = "#1d4ed8"
LINE_COLOUR = "#b45309"
TEXT_COLOUR = "#1f2937"
GRID_COLOUR = "#d1d5db"
#: labels longer than this are cut with an ellipsis in the chart (the table keeps them whole)
LABEL_MAX_CHARS = 30


def _text(value: str) -> str:
    return escape(str(value))


def _short(label: str, limit: int = LABEL_MAX_CHARS) -> str:
    label = " ".join(str(label).split())
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _number(value: int) -> str:
    # Vietnamese thousands separator, as in the tables
    return f"{value:,}".replace(",", ".")


def _open(
    chart_id: str,
    title: str,
    rows: Sequence[tuple[str, int]],
    width: int,
    height: int,
    font_family: str,
    accessible: bool,
) -> list[str]:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" class="chart"'
        f' font-family={quoteattr(font_family)} font-size="13"'
    ]
    if accessible:
        parts[0] += f' role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">'
        description = "; ".join(f"{label}: {_number(value)}" for label, value in rows)
        parts.append(f'<title id="{chart_id}-title">{_text(title)}</title>')
        parts.append(f'<desc id="{chart_id}-desc">{_text(description)}</desc>')
    else:
        parts[0] += ">"
    return parts


def bar_chart(
    title: str,
    rows: Sequence[tuple[str, int]],
    *,
    chart_id: str = "chart",
    width: int = 640,
    empty_text: str = "—",
    font_family: str = "sans-serif",
    accessible: bool = True,
) -> str:
    """Horizontal bars, one per ``(label, value)`` row, with the value written after the bar.

    ``accessible=False`` leaves out ``role``, ``<title>`` and ``<desc>`` (for the PDF, whose SVG
    reader does not know those tags).
    """
    rows = [(str(label), int(value)) for label, value in rows]
    bar_height, gap, top = 20, 10, 8
    label_width = min(230, int(width * 0.4))
    value_room = 60
    plot_width = width - label_width - value_room - 8
    height = max(top * 2 + len(rows) * (bar_height + gap), 40)
    parts = _open(chart_id, title, rows, width, height, font_family, accessible)
    largest = max((value for _, value in rows), default=0)
    if not rows:
        parts.append(
            f'<text x="{width / 2:.0f}" y="{height / 2 + 5:.0f}" text-anchor="middle"'
            f' fill="{TEXT_COLOUR}">{_text(empty_text)}</text>'
        )
    x0 = label_width + 4
    parts.append(
        f'<line x1="{x0}" y1="{top - 4}" x2="{x0}" y2="{height - top + 4}"'
        f' stroke="{GRID_COLOUR}" stroke-width="1"/>'
    )
    for index, (label, value) in enumerate(rows):
        y = top + index * (bar_height + gap)
        length = 0 if largest == 0 else max(plot_width * value / largest, 1 if value else 0)
        parts.append(
            f'<text x="{label_width - 4}" y="{y + 15}" text-anchor="end"'
            f' fill="{TEXT_COLOUR}">{_text(_short(label))}</text>'
        )
        parts.append(
            f'<rect x="{x0}" y="{y}" width="{length:.1f}" height="{bar_height}"'
            f' fill="{BAR_COLOUR}"/>'
        )
        parts.append(
            f'<text x="{x0 + length + 6:.1f}" y="{y + 15}" fill="{TEXT_COLOUR}"'
            f' class="chart-value">{_number(value)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    title: str,
    points: Sequence[tuple[str, int]],
    *,
    chart_id: str = "chart",
    width: int = 640,
    height: int = 240,
    empty_text: str = "—",
    font_family: str = "sans-serif",
    accessible: bool = True,
) -> str:
    """A line through ``(label, value)`` points in order, each point's value written above it
    (on long series only every few points get a label, the largest always does)."""
    points = [(str(label), int(value)) for label, value in points]
    parts = _open(chart_id, title, points, width, height, font_family, accessible)
    left, right, top, bottom = 16, 16, 24, 30
    plot_width = width - left - right
    plot_height = height - top - bottom
    baseline = top + plot_height
    parts.append(
        f'<line x1="{left}" y1="{baseline}" x2="{width - right}" y2="{baseline}"'
        f' stroke="{GRID_COLOUR}" stroke-width="1"/>'
    )
    if not points:
        parts.append(
            f'<text x="{width / 2:.0f}" y="{height / 2:.0f}" text-anchor="middle"'
            f' fill="{TEXT_COLOUR}">{_text(empty_text)}</text></svg>'
        )
        return "".join(parts)
    largest = max(value for _, value in points) or 1
    step = plot_width / max(len(points) - 1, 1)
    every = max(1, -(-len(points) // 14))  # at most about 14 labels fit across
    top_index = max(range(len(points)), key=lambda i: points[i][1])
    coordinates = []
    for index, (_, value) in enumerate(points):
        x = left + (index * step if len(points) > 1 else plot_width / 2)
        y = baseline - plot_height * value / largest
        coordinates.append((x, y))
    parts.append(
        '<polyline fill="none" stroke="{}" stroke-width="2.5" points="{}"/>'.format(
            LINE_COLOUR, " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)
        )
    )
    for index, ((label, value), (x, y)) in enumerate(zip(points, coordinates, strict=True)):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{LINE_COLOUR}"/>')
        if index % every == 0 or index == top_index or index == len(points) - 1:
            anchor = "middle"
            if index == 0 and len(points) > 1:
                anchor = "start"
            elif index == len(points) - 1 and len(points) > 1:
                anchor = "end"
            parts.append(
                f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="{anchor}" fill="{TEXT_COLOUR}"'
                f' class="chart-value">{_number(value)}</text>'
            )
            parts.append(
                f'<text x="{x:.1f}" y="{height - 10}" text-anchor="{anchor}" fill="{TEXT_COLOUR}"'
                f' font-size="11">{_text(_short(label, 12))}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def figure_chart(figure, *, chart_id: str, empty_text: str = "—", **options) -> str:
    """The chart of a report figure (anything with ``title``, ``chart`` and ``rows`` of
    ``label`` and ``values``): its first value column."""
    rows = [(row.label, row.values[0]) for row in figure.rows]
    draw = line_chart if figure.chart == "line" else bar_chart
    return draw(figure.title, rows, chart_id=chart_id, empty_text=empty_text, **options)
