"""The brief's charts, drawn with matplotlib in the pack's CJK font, as SVG images."""

from __future__ import annotations

import base64
import io
from functools import cache

from retention.release import formatting as fmt
from retention.release.fonts import whole_sans as font_file
from retention.release.pack_data import PackData

COLOURS = ["#C00000", "#7F7F7F", "#2F5597", "#BF9000"]
# The text block is 156 mm wide: a chart fills it at the size its lettering was set for.
WIDTH = 6.1


@cache
def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    font_manager.fontManager.addfont(str(font_file()))
    name = font_manager.FontProperties(fname=str(font_file())).get_name()
    plt.rcParams.update(
        {
            "font.family": name,
            "axes.unicode_minus": False,
            "svg.fonttype": "path",  # glyphs as outlines: the SVG needs no font of its own
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    return plt


def _svg(figure) -> str:
    """The chart as a data: URI of an SVG image, so that each chart stays a picture of its own
    (no style or id of one leaks into the page or another chart)."""
    plt = _pyplot()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def intake_against_last_year(data: PackData) -> str | None:
    """Year-to-date intake by quarter, this year against last year, with the target pace."""
    plt = _pyplot()
    year = int(data.quarter[:4])
    by_year: dict[int, list[float]] = {year: [0.0] * 4, year - 1: [0.0] * 4}
    for row in data.intake_by_quarter:
        y, q = int(row["quarter"][:4]), int(row["quarter"][-1])
        if row["value"] is not None:
            by_year[y][q - 1] = row["value"]
    if not any(by_year[year]):
        return None
    figure, axis = plt.subplots(figsize=(WIDTH, 2.9))
    quarters = ["一季度", "二季度", "三季度", "四季度"]
    this_q = int(data.quarter[-1])
    for offset, (y, colour) in enumerate(((year - 1, COLOURS[1]), (year, COLOURS[0]))):
        values = [sum(by_year[y][: q + 1]) for q in range(4)]
        if y == year:
            values = values[:this_q]
        bars = axis.bar(
            [i + (offset - 0.5) * 0.38 for i in range(len(values))],
            values,
            0.38,
            label=f"{y}年累计",
            color=colour,
        )
        axis.bar_label(bars, [fmt.count(v) for v in values], fontsize=7, padding=1)
    target = data.value("graduate_intake_target", "ytd")
    if target:
        axis.plot(
            range(4),
            [target * (q + 1) / 4 for q in range(4)],
            "--",
            color=COLOURS[2],
            label="目标进度",
        )
    axis.set_xticks(range(4), quarters)
    axis.set_ylabel("接收人数（人）")
    axis.legend(frameon=False, fontsize=8, loc="upper left")
    axis.set_title(f"高校毕业生接收人数（累计）：{year}年与{year - 1}年同期、目标进度", fontsize=10)
    return _svg(figure)


def completion_against_divisions(data: PackData) -> str | None:
    plt = _pyplot()
    if not data.districts:
        return None
    rows = sorted(data.districts, key=lambda d: d["completion_ratio"])
    figure, axis = plt.subplots(figsize=(WIDTH, 3.0))
    colours = [COLOURS[0] if d["is_reporting_city"] else COLOURS[1] for d in rows]
    axis.barh(
        [d["region_name"] for d in rows], [d["completion_rate"] * 100 for d in rows], color=colours
    )
    for i, d in enumerate(rows):
        axis.text(
            d["completion_rate"] * 100,
            i,
            f" {fmt.percent(d['completion_rate'])}",
            va="center",
            fontsize=7,
        )
    axis.set_xlabel("目标完成率（%）")
    axis.set_title("宁波市各区县（市）目标完成率", fontsize=10)
    return _svg(figure)


def subsidies_by_item(data: PackData) -> str | None:
    plt = _pyplot()
    items = [i for i in data.subsidy_items if i["amount_yuan"]]
    if not items:
        return None
    items.sort(key=lambda i: i["amount_yuan"])
    figure, axis = plt.subplots(figsize=(WIDTH, 0.5 + 0.24 * len(items)))
    colours = [COLOURS[0] if i["category"] == "人才补贴" else COLOURS[2] for i in items]
    bars = axis.barh(
        [i["subsidy_item"] for i in items],
        [float(i["amount_yuan"]) / 10**4 for i in items],
        color=colours,
    )
    # each bar says its amount: the small items stay readable beside the large ones
    axis.bar_label(bars, [fmt.wan_yuan(i["amount_yuan"]) for i in items], fontsize=7, padding=2)
    axis.margins(x=0.18)
    axis.set_xlabel("发放金额（万元）")
    axis.set_title("各项补贴发放金额（本年累计；红色为人才补贴）", fontsize=10)
    axis.tick_params(axis="y", labelsize=7)
    return _svg(figure)


def retention_by_cohort(data: PackData) -> str | None:
    plt = _pyplot()
    year = int(data.quarter[:4])
    groups = [
        ("全部", {}),
        ("产教融合学生", {"industry_program": True}),
        ("其他学生", {"industry_program": False}),
    ]
    cohorts = [
        c
        for c in (year - 1, year)
        if data.value("local_college_retention_rate", "cohort", cohort_year=c) is not None
    ]
    if not cohorts:
        return None
    figure, axis = plt.subplots(figsize=(WIDTH, 2.7))
    for offset, (label, extra) in enumerate(groups):
        values = [
            (data.value("local_college_retention_rate", "cohort", cohort_year=c, **extra) or 0)
            * 100
            for c in cohorts
        ]
        bars = axis.bar(
            [i + (offset - 1) * 0.27 for i in range(len(cohorts))],
            values,
            0.27,
            label=label,
            color=COLOURS[offset],
        )
        # the cohort still graduating: its bars hatched, its rate a figure so far
        for bar, cohort in zip(bars, cohorts, strict=True):
            if cohort == year:
                bar.set_hatch("///")
                bar.set_alpha(0.6)
        axis.bar_label(bars, [f"{v:.2f}%" for v in values], fontsize=7, padding=1)
    axis.set_xticks(
        range(len(cohorts)),
        [f"{c}届（截至季末，阶段数）" if c == year else f"{c}届" for c in cohorts],
    )
    axis.set_ylabel("留慈率（%）")
    axis.legend(frameon=False, fontsize=8)
    axis.set_title("宁大科院毕业生留慈率（按届别）", fontsize=10)
    return _svg(figure)


def bases_and_practice(data: PackData) -> str | None:
    plt = _pyplot()
    series = {
        "internship_bases_active": "有效见习基地（家）",
        "internship_positions": "见习岗位（个）",
        "practice_positions": "实践岗位累计（个）",
    }
    quarters = sorted(
        {t["quarter"] for t in data.trends if t["kpi"] in series and t["value"] is not None}
    )
    if not quarters:
        return None
    figure, axis = plt.subplots(figsize=(WIDTH, 2.7))
    for colour, (kpi, label) in zip(COLOURS, series.items(), strict=False):
        values = {t["quarter"]: t["value"] for t in data.trends if t["kpi"] == kpi}
        axis.plot(
            quarters, [values.get(q) for q in quarters], marker="o", label=label, color=colour
        )
    axis.tick_params(axis="x", labelsize=7, rotation=45)
    axis.legend(frameon=False, fontsize=8)
    axis.set_title("见习基地与社会实践岗位趋势", fontsize=10)
    return _svg(figure)


# The charts under each section of 二、重点工作成效 (sections as in pack_sections.csv).
CHARTS = {
    "intake": (intake_against_last_year, completion_against_divisions),
    "retention": (retention_by_cohort,),
    "subsidies": (subsidies_by_item,),
    "internship": (bases_and_practice,),
}


def all_charts(data: PackData) -> dict[str, list[str]]:
    drawn = {section: [draw(data) for draw in charts] for section, charts in CHARTS.items()}
    return {section: [svg for svg in svgs if svg] for section, svgs in drawn.items()}
