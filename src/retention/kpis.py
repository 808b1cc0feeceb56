"""A quarter's kpis.json (contract/kpis.md) from the pack layer (dbt models/pack)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb

from retention import warehouse
from retention.errors import ExpectedError


class QuarterNotFound(ExpectedError):
    """No KPIs for the quarter: not loaded, or not built yet."""


def _number(value: float | None, decimals: int) -> float | int | None:
    """The value as dbt rounded it (kpi_units.decimals), a count as a whole number."""
    if value is None:
        return None
    return value if decimals else int(value)


def missing_feeds(con, quarter: str) -> list[str]:
    """The feeds expected for the quarter and not delivered: the one place this is asked."""
    rows = con.execute(
        "select feed from pack.pack_deliveries "
        "where quarter = ? and not is_delivered order by feed",
        [quarter],
    ).fetchall()
    return [r[0] for r in rows]


def kpi_rows(con, quarter: str) -> list[dict[str, Any]]:
    """The quarter's KPIs in catalogue order, as kpis.json lists them."""
    rows = con.execute(
        "select kpi, scope, value, unit, dimension, yoy, qoq, decimals from pack.pack_kpis "
        "where quarter = ? order by position, dimension",
        [quarter],
    ).fetchall()
    return [
        {
            "kpi": kpi,
            "scope": scope,
            "value": _number(value, decimals),
            "unit": unit,
            "dimension": json.loads(dimension),
            "yoy": yoy,
            "qoq": qoq,
        }
        for kpi, scope, value, unit, dimension, yoy, qoq, decimals in rows
    ]


def kpis_document(
    state: Path, quarter: str, version: int | None = None, generated_at: dt.datetime | None = None
) -> dict[str, Any]:
    with warehouse.connect(state, read_only=True) as con:
        try:
            kpis = kpi_rows(con, quarter)
        except duckdb.CatalogException:  # loaded, never built
            kpis = []
        if not kpis:
            raise QuarterNotFound(
                f"仓库中没有 {quarter} 的指标：请检查季度，或先运行 retention ingest 与 retention "
                f"build / the warehouse has no KPIs for {quarter}: check the quarter, or run "
                "`retention ingest` and `retention build` first"
            )
        missing = missing_feeds(con, quarter)
    generated_at = generated_at or dt.datetime.now(dt.UTC)
    release: dict[str, Any] = {
        "version": version,
        "status": "provisional" if missing else "final",
        "generated_at": generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if missing:
        release["missing_feeds"] = missing
    return {"quarter": quarter, "release": release, "kpis": kpis}
