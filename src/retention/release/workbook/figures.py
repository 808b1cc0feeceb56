"""The sheets of figures, each a table with the chart a leader reads it by: the Ningbo ranking,
intake this year against last year and by breakdown, subsidies by item, retention by cohort,
and the quarterly trends of the other sections."""

from __future__ import annotations

from itertools import groupby

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
        chart.set_y_axis({"name": "区县（市）", "reverse": True})
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
                b["breakdown_value"],
                whole(b["quarter_intake"]),
                whole(b["ytd_intake"]),
                whole(b["ytd_intake_last_year"]),
                _yoy(b["ytd_intake"], b["ytd_intake_last_year"]),
            ]
            for b in data.breakdowns
            if b["breakdown"] == breakdown
        ]
        sheet.write(row, 0, f"按{label}", book.title)
        headers = [label, "本季度", "本年累计", "上年同期累计", "同比"]
        formats = [book.text, book.count, book.count, book.count, book.percent]
        row = book.table(sheet, row + 1, headers, body, formats)


def _yoy(this_year: int, last_year: int | None) -> float | None:
    if not last_year:
        return None
    return float(round_half_up(this_year / last_year - 1, 4))


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
        chart.set_y_axis({"name": "补贴项目", "reverse": True})
        chart.set_legend({"none": True})
        book.place(sheet, row, chart, height=40 + 28 * len(rows))


# How a cohort KPI split by a further dimension is headed (留慈率（产教融合学生）).
SPLITS = {"industry_program": {True: "产教融合学生", False: "其他学生"}}
PARTIAL_NOTE = "（未满半年）"


def retention(book: Book, data: PackData) -> None:
    """The cohort KPIs, a row per cohort year and a column per KPI (and split); the quarter's
    own cohort, whose graduates have not all been out six months, is marked as partial."""
    names = {(c["kpi"], c["scope"]): c["name_zh"] for c in data.catalogue}
    cohort_rows = sorted(
        (k for k in data.kpis["kpis"] if "cohort_year" in k["dimension"]),
        key=lambda k: k["dimension"]["cohort_year"],
    )
    columns: dict[tuple, tuple[str, str]] = {}  # (kpi, split) -> (header, unit)
    cohorts: dict[int, dict[tuple, float]] = {}
    for k in cohort_rows:
        split = tuple((key, v) for key, v in k["dimension"].items() if key != "cohort_year")
        heading = names[k["kpi"], k["scope"]]
        if split:
            heading += "（" + "，".join(SPLITS[key][v] for key, v in split) + "）"
        columns.setdefault((k["kpi"], split), (heading, k["unit"]))
        cohorts.setdefault(k["dimension"]["cohort_year"], {})[k["kpi"], split] = k["value"]
    # the catalogue's order, each KPI whole before its splits (产教融合学生 before 其他学生)
    kpi_order = {c["kpi"]: i for i, c in enumerate(data.catalogue)}
    order = sorted(columns, key=lambda c: (kpi_order[c[0]], len(c[1]), [not v for _, v in c[1]]))
    widths = [18] + [max(12, len(columns[c][0]) * 2) for c in order]
    sheet = book.sheet(
        "留慈率",
        f"宁波大学科学技术学院毕业生留慈情况（{quarter_label(data.quarter)}）",
        widths,
        header_row=2,
    )
    year = int(data.quarter[:4])
    rows, formats = [], [book.text]
    for cohort in sorted(cohorts):
        label = f"{cohort}届" + (PARTIAL_NOTE if cohort == year else "")
        cells = [book.value_cell(cohorts[cohort].get(c), columns[c][1])[0] for c in order]
        rows.append([label, *cells])
    formats += [book.value_cell(None, columns[c][1])[1] for c in order]
    row = book.table(sheet, 2, ["届别"] + [columns[c][0] for c in order], rows, formats)
    sheet.freeze_panes(3, 1)
    sheet.write(row - 1, 0, "留慈：毕业前183天至季末在慈溪登记接收。", book.note)
    if year in cohorts:
        sheet.write(
            row,
            0,
            f"{year}届毕业未满半年，其留慈率为截至季末的阶段数据，不宜与往届完整数据直接比较。",
            book.note,
        )
    rates = [i for i, c in enumerate(order, start=1) if columns[c][1] == "ratio"]
    if rows and rates:
        chart = book.chart("column", "各届毕业生留慈率", "届别", "留慈率")
        hatched = {"pattern": "wide_upward_diagonal", "fg_color": "#7F7F7F", "bg_color": "white"}
        partial = [{"pattern": hatched} if r[0].endswith(PARTIAL_NOTE) else None for r in rows]
        for column in rates:
            chart.add_series(
                series(
                    "留慈率",
                    columns[order[column - 1]][0],
                    (3, 2 + len(rows)),
                    0,
                    column,
                    data_labels={"value": True, "num_format": "0.00%"},
                    points=partial,
                )
            )
        chart.set_legend({"position": "bottom"})
        book.place(sheet, row + 2, chart)


def trends(book: Book, data: PackData, name: str, title: str, kpis: list[str]) -> None:
    """A section's KPIs quarter by quarter: counts in a line chart (rates stay in the table,
    on a scale of their own)."""
    units = {c["kpi"]: c["unit"] for c in data.catalogue}
    names = {c["kpi"]: c["name_zh"] for c in data.catalogue}
    sheet = book.sheet(
        name,
        f"{title}（截至{quarter_label(data.quarter)}）",
        [12] + [18] * len(kpis),
        header_row=2,
    )
    quarters = groupby(sorted(data.trends, key=lambda t: t["quarter"]), key=lambda t: t["quarter"])
    rows = []
    for quarter, values in quarters:
        by_kpi = {t["kpi"]: t["value"] for t in values}
        cells = [book.value_cell(by_kpi.get(k), units[k])[0] for k in kpis]
        rows.append([quarter_label(quarter), *cells])
    formats = [book.text] + [book.value_cell(None, units[k])[1] for k in kpis]
    row = book.table(sheet, 2, ["季度"] + [names[k] for k in kpis], rows, formats)
    sheet.freeze_panes(3, 1)
    counts = [i for i, k in enumerate(kpis, start=1) if units[k] not in ("ratio", "yuan")]
    if rows and counts:
        chart = book.chart("line", title, "季度", "数量")
        for column in counts:
            chart.add_series(
                series(
                    name,
                    names[kpis[column - 1]],
                    (3, 2 + len(rows)),
                    0,
                    column,
                    marker={"type": "circle"},
                    data_labels={"value": True, "position": "above"},
                )
            )
        chart.set_legend({"position": "bottom"})
        book.place(sheet, row, chart)
