"""Everything the leadership pack shows, read once from the warehouse for one quarter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from retention import warehouse
from retention.builds import BuildRun, NotBuilt, current_build
from retention.errors import CHECKS_FAILED, ExpectedError
from retention.gate import waivers
from retention.kpis import kpis_document


class ReleaseRefused(ExpectedError):
    """The quarter may not be released; the message says why and what to do."""


@dataclass
class PackData:
    quarter: str
    kpis: dict[str, Any]  # the kpis.json document (release block filled in later)
    catalogue: list[dict[str, Any]]  # in position order, with unit and section presentation
    kpi_rows: list[dict[str, Any]]  # the quarter's pack_kpis: each kpis.json row presented
    districts: list[dict[str, Any]]
    breakdowns: list[dict[str, Any]]
    towns: list[dict[str, Any]]
    intake_by_quarter: list[dict[str, Any]]
    subsidy_items: list[dict[str, Any]]
    trends: list[dict[str, Any]]
    deliveries: list[dict[str, Any]]
    rejections: list[dict[str, Any]]
    checks: list[dict[str, Any]]  # the gate run's results, each with the waiver it met
    waivers: list[dict[str, Any]]  # those waivers (retention.gate.waivers), as JSON
    build: BuildRun
    gate_run: dict[str, Any]
    submissions: list[dict[str, Any]]  # the quarter's and earlier ones the build read

    def value(self, kpi: str, scope: str, **dimension: Any) -> float | None:
        for row in self.kpis["kpis"]:
            if row["kpi"] == kpi and row["scope"] == scope and row["dimension"] == dimension:
                return row["value"]
        return None

    @property
    def warnings(self) -> list[dict[str, Any]]:
        return [c for c in self.checks if c["severity"] == "warning" and c["success"] is False]

    def row(self, kpi: str, scope: str, **dimension: Any) -> dict[str, Any] | None:
        return next(
            (
                r
                for r in self.kpis["kpis"]
                if r["kpi"] == kpi and r["scope"] == scope and r["dimension"] == dimension
            ),
            None,
        )


def _dicts(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def latest_gate_run(
    con: duckdb.DuckDBPyConnection, quarter: str, build: BuildRun
) -> dict[str, Any]:
    """The gate's latest run for the quarter, which must have passed on the current build."""
    validate = f"`retention validate --quarter {quarter}`"
    try:
        runs = _dicts(
            con,
            "select run_id, run_at, passed, blocking_failures, warnings, build_id "
            "from gate.runs where quarter = ? order by run_at desc limit 1",
            [quarter],
        )
    except duckdb.CatalogException:
        runs = []
    if not runs:
        raise ReleaseRefused(
            f"{quarter} 尚未经过质量检查，请先运行 {validate} / {quarter} has not been through "
            f"the quality gate: run {validate} first"
        )
    run = runs[0]
    if run["build_id"] != build.build_id:
        raise ReleaseRefused(
            f"{quarter} 的最近一次质量检查（{run['run_id']}）不是在当前构建 {build.build_id} 上"
            f"运行的，请运行 {validate} / the gate's latest run for {quarter} ({run['run_id']}) "
            f"was not on the current build {build.build_id}: run {validate}"
        )
    if not run["passed"]:
        failed = _dicts(
            con,
            "select suite, check_name, expectation, observed_value, description_en "
            "from gate.results where run_id = ? and severity = 'blocking' and not success "
            "and waiver_id is null",
            [run["run_id"]],
        )
        lines = "; ".join(
            f"{f['suite']}.{f['check_name']} ({f['description_en']}): {f['observed_value']}"
            for f in failed
        )
        waive = f"`retention waive --quarter {quarter} --check CHECK --by NAME --reason TEXT`"
        raise ReleaseRefused(
            f"{quarter} 未通过质量检查的 {len(failed)} 项阻断检查（{run['run_id']}），不能发布："
            f"请改正数据、重新报送，或由负责人豁免 / {quarter} failed {len(failed)} blocking "
            f"check(s) of the quality gate (run {run['run_id']}): {lines}; correct the data and "
            f"deliver it again, or have a named person waive a check with {waive}",
            exit_code=CHECKS_FAILED,
        )
    return run


def ledger_files(state: Path) -> set[str]:
    """The SHA-256 of every file the ledger has loaded, in effect or replaced since."""
    with warehouse.connect(state, read_only=True) as con:
        sql = "select file_sha256 from ledger.submissions where status in ('loaded', 'superseded')"
        return {sha for (sha,) in con.execute(sql).fetchall()}


def read_pack_data(state: Path, quarter: str, generated_at: dt.datetime) -> PackData:
    with warehouse.connect(state, read_only=True) as con:
        try:
            build = current_build(con)
        except NotBuilt as stale:
            raise ReleaseRefused(str(stale)) from None
        gate_run = latest_gate_run(con, quarter, build)
        checks = _dicts(
            con,
            "select * from pack.pack_quality where run_id = ? order by suite, check_name",
            [gate_run["run_id"]],
        )
        waived = waivers.by_id(con, [c["waiver_id"] for c in checks if c["waiver_id"]])
        year = int(quarter[:4])
        return PackData(
            quarter=quarter,
            kpis=kpis_document(state, quarter, generated_at=generated_at),
            catalogue=_dicts(
                con,
                "select catalogue.*, units.measure_word, units.decimals, "
                "sections.title_zh as section_title_zh, sections.position as section_position "
                "from reference.kpi_catalogue as catalogue "
                "join reference.kpi_units as units using (unit) "
                "join reference.pack_sections as sections using (section) "
                "order by catalogue.position",
            ),
            kpi_rows=_dicts(
                con,
                "select * from pack.pack_kpis where quarter = ? order by position, dimension",
                [quarter],
            ),
            districts=_dicts(
                con,
                "select * from pack.pack_districts where quarter = ? "
                "order by completion_rank, region_code",
                [quarter],
            ),
            breakdowns=_dicts(
                con,
                "select * from pack.pack_intake_breakdowns where quarter = ? "
                "order by breakdown, ytd_intake desc, breakdown_value",
                [quarter],
            ),
            towns=_dicts(
                con,
                "select * from pack.pack_towns where quarter = ? order by town_position",
                [quarter],
            ),
            intake_by_quarter=_dicts(
                con,
                "select quarter, value from pack.pack_intake_by_quarter "
                "where quarter_year in (?, ?) order by quarter",
                [year, year - 1],
            ),
            subsidy_items=_dicts(
                con,
                "select * from pack.pack_subsidy_items where quarter = ? "
                "order by category, amount_yuan desc",
                [quarter],
            ),
            trends=_dicts(
                con,
                "select * from pack.pack_trends where quarter <= ? order by quarter, position",
                [quarter],
            ),
            deliveries=_dicts(
                con,
                "select * from pack.pack_deliveries where quarter = ? order by department, feed",
                [quarter],
            ),
            rejections=_dicts(
                con,
                "select * from pack.pack_rejections where quarter = ? order by feed, reason",
                [quarter],
            ),
            checks=checks,
            waivers=[w.as_json() for w in waived],
            build=build,
            gate_run=gate_run,
            submissions=_dicts(
                con,
                "select s.submission_id, department, feed, quarter, version, is_baseline, "
                "file_name, s.file_sha256, rows_loaded, rows_rejected "
                "from ops.build_submissions as read join ledger.submissions as s "
                "using (submission_id) "
                "where read.build_id = ? and quarter <= ? order by feed, quarter, version",
                [build.build_id, quarter],
            ),
        )
