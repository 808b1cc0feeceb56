"""The pack layer's rows (dbt models/pack, read by pack_data) as the brief reads them: KPI
dimensions as dictionaries, Chinese names, dates and changes as a leader reads them."""

from __future__ import annotations

import json
from typing import Any

from retention.release import formatting as fmt
from retention.release.pack_data import PackData

# The words a dimension's keys and values are shown in, in the KPI table and the restatement.
DIMENSIONS = {
    "cohort_year": lambda v: f"{v}届",
    "industry_program": lambda v: "产教融合学生" if v else "其他学生",
}


def dimension_zh(dimension: dict[str, Any] | str) -> str:
    if isinstance(dimension, str):
        dimension = json.loads(dimension) if dimension else {}
    return "，".join(DIMENSIONS[k](v) if k in DIMENSIONS else str(v) for k, v in dimension.items())


def kpi_rows(data: PackData) -> list[dict[str, Any]]:
    """The quarter's pack_kpis rows, in the catalogue's order, each dimension a dictionary."""
    return [dict(r, dimension=json.loads(r["dimension"] or "{}")) for r in data.kpi_rows]


def on(day: Any) -> str:
    """2024年1月15日."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def named_deliveries(data: PackData) -> list[dict[str, Any]]:
    return [
        {
            "department": d["department_zh"],
            "feed": d["feed_name_zh"],
            "due": on(d["due_on"]),
            "delivered": on(d["delivered_on"]),
            "delivered_on": fmt.delivered_on(d, on),
            "status": d["delivery_status"],
            "status_zh": d["status_zh"],
            "rejected": d["rows_rejected"] or 0,
        }
        for d in data.deliveries
    ]


def named_rejections(data: PackData) -> list[dict[str, Any]]:
    return [
        {"feed": r["feed_name_zh"], "reason": r["reason_zh"], "rows": r["rows_rejected"]}
        for r in data.rejections
    ]


def towns(data: PackData) -> list[dict[str, Any]]:
    """Intake by town (镇街), every town of the reference: this year to date, last year's, the
    change."""
    return [
        {
            "town": t["town_name"],
            "ytd": fmt.count(t["ytd_intake"], "人"),
            "last_year": fmt.figure(t["ytd_intake_last_year"], "persons"),
            "yoy": fmt.change(t["yoy"], "ratio"),
        }
        for t in data.towns
    ]
