"""The recap table and the quarterly evaluation as CSV, XLSX and PDF, with the numbers of the
page (``reports.figures``); text that could start a spreadsheet formula is neutralised."""

from __future__ import annotations

import csv
import io
import itertools
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format, localize
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.shapes import Line as PdfLine
from reportlab.graphics.shapes import Rect as PdfRect
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from complaints.models import Channel
from lapor.lib.spreadsheet import safe_cell
from reports.charts import Chart, Line, Rect, Text
from reports.figures import (
    CHANNEL_TITLE,
    FIGURES,
    GROUPS,
    Figure,
    channel_column,
    channel_counts,
    channel_label,
    display,
    display_row,
    in_group,
    row_values,
)
from reports.models import MonthlyRecap
from reports.selectors import Evaluation, RecapTable, unranked_text

Rows = list[list[Any]]
CHANNEL_KEYS = tuple(Channel.values)


# --- the tables, as rows of cells --------------------------------------------------------------


def recap_rows(table: RecapTable, *, compact: bool = False) -> tuple[list[str], Rows]:
    """Header and rows: each region or agency under the one asked for, then its total.
    ``compact`` (for the PDF's narrow page) puts the code after the name and leaves out the
    level and the channels (the PDF has them in a table of their own: ``channel_rows``);
    otherwise ``received`` by channel follows the figures, a column per channel ("Received:
    web form"), 0 where none."""
    names = [_("Name")] if compact else [_("Name"), _("Level"), _("Code")]
    channels = [] if compact else [channel_column(c) for c in CHANNEL_KEYS]
    header = [*names, *(str(f.label) for f in FIGURES), *channels]
    rows: Rows = []
    for row in _table_rows(table):
        if compact:  # the PDF: each figure written as the page writes it
            rows.append([_pdf_name(row), *(Shown(cell) for cell in display_row(row))])
            continue
        values = row_values(row)
        first = [row.name, row.get_level_display(), row.code]
        by_channel = channel_counts(row)
        rows.append(
            [*first, *(values[f.key] for f in FIGURES), *(by_channel[c] for c in CHANNEL_KEYS)]
        )
    return header, rows


def channel_rows(table: RecapTable) -> tuple[list[str], Rows]:
    """The PDF's table of ``received`` by channel: each region or agency, then the total; its
    name (and code), its received and each channel's count, as the page writes them."""
    received = next(f for f in FIGURES if f.key == "received")
    header = [_("Name"), str(received.label), *(channel_label(c) for c in CHANNEL_KEYS)]
    rows: Rows = []
    for row in _table_rows(table):
        by_channel = channel_counts(row)
        rows.append(
            [
                _pdf_name(row),
                Shown(display(row.received, "count")),
                *(Shown(display(by_channel[c], "count")) for c in CHANNEL_KEYS),
            ]
        )
    return header, rows


def _table_rows(table: RecapTable) -> list[MonthlyRecap]:
    return [*table.rows, *([table.total] if table.total else [])]


def _pdf_name(row: MonthlyRecap) -> str:
    return f"{row.name} ({row.code})" if row.code else row.name


class Shown(str):
    """A figure written as the page writes it ("85,3%", "1.234"): text, but a number, which
    the PDF aligns to the right."""

    __slots__ = ()


def recap_kinds(*, compact: bool = False) -> list[str]:
    """What each column of ``recap_rows`` holds: "text" for the name columns, then each
    figure's kind (count, days, percent, rating), then a count per channel."""
    if compact:
        return ["text", *(f.kind for f in FIGURES)]
    return ["text"] * 3 + [f.kind for f in FIGURES] + ["count"] * len(CHANNEL_KEYS)


def figure_groups() -> list[tuple[str, str, str, list[Figure]]]:
    """The figures in their groups (``reports.figures.GROUPS``, in its order): the key, title,
    note and figures of each."""
    return [
        (key, str(title), str(note), list(in_group(key)))
        for key, title, note in GROUPS
        if in_group(key)
    ]


