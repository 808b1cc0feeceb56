"""概览: every figure of the quarter in the pack's order, with its target, the time-elapsed
schedule (时序进度) and its changes; the restatement a new version makes, if any. 指标说明: each
KPI in plain Chinese."""

from __future__ import annotations

import json

from retention.release.formatting import RELEASE_STATUS, SCOPES
from retention.release.pack_data import PackData
from retention.release.workbook.book import Book, ratio

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
    rows, formats = [], []
    for kpi in data.kpi_rows:
        if json.loads(kpi["dimension"]):
            continue
        value, value_format = book.value_cell(kpi["value"], kpi["unit"], kpi["decimals"])
        target = kpi["target_value"]
        rows.append(
            [
                kpi["name_zh"],
                SCOPES[kpi["scope"]],
                value,
                kpi["measure_word"],
                book.value_cell(target, kpi["unit"], kpi["decimals"])[0],
                ratio(kpi["schedule_progress"]) if target is not None else None,
                ratio(kpi["yoy"]),
                ratio(kpi["qoq"]),
            ]
        )
        formats.append([book.text, book.text, value_format, book.text, value_format])
        formats[-1] += [book.percent] * 3
    headers = ["指标", "口径", "数值", "单位", "年度目标", "时序进度", "同比", "环比"]
    row = book.table(sheet, 3, headers, rows, formats)
    sheet.freeze_panes(4, 1)
    sheet.write(row - 1, 0, CHANGE_NOTE, book.note)
    missing = [d["feed_name_zh"] for d in data.deliveries if not d["is_delivered"]]
    if missing:
        sheet.write(row, 0, "未报送数据项：" + "、".join(missing), book.note)
    if release.get("restatement"):
        _restatement(book, sheet, row + 2, release["restatement"], data)


def _restatement(book: Book, sheet, row: int, note: dict, data: PackData) -> None:
    sheet.write(row, 0, f"更正说明：本版替代 v{note['replaces_version']}，变动指标如下", book.title)
    names = {(c["kpi"], c["scope"]): c["name_zh"] for c in data.catalogue}
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
    feeds = {d["feed"]: d["feed_name_zh"] for d in data.deliveries}
    files = [
        [s["file"], feeds.get(s["feed"], s["feed"]), s["quarter"], s["version"], s["sha256"][:16]]
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
    """指标说明: each KPI by its Chinese name, section, scope and plain-Chinese definition, and
    the department's data it is counted from."""
    sheet = book.sheet("指标说明", "指标说明", [30, 18, 10, 70, 30], header_row=2)
    feeds = {k["source_feed"]: k["feed_name_zh"] for k in data.kpi_rows}
    rows = [
        [
            c["name_zh"],
            c["section_title_zh"],
            SCOPES[c["scope"]],
            c["definition_zh"],
            feeds.get(c["source_feed"], ""),
        ]
        for c in data.catalogue
    ]
    headers = ["指标", "板块", "口径", "定义", "数据来源"]
    book.table(sheet, 2, headers, rows, [book.text] * 5)
    sheet.freeze_panes(3, 1)
