"""Writing one department file, CSV or XLSX, the way departments actually deliver them.

A file is a feed's columns (contract order, Chinese or English headers) plus the clutter the
contract tolerates: title rows above the header, an optional leading 序号 (row number) column,
and a last 合计 (control-total) row whose numeric columns carry exact totals.

Column values arrive as numpy arrays typed by the contract: text as strings ('' = blank), dates
as datetime64[D] (NaT = blank), int as integers, yuan as integer cents, decimal as integer
hundredths. Keeping money in integer cents is what makes every control total exact.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from retention.contract import Feed
from retention.sample.calendar import excel_serial, format_dates

EXCEL_MAX_ROWS = 1_048_576
SERIAL_HEADER = "序号"
TOTAL_MARK = "合计"

Rows = dict[str, np.ndarray]


@dataclass(frozen=True)
class Style:
    """How one file is laid out and encoded."""

    fmt: str = "csv"  # csv | xlsx
    encoding: str = "utf-8"  # csv only: utf-8 | utf-8-sig | gb18030
    newline: str = "\n"  # csv only
    english: bool = False  # English column names instead of the Chinese headers
    dates: str = "iso"  # csv only: iso | slash | chinese | compact (calendar.DATE_STYLES)
    thousands: bool = False  # yuan written 12,345.00 (quoted in CSV)
    titles: tuple[str, ...] = ()  # rows above the header
    pad_titles: bool = False  # Excel-saved CSV pads every row with empty cells to full width
    blank_after_titles: bool = False  # an empty row between the titles and the header
    declared: str = ""  # 填报日期：…, at the right end of the last title row (of two or more)
    total: bool = False  # a last 合计 row
    serial: bool = False  # a leading 序号 column (not in the contract: ignored by the loader)
    author: str = ""  # xlsx document properties


# Text that xlsxwriter's own cell writer would escape or mark up; the fast path leaves it alone.
_NEEDS_CARE = re.compile(r'["&<>\x00-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^\s|\s$')


_COLUMN_NAMES: dict[int, str] = {}


def _column_name(col: int) -> str:
    name = _COLUMN_NAMES.get(col)
    if name is None:
        name = _COLUMN_NAMES[col] = xl_col_to_name(col)
    return name


class _FastSheet(Worksheet):
    """xlsxwriter's worksheet with a quicker writer for the two kinds of cell a department
    file holds: plain text and numbers, each with a format (hence the `s` attribute).

    In constant_memory mode xlsxwriter emits every cell through a general-purpose routine and
    one file write per cell, which is most of the time of a large file. This override writes
    the same bytes, a row at a time, and hands anything else (escapes, whitespace, other cell
    types, rows with row formats or comments) back to xlsxwriter. tests/test_sample.py holds it
    to xlsxwriter's own output.
    """

    def _cell_xml(self, row: int, col: int, cell) -> str | None:
        kind = cell.__class__.__name__
        fmt = cell.format
        if fmt is None or kind not in ("String", "Number"):
            return None
        ref = _column_name(col) + str(row + 1)
        if kind == "Number":
            return f'<c r="{ref}" s="{fmt._get_xf_index()}"><v>{cell.number:.16G}</v></c>'
        text = cell.string
        if _NEEDS_CARE.search(text):
            return None
        return f'<c r="{ref}" s="{fmt._get_xf_index()}" t="inlineStr"><is><t>{text}</t></is></c>'

    def _write_single_row(self, current_row_num: int = 0) -> None:
        row_num = self.previous_row
        cells = self.table.get(row_num)
        if not cells or row_num in self.row_info or row_num in self.comments:
            return super()._write_single_row(current_row_num)
        self.previous_row = current_row_num
        self._write_row(row_num, None)
        parts: list[str] = []
        for col_num in sorted(cells):
            cell = cells[col_num]
            xml = self._cell_xml(row_num, col_num, cell)
            if xml is None:
                self.fh.write("".join(parts))
                parts = []
                self._write_cell(row_num, col_num, cell)
            else:
                parts.append(xml)
        parts.append("</row>")
        self.fh.write("".join(parts))
        self.table.clear()
        return None


def row_count(rows: Rows) -> int:
    return len(next(iter(rows.values())))


def write_file(path: Path, feed: Feed, rows: Rows, style: Style, created: dt.datetime) -> Path:
    """Write the file and return its path (an oversized XLSX becomes a UTF-8 CSV)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = row_count(rows)
    if style.fmt == "xlsx":
        lines = n + len(style.titles) + style.blank_after_titles + 1 + style.total
        if lines <= EXCEL_MAX_ROWS:
            _write_xlsx(path, feed, rows, style, created)
            return path
        # Excel cannot hold it: departments export such a file as plain UTF-8 CSV.
        path = path.with_suffix(".csv")
        style = Style(
            fmt="csv", encoding="utf-8", newline="\r\n", english=style.english, serial=style.serial
        )
    _write_csv(path, feed, rows, style)
    return path


