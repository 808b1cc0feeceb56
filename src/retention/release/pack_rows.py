"""The pack's rows as the brief reads them, in the columns of the dbt pack layer's models
(pack_kpis, pack_deliveries, pack_rejections, pack_towns): each KPI with its catalogue entry,
its target and the time-elapsed schedule; deliveries, rejected rows and towns by their Chinese
names."""

from __future__ import annotations

import csv
import json
from typing import Any

from retention.contract import default_contract
from retention.ingest.messages import ROW_REASONS
from retention.paths import REFERENCE_DIR
from retention.release import formatting as fmt
from retention.release.pack_data import PackData

SCOPES = {
    "quarter": "本季度",
    "ytd": "本年累计",
    "cumulative": "历年累计",
    "as_of": "季末",
    "cohort": "届别",
}
# The words a dimension's keys and values are shown in, in the KPI table and the restatement.
DIMENSIONS = {
    "cohort_year": lambda v: f"{v}届",
    "industry_program": lambda v: "产教融合学生" if v else "其他学生",
}


def dimension_zh(dimension: dict[str, Any] | str) -> str:
    if isinstance(dimension, str):
        dimension = json.loads(dimension) if dimension else {}
    return "，".join(DIMENSIONS[k](v) if k in DIMENSIONS else str(v) for k, v in dimension.items())


def _sections() -> dict[str, dict[str, str]]:
    # until pack_kpis carries section_title_zh and section_position
    with (REFERENCE_DIR / "pack_sections.csv").open(encoding="utf-8") as fh:
        return {row["section"]: row for row in csv.DictReader(fh)}


def kpi_rows(data: PackData) -> list[dict[str, Any]]:
    """Each KPI row of the quarter joined with its catalogue entry, in the catalogue's order:
    a row without an entry is a build failure upstream, not a row to drop here."""
    catalogue = {(c["kpi"], c["scope"]): c for c in data.catalogue}
    sections = _sections()
    year, number = int(data.quarter[:4]), int(data.quarter[-1])
    rows = []
    for row in data.kpis["kpis"]:
        entry = catalogue[(row["kpi"], row["scope"])]
        target_kpi = entry.get("target_kpi")
        rows.append(
            {
                **entry,
                **row,
                "section_title_zh": sections[entry["section"]]["title_zh"],
                "section_position": int(sections[entry["section"]]["position"]),
                "target_value": data.value(target_kpi, row["scope"], **row["dimension"])
                if target_kpi
                else None,
                "schedule_progress": number / 4,
                "last_year_value": row.get("last_year_value"),
                "is_partial_cohort": row["dimension"].get("cohort_year") == year,
            }
        )
    rows.sort(key=lambda r: r.get("position") or 0)
    return rows


def _on(day: Any) -> str:
    """2024年1月15日."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def _delivered_on(delivery: dict[str, Any]) -> str:
    """2024年1月8日（填报日期）; 未记录 when nobody recorded it; blank when not delivered."""
    if not delivery["is_delivered"]:
        return ""
    if delivery["delivered_on"] is None:
        return "未记录"
    return (
        f"{_on(delivery['delivered_on'])}（{fmt.DELIVERED_ON_FROM[delivery['delivered_on_from']]}）"
    )


def named_deliveries(data: PackData) -> list[dict[str, Any]]:
    contract = default_contract()
    rejected: dict[str, int] = {}
    for r in data.rejections:
        rejected[r["feed"]] = rejected.get(r["feed"], 0) + r["rows_rejected"]
    return [
        {
            "department": contract.departments[d["department"]]["zh"],
            "feed": contract.feeds[d["feed"]].title,
            "due": _on(d["due_on"]),
            "delivered": _on(d["delivered_on"]),
            "delivered_on": _delivered_on(d),
            "status": d["delivery_status"],
            "status_zh": fmt.DELIVERY_STATUS[d["delivery_status"]],
            "rejected": rejected.get(d["feed"], 0),
        }
        for d in data.deliveries
    ]


def named_rejections(data: PackData) -> list[dict[str, Any]]:
    contract = default_contract()
    return [
        {
            "feed": contract.feeds[r["feed"]].title,
            "reason": ROW_REASONS[r["rejection_reason"]][0].split("（")[0],
            "rows": r["rows_rejected"],
        }
        for r in data.rejections
    ]


def towns(data: PackData) -> list[dict[str, Any]]:
    """Intake by town (镇街): this year to date, last year's, the change."""
    return [
        {
            "town": b["breakdown_value"],
            "ytd": fmt.count(b["ytd_intake"], "人"),
            "last_year": fmt.count(b["ytd_intake_last_year"] or 0, "人"),
            "yoy": fmt.change(b["ytd_intake"] / b["ytd_intake_last_year"] - 1, "ratio")
            if b["ytd_intake_last_year"]
            else "—",
        }
        for b in data.breakdowns
        if b["breakdown"] == "town"
    ]