def recap_groups(*, compact: bool = False) -> list[tuple[str, int]]:
    """The titles over the columns of ``recap_rows``, each with the number of columns it
    spans: none over the name columns, then the title of each group of figures. Empty when a
    group's figures are not side by side."""
    titles = {key: title for key, title, _note, _members in figure_groups()}
    spans: list[tuple[str, int]] = [("", 1 if compact else 3)]
    keys = []
    for key, members in itertools.groupby(FIGURES, key=lambda f: f.group):
        keys.append(key)
        spans.append((titles.get(key, ""), len(list(members))))
    if not compact:
        spans.append((str(CHANNEL_TITLE), len(CHANNEL_KEYS)))
    return spans if len(set(keys)) == len(keys) else []


def evaluation_rows(evaluations: Sequence[Evaluation]) -> tuple[list[str], Rows]:
    """Header and rows of the quarterly evaluation, with the figures the API gives (rounded in
    ``reports.selectors.Evaluation``); an empty cell is a figure with nothing to measure."""
    header = [
        _("Rank"),
        _("Regency/city"),
        _("Code"),
        _("Received"),
        _("To answer"),
        _("Answered"),
        _("Let escalate"),
        _("Overdue"),
        _("Answered (%)"),
        _("On time (%)"),
        _("Missed deadlines"),
        _("Median days"),
        _("Disputed (%)"),
        _("Rating"),
        _("Score"),
        _("Remarks"),
    ]
    rows: Rows = [
        [
            e.rank,
            e.region.name,
            e.region.code,
            e.received,
            e.responsible,
            e.first_answers,
            e.escalated_unanswered,
            e.overdue,
            e.answered_share,
            e.on_time_share,
            e.escalations,
            e.median_days,
            e.dispute_share,
            e.rating,
            e.score,
            unranked_text(e),
        ]
        for e in evaluations
    ]
    return header, rows


# --- CSV and XLSX ------------------------------------------------------------------------------

# The two forms of CSV (``to_csv``'s ``sep``): for Excel with Indonesian regional settings, and
# RFC 4180 for scripts.
CSV_SEPARATORS = {"semicolon": ";", "comma": ","}


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _csv_number(value: int | float | Decimal, decimal_sign: str) -> str:
    """A number as digits, with no thousands separator and no exponent ("0.00001", not
    "1e-05"), with ``decimal_sign`` before its decimals."""
    if isinstance(value, int):
        return str(value)
    exact = Decimal(repr(value)) if isinstance(value, float) else value
    return format(exact, "f").replace(".", decimal_sign)


def to_csv(header: list[str], rows: Rows, *, sep: str = "semicolon") -> bytes:
    """The table as CSV, in one of two forms (``sep``):

    - ``"semicolon"``, the default: what Excel with Indonesian regional settings (decimal comma,
      list separator ";") opens straight into columns of numbers: fields separated by
      semicolons, decimals with a comma ("85,3"), whole numbers without a thousands separator,
      UTF-8 with a byte order mark (without it Excel reads the names as Windows-1252), lines
      ended by CRLF;
    - ``"comma"``, for scripts: RFC 4180 (commas, CRLF), decimal points, UTF-8 without a byte
      order mark.

    A missing figure is an empty field; text that could start a formula gets an apostrophe.
    """
    separator = CSV_SEPARATORS[sep]
    decimal_sign = "," if separator == ";" else "."
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow(
            [
                ""
                if cell is None
                else _csv_number(cell, decimal_sign)
                if _is_number(cell)
                else safe_cell(cell)
                for cell in row
            ]
        )
    bom = "\ufeff" if separator == ";" else ""
    return (bom + out.getvalue()).encode()


# Each kind of figure in a spreadsheet: counts with a thousands separator, percents as a percent
# of the fraction (Excel's own percent, which sums and charts right), days and ratings with a
# fixed number of decimals.
XLSX_FORMATS = {"count": "#,##0", "percent": "0.0%", "days": "0.0", "rating": "0.00"}
XLSX_WIDEST = 48  # characters; a longer name wraps
XLSX_LINE = 15  # points: one line of Calibri 11, the default font


