"""The workbook as a leader opens and prints it: the figures stored as shown, every page headed,
numbered and printed with its column headers, the charts read by their titles, axes, legend and
labels, and Chinese wherever a leader looks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest

from retention.release.pack_data import read_pack_data
from retention.release.workbook import write_workbook

QUARTER = "2023Q4"
NOW = dt.datetime(2024, 1, 21, 2, 0, tzinfo=dt.UTC)
TITLE = "慈溪市高校毕业生留慈工作指标（2023年第四季度）"


@pytest.fixture(scope="module")
def data(gated: Path):
    data = read_pack_data(gated, QUARTER, NOW)
    data.kpis["release"].update(version=1, status="final")
    return data


@pytest.fixture(scope="module")
def book(data, tmp_path_factory) -> openpyxl.Workbook:
    path = write_workbook(data, tmp_path_factory.mktemp("workbook") / "pack.xlsx")
    return openpyxl.load_workbook(path)


def texts(sheet) -> list[str]:
    return [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]


def text(title) -> str:
    return "".join(run.t for paragraph in title.tx.rich.p for run in paragraph.r or [])


def places(number_format: str) -> int | None:
    """How many decimals of the stored value a format shows (0.00% shows 4 of the ratio)."""
    if number_format == "General":  # a rank or count in a highlighted row
        return 0
    match = re.fullmatch(r'0(?:\.(0+))?(%|"[^"]+")?', number_format)
    if not match:
        return None
    shown = len(match.group(1) or "")
    return shown + 2 if match.group(2) == "%" else shown


def test_every_number_is_stored_as_it_is_shown(book) -> None:
    numbers = [
        cell
        for sheet in book
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, float | int) and not isinstance(cell.value, bool)
    ]
    assert len(numbers) > 200
    for cell in numbers:
        shown = places(cell.number_format)
        assert shown is not None, (cell.parent.title, cell.coordinate, cell.number_format)
        assert cell.value == round(cell.value, shown), (cell.parent.title, cell.coordinate)
    overview = {
        row[0].value: (row[2].value, row[2].number_format)
        for row in book["概览"].iter_rows(min_row=5)
        if row[1].value == "本年累计"
    }
    assert overview["就业补贴发放金额（累计）"] == (3354.76, '0.00"万元"')
    assert overview["人才政策资金兑现金额"] == (1.47, '0.00"亿元"')
    assert overview["目标完成率"] == (1.0293, "0.00%")
    subsidies = [row[2].value for row in book["补贴发放"].iter_rows(min_row=4) if row[1].value]
    assert 5774.83 in subsidies  # 人才项目资助 57748300 yuan


def test_every_sheet_prints_headed_numbered_and_with_its_column_headers(book) -> None:
    for sheet in book:
        assert sheet.page_setup.paperSize == 9, sheet.title  # A4
        # one page wide (Excel's default width, so not written), as many pages down as it takes
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert (sheet.page_setup.fitToWidth or 1, sheet.page_setup.fitToHeight) == (1, 0)
        assert sheet.print_title_rows, sheet.title
        assert sheet.oddHeader.center.text.endswith(TITLE)
        assert sheet.oddFooter.center.text == "第 &P 页 共 &N 页"
    assert book["宁波排名"].print_title_rows == "$1:$3"  # the title and the column headers
    assert book["概览"].page_setup.orientation == "landscape"  # eight columns
    assert book["宁波排名"].page_setup.orientation == "portrait"  # five narrow ones


def test_the_intake_chart_sets_this_year_against_last_year(book) -> None:
    sheet = book["接收分析"]
    (chart,) = sheet._charts
    assert [s.tx.v for s in chart.series] == ["2022年", "2023年"]
    assert chart.legend is not None and chart.legend.position == "b"
    assert (text(chart.x_axis.title), text(chart.y_axis.title)) == ("季度", "接收人数（人）")
    table = list(sheet.iter_rows(min_row=3, max_row=7, values_only=True))
    assert table[0][:3] == ("季度", "2022年", "2023年")
    assert [row[0] for row in table[1:]] == ["第一季度", "第二季度", "第三季度", "第四季度"]
    assert (table[4][1], table[4][2]) == (4747, 5058)  # 2022Q4 and 2023Q4


def test_every_chart_has_axis_titles_and_labelled_values(book) -> None:
    charts = [(sheet.title, chart) for sheet in book for chart in sheet._charts]
    assert {title for title, _ in charts} >= {"宁波排名", "接收分析", "补贴发放", "留慈率"}
    for title, chart in charts:
        assert text(chart.x_axis.title) and text(chart.y_axis.title), title
        assert all(s.dLbls is not None and s.dLbls.showVal for s in chart.series), title


def test_the_quarters_own_cohort_is_marked_partial(book) -> None:
    sheet = book["留慈率"]
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert [row[0] for row in rows[:2]] == ["2022届", "2023届（未满半年）"]
    assert any(str(row[0]).startswith("2023届毕业未满半年") for row in rows)
    (chart,) = sheet._charts
    assert [text(chart.x_axis.title), text(chart.y_axis.title)] == ["届别", "留慈率"]
    for series in chart.series:  # the 2023 column of every rate is hatched, 2022's is not
        assert [(p.idx, p.spPr.pattFill is not None) for p in series.dPt] == [(1, True)]


def test_industries_are_named_not_lettered(book) -> None:
    rows = list(book["接收分析"].iter_rows(values_only=True))
    start = rows.index(("按行业门类", None, None, None, None))
    industries = [row[0] for row in rows[start + 2 :] if row[0]][:3]
    assert industries[0] == "制造业"
    assert all(len(name) > 1 for name in industries), industries


def test_no_english_feed_codes_or_expectation_names_where_leaders_look(book) -> None:
    shown = " ".join(text for sheet in book for text in texts(sheet))
    # apart from timestamps, versions, SHA-256 and UTC
    words = set(re.findall(r"[A-Za-z_]{2,}", shown)) - {"SHA", "UTC"}
    assert not words  # no feed code (edu, graduate_intake), no expect_..., no English
    sheet = book["指标说明"]
    definitions = {row[0]: row[3] for row in sheet.iter_rows(min_row=4, values_only=True)}
    assert definitions["接收高校毕业生人数（累计）"].startswith("当年1月1日至本季度末")
    quality = texts(book["数据质量"])
    assert "人力资源和社会保障局" in quality and "高校毕业生接收登记" in quality
    assert "已报送（逾期）" in quality  # district_intake came four days late


def test_a_kpi_added_to_the_catalogue_and_a_model_appears_without_code(data, tmp_path) -> None:
    """A KPI is a pack_kpis row and a catalogue row: the overview lists it, 指标说明 defines it
    and its section's sheet shows its trend."""
    new = {
        **next(k for k in data.kpi_rows if k["section"] == "youth"),
        "kpi": "practice_hours",
        "name_zh": "社会实践服务时长",
        "definition_zh": "实践青年累计服务的小时数。",
        "value": 12345,
        "position": 99,
    }
    data = dataclasses.replace(
        data,
        kpi_rows=[*data.kpi_rows, new],
        catalogue=[*data.catalogue, {**data.catalogue[-1], **new, "section": "youth"}],
        trends=[*data.trends, {**new, "quarter": QUARTER}],
    )
    book = openpyxl.load_workbook(write_workbook(data, tmp_path / "pack.xlsx"))
    overview = {row[0]: row[2] for row in book["概览"].iter_rows(min_row=5, values_only=True)}
    assert overview["社会实践服务时长"] == 12345
    assert "实践青年累计服务的小时数。" in texts(book["指标说明"])
    header, *_, last = book["青年实践"].iter_rows(min_row=3, values_only=True)
    assert header[-1] == "社会实践服务时长" and last[-1] == 12345
