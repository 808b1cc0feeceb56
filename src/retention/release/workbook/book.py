"""The workbook's formats, page set-up and charts, shared by every sheet.

A value is stored as it is shown: money rounded to 2 decimals of its 万元 or 亿元, a ratio to
the 4 decimals its percentage shows, a count to a whole number. A leader who copies a cell, sums
a column or reads the formula bar sees the published figure, not 864.6511609999999."""

from __future__ import annotations

import io
from typing import Any

import xlsxwriter

from retention.release.formatting import money_amount, round_half_up

# A change or a rate shown as 0.00% carries 4 decimals of the ratio.
PERCENT_PLACES = 4
PERCENT = "0.00%"
# Columns (in Excel's character widths) that fit across an A4 page in portrait with the
# margins below; a wider sheet prints in landscape. Either way it is shrunk to the page's width.
PORTRAIT_WIDTH = 95
PIXELS_PER_CHARACTER = 7


def quarter_label(quarter: str) -> str:
    return f"{quarter[:4]}年第{'一二三四'[int(quarter[-1]) - 1]}季度"


def ratio(value: float | None, places: int = PERCENT_PLACES) -> float | None:
    return None if value is None else float(round_half_up(value, places))


def whole(value: float | None) -> int | None:
    return None if value is None else int(round_half_up(value, 0))


class Book:
    def __init__(self, title: str):
        # Text is written as text: by default xlsxwriter turns a string that starts with "=" into
        # a live formula and one that looks like an address into a link, and some of the text
        # shown comes from data (names delivered by departments, check findings).
        # Built in memory and written by the caller in one go: a write that fails (a full disk)
        # then raises its own OSError once, and leaves no half-closed zip file behind.
        self.content = io.BytesIO()
        self.book = xlsxwriter.Workbook(
            self.content,
            {"nan_inf_to_errors": True, "strings_to_formulas": False, "strings_to_urls": False},
        )
        self.document_title = title
        self.widths: dict[str, list[int]] = {}  # each sheet's column widths, to size its charts
        add = self.book.add_format
        base = {"font_name": "宋体", "font_size": 10, "border": 1, "valign": "vcenter"}
        self.title = add({"bold": True, "font_size": 14, "font_name": "黑体"})
        self.note = add({"font_name": "宋体", "font_size": 9, "italic": True})
        self.header = add(
            {**base, "bold": True, "bg_color": "#DDEBF7", "align": "center", "text_wrap": True}
        )
        self.text = add({**base, "text_wrap": True})
        self.count = add({**base, "num_format": "0"})
        self.money = {
            unit: add({**base, "num_format": f'0.00"{unit}"'}) for unit in ("万元", "亿元")
        }
        self.percent = add({**base, "num_format": PERCENT})
        self.highlight = add({**base, "bold": True, "bg_color": "#FCE4D6"})
        self.highlight_percent = add(
            {**base, "bold": True, "bg_color": "#FCE4D6", "num_format": PERCENT}
        )

    def sheet(self, name: str, title: str, widths: list[int], header_row: int):
        """A sheet with its title in row 1, printed on A4 to the page's width, the rows up to
        header_row repeated on every page, the document's title in the page header and
        第 n 页 共 m 页 in the footer."""
        sheet = self.book.add_worksheet(name)
        sheet.set_paper(9)  # A4
        if sum(widths) > PORTRAIT_WIDTH:
            sheet.set_landscape()
        sheet.fit_to_pages(1, 0)
        sheet.set_margins(left=0.5, right=0.5, top=0.8, bottom=0.7)
        sheet.repeat_rows(0, header_row)
        # & starts a code in a header: a title's own & is written &&.
        heading = self.document_title.replace("&", "&&")
        sheet.set_header(f'&C&"黑体"&12{heading}', {"margin": 0.3})
        sheet.set_footer("&C第 &P 页 共 &N 页", {"margin": 0.3})
        sheet.write(0, 0, title, self.title)
        for column, width in enumerate(widths):
            sheet.set_column(column, column, width)
        self.widths[name] = widths
        return sheet

    def table(self, sheet, row: int, headers: list[str], rows: list[list], formats: list) -> int:
        """A header row and data rows (a row's formats may differ cell by cell: pass a list per
        row as formats[i] is a list). Returns the row after the table and a blank one."""
        sheet.write_row(row, 0, headers, self.header)
        for offset, values in enumerate(rows, start=1):
            cell_formats = formats[offset - 1] if isinstance(formats[0], list) else formats
            for column, (value, cell_format) in enumerate(zip(values, cell_formats, strict=True)):
                if value is None:
                    sheet.write_blank(row + offset, column, None, cell_format)
                else:
                    sheet.write(row + offset, column, value, cell_format)
        return row + len(rows) + 2

    def chart(self, kind: str, title: str, x_title: str, y_title: str):
        """A native chart with its title and both axes' titles; series are added by the
        caller, each with data labels. A bar chart lists its categories top down, in the
        table's order."""
        chart = self.book.add_chart({"type": kind})
        chart.set_title({"name": title, "name_font": {"size": 12, "name": "黑体"}})
        values = {"name": y_title, "major_gridlines": {"visible": True}}
        if kind == "bar":  # categories along the vertical axis
            chart.set_y_axis({"name": x_title, "reverse": True})
            chart.set_x_axis(values)
        else:
            chart.set_x_axis({"name": x_title})
            chart.set_y_axis(values)
        return chart

    def place(self, sheet, row: int, chart, height: int = 320) -> int:
        """Put a chart under the tables, as wide as the sheet's columns so that it prints
        within the page's width. Returns the row after it."""
        width = sum(self.widths[sheet.name]) * PIXELS_PER_CHARACTER
        chart.set_size({"width": width, "height": height})
        sheet.insert_chart(row, 0, chart, {"object_position": 3})
        return row + height // 20 + 2

    def money_cell(self, yuan: float | None) -> tuple[float | None, Any]:
        if yuan is None:
            return None, self.money["万元"]
        amount, unit = money_amount(yuan)
        return float(amount), self.money[unit]

    def value_cell(self, value: float | None, unit: str, decimals: int) -> tuple[Any, Any]:
        """A catalogue value stored as shown, rounded as its unit publishes it (kpi_units),
        and the format that shows it."""
        if unit == "yuan":
            return self.money_cell(value)
        if unit == "ratio":
            return ratio(value, decimals), self.percent
        return whole(value), self.count


def series(sheet_name: str, name: str, rows: tuple[int, int], category: int, value: int, **more):
    """A chart series over a table's rows: categories in one column, values in another, each
    value labelled."""
    first, last = rows
    return {
        "name": name,
        "categories": [sheet_name, first, category, last, category],
        "values": [sheet_name, first, value, last, value],
        "data_labels": {"value": True},
        **more,
    }
