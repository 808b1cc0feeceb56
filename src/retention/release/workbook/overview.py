"""概览: every headline figure of the quarter, its target and its change; the restatement a
new version makes, if any."""

from __future__ import annotations

import json

from retention.release.formatting import MEASURE_WORDS, RELEASE_STATUS
from retention.release.pack_data import PackData
from retention.release.workbook.book import Book, ratio, whole

SCOPES = {
    "quarter": "本季度",
    "ytd": "本年累计",
    "cumulative": "历年累计",
    "as_of": "季末",
    "cohort": "届别",
}
CHANGE_NOTE = "同比、环比：数量和金额为增减幅度，比率为增减百分点（如 1.23% 即 1.23 个百分点）。"


def overview(book: Book, data: PackData) -> None:
    widths = [34, 10, 16, 8, 12, 10, 10, 10]
    sheet = book.sheet("概览", book.document_title, widths, header_row=3)
    release = data.kpis["release"]
    sheet.write(
        1,
        0,
        f"版本 v{release['version']}，{RELEASE_STATUS[release['status']]}，"
        f"生成于 {release['generated_at']}",
        book.note,
    )
    names = {(c["kpi"], c["scope"]): c["name_zh"] for c in data.catalogue}
    rows, formats = [], []
    for kpi in data.kpis["kpis"]:
        if kpi["dimension"]:
            continue
        value, value_format = book.value_cell(kpi["value"], kpi["unit"])
        target = kpi.get("target_value")
        rows.append(
            [
                names[kpi["kpi"], kpi["scope"]],
                SCOPES[kpi["scope"]],
                value,
                MEASURE_WORDS.get(kpi["unit"], ""),
                whole(target) if target is not None else None,
                ratio(kpi.get("schedule_progress")) if target is not None else None,
                ratio(kpi["yoy"]),
                ratio(kpi["qoq"]),
            ]
        )
        formats.append(
            [book.text, book.text, value_format, book.text, book.count] + [book.percent] * 3
        )
    headers = ["指标", "口径", "数值", "单位", "年度目标", "时序进度", "同比", "环比"]
    row = book.table(sheet, 3, headers, rows, formats)
    sheet.freeze_panes(4, 1)
    sheet.write(row - 1, 0, CHANGE_NOTE, book.note)
    if release.get("missing_feeds"):
        sheet.write(row, 0, "未报送数据项：" + "、".join(release["missing_feeds"]), book.note)
    if release.get("restatement"):
        _restatement(book, sheet, row + 2, release["restatement"], names)


def _restatement(book: Book, sheet, row: int, note: dict, names: dict) -> None:
    sheet.write(row, 0, f"更正说明：本版替代 v{note['replaces_version']}，变动指标如下", book.title)
    body = [
        [
            names.get((c["kpi"], c["scope"]), c["kpi"]),
            SCOPES[c["scope"]],
            json.dumps(c["dimension"], ensure_ascii=False) if c["dimension"] else "",
            c["old"],
            c["new"],
        ]
        for c in note["changed_kpis"]
    ]
    row = book.table(
        sheet, row + 1, ["指标", "口径", "维度", "原值", "新值"], body, [book.text] * 5
    )
    files = [
        [s["file"], s["feed"], s["quarter"], s["version"], s["sha256"][:16]]
        for s in note["submissions"]
    ]
    book.table(
        sheet,
        row,
        ["引起变动的报送文件", "数据项", "季度", "版本", "SHA-256（前16位）"],
        files,
        [book.text] * 5,
    )


def definitions(book: Book, data: PackData) -> None:
    """指标说明: each KPI by its Chinese name, scope, unit and definition."""
    sheet = book.sheet("指标说明", "指标说明", [34, 10, 8, 80], header_row=2)
    rows = [
        [c["name_zh"], SCOPES[c["scope"]], MEASURE_WORDS.get(c["unit"], ""), c["definition"]]
        for c in data.catalogue
    ]
    book.table(sheet, 2, ["指标", "口径", "单位", "定义"], rows, [book.text] * 4)
    sheet.freeze_panes(3, 1)