def headers(feed: Feed, style: Style) -> list[str]:
    names = [c.name if style.english else c.header for c in feed.columns]
    return ([SERIAL_HEADER] if style.serial else []) + names


def _title_rows(style: Style, width: int) -> list[list[str]]:
    """The title rows as cells, full width: each title in the first cell, and the 填报日期 in
    the last cell of the last row, where a form puts it beside 填报单位."""
    rows = [[title] + [""] * (width - 1) for title in style.titles]
    if style.declared:  # never on the first row: Excel merges it across the table
        rows[-1][-1] = style.declared
    return rows


def _totals(feed: Feed, rows: Rows) -> dict[str, int]:
    """Exact totals of the int and yuan columns (yuan in cents)."""
    return {c.name: int(rows[c.name].sum()) for c in feed.columns if c.type in {"int", "yuan"}}


def _yuan_text(cents: np.ndarray, thousands: bool) -> list[str]:
    whole, frac = np.divmod(cents.astype(np.int64), 100)
    if thousands:
        return [f"{w:,}.{f:02d}" for w, f in zip(whole.tolist(), frac.tolist(), strict=True)]
    return np.strings.add(
        np.strings.add(whole.astype(str), "."), np.strings.zfill(frac.astype(str), 2)
    ).tolist()


def _csv_column(values: np.ndarray, kind: str, style: Style) -> list[str]:
    if kind == "date":
        return format_dates(values, style.dates)
    if kind == "int":
        return values.astype(str).tolist()
    if kind == "yuan":
        return _yuan_text(values, style.thousands)
    if kind == "decimal":
        return _yuan_text(values, False)
    return values.tolist()


def _write_csv(path: Path, feed: Feed, rows: Rows, style: Style) -> None:
    n = row_count(rows)
    head = headers(feed, style)
    width = len(head)
    columns = [_csv_column(rows[c.name], c.type, style) for c in feed.columns]
    if style.serial:
        columns.insert(0, [str(i) for i in range(1, n + 1)])
    with path.open("w", encoding=style.encoding, newline="") as fh:
        writer = csv.writer(fh, lineterminator=style.newline)
        for row in _title_rows(style, width):
            writer.writerow(row if style.pad_titles else [cell for cell in row if cell])
        if style.blank_after_titles:
            fh.write(style.newline)
        writer.writerow(head)
        writer.writerows(zip(*columns, strict=True))
        if style.total:
            totals = _totals(feed, rows)
            cells = [""] * width
            cells[0] = TOTAL_MARK
            offset = 1 if style.serial else 0
            for i, c in enumerate(feed.columns):
                if c.name in totals:
                    value = totals[c.name]
                    cells[i + offset] = (
                        _yuan_text(np.array([value]), style.thousands)[0]
                        if c.type == "yuan"
                        else str(value)
                    )
            writer.writerow(cells)