def _xlsx_text(value: object, kind: str) -> str:
    """``value`` about as a spreadsheet shows it in its column's format, to size the column."""
    if value is None:
        return ""
    if not _is_number(value):
        return str(value)
    number = float(value)  # type: ignore[arg-type]
    if kind == "count":
        return f"{number:,.0f}"
    if kind == "percent":
        return f"{number:.1f}%"
    if kind == "rating":
        return f"{number:.2f}"
    return f"{number:.1f}"


def _wrapped_lines(text: str, width: float) -> int:
    """How many lines ``text`` takes in a column ``width`` characters wide, wrapped at spaces."""
    lines, used = 1, 0
    for word in text.split():
        if used and used + 1 + len(word) > width:
            lines, used = lines + 1, len(word)
        else:
            used += len(word) + (1 if used else 0)
    return lines


def to_xlsx(
    title: str, header: list[str], rows: Rows, *, kinds: Sequence[str] | None = None
) -> bytes:
    """One sheet: the header row bold and wrapped, frozen with the first column; each column as
    wide as its header's longest word and its values; numbers as numbers in the format of their
    ``kinds`` (count, percent, days, rating, or "text"; guessed from the values without), a
    percent stored as its fraction; an empty cell where a figure is missing. Printed landscape,
    one page wide, the header on every page."""
    if kinds is None:
        kinds = [
            "count"
            if all(isinstance(r[i], int) or r[i] is None for r in rows)
            and any(isinstance(r[i], int) for r in rows)
            else "text"
            for i in range(len(header))
        ]
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([safe_cell(h) for h in header])
    for row in rows:
        sheet.append(
            [
                None
                if cell is None
                else float(cell) / 100
                if kind == "percent" and _is_number(cell)
                else safe_cell(cell)
                for cell, kind in zip(row, kinds, strict=True)
            ]
        )
        for cell, kind in zip(sheet[sheet.max_row], kinds, strict=True):
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, even after the apostrophe
            elif cell.value is not None and kind in XLSX_FORMATS:
                cell.number_format = XLSX_FORMATS[kind]
    header_lines = 1
    for index, (label, kind) in enumerate(zip(header, kinds, strict=True), start=1):
        numeric = kind in XLSX_FORMATS
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(
            wrap_text=True, vertical="top", horizontal="right" if numeric else "left"
        )
        values = max((len(_xlsx_text(r[index - 1], kind)) for r in rows), default=0)
        # Bold is about a tenth wider; a header wraps, but never inside a word.
        word = math.ceil(1.1 * max((len(w) for w in str(label).split()), default=0))
        width = min(max(values, word, 4) + 2, XLSX_WIDEST)
        sheet.column_dimensions[get_column_letter(index)].width = width
        header_lines = max(header_lines, _wrapped_lines(str(label), (width - 2) / 1.1))
        if not numeric:
            for (body,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                body.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[1].height = XLSX_LINE * header_lines
    sheet.freeze_panes = "B2"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
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


# The table's type: small enough for some twenty columns across a landscape A4 page.
CELL_FONT, CELL_SIZE = "Helvetica", 7.0
HEAD_FONT, HEAD_SIZE, HEAD_SMALLEST = "Helvetica-Bold", 7.0, 4.5
PAD = 3.0  # points each side of a cell's text
NAME_WIDEST = 6.5 * cm  # a longer name wraps


def _measure(text: str, font: str, size: float) -> float:
    return stringWidth(text, font, size)


def _widest_word(text: str, font: str, size: float) -> float:
    return max((_measure(word, font, size) for word in text.split()), default=0.0)


def _column_widths(
    header: Sequence[str], texts: Sequence[Sequence[str]], numeric: Sequence[bool], width: float
) -> list[float]:
    """Widths that fill ``width``: a number column never narrower than its widest number
    (numbers do not wrap) nor its header's longest word at the smallest header size; a text
    column up to ``NAME_WIDEST``. Where the natural widths do not fit, the text columns give
    way first (their names wrap), then the headers of the number columns get smaller."""
    count = len(header)
    content = [
        max((_measure(row[i], CELL_FONT, CELL_SIZE) for row in texts), default=0.0) + 2 * PAD
        for i in range(count)
    ]
    head = [_widest_word(h, HEAD_FONT, HEAD_SIZE) + 2 * PAD for h in header]
    head_least = [_widest_word(h, HEAD_FONT, HEAD_SMALLEST) + 2 * PAD for h in header]
    desired: list[float] = []
    least: list[float] = []
    for i in range(count):
        if numeric[i]:
            desired.append(max(content[i], head[i]))
            least.append(max(content[i], head_least[i]))
        else:
            words = max((_widest_word(row[i], CELL_FONT, CELL_SIZE) for row in texts), default=0)
            floor = min(max(words + 2 * PAD, head_least[i], 2 * cm), NAME_WIDEST)
            desired.append(max(min(max(content[i], head[i]), NAME_WIDEST), floor))
            least.append(floor)
    widths = list(desired)
    over = sum(widths) - width
    for give_way in (False, True):  # text columns first, then number columns
        if over <= 0:
            break
        columns = [i for i in range(count) if numeric[i] == give_way]
        slack = sum(widths[i] - least[i] for i in columns)
        if slack <= 0:
            continue
        taken = min(over, slack)
        for i in columns:
            widths[i] -= (widths[i] - least[i]) * taken / slack
        over -= taken
    if over > 0:  # more columns than the page holds: everything narrower, headers smaller
        return [w * width / sum(widths) for w in widths]
    # Room to spare goes to the numbers: wider columns, headers on fewer lines.
    numbers = [i for i in range(count) if numeric[i]] or list(range(count))
    for i in numbers:
        widths[i] += -over / len(numbers)
    return widths


def _header_style(label: str, width: float, *, right: bool, center: bool = False) -> ParagraphStyle:
    """Bold header text that wraps only between words: as large as ``HEAD_SIZE`` allows with
    the longest word fitting in ``width``, smaller (down to 3 points) where it would not."""
    widest = _widest_word(label, HEAD_FONT, HEAD_SIZE)
    room = width - 2 * PAD
    size = HEAD_SIZE
    if widest > room > 0:
        size = max(3.0, math.floor(10 * HEAD_SIZE * room / widest) / 10)
    return ParagraphStyle(
        f"head-{size}",
        fontName=HEAD_FONT,
        fontSize=size,
        leading=round(size * 1.2, 2),
        alignment=TA_CENTER if center else TA_RIGHT if right else TA_LEFT,
        splitLongWords=0,  # never "Dipegan / g"
    )


def _numeric_columns(rows: Rows, count: int) -> list[bool]:
    """Which columns hold numbers (or dashes for missing ones) and so align right."""

    def number(cell: object) -> bool:
        return isinstance(cell, Shown) or _is_number(cell)

    return [
        all(r[i] is None or number(r[i]) for r in rows) and any(number(r[i]) for r in rows)
        for i in range(count)
    ]


def _grid(
    header: list[str],
    rows: Rows,
    width: float,
    *,
    groups: Sequence[tuple[str, int]] = (),
    total: bool = False,
) -> Table:
    """The table: headers that wrap between words, numbers right-aligned, names left; the
    header rows (with the groups' titles above, if any) repeated on every page."""
    numeric = _numeric_columns(rows, len(header))
    texts = [["–" if c is None else _plain(c) for c in row] for row in rows]
    widths = _column_widths([str(h) for h in header], texts, numeric, width)
    left = ParagraphStyle("cell", fontName=CELL_FONT, fontSize=CELL_SIZE, leading=8.5)
    right = ParagraphStyle("number", parent=left, alignment=TA_RIGHT, splitLongWords=0)
    bold = {
        False: ParagraphStyle("total", parent=left, fontName=HEAD_FONT),
        True: ParagraphStyle("total-number", parent=right, fontName=HEAD_FONT),
    }
    data: list[list[Any]] = []
    style: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    spans = list(groups) if sum(n for _, n in groups) == len(header) else []
    if spans:
        row: list[Any] = []
        column = 0
        for title, span in spans:
            group_width = sum(widths[column : column + span])
            row.append(
                Paragraph(
                    _escape(title), _header_style(title, group_width, right=False, center=True)
                )
            )
            row.extend([""] * (span - 1))
            if span > 1:
                style.append(("SPAN", (column, 0), (column + span - 1, 0)))
            if column:
                style.append(("LINEBEFORE", (column, 0), (column, -1), 1, colors.black))
            column += span
        data.append(row)
    data.append(
        [
            Paragraph(_escape(str(h)), _header_style(str(h), w, right=n))
            for h, w, n in zip(header, widths, numeric, strict=True)
        ]
    )
    head_rows = len(data)
    style += [
        ("BACKGROUND", (0, 0), (-1, head_rows - 1), colors.HexColor("#eeeeee")),
        ("VALIGN", (0, 0), (-1, head_rows - 1), "BOTTOM"),
    ]
    for index, row_cells in enumerate(rows):
        last = total and index == len(rows) - 1
        data.append(
            [
                Paragraph(
                    "–" if c is None else _cell_text(c),
                    bold[n] if last else right if n else left,
                )
                for c, n in zip(row_cells, numeric, strict=True)
            ]
        )
    if total and rows:
        style.append(("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#eef2f7")))
    return Table(data, colWidths=widths, repeatRows=head_rows, style=TableStyle(style))


