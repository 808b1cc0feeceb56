"""The sheets of figures, each a table with the chart a leader reads it by: the Ningbo ranking,
intake this year against last year and by breakdown, subsidies by item, retention by cohort,
and the quarterly trends of the other sections."""

from __future__ import annotations

import json

from retention.release.formatting import round_half_up
from retention.release.pack_data import PackData
from retention.release.workbook.book import Book, quarter_label, ratio, series, whole

QUARTERS = ["第一季度", "第二季度", "第三季度", "第四季度"]


def ranking(book: Book, data: PackData) -> None:
    sheet = book.sheet(
        "宁波排名",
        f"宁波市各区县（市）接收高校毕业生情况（{quarter_label(data.quarter)}）",
        [8, 14, 16, 14, 12],
        header_row=2,
    )
    headers = ["排名", "区县（市）", "累计接收人数", "年度目标", "完成率"]
    rows, formats = [], []
    for d in data.districts:
        ours = d["is_reporting_city"]
        text, rate = (book.highlight, book.highlight_percent) if ours else (book.text, book.percent)
        rows.append(
            [
                d["completion_rank"],
                d["region_name"],
                whole(d["intake_ytd"]),
                whole(d["annual_target"]),
                ratio(d["completion_rate"]),
            ]
        )
        formats.append([text] * 4 + [rate])
    row = book.table(sheet, 2, headers, rows, formats)
    sheet.freeze_panes(3, 0)
    if rows:
        chart = book.chart("bar", "各区县（市）目标完成率", "区县（市）", "完成率")
        labels = {"value": True, "num_format": "0.00%"}
        chart.add_series(series("宁波排名", "完成率", (3, 2 + len(rows)), 1, 4, data_labels=labels))
        chart.set_legend({"none": True})
        book.place(sheet, row, chart, height=360)


BREAKDOWNS = {
    "degree": "学历",
    "town": "镇街",
    "industry_section": "行业门类",
    "intake_channel": "接收方式",
}


def intake(book: Book, data: PackData) -> None:
    """The year's intake quarter by quarter against last year's, then the year to date by
    degree, town, industry and channel, each against the same period last year."""
    year = int(data.quarter[:4])
    sheet = book.sheet(
        "接收分析",
        f"高校毕业生接收分析（{quarter_label(data.quarter)}）",
        [22, 14, 14, 16, 12],
        header_row=0,
    )
    by_quarter = {q["quarter"]: q["value"] for q in data.intake_by_quarter}
    years = [f"{year - 1}年", f"{year}年"]
    rows = [
        [label] + [whole(by_quarter.get(f"{y}Q{n}")) for y in (year - 1, year)]
        for n, label in enumerate(QUARTERS, start=1)
    ]
    row = book.table(sheet, 2, ["季度", *years], rows, [book.text, book.count, book.count])
    title = f"分季度接收人数（{year}年与{year - 1}年）"
    chart = book.chart("column", title, "季度", "接收人数（人）")
    for column, name in enumerate(years, start=1):
        chart.add_series(series("接收分析", name, (3, 6), 0, column))
    chart.set_legend({"position": "bottom"})
    row = book.place(sheet, row, chart)
    for breakdown, label in BREAKDOWNS.items():
        body = [
            [
                b["breakdown_value_zh"],
                whole(b["quarter_intake"]),
                whole(b["ytd_intake"]),
                whole(b["ytd_intake_last_year"]),
                ratio(b["yoy"]),
            ]
            for b in data.breakdowns
            if b["breakdown"] == breakdown
        ]
        sheet.write(row, 0, f"按{label}", book.title)
        headers = [label, "本季度", "本年累计", "上年同期累计", "同比"]
        formats = [book.text, book.count, book.count, book.count, book.percent]
        row = book.table(sheet, row + 1, headers, body, formats)


def subsidies(book: Book, data: PackData) -> None:
    sheet = book.sheet(
        "补贴发放",
        f"补贴发放情况（{quarter_label(data.quarter)}，本年累计）",
        [10, 30, 14, 10, 8, 10, 8],
        header_row=2,
    )
    headers = ["类别", "补贴项目", "金额（万元）", "家次", "家", "人次", "人"]
    rows = [
        [
            item["category"],
            item["subsidy_item"],
            float(round_half_up(item["amount_yuan"] / 10**4, 2)),
            whole(item["enterprise_times"]),
            whole(item["enterprises"]),
            whole(item["person_times"]),
            whole(item["persons"]),
        ]
        for item in data.subsidy_items
    ]
    formats = [book.text, book.text, book.money["万元"]] + [book.count] * 4
    row = book.table(sheet, 2, headers, rows, formats)
    sheet.freeze_panes(3, 2)
    if rows:
        chart = book.chart("bar", "各项补贴发放金额（万元）", "补贴项目", "金额（万元）")
        chart.add_series(series("补贴发放", "金额（万元）", (3, 2 + len(rows)), 1, 2))
        chart.set_legend({"none": True})
        book.place(sheet, row, chart, height=40 + 28 * len(rows))


