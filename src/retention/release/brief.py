"""The PDF brief in the form of a government report (GB/T 9704-2012, 党政机关公文格式): A4, the
text block 156 × 225 mm, body at 3号 in the 仿宋 role, title, four sections, the issuing
authority and the date, then the annexes (every KPI; data quality). HTML through WeasyPrint.

What it says comes from the figures and from the words staff edit (narrative.Words); which
KPIs, in what order and against which targets comes from the catalogue (kpi_rows): no KPI is
named here."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from pathlib import Path
from typing import Any

import jinja2

from retention.release import formatting as fmt
from retention.release.charts import all_charts
from retention.release.fonts import installed, whole_sans
from retention.release.narrative import NEXT_STEPS, PROBLEMS, Words
from retention.release.pack_data import PackData
from retention.release.pack_rows import (
    dimension_zh,
    kpi_rows,
    named_deliveries,
    named_rejections,
    towns,
)

TEMPLATES = Path(__file__).parent / "templates"
BEIJING = dt.timezone(dt.timedelta(hours=8))


def figures(row: dict[str, Any]) -> dict[str, Any]:
    """One KPI row as the sentence templates read it (all text, blank when unknown)."""
    unit = row["unit"]
    name = row["name_zh"]
    cohort = row["dimension"].get("cohort_year")
    if cohort is not None:
        name = f"{cohort}届{name}"
    out = {
        "kpi": row["kpi"],
        "scope": row["scope"],
        "name": name,
        "figure": fmt.figure(row["value"], unit),
        "partial": bool(row.get("is_partial_cohort")),
        "change": "",
        "last_year": "",
        "target": "",
        "behind": False,
    }
    # a cohort's figure a year ago is the same cohort, younger: no comparison a leader wants
    if row["scope"] != "cohort":
        if row["yoy"] is not None:
            out["change"] = fmt.change(row["yoy"], row["change_rule"])
        if row.get("last_year_value") is not None:
            out["last_year"] = fmt.figure(row["last_year_value"], unit)
    target, value, schedule = row.get("target_value"), row["value"], row.get("schedule_progress")
    if target and value is not None and schedule is not None:
        # the templates compare the published completion rate, where the catalogue has one,
        # with the schedule; this ratio stands in where it has none
        out.update(
            target=fmt.figure(target, unit),
            ratio=value / target,
            schedule=fmt.percent(schedule, 0),
            schedule_ratio=schedule,
            behind=value / target < schedule,
        )
    return out


def headlines(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The catalogue's headline KPIs in their order, each for every cohort it has a row of."""
    shown = [
        r for r in rows if r.get("headline") is not None and set(r["dimension"]) <= {"cohort_year"}
    ]
    shown.sort(key=lambda r: (r["headline"], r["dimension"].get("cohort_year", 0)))
    return shown


def _problems(words: Words, rows: list[dict], deliveries: list[dict], v) -> list[str]:
    """三、存在问题: what the figures say (behind schedule, a fall on last year, a feed missing
    or late), then what the staff wrote."""
    out = []
    for row in headlines(rows):
        k = figures(row)
        if k["behind"]:
            out.append(words.sentence("problems/behind_schedule.j2", k=k, v=v))
        if row["yoy"] is not None and row["yoy"] < 0 and row["change_rule"] != "none":
            out.append(words.sentence("problems/fall.j2", k=k))
    for d in deliveries:
        if d["status"] in ("missing", "late"):
            out.append(words.sentence(f"problems/{d['status']}_feed.j2", d=d))
    return out + words.note(PROBLEMS)


def _sections(words: Words, rows: list[dict], data: PackData) -> list[dict[str, Any]]:
    """二、重点工作成效: one part per section of the pack, in its order, with its sentences
    (sections/<section>.j2) and its charts; a section without a template lists its KPIs."""
    v = data.value
    charts = all_charts(data, rows, words.trend_charts(rows))
    parts = []
    sections = sorted({(r["section_position"], r["section"], r["section_title_zh"]) for r in rows})
    for _, section, title in sections:
        template = f"sections/{section}.j2"
        if words.has(template):
            text = words.render(template, v=v)
        else:
            listed = [
                f"{r['name_zh']}{fmt.figure(r['value'], r['unit'])}"
                for r in rows
                if r["section"] == section and not r["dimension"] and r["value"] is not None
            ]
            text = ["；".join(listed) + "。"] if listed else []
        parts.append(
            {
                "title": title,
                "paragraphs": text,
                "charts": charts.get(section, []),
                "towns": towns(data) if section == "intake" else [],
            }
        )
    return [p for p in parts if p["paragraphs"] or p["charts"]]


