"""The recap table and the quarterly evaluation as CSV, XLSX and PDF, with the numbers of the
page (``reports.figures``); text that could start a spreadsheet formula is neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format, localize
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.shapes import Line as PdfLine
from reportlab.graphics.shapes import Rect as PdfRect
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from lapor.lib.spreadsheet import safe_cell
from reports.charts import Chart, Line, Rect, Text
from reports.figures import FIGURES, display_row, row_values
from reports.selectors import Evaluation, RecapTable

Rows = list[list[Any]]


# --- the tables, as rows of cells --------------------------------------------------------------


def recap_rows(table: RecapTable, *, compact: bool = False) -> tuple[list[str], Rows]:
    """Header and rows: each region or agency under the one asked for, then its total.
    ``compact`` (for the PDF's narrow page) puts the code after the name and leaves out the
    level."""
    names = [_("Name")] if compact else [_("Name"), _("Level"), _("Code")]
    header = [*names, *(str(f.label) for f in FIGURES)]
    rows: Rows = []
    for row in [*table.rows, *([table.total] if table.total else [])]:
        if compact:  # the PDF: each figure written as the page writes it
            rows.append([f"{row.name} ({row.code})" if row.code else row.name, *display_row(row)])
            continue
        values = row_values(row)
        first = [row.name, row.get_level_display(), row.code]
        rows.append([*first, *(values[f.key] for f in FIGURES)])
    return header, rows


def percent(value: float | None) -> float | None:
    return round(100 * value, 1) if value is not None else None


def evaluation_rows(evaluations: Sequence[Evaluation]) -> tuple[list[str], Rows]:
    header = [
        _("Rank"),
        _("Regency/city"),
        _("Code"),
        _("Received"),
        _("Response rate (%)"),
        _("On time (%)"),
        _("Median days"),
        _("Disputes"),
        _("Rating"),
        _("Score"),
        _("At least half followed up"),
    ]
    rows = [
        [
            e.rank,
            e.region.name,
            e.region.code,
            e.received,
            percent(e.response_rate),
            percent(e.on_time_rate),
            e.median_days,
            e.disputes,
            round(e.average_rating, 2) if e.average_rating is not None else None,
            e.score,
            None if e.follow_up_rate is None else _("yes") if e.half_followed_up else _("no"),
        ]
        for e in evaluations
    ]
    return header, rows


# --- CSV and XLSX ------------------------------------------------------------------------------


def to_csv(header: list[str], rows: Rows) -> bytes:
    """UTF-8 with a byte order mark, so that spreadsheet programs read the names right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow(["" if cell is None else safe_cell(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode()


def to_xlsx(title: str, header: list[str], rows: Rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([safe_cell(h) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_cell(cell) for cell in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, even after the apostrophe
    sheet.freeze_panes = "B2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- PDF ---------------------------------------------------------------------------------------


def _drawing(chart: Chart, width: float) -> Drawing:
    """The chart's shapes with reportlab's graphics, scaled to ``width`` points."""
    scale = width / chart.width
    drawing = Drawing(width, chart.height * scale)
    h = chart.height
    for shape in chart.shapes:
        if isinstance(shape, Rect):
            drawing.add(
                PdfRect(
                    shape.x * scale,
                    (h - shape.y - shape.h) * scale,
                    shape.w * scale,
                    shape.h * scale,
                    fillColor=colors.HexColor(shape.fill),
                    strokeColor=None,
                )
            )
        elif isinstance(shape, Line):
            drawing.add(
                PdfLine(
                    shape.x1 * scale,
                    (h - shape.y1) * scale,
                    shape.x2 * scale,
                    (h - shape.y2) * scale,
                    strokeColor=colors.HexColor(shape.stroke),
                    strokeWidth=0.5,
                )
            )
        elif isinstance(shape, Text):
            drawing.add(
                String(
                    shape.x * scale,
                    (h - shape.y) * scale,
                    shape.text,
                    fontSize=shape.size * scale,
                    textAnchor=shape.anchor,
                    fontName="Helvetica",
                )
            )
    return drawing


class _NumberedCanvas(Canvas):
    """Writes "page n of m" and the period at the foot of each page once all pages are known."""

    footer = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.setFont("Helvetica", 8)
            width = self._pagesize[0]
            self.drawString(1.5 * cm, 1 * cm, self.footer)
            self.drawRightString(
                width - 1.5 * cm,
                1 * cm,
                _("Page %(page)s of %(pages)s") % {"page": number, "pages": total},
            )
            super().showPage()
        super().save()


def to_pdf(
    *,
    title: str,
    period: str,
    header: list[str],
    rows: Rows,
    charts: Sequence[Chart] = (),
    notes: Sequence[tuple[str, str]] = (),
) -> bytes:
    """A landscape A4 document: title, period, the table, the charts, the definitions; the
    period and page numbers at the foot of every page."""
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=7, leading=9)
    cell = styles["BodyText"].clone("cell", fontSize=6.5, leading=8)
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=1.5 * cm,
        rightMargin=1.5 * cm,
        topMargin=1.5 * cm,
        bottomMargin=1.8 * cm,
        title=title,
        author="lapor",
    )
    # Every text is escaped before it becomes a Paragraph, whose mini-language would otherwise
    # turn a name like <a href=…> or <img src=…> into a link or a file read from the server.
    story: list[Any] = [
        Paragraph(_escape(title), styles["Title"]),
        Paragraph(_escape(period), styles["BodyText"]),
    ]
    story.append(Spacer(1, 0.3 * cm))
    data = [[Paragraph(_escape(str(h)), cell) for h in header]]
    for row in rows:
        data.append([Paragraph("–" if c is None else _cell_text(c), cell) for c in row])
    first = 5.5 * cm
    rest = (document.width - first) / max(1, len(header) - 1)
    grid = Table(data, colWidths=[first] + [rest] * (len(header) - 1), repeatRows=1)
    grid.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(grid)
    for chart in charts:
        story.append(Spacer(1, 0.5 * cm))
        story.append(Paragraph(_escape(chart.title), styles["Heading3"]))
        story.append(_drawing(chart, min(document.width, 18 * cm)))
    if notes:
        story.append(Spacer(1, 0.5 * cm))
        for label, text in notes:
            story.append(Paragraph(f"<b>{_escape(label)}</b>: {_escape(text)}", small))
    canvas = type("RecapCanvas", (_NumberedCanvas,), {"footer": f"{title} · {period}"})
    document.build(story, canvasmaker=canvas)
    return out.getvalue()


def _escape(text: str) -> str:
    """``text`` as literal text in a reportlab Paragraph (no tag, entity or attribute)."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _cell_text(value: object) -> str:
    """A cell as the page writes it: numbers in the active language's format."""
    return _escape(str(localize(value)))


def recap_period(table: RecapTable) -> str:
    built = table.total.built_at if table.total else None
    month = date_format(table.month, "F Y")
    if built is None:
        return month
    return _("%(month)s, as of the end of the month (Asia/Jakarta); built %(built)s") % {
        "month": month,
        "built": date_format(timezone.localtime(built), "j F Y H:i"),
    }


def monthly_title(table: RecapTable) -> str:
    name = table.total.name if table.total else (table.region.name if table.region else "Indonesia")
    return _("Monthly recap: %(scope)s") % {"scope": name}
