"""The Excel workbook of the pack, laid out for people: one sheet per subject, native charts,
the city's number formats, frozen headers and A4 print set-up."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.exceptions import FileCreateError

from retention.release.formatting import (
    DELIVERY_NOTE,
    DELIVERY_STATUS,
    MEASURE_WORDS,
    delivered_on,
)
from retention.release.pack_data import PackData

TITLE = "慈溪市高校毕业生留慈工作指标（{label}）"
SCOPES = {
    "quarter": "本季度",
    "ytd": "本年累计",
    "cumulative": "历年累计",
    "as_of": "季末",
    "cohort": "届别",
}
YI = 10**8


def quarter_label(quarter: str) -> str:
    return f"{quarter[:4]}年第{'一二三四'[int(quarter[-1]) - 1]}季度"


class Book:
    """Formats and a little layout shared by every sheet."""

    def __init__(self, path: Path):
        # Text is written as text: by default xlsxwriter turns a string that starts with "=" into
        # a live formula and one that looks like an address into a link, and some of the text
        # shown comes from data (check findings, delivered values).
        self.book = xlsxwriter.Workbook(
            str(path),
            {"nan_inf_to_errors": True, "strings_to_formulas": False, "strings_to_urls": False},
        )
        add = self.book.add_format
        base = {"font_name": "宋体", "font_size": 10, "border": 1, "valign": "vcenter"}
        self.title = add({"bold": True, "font_size": 14, "font_name": "黑体"})
        self.note = add({"font_name": "宋体", "font_size": 9, "italic": True, "text_wrap": True})
        self.header = add(
            {**base, "bold": True, "bg_color": "#DDEBF7", "align": "center", "text_wrap": True}
        )
        self.text = add({**base, "text_wrap": True})
        self.count = add({**base, "num_format": "0"})
        self.wan = add({**base, "num_format": '0.00"万元"'})
        self.yi = add({**base, "num_format": '0.00"亿元"'})
        self.percent = add({**base, "num_format": "0.00%"})
        self.highlight = add({**base, "bold": True, "bg_color": "#FCE4D6"})
        self.highlight_percent = add(
            {**base, "bold": True, "bg_color": "#FCE4D6", "num_format": "0.00%"}
        )

    def sheet(self, name: str, title: str, widths: list[int]):
        sheet = self.book.add_worksheet(name)
        sheet.set_paper(9)  # A4
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)
        sheet.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
        sheet.write(0, 0, title, self.title)
        for column, width in enumerate(widths):
            sheet.set_column(column, column, width)
        return sheet

    def table(self, sheet, row: int, headers: list[str], rows: list[list], formats: list) -> int:
        """Write a header row and data rows; the first table's header is frozen. Returns the
        row after the table."""
        sheet.write_row(row, 0, headers, self.header)
        for offset, values in enumerate(rows, start=1):
            for column, (value, cell_format) in enumerate(zip(values, formats, strict=True)):
                if value is None:
                    sheet.write_blank(row + offset, column, None, cell_format)
                else:
                    sheet.write(row + offset, column, value, cell_format)
        return row + len(rows) + 2

    def chart(
        self,
        sheet_name: str,
        kind: str,
        name: str,
        title: str,
        rows: tuple[int, int],
        columns: tuple[int, int],
        **series: object,
    ):
        """A one-series native chart: categories and values from two columns of the sheet."""
        first, last = rows
        category, value = columns
        chart = self.book.add_chart({"type": kind})
        chart.add_series(
            {
                "name": name,
                "categories": [sheet_name, first, category, last, category],
                "values": [sheet_name, first, value, last, value],
                **series,
            }
        )
        chart.set_title({"name": title})
        chart.set_legend({"none": True})
        return chart

    def money_cell(self, yuan: float | None) -> tuple[float | None, Any]:
        """Yuan as 亿元 from a hundred million up, else 万元, each with 2 decimals."""
        if yuan is None:
            return None, self.wan
        return (yuan / YI, self.yi) if abs(yuan) >= YI else (yuan / 10**4, self.wan)

    def value_cell(self, value: float | None, unit: str) -> tuple[Any, Any]:
        if unit == "yuan":
            return self.money_cell(value)
        if unit == "ratio":
            return value, self.percent
        return value, self.count


def _overview(book: Book, data: PackData) -> None:
    sheet = book.sheet(
        "概览", TITLE.format(label=quarter_label(data.quarter)), [34, 10, 16, 8, 12, 12, 14, 14]
    )
    release = data.kpis["release"]
    status = "正式" if release["status"] == "final" else "临时（数据未齐）"
    sheet.write(
        1, 0, f"版本 v{release['version']}，{status}，生成于 {release['generated_at']}", book.note
    )
    names = {(c["kpi"], c["scope"]): c for c in data.catalogue}
    target = data.value("graduate_intake_target", "ytd")
    rows, formats = [], []
    for kpi in data.kpis["kpis"]:
        if kpi["dimension"]:
            continue
        entry = names[(kpi["kpi"], kpi["scope"])]
        value, value_format = book.value_cell(kpi["value"], kpi["unit"])
        is_intake = kpi["kpi"] == "graduate_intake" and kpi["scope"] == "ytd"
        completion = data.value("graduate_intake_completion_rate", "ytd") if is_intake else None
        rows.append(
            [
                entry["name_zh"],
                SCOPES[kpi["scope"]],
                value,
                MEASURE_WORDS.get(kpi["unit"], ""),
                target if is_intake else None,
                completion,
                kpi["yoy"],
                kpi["qoq"],
            ]
        )
        formats.append(value_format)
    headers = ["指标", "口径", "数值", "单位", "年度目标", "完成率", "同比", "环比"]
    sheet.write_row(3, 0, headers, book.header)
    for offset, (values, value_format) in enumerate(zip(rows, formats, strict=True), start=4):
        cell_formats = [
            book.text,
            book.text,
            value_format,
            book.text,
            book.count,
            book.percent,
            book.percent,
            book.percent,
        ]
        for column, (value, cell_format) in enumerate(zip(values, cell_formats, strict=True)):
            if value is None:
                sheet.write_blank(offset, column, None, cell_format)
            else:
                sheet.write(offset, column, value, cell_format)
    sheet.freeze_panes(4, 1)
    row = 4 + len(rows) + 1
    sheet.write(
        row,
        0,
        "同比、环比：数量和金额为增减幅度，比率为增减百分点（如 1.23% 即 1.23 个百分点）。",
        book.note,
    )
    if release.get("missing_feeds"):
        row += 1
        sheet.write(row, 0, "未报送数据项：" + "、".join(release["missing_feeds"]), book.note)
    note = release.get("restatement")
    if note:
        row += 2
        sheet.write(
            row, 0, f"更正说明：本版替代 v{note['replaces_version']}，变动指标如下", book.title
        )
        body = [
            [
                c["kpi"],
                SCOPES[c["scope"]],
                json.dumps(c["dimension"], ensure_ascii=False),
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


def _ranking(book: Book, data: PackData) -> None:
    sheet = book.sheet(
        "宁波排名",
        f"宁波市各区县（市）接收高校毕业生情况（{quarter_label(data.quarter)}）",
        [8, 14, 16, 14, 12],
    )
    headers = ["排名", "区县（市）", "累计接收人数", "年度目标", "完成率"]
    sheet.write_row(2, 0, headers, book.header)
    for offset, d in enumerate(data.districts, start=3):
        ours = d["is_reporting_city"]
        text, rate = (book.highlight, book.highlight_percent) if ours else (book.text, book.percent)
        sheet.write_row(
            offset,
            0,
            [d["completion_rank"], d["region_name"], d["intake_ytd"], d["annual_target"]],
            text,
        )
        sheet.write(offset, 4, d["completion_rate"], rate)
    sheet.freeze_panes(3, 0)
    if data.districts:
        rows = (3, 2 + len(data.districts))
        labels = {"value": True, "num_format": "0.00%"}
        chart = book.chart(
            "宁波排名", "bar", "完成率", "各区县（市）目标完成率", rows, (1, 4), data_labels=labels
        )
        chart.set_y_axis({"reverse": True})
        sheet.insert_chart(2, 6, chart, {"x_scale": 1.3, "y_scale": 1.2})


BREAKDOWNS = {
    "degree": "学历",
    "town": "镇街",
    "industry_section": "行业门类",
    "intake_channel": "接收方式",
}


def _intake(book: Book, data: PackData) -> None:
    sheet = book.sheet(
        "接收分析", f"高校毕业生接收分析（{quarter_label(data.quarter)}）", [18, 14, 14, 16, 12]
    )
    sheet.write_row(2, 0, ["季度", "接收人数"], book.header)
    for offset, q in enumerate(data.intake_by_quarter, start=3):
        sheet.write(offset, 0, q["quarter"], book.text)
        sheet.write(offset, 1, q["value"], book.count)
    sheet.freeze_panes(3, 0)
    if data.intake_by_quarter:
        rows = (3, 2 + len(data.intake_by_quarter))
        title = "分季度接收人数（本年与上年）"
        chart = book.chart("接收分析", "column", "接收人数", title, rows, (0, 1))
        sheet.insert_chart(2, 6, chart)
    row = max(4 + len(data.intake_by_quarter), 20)
    for breakdown, label in BREAKDOWNS.items():
        rows = [
            [
                b["breakdown_value"],
                b["quarter_intake"],
                b["ytd_intake"],
                b["ytd_intake_last_year"],
                (b["ytd_intake"] / b["ytd_intake_last_year"] - 1)
                if b["ytd_intake_last_year"]
                else None,
            ]
            for b in data.breakdowns
            if b["breakdown"] == breakdown
        ]
        sheet.write(row, 0, f"按{label}", book.title)
        headers = [label, "本季度", "本年累计", "上年同期累计", "同比"]
        row = book.table(
            sheet,
            row + 1,
            headers,
            rows,
            [book.text, book.count, book.count, book.count, book.percent],
        )


def _subsidies(book: Book, data: PackData) -> None:
    sheet = book.sheet(
        "补贴发放",
        f"补贴发放情况（{quarter_label(data.quarter)}，本年累计）",
        [10, 30, 14, 10, 8, 10, 8],
    )
    headers = ["类别", "补贴项目", "金额", "家次", "家", "人次", "人"]
    sheet.write_row(2, 0, headers, book.header)
    for offset, item in enumerate(data.subsidy_items, start=3):
        amount = float(item["amount_yuan"])
        sheet.write(offset, 0, item["category"], book.text)
        sheet.write(offset, 1, item["subsidy_item"], book.text)
        sheet.write(offset, 2, amount / 10**4, book.wan)
        sheet.write_row(
            offset,
            3,
            [item["enterprise_times"], item["enterprises"], item["person_times"], item["persons"]],
            book.count,
        )
    sheet.freeze_panes(3, 2)
    if data.subsidy_items:
        rows = (3, 2 + len(data.subsidy_items))
        title = "各项补贴发放金额（万元）"
        chart = book.chart("补贴发放", "bar", "金额（万元）", title, rows, (1, 2))
        sheet.insert_chart(
            2 + len(data.subsidy_items) + 2, 0, chart, {"x_scale": 1.5, "y_scale": 1.3}
        )


def _retention(book: Book, data: PackData) -> None:
    sheet = book.sheet(
        "留慈率",
        f"宁波大学科学技术学院毕业生留慈情况（{quarter_label(data.quarter)}）",
        [12, 14, 14, 12, 18, 18],
    )
    year = int(data.quarter[:4])
    rows = []
    for cohort in (year, year - 1):
        rows.append(
            [
                f"{cohort}届",
                data.value("local_college_cohort_size", "cohort", cohort_year=cohort),
                data.value("local_college_retained", "cohort", cohort_year=cohort),
                data.value("local_college_retention_rate", "cohort", cohort_year=cohort),
                data.value(
                    "local_college_retention_rate",
                    "cohort",
                    cohort_year=cohort,
                    industry_program=True,
                ),
                data.value(
                    "local_college_retention_rate",
                    "cohort",
                    cohort_year=cohort,
                    industry_program=False,
                ),
            ]
        )
    headers = [
        "届别",
        "毕业生人数",
        "留慈人数",
        "留慈率",
        "留慈率（产教融合学生）",
        "留慈率（其他学生）",
    ]
    formats = [book.text, book.count, book.count, book.percent, book.percent, book.percent]
    book.table(sheet, 2, headers, rows, formats)
    sheet.freeze_panes(3, 0)
    sheet.write(6, 0, "留慈：毕业前183天至季末在慈溪登记接收。", book.note)


def _trend_sheet(
    book: Book, data: PackData, name: str, title: str, kpis: list[tuple[str, str]]
) -> None:
    sheet = book.sheet(
        name, f"{title}（截至{quarter_label(data.quarter)}）", [12] + [18] * len(kpis)
    )
    names = {c["kpi"]: c["name_zh"] for c in data.catalogue}
    by_quarter: dict[str, dict[str, float]] = {}
    for t in data.trends:
        by_quarter.setdefault(t["quarter"], {})[t["kpi"]] = t["value"]
    rows = [[q] + [values.get(k) for k, _ in kpis] for q, values in sorted(by_quarter.items())]
    formats = [book.text] + [book.percent if unit == "ratio" else book.count for _, unit in kpis]
    book.table(sheet, 2, ["季度"] + [names[k] for k, _ in kpis], rows, formats)
    sheet.freeze_panes(3, 1)
    if rows:
        chart = book.book.add_chart({"type": "line"})
        for column, (kpi, unit) in enumerate(kpis, start=1):
            if unit != "ratio":
                chart.add_series(
                    {
                        "name": names[kpi],
                        "categories": [name, 3, 0, 2 + len(rows), 0],
                        "values": [name, 3, column, 2 + len(rows), column],
                        "marker": {"type": "circle"},
                    }
                )
        chart.set_title({"name": title})
        sheet.insert_chart(4 + len(rows), 0, chart, {"x_scale": 1.5})


# a check's result by (success, waived)
CHECK_RESULT = {
    (True, False): "通过",
    (False, False): "未通过",
    (False, True): "未通过（已豁免）",
    (None, False): "未运行",
}


def _quality(book: Book, data: PackData) -> None:
    sheet = book.sheet(
        "数据质量", f"数据质量（{quarter_label(data.quarter)}）", [16, 26, 12, 22, 16, 10, 40]
    )
    rows = [
        [
            d["department"],
            d["feed"],
            str(d["due_on"]),
            delivered_on(d),
            DELIVERY_STATUS[d["delivery_status"]],
            d["latest_version"],
            "",
        ]
        for d in data.deliveries
    ]
    row = book.table(
        sheet,
        2,
        ["部门", "数据项", "报送截止", "报送日期", "报送情况", "版本", ""],
        rows,
        [book.text] * 7,
    )
    sheet.write(row - 1, 0, DELIVERY_NOTE, book.note)
    row += 1
    sheet.freeze_panes(3, 0)
    sheet.write(row, 0, "被拒行（按数据项和原因）", book.title)
    rejected = [[r["feed"], r["reason"], r["rows_rejected"]] for r in data.rejections] or [
        ["无", "", 0]
    ]
    row = book.table(
        sheet, row + 1, ["数据项", "原因", "行数"], rejected, [book.text, book.text, book.count]
    )
    sheet.write(row, 0, f"质量检查（运行 {data.gate_run['run_id']}）", book.title)
    checks = [
        [
            c["suite"],
            c["check_name"],
            c["expectation"],
            "阻断" if c["severity"] == "blocking" else "警告",
            CHECK_RESULT[c["success"], bool(c["waiver_id"])],
            c["observed_value"],
            c["description_zh"],
        ]
        for c in data.checks
    ]
    row = book.table(
        sheet,
        row + 1,
        ["检查组", "检查", "期望", "级别", "结果", "观测值", "说明"],
        checks,
        [book.text] * 7,
    )
    sheet.write(row, 0, "豁免（未通过的阻断检查，经负责人同意放行）", book.title)
    waivers = [
        [
            w["check"],
            w["expectation"],
            w["observed"],
            w["waived_by"],
            w["reason"],
            w["until"] or "数据变化前",
            w["recorded_at"],
        ]
        for w in data.waivers
    ] or [["无", "", "", "", "", "", ""]]
    book.table(
        sheet,
        row + 1,
        ["检查", "期望", "观测值", "豁免人", "理由", "有效至", "记录时间（UTC）"],
        waivers,
        [book.text] * 7,
    )


def _definitions(book: Book, data: PackData) -> None:
    sheet = book.sheet("指标说明", "指标说明", [34, 10, 30, 30, 12, 60, 22])
    rows = [
        [
            c["name_zh"],
            SCOPES[c["scope"]],
            c["kpi"],
            c["name_en"],
            c["unit"],
            c["definition"],
            c["source_feed"],
        ]
        for c in data.catalogue
    ]
    book.table(
        sheet,
        2,
        ["指标", "口径", "代码", "英文名称", "单位", "定义", "来源数据项"],
        rows,
        [book.text] * 7,
    )
    sheet.freeze_panes(3, 1)


def write_workbook(data: PackData, path: Path) -> Path:
    book = Book(path)
    _overview(book, data)
    _ranking(book, data)
    _intake(book, data)
    _subsidies(book, data)
    _retention(book, data)
    _trend_sheet(
        book,
        data,
        "基地与实践",
        "见习基地与社会实践",
        [
            ("internship_bases_active", "bases"),
            ("internship_bases_new", "bases"),
            ("internship_positions", "positions"),
            ("internship_retention_rate", "ratio"),
            ("practice_positions", "positions"),
            ("practice_youth", "persons"),
        ],
    )
    _trend_sheet(
        book,
        data,
        "住房保障",
        "住房保障",
        [
            ("rental_housing_units", "units"),
            ("public_rental_households", "households"),
            ("talent_apartments_sold", "contracts"),
        ],
    )
    _quality(book, data)
    _definitions(book, data)
    try:
        book.book.close()
    except FileCreateError as error:  # the OSError (a full disk) it wraps says what went wrong
        raise error.args[0] from None
    return path