def _kpi_table(rows: list[dict]) -> list[dict[str, str]]:
    """附件1: every KPI of the quarter, in the catalogue's order."""
    table = []
    for r in rows:
        k = figures(r)
        table.append(
            {
                "section": r["section_title_zh"],
                "name": r["name_zh"],
                "dimension": dimension_zh(r["dimension"]),
                "value": k["figure"],
                "last_year": k["last_year"] or "—",
                "yoy": k["change"] or "—",
                "partial": k["partial"],
            }
        )
    return table


def _quality(data: PackData) -> dict[str, Any]:
    outcome = Counter(
        {True: "passed", False: "failed", None: "not_run"}[c["success"]] for c in data.checks
    )
    described = {c["waiver_id"]: c["description_zh"] for c in data.checks if c["waiver_id"]}
    return {
        "checks": {k: outcome.get(k, 0) for k in ("passed", "failed", "not_run")},
        "waived": sum(bool(c["waiver_id"]) for c in data.checks),
        "warnings": [w["description_zh"] for w in data.warnings],
        "rejections": named_rejections(data),
        # a waiver by the check's Chinese description, not its code
        "waivers": [
            dict(w, description_zh=described.get(w["waiver_id"], "")) for w in data.waivers
        ],
    }


def written_on(generated_at: str) -> str:
    """The date line in Arabic numerals, Beijing time: 2024年1月21日."""
    moment = dt.datetime.fromisoformat(generated_at.replace("Z", "+00:00")).astimezone(BEIJING)
    return f"{moment.year}年{moment.month}月{moment.day}日"


def render_html(data: PackData, words: Words | None = None) -> str:
    # Every value is escaped, whatever the template's name: text from data is never markup
    # (WeasyPrint would fetch an <img> a clerk typed).
    words = words or Words(data.quarter)
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    release = data.kpis["release"]
    rows = kpi_rows(data)
    deliveries = named_deliveries(data)
    names = {(r["kpi"], r["scope"]): r["name_zh"] for r in rows}
    restatement = release.get("restatement")
    if restatement:
        restatement = dict(
            restatement,
            changed_kpis=[
                dict(
                    c,
                    name=names.get((c["kpi"], c["scope"]), c["kpi"]),
                    scope_zh=fmt.SCOPES.get(c["scope"], c["scope"]),
                    dimension_zh=dimension_zh(c["dimension"]),
                )
                for c in restatement["changed_kpis"]
            ],
        )
    missing = [d for d in deliveries if d["status"] == "missing"]
    return environment.get_template("brief.html").render(
        fonts={role: path.as_uri() for role, path in installed().items()},
        fallback=whole_sans().as_uri(),
        title=words.render("title.j2"),
        opening=words.render("opening.j2"),
        version=release["version"],
        provisional=release["status"] == "provisional",
        missing="、".join(f"{d['department']}“{d['feed']}”" for d in missing),
        restatement=restatement,
        headlines=[
            words.sentence("headline.j2", k=figures(r), v=data.value) for r in headlines(rows)
        ],
        sections=_sections(words, rows, data),
        problems=_problems(words, rows, deliveries, data.value),
        next_steps=words.note(NEXT_STEPS) or [words.sentence("placeholder.j2", heading=NEXT_STEPS)],
        authority=words.authority(),
        written_on=written_on(release["generated_at"]),
        kpi_table=_kpi_table(rows),
        deliveries=deliveries,
        delivery_note=fmt.DELIVERY_NOTE,
        **_quality(data),
    )


def write_brief(data: PackData, path: Path, words: Words | None = None) -> Path:
    import weasyprint

    # WeasyPrint notes each font it subsets with fontTools; the pack's log has no use for it.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    html = render_html(data, words)
    weasyprint.HTML(string=html, base_url=str(TEMPLATES)).write_pdf(str(path))
    return path
