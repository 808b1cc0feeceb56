"""The brief's charts, drawn with matplotlib in the pack's CJK font, as SVG images."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from functools import cache
from math import isnan
from math import nan as NAN
from typing import Any

from retention.release import formatting as fmt
from retention.release.fonts import whole_sans as font_file
from retention.release.pack_data import PackData
from retention.release.pack_rows import dimension_zh

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


def _label(axis, bars, values: list[float], write: Callable[[float], str]) -> None:
    """Each bar's figure above it; where the figure is unknown (NaN: no bar is drawn, never
    one of 0) a — on the axis says so."""
    labels = ["" if isnan(v) else write(v) for v in values]
    axis.bar_label(bars, labels, fontsize=7, padding=1)
    for bar, value in zip(bars, values, strict=True):
        if isnan(value):
            x = bar.get_x() + bar.get_width() / 2
            axis.annotate(fmt.MISSING, (x, 0), ha="center", va="bottom", fontsize=7)


def intake_against_last_year(data: PackData, rows: list[dict[str, Any]]) -> str | None:
    """Year-to-date intake by quarter, this year against last year, with the target's pace
    (the target of the intake section's KPI that has one)."""
    plt = _pyplot()
    year = int(data.quarter[:4])
    # a quarter whose intake was not delivered is unknown, not 0: so is every total after it
    by_year: dict[int, list[float | None]] = {year: [None] * 4, year - 1: [None] * 4}
    for row in data.intake_by_quarter:
        y, q = int(row["quarter"][:4]), int(row["quarter"][-1])
        if y in by_year and row["value"] is not None:
            by_year[y][q - 1] = row["value"]
    if not any(by_year[year]):
        return None
    figure, axis = plt.subplots(figsize=(WIDTH, 2.9))
    quarters = ["一季度", "二季度", "三季度", "四季度"]
    this_q = int(data.quarter[-1])
    for offset, (y, colour) in enumerate(((year - 1, COLOURS[1]), (year, COLOURS[0]))):
        known = [by_year[y][: q + 1] for q in range(4 if y < year else this_q)]
        values = [NAN if None in upto else sum(upto) for upto in known]
        if all(isnan(v) for v in values):
            continue  # no year to compare with: no series of zeros
        bars = axis.bar(
            [i + (offset - 0.5) * 0.38 for i in range(len(values))],
            values,
            0.38,
            label=f"{y}年累计",
            color=colour,
        )
        _label(axis, bars, values, fmt.count)
    target = next(
        (r["target_value"] for r in rows if r["section"] == "intake" and r.get("target_value")),
        None,
    )
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
    compared = f"{year}年与{year - 1}年同期" if any(by_year[year - 1]) else f"{year}年"
    axis.set_title(f"高校毕业生接收人数（累计）：{compared}、目标进度", fontsize=10)
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


def retention_by_cohort(rows: list[dict[str, Any]], year: int) -> str | None:
    """The catalogue's cohort rates (scope cohort, unit ratio), last year's cohort beside this
    year's, each group of students a series; this year's cohort, still graduating, hatched
    and labelled as a figure so far."""
    plt = _pyplot()
    rates = [r for r in rows if r["scope"] == "cohort" and r["unit"] == "ratio"]
    cohorts = sorted({r["dimension"]["cohort_year"] for r in rates} & {year - 1, year})
    if not cohorts:
        return None
    groups: dict[str, dict[int, float]] = {}
    for r in rates:
        rest = {k: v for k, v in r["dimension"].items() if k != "cohort_year"}
        group = groups.setdefault(dimension_zh(rest) or "全部", {})
        group[r["dimension"]["cohort_year"]] = NAN if r["value"] is None else r["value"] * 100
    width = 0.8 / len(groups)
    figure, axis = plt.subplots(figsize=(WIDTH, 2.7))
    for offset, (label, values) in enumerate(sorted(groups.items(), key=lambda g: g[0] != "全部")):
        shown = [values.get(c, NAN) for c in cohorts]
        bars = axis.bar(
            [i + (offset - (len(groups) - 1) / 2) * width for i in range(len(cohorts))],
            shown,
            width,
            label=label,
            color=COLOURS[offset % len(COLOURS)],
        )
        for bar, cohort in zip(bars, cohorts, strict=True):
            if cohort == year:
                bar.set_hatch("///")
                bar.set_alpha(0.6)
        _label(axis, bars, shown, lambda v: f"{v:.2f}%")
    axis.set_xticks(
        range(len(cohorts)),
        [f"{c}届（截至季末，阶段数）" if c == year else f"{c}届" for c in cohorts],
    )
    axis.set_ylabel(f"{rates[0]['name_zh']}（%）")
    axis.legend(frameon=False, fontsize=8)
    axis.set_title(f"{rates[0]['name_zh']}（按届别）", fontsize=10)
    return _svg(figure)


def trends(data: PackData, rows: list[dict[str, Any]], chart: dict[str, Any]) -> str | None:
    """A trend chart of seeds/reference/pack/charts.yaml: the KPIs it names, by quarter."""
    plt = _pyplot()
    names = {r["kpi"]: r for r in rows if not r["dimension"]}
    wanted = [kpi for kpi in chart["kpis"] if kpi in names]
    quarters = sorted(
        {t["quarter"] for t in data.trends if t["kpi"] in wanted and t["value"] is not None}
    )
    if not quarters:
        return None
    figure, axis = plt.subplots(figsize=(WIDTH, 2.7))
    for colour, kpi in zip(COLOURS, wanted, strict=False):
        row = names[kpi]
        values = {t["quarter"]: t["value"] for t in data.trends if t["kpi"] == kpi}
        label = f"{row['name_zh']}（{fmt.MEASURE_WORDS.get(row['unit'], '')}）"
        axis.plot(
            range(len(quarters)),
            [values.get(q) for q in quarters],
            marker="o",
            label=label,
            color=colour,
        )
    # 2023Q4 -> 2023年四季度
    ticks = [f"{q[:4]}年{'一二三四'[int(q[-1]) - 1]}季度" for q in quarters]
    axis.set_xticks(range(len(quarters)), ticks)
    axis.tick_params(axis="x", labelsize=7, rotation=45)
    axis.legend(frameon=False, fontsize=8)
    axis.set_title(chart["title"], fontsize=10)
    return _svg(figure)


def all_charts(
    data: PackData, rows: list[dict[str, Any]], trend_charts: dict[str, dict[str, Any]]
) -> dict[str, list[str]]:
    """The charts under each section of 二、重点工作成效 (sections as in pack_sections.csv;
    the trend charts as charts.yaml sets them)."""
    year = int(data.quarter[:4])
    drawn = {
        "intake": [intake_against_last_year(data, rows), completion_against_divisions(data)],
        "retention": [retention_by_cohort(rows, year)],
        "subsidies": [subsidies_by_item(data)],
    }
    for section, chart in trend_charts.items():
        drawn.setdefault(section, []).append(trends(data, rows, chart))
    return {section: [svg for svg in svgs if svg] for section, svgs in drawn.items()}
