"""The PDF brief: A4, in Chinese with an embedded CJK font, KPI cards, charts, narrative
paragraphs and the data-quality appendix. HTML through WeasyPrint."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import jinja2

from retention.release import formatting as fmt
from retention.release.charts import all_charts, font_file
from retention.release.narrative import paragraphs, period
from retention.release.pack_data import PackData
from retention.release.workbook import quarter_label

TEMPLATES = Path(__file__).parent / "templates"


def title(quarter: str) -> str:
    return f"慈溪市高校毕业生留慈工作季度报告（{quarter_label(quarter)}）"


def _cards(data: PackData) -> list[dict[str, str]]:
    def shown(kpi: str, scope: str, unit: str, **dimension: object) -> str:
        return fmt.figure(data.value(kpi, scope, **dimension), unit)

    year = int(data.quarter[:4])
    intake = data.row("graduate_intake", "ytd") or {}
    growth = fmt.change(intake.get("yoy"), "ratio")
    completion = shown("graduate_intake_completion_rate", "ytd", "ratio")
    retention = "local_college_retention_rate"
    return [
        {
            "label": f"{period(data.quarter)}接收高校毕业生",
            "value": fmt.figure(intake.get("value"), "persons"),
            "sub": f"完成率 {completion}，同比{growth}",
        },
        {
            "label": "宁波市排名",
            "value": shown("graduate_intake_rank", "ytd", "rank"),
            "sub": "按目标完成率，十个区县（市）",
        },
        {
            "label": "就业补贴发放",
            "value": shown("employment_subsidy_amount", "ytd", "yuan"),
            "sub": "涉及企业"
            + shown("employment_subsidy_enterprise_times", "ytd", "enterprise_times"),
        },
        {
            "label": "人才政策资金兑现",
            "value": shown("talent_subsidy_amount", "ytd", "yuan"),
            "sub": f"人才子女入学{shown('talent_child_enrollments', 'ytd', 'persons')}",
        },
        {
            "label": f"{year - 1}届宁大科院毕业生留慈率",
            "value": shown(retention, "cohort", "ratio", cohort_year=year - 1),
            "sub": f"{year}届（截至季末）{shown(retention, 'cohort', 'ratio', cohort_year=year)}",
        },
        {
            "label": "有效见习基地",
            "value": shown("internship_bases_active", "as_of", "bases"),
            "sub": f"本年新增{shown('internship_bases_new', 'ytd', 'bases')}",
        },
    ]


def render_html(data: PackData) -> str:
    # Every value is escaped, whatever the template's name: text from data is never markup
    # (WeasyPrint would fetch an <img> a clerk typed).
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    release = data.kpis["release"]
    rejected = Counter()
    for r in data.rejections:
        rejected[r["feed"]] += r["rows_rejected"]
    outcome = Counter(
        {True: "passed", False: "failed", None: "not_run"}[c["success"]] for c in data.checks
    )
    waived = sum(bool(c["waiver_id"]) for c in data.checks)
    return environment.get_template("brief.html").render(
        title=title(data.quarter),
        font_url=font_file().as_uri(),
        version=release["version"],
        provisional=release["status"] == "provisional",
        missing="、".join(release.get("missing_feeds", [])),
        generated_at=release["generated_at"],
        restatement=release.get("restatement"),
        cards=_cards(data),
        paragraphs=paragraphs(data),
        charts=all_charts(data),
        deliveries=[
            dict(
                d,
                delivered_on=fmt.delivered_on(d),
                status=fmt.DELIVERY_STATUS[d["delivery_status"]],
                rejected=rejected.get(d["feed"], 0),
            )
            for d in data.deliveries
        ],
        delivery_note=fmt.DELIVERY_NOTE,
        gate_run_id=data.gate_run["run_id"],
        checks={k: outcome.get(k, 0) for k in ("passed", "failed", "not_run")},
        waived=waived,
        warnings=data.warnings,
        waivers=data.waivers,
    )


def write_brief(data: PackData, path: Path) -> Path:
    import weasyprint

    # WeasyPrint notes each font it subsets with fontTools; the pack's log has no use for it.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    weasyprint.HTML(string=render_html(data), base_url=str(TEMPLATES)).write_pdf(str(path))
    return path