# How a cohort KPI split by a further dimension is headed (留慈率（产教融合学生）).
SPLITS = {"industry_program": {True: "产教融合学生", False: "其他学生"}}
PARTIAL_NOTE = "（未满半年）"
PARTIAL_EXPLAINED = (
    "{cohort}届毕业未满半年，其留慈率为截至季末的阶段数据，不宜与往届完整数据直接比较。"
)


def retention(book: Book, data: PackData) -> None:
    """The cohort KPIs, a row per cohort year and a column per KPI (and split); the quarter's
    own cohort, whose graduates have not all been out six months, is marked as partial."""
    columns: dict[tuple, dict] = {}  # (kpi, scope, split) -> the first row, for its presentation
    cohorts: dict[int, dict[tuple, float]] = {}
    partial: set[int] = set()
    for k in data.kpi_rows:
        dimension = json.loads(k["dimension"])
        if "cohort_year" not in dimension:
            continue
        cohort = dimension.pop("cohort_year")
        column = (k["kpi"], k["scope"], tuple(sorted(dimension.items())))
        columns.setdefault(column, k)
        cohorts.setdefault(cohort, {})[column] = k["value"]
        if k["is_partial_cohort"]:
            partial.add(cohort)
    # the pack's order, each KPI whole before its splits (产教融合学生 before 其他学生)
    order = sorted(
        columns, key=lambda c: (columns[c]["position"], len(c[2]), [not v for _, v in c[2]])
    )
    headings = [_heading(columns[c]["name_zh"], c[2]) for c in order]
    sheet = book.sheet(
        "留慈率",
        f"宁波大学科学技术学院毕业生留慈情况（{quarter_label(data.quarter)}）",
        [18] + [max(12, len(h) * 2) for h in headings],
        header_row=2,
    )
    shown = [(columns[c]["unit"], columns[c]["decimals"]) for c in order]
    rows = [
        [f"{cohort}届" + (PARTIAL_NOTE if cohort in partial else "")]
        + [book.value_cell(cohorts[cohort].get(c), *shown[i])[0] for i, c in enumerate(order)]
        for cohort in sorted(cohorts)
    ]
    formats = [book.text] + [book.value_cell(None, *unit)[1] for unit in shown]
    row = book.table(sheet, 2, ["届别", *headings], rows, formats)
    sheet.freeze_panes(3, 1)
    sheet.write(row - 1, 0, "留慈：毕业前183天至季末在慈溪登记接收。", book.note)
    for cohort in sorted(partial):
        sheet.write(row, 0, PARTIAL_EXPLAINED.format(cohort=cohort), book.note)
        row += 1
    rates = [i for i, (unit, _) in enumerate(shown, start=1) if unit == "ratio"]
    if rows and rates:
        chart = book.chart("column", "各届毕业生留慈率", "届别", "留慈率")
        hatched = {"pattern": "wide_upward_diagonal", "fg_color": "#7F7F7F", "bg_color": "white"}
        points = [{"pattern": hatched} if PARTIAL_NOTE in r[0] else None for r in rows]
        labels = {"value": True, "num_format": "0.00%"}
        for column in rates:
            chart.add_series(
                series(
                    "留慈率",
                    headings[column - 1],
                    (3, 2 + len(rows)),
                    0,
                    column,
                    data_labels=labels,
                    points=points,
                )
            )
        chart.set_legend({"position": "bottom"})
        book.place(sheet, row + 1, chart)


def _heading(name: str, split: tuple) -> str:
    """留慈率, 留慈率（产教融合学生）."""
    if not split:
        return name
    return f"{name}（{'，'.join(SPLITS[key][value] for key, value in split)}）"


def trends(book: Book, data: PackData, section: str) -> None:
    """A section's KPIs quarter by quarter, in a sheet named by the section: counts also in a
    line chart (rates and money stay in the table, on scales of their own)."""
    kpis = [c for c in data.catalogue if c["section"] == section]
    title = kpis[0]["section_title_zh"]
    sheet = book.sheet(
        title,
        f"{title}（截至{quarter_label(data.quarter)}）",
        [16] + [16] * len(kpis),
        header_row=2,
    )
    values = {(t["quarter"], t["kpi"], t["scope"]): t["value"] for t in data.trends}
    quarters = sorted({t["quarter"] for t in data.trends})
    rows = [
        [quarter_label(quarter)]
        + [
            book.value_cell(values.get((quarter, k["kpi"], k["scope"])), k["unit"], k["decimals"])[
                0
            ]
            for k in kpis
        ]
        for quarter in quarters
    ]
    formats = [book.text] + [book.value_cell(None, k["unit"], k["decimals"])[1] for k in kpis]
    row = book.table(sheet, 2, ["季度"] + [k["name_zh"] for k in kpis], rows, formats)
    sheet.freeze_panes(3, 1)
    counts = [i for i, k in enumerate(kpis, start=1) if k["measure_word"]]
    if rows and counts:
        chart = book.chart("line", title, "季度", "数量")
        for column in counts:
            chart.add_series(
                series(
                    title,
                    kpis[column - 1]["name_zh"],
                    (3, 2 + len(rows)),
                    0,
                    column,
                    marker={"type": "circle"},
                    data_labels={"value": True, "position": "above"},
                )
            )
        chart.set_legend({"position": "bottom"})
        book.place(sheet, row, chart)
