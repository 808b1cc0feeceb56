"""The Excel workbook of the pack, laid out for people: one sheet per subject with the chart it
is read by, values stored as shown, Chinese throughout, and A4 print set-up with repeated
headers and page numbers."""

from __future__ import annotations

from pathlib import Path

from retention.release.pack_data import PackData
from retention.release.workbook.book import Book, quarter_label
from retention.release.workbook.figures import intake, ranking, retention, subsidies, trends
from retention.release.workbook.overview import definitions, overview
from retention.release.workbook.quality import quality

TITLE = "慈溪市高校毕业生留慈工作指标（{label}）"
OWN_SHEETS = {"intake", "retention", "subsidies"}  # the pack sections laid out above


def write_workbook(data: PackData, path: Path) -> Path:
    book = Book(TITLE.format(label=quarter_label(data.quarter)))
    overview(book, data)
    ranking(book, data)
    intake(book, data)
    subsidies(book, data)
    retention(book, data)
    # the sections without a sheet of their own above, each as a trend sheet
    sections = {c["section"]: c["section_position"] for c in data.catalogue}
    for section in sorted(sections, key=sections.get):
        if section not in OWN_SHEETS:
            trends(book, data, section)
    quality(book, data)
    definitions(book, data)
    book.book.close()
    path.write_bytes(book.content.getvalue())
    return path
