"""The Excel workbook of the pack, laid out for people: one sheet per subject with the chart it
is read by, values stored as shown, Chinese throughout, and A4 print set-up with repeated
headers and page numbers."""

from __future__ import annotations

from pathlib import Path

from xlsxwriter.exceptions import FileCreateError

from retention.release.pack_data import PackData
from retention.release.workbook.book import Book, quarter_label
from retention.release.workbook.figures import intake, ranking, retention, subsidies, trends
from retention.release.workbook.overview import definitions, overview
from retention.release.workbook.quality import quality

TITLE = "慈溪市高校毕业生留慈工作指标（{label}）"


def write_workbook(data: PackData, path: Path) -> Path:
    book = Book(path, TITLE.format(label=quarter_label(data.quarter)))
    overview(book, data)
    ranking(book, data)
    intake(book, data)
    subsidies(book, data)
    retention(book, data)
    trends(
        book,
        data,
        "基地与实践",
        "见习基地与社会实践",
        [
            "internship_bases_active",
            "internship_bases_new",
            "internship_positions",
            "internship_retention_rate",
            "practice_positions",
            "practice_youth",
        ],
    )
    trends(
        book,
        data,
        "住房保障",
        "住房保障",
        ["rental_housing_units", "public_rental_households", "talent_apartments_sold"],
    )
    quality(book, data)
    definitions(book, data)
    try:
        book.book.close()
    except FileCreateError as error:  # the OSError (a full disk) it wraps says what went wrong
        raise error.args[0] from None
    return path