def _sheet_name(feed: Feed) -> str:
    name = "".join(ch for ch in feed.title if ch not in "[]:*?/\\")
    return name[:31]


def _write_xlsx(
    path: Path, feed: Feed, rows: Rows, style: Style, created: dt.datetime, fast: bool = True
) -> None:
    n = row_count(rows)
    head = headers(feed, style)
    width = len(head)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    # Fixed document properties: xlsxwriter would otherwise stamp the current time, and the
    # same call must give byte-identical files.
    wb.set_properties(
        {"title": feed.title, "author": style.author, "company": style.author, "created": created}
    )
    ws = wb.add_worksheet(_sheet_name(feed), worksheet_class=_FastSheet if fast else None)
    f_title = wb.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    f_head = wb.add_format({"bold": True, "border": 1, "align": "center", "text_wrap": True})
    f_text = wb.add_format({"border": 1})
    f_date = wb.add_format({"border": 1, "num_format": "yyyy-mm-dd"})
    f_int = wb.add_format({"border": 1, "num_format": "0"})
    f_yuan = wb.add_format({"border": 1, "num_format": "#,##0.00" if style.thousands else "0.00"})
    f_total = wb.add_format({"bold": True, "border": 1})
    f_total_yuan = wb.add_format({"bold": True, "border": 1, "num_format": "#,##0.00"})

    # Column widths must be set before any row is written in constant_memory mode.
    for i, h in enumerate(head):
        ws.set_column(i, i, max(8, min(36, 2 * len(h) + 4)))

    r = 0
    for i, cells in enumerate(_title_rows(style, width)):
        if i == 0 and width > 1:
            ws.merge_range(r, 0, r, width - 1, cells[0], f_title)
        else:
            for col, text in enumerate(cells):
                if text:
                    ws.write_string(r, col, text)
        r += 1
    r += style.blank_after_titles
    for i, h in enumerate(head):
        ws.write_string(r, i, h, f_head)
    ws.freeze_panes(r + 1, 0)
    r += 1

    # (column, kind, values, format): kind s = string, n = number; None / '' cells stay empty.
    plan: list[tuple[int, str, list, object]] = []
    offset = 1 if style.serial else 0
    if style.serial:
        plan.append((0, "n", list(range(1, n + 1)), f_int))
    for i, c in enumerate(feed.columns):
        v = rows[c.name]
        col = i + offset
        if c.type == "date":
            serial = excel_serial(np.where(np.isnat(v), np.datetime64("1900-01-01"), v))
            plan.append(
                (
                    col,
                    "n",
                    [
                        None if b else s
                        for b, s in zip(np.isnat(v).tolist(), serial.tolist(), strict=True)
                    ],
                    f_date,
                )
            )
        elif c.type == "int":
            plan.append((col, "n", v.tolist(), f_int))
        elif c.type in {"yuan", "decimal"}:
            plan.append((col, "n", (v / 100).tolist(), f_yuan))
        else:
            plan.append((col, "s", v.tolist(), f_text))

    write_string, write_number = ws.write_string, ws.write_number
    for k in range(n):
        row = r + k
        for col, kind, values, fmt in plan:
            value = values[k]
            if kind == "s":
                if value:
                    write_string(row, col, value, fmt)
            elif value is not None:
                write_number(row, col, value, fmt)
    r += n

    if style.total:
        totals = _totals(feed, rows)
        ws.write_string(r, 0, TOTAL_MARK, f_total)
        for i, c in enumerate(feed.columns):
            if c.name in totals:
                value = totals[c.name]
                if c.type == "yuan":
                    ws.write_number(r, i + offset, value / 100, f_total_yuan)
                else:
                    ws.write_number(r, i + offset, value, f_total)
        if not totals and width > 1:
            # No numeric column: clerks write the row count beside the label instead.
            ws.write_string(r, 1, f"共{n}条", f_total)
    wb.close()
