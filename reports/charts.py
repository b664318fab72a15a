"""The recap's two charts, laid out once as shapes and drawn twice: as SVG for the page (no
JavaScript, no CDN) and with reportlab's graphics for the PDF. The numbers behind each chart
are in the table beside it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from reports.figures import BY_KEY
from reports.models import MonthlyRecap

COLORS = {
    "received": "#2f5d8a",
    "first_answers": "#3f9a5e",
    "unanswered": "#b83a2b",
    "awaiting_citizen": "#6cbf84",
    "in_process": "#e0a106",
    "queue": "#7a5aa6",
}
INK = "#222222"
GRID = "#d0d0d0"
# The month's flows in and out, and what was left untouched at its end.
TREND_KEYS = ("received", "first_answers", "unanswered")
# Where the reports open at the end of the month stood; together they make ``open``.
STATE_KEYS = ("awaiting_citizen", "in_process", "unanswered", "queue")


def figure_label(key: str) -> str:
    """The name of figure ``key``, as the recap's table heads its column."""
    return str(BY_KEY[key].label)


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    title: str = ""


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # baseline
    text: str
    anchor: str = "start"  # start | middle | end
    size: float = 10


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str = GRID


@dataclass
class Chart:
    """Shapes in a box of ``width`` by ``height`` with the origin at the top left."""

    title: str
    width: float
    height: float
    shapes: list[Rect | Text | Line] = field(default_factory=list)


def _legend(chart: Chart, items: Sequence[tuple[str, str]], y: float) -> None:
    x = 10.0
    for label, color in items:
        chart.shapes.append(Rect(x, y - 9, 10, 10, color))
        chart.shapes.append(Text(x + 14, y, label, size=9))
        x += 22 + 6.2 * len(label)


def _nice_max(value: int) -> int:
    """A round number at or above ``value`` for the axis (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def trend_chart(trend: Sequence[tuple[dt.date, MonthlyRecap | None]]) -> Chart:
    """The figures of ``TREND_KEYS`` (received and answered in each month, not taken up at its
    end) for the months of ``trend`` (a gap where a month has no recap)."""
    series = [(key, figure_label(key)) for key in TREND_KEYS]
    chart = Chart(_("The last 12 months"), 640, 260)
    left, top, bottom = 50.0, 30.0, 215.0
    plot_w = chart.width - left - 10
    # Four gridlines a round, whole step apart.
    highest = max((getattr(r, k) for _, r in trend if r for k, _ in series), default=0)
    step = _nice_max(-(-highest // 4))
    peak = 4 * step
    for i in range(5):
        y = bottom - (bottom - top) * i / 4
        chart.shapes.append(Line(left, y, chart.width - 10, y))
        chart.shapes.append(Text(left - 4, y + 3, f"{step * i:,}".replace(",", "."), "end", 8))
    slot = plot_w / max(1, len(trend))
    bar = slot * 0.8 / len(series)
    for index, (month, row) in enumerate(trend):
        x0 = left + index * slot + slot * 0.1
        chart.shapes.append(
            Text(x0 + slot * 0.4, bottom + 13, date_format(month, "M y"), "middle", 8)
        )
        if row is None:
            continue
        for s, (key, label) in enumerate(series):
            value = getattr(row, key)
            h = (bottom - top) * value / peak
            chart.shapes.append(
                Rect(
                    x0 + s * bar, bottom - h, bar, h, COLORS[key], f"{label} {month:%Y-%m}: {value}"
                )
            )
    chart.shapes.append(Line(left, bottom, chart.width - 10, bottom, INK))
    _legend(chart, [(label, COLORS[key]) for key, label in series], chart.height - 8)
    return chart


def states_title() -> str:
    """The states chart's title (and its table's caption), in the active language."""
    return _("Reports open at the end of the month, by where they stood")


def states_chart(rows: Sequence[MonthlyRecap]) -> Chart:
    """One horizontal bar per region or agency: its reports open at the end of the month, by
    where they stood."""
    labels = {key: figure_label(key) for key in STATE_KEYS}
    line = 22.0
    top = 14.0
    chart = Chart(states_title(), 640, top + line * len(rows) + 48)
    left = 230.0
    plot_w = chart.width - left - 60
    peak = max((r.open for r in rows), default=0) or 1
    for index, row in enumerate(rows):
        y = top + index * line
        name = row.name if len(row.name) <= 40 else row.name[:39] + "…"
        chart.shapes.append(Text(left - 6, y + 14, name, "end", 9))
        x = left
        for key in STATE_KEYS:
            value = getattr(row, key)
            if not value:
                continue
            w = plot_w * value / peak
            chart.shapes.append(
                Rect(x, y + 4, w, 14, COLORS[key], f"{row.name}: {labels[key]} {value}")
            )
            x += w
        chart.shapes.append(Text(x + 4, y + 15, f"{row.open:,}".replace(",", "."), size=8))
    chart.shapes.append(Line(left, top, left, top + line * len(rows), INK))
    _legend(chart, [(labels[k], COLORS[k]) for k in STATE_KEYS], chart.height - 8)
    return chart


def states_charts(rows: Sequence[MonthlyRecap], per_chart: int = 20) -> list[Chart]:
    """The states chart cut into charts of at most ``per_chart`` rows (one fits a PDF page)."""
    return [states_chart(rows[i : i + per_chart]) for i in range(0, len(rows), per_chart)]


def to_svg(chart: Chart) -> SafeString:
    """The chart as an inline SVG element (every text escaped)."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {chart.width:g} {chart.height:g}" '
        f'width="100%" role="img" aria-label="{escape(chart.title)}" class="chart">',
        f"<title>{escape(chart.title)}</title>",
    ]
    for shape in chart.shapes:
        if isinstance(shape, Rect):
            tooltip = f"<title>{escape(shape.title)}</title>" if shape.title else ""
            parts.append(
                f'<rect x="{shape.x:.1f}" y="{shape.y:.1f}" width="{shape.w:.1f}" '
                f'height="{shape.h:.1f}" fill="{shape.fill}">{tooltip}</rect>'
            )
        elif isinstance(shape, Line):
            parts.append(
                f'<line x1="{shape.x1:.1f}" y1="{shape.y1:.1f}" x2="{shape.x2:.1f}" '
                f'y2="{shape.y2:.1f}" stroke="{shape.stroke}" stroke-width="1"/>'
            )
        else:
            parts.append(
                f'<text x="{shape.x:.1f}" y="{shape.y:.1f}" font-size="{shape.size:g}" '
                f'text-anchor="{shape.anchor}" fill="{INK}">{escape(shape.text)}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