def to_pdf(
    *,
    title: str,
    period: str,
    header: list[str],
    rows: Rows,
    charts: Sequence[Chart] = (),
    notes: Sequence[tuple[str, str]] = (),
    groups: Sequence[tuple[str, int]] = (),
    total: bool = False,
    tables: Sequence[tuple[str, list[str], Rows]] = (),
) -> bytes:
    """A landscape A4 document: title, period, the table, any further ``tables`` (title,
    header, rows; the last row bold with ``total``), the charts, the definitions; the period
    and page numbers at the foot of every page.

    The table's headers wrap only between words (a word too long for its column is set
    smaller, never split), numbers align right and names left, and its header rows come
    again on every page; ``groups`` (title, columns spanned) puts a row of titles above them,
    ``total`` sets the last row in bold. Each chart keeps its title and stays whole on one
    page, scaled down if it is taller than a page."""
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=7, leading=9)
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
        Spacer(1, 0.3 * cm),
        _grid(header, rows, document.width, groups=groups, total=total),
    ]
    heading = styles["Heading3"]
    for table_title, table_header, table_rows in tables:
        story += [
            Spacer(1, 0.5 * cm),
            Paragraph(_escape(table_title), heading.clone("table-title", keepWithNext=1)),
            _grid(table_header, table_rows, document.width, total=total),
        ]
    # What a chart may fill: the frame less its title (and the title's space above).
    room = document.height - heading.leading - heading.spaceBefore - heading.spaceAfter - 1 * cm
    for chart in charts:
        width = min(document.width, 18 * cm, room * chart.width / chart.height)
        story.append(
            KeepTogether(
                [
                    Spacer(1, 0.5 * cm),
                    Paragraph(_escape(chart.title), heading),
                    _drawing(chart, width),
                ]
            )
        )
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


def _plain(value: object) -> str:
    """A cell's text as the page writes it: numbers in the active language's format, figures
    already written (``Shown``) as they are."""
    return str(value) if isinstance(value, str) else str(localize(value))


def _cell_text(value: object) -> str:
    """A cell as the page writes it, escaped for a Paragraph."""
    return _escape(_plain(value))


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
