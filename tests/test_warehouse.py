"""The warehouse on the bundled sample: dbt builds every KPI, kpis.json shows the city's 2023
figures, and the gate passes the sample but stops corrupted copies of it."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import read_rows, resend_without, retention_cli, write_csv

from retention.build import build
from retention.contract import default_contract
from retention.gate.checks import bounds_checks
from retention.gate.runner import run_gate
from retention.ingest.loader import ingest
from retention.paths import REFERENCE_DIR, SAMPLE_LANDING, warehouse_path
from retention.release.pack import make_release
from retention.release.pack_data import ReleaseRefused


def test_kpis_json_for_2023q4_gives_every_figure_of_the_reply(built: Path) -> None:
    run = retention_cli("kpis", "--quarter", "2023Q4", "--state", str(built))
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    assert document["quarter"] == "2023Q4"
    assert document["release"]["status"] == "final"
    value = {(k["kpi"], k["scope"]): k["value"] for k in document["kpis"] if not k["dimension"]}
    assert value["graduate_intake", "ytd"] == 20999
    assert value["graduate_intake_target", "ytd"] == 20400
    assert value["graduate_intake_completion_rate", "ytd"] == 1.0293
    assert value["graduate_intake_rank", "ytd"] == 3
    assert round(value["talent_subsidy_amount", "ytd"] / 1e8, 2) == 1.47
    assert value["talent_child_enrollments", "ytd"] == 120
    assert round(value["employment_subsidy_amount", "ytd"] / 1e4, 2) == 3354.76
    assert value["employment_subsidy_enterprise_times", "ytd"] == 1241
    assert value["employment_subsidy_graduate_times", "ytd"] == 2864
    assert round(value["rental_housing_units", "cumulative"] / 1e4, 1) == 3.5
    assert value["public_rental_households", "cumulative"] == 5508
    assert value["talent_apartments_sold", "cumulative"] == 1247
    assert value["industry_program_students", "cumulative"] == 2957
    assert 3900 <= value["practice_positions", "cumulative"] <= 3999
    assert 8000 <= value["practice_youth", "cumulative"] <= 8999
    assert value["internship_bases_new", "ytd"] == 43
    assert value["internship_bases_active", "as_of"] == 130
    assert value["unemployed_support_coverage_rate", "as_of"] == 1.0


def test_every_catalogue_kpi_is_reported_for_every_quarter(built: Path) -> None:
    with duckdb.connect(str(warehouse_path(built)), read_only=True) as con:
        missing = con.execute(
            """select quarters.quarter, catalogue.kpi, catalogue.scope
            from intermediate.int_quarters as quarters
            cross join reference.kpi_catalogue as catalogue
            anti join reports.rpt_quarterly_kpis as report
              on report.quarter = quarters.quarter and report.kpi = catalogue.kpi
             and report.scope = catalogue.scope"""
        ).fetchall()
        quarters = con.execute("select count(*) from intermediate.int_quarters").fetchall()
    assert missing == []
    assert quarters == [(10,)]  # 2022Q1 to 2024Q2


def test_the_gate_passes_the_sample(built: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"  # a run of its own: `gated` is `built` and one run
    shutil.copytree(built, state)
    # a state folder named relative to the working directory, as a clerk may type it
    run = retention_cli("validate", "--quarter", "2023Q4", "--state", "state", cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    with duckdb.connect(str(warehouse_path(state)), read_only=True) as con:
        stored = con.execute(
            "select count(*), count(*) filter (where severity = 'blocking' and not success) "
            "from gate.results where quarter = '2023Q4'"
        ).fetchall()[0]
    assert stored[0] > 100 and stored[1] == 0
    assert (state / "gx/gx/uncommitted/data_docs/local_site/index.html").exists()


def test_data_docs_keep_every_run_when_a_run_renders_only_its_own_pages(
    gated: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    shutil.copytree(gated, state)
    site = state / "gx/gx/uncommitted/data_docs/local_site"
    first = {page: page.read_text(encoding="utf-8") for page in site.rglob("validations/**/*.html")}

    run = run_gate(state, "2023Q4")

    index = run.data_docs.read_text(encoding="utf-8")
    linked = [site / href for href in re.findall(r'href="(validations/[^"]+\.html)"', index)]
    assert all(page.exists() for page in linked)
    # the index lists the earlier run's pages, left as they were, beside this run's new ones
    assert set(first) < set(linked)
    assert all(page.read_text(encoding="utf-8") == text for page, text in first.items())
    assert len(linked) == 2 * len(first)


def _reject_five_percent(landing: Path, state: Path) -> None:
    """Deliver a v2 of practice_position 2023Q4 in which 5% of rows carry a bad date."""
    (source,) = SAMPLE_LANDING.glob("youth/practice_position_2023Q4.*")
    rows = len(read_rows(source))

    def break_date(index: int, row: list[str], header: list[str]) -> list[str]:
        if index <= rows // 20:
            column = (
                header.index("发布日期") if "发布日期" in header else header.index("published_on")
            )
            row[column] = "2023-13-01"
        return row

    target = landing / "youth/practice_position_2023Q4_v2.csv"
    resend_without(source, target, {"岗位编号", "position_id"}, break_date)
    ingest(landing, state)


def test_the_gate_stops_a_corrupted_quarter_naming_each_check(built: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    shutil.copytree(built, state)
    with duckdb.connect(str(warehouse_path(state))) as con:
        con.execute(
            "update raw.subsidy_payment set amount_yuan = amount_yuan * 100 where payment_id = "
            "(select min(payment_id) from raw.subsidy_payment where quarter = '2023Q4')"
        )
        con.execute(
            "update raw.district_intake set intake_ytd = intake_ytd + 7 "
            "where quarter = '2023Q4' and region_code = '330282'"
        )
        con.execute(
            "update raw.practice_participant set position_id = 'NEVER-DELIVERED' where "
            "enrollment_id = (select min(enrollment_id) from raw.practice_participant "
            "where quarter = '2023Q4')"
        )
    _reject_five_percent(tmp_path / "landing", state)
    build(state)

    run = run_gate(state, "2023Q4")

    assert not run.passed
    assert {o.check.id for o in run.blocking_failures} == {
        "plausibility.subsidy_within_standard",
        "cross_feed.district_row_matches_our_count",
        "cross_feed.participant_positions_delivered",
        "ingestion_health.rejected_rows_under_threshold",
    }
    cli = retention_cli("validate", "--quarter", "2023Q4", "--state", str(state))
    assert cli.returncode == 1
    assert "cross_feed.participant_positions_delivered" in cli.stdout
    assert "practice_position" in cli.stdout and "not releasable" in cli.stdout


def test_a_rental_project_of_millions_of_units_blocks_the_release(
    built: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    shutil.copytree(built, state)
    header = ["项目编号", "项目名称", "筹集方式", "所属镇街", "房源套数", "纳入日期"]
    rows = [
        ["BZZF2023901", "浒山青年公寓", "新建", "浒山街道", "320", "2023-10-16"],
        ["BZZF2023902", "古塘人才驿站", "改建", "古塘街道", "3000000", "2023-11-20"],
    ]
    v9 = write_csv(tmp_path / "landing/housing/rental_housing_project_2023Q4_v9.csv", header, rows)
    (loaded,) = ingest(v9.parent.parent, state)
    assert (loaded.status, loaded.rows_loaded) == ("loaded", 2)  # a count is a valid int
    build(state)

    run = run_gate(state, "2023Q4")

    assert [o.check.id for o in run.blocking_failures] == [
        "plausibility.rental_housing_project_within_bounds"
    ]
    (failure,) = run.blocking_failures
    assert "BZZF2023902" in failure.observed and "房源套数不超过 5,000" in failure.sentence()
    with pytest.raises(ReleaseRefused, match="rental_housing_project_within_bounds"):
        make_release(state, "2023Q4", tmp_path / "releases")


def test_every_plausibility_bound_names_a_numeric_column_of_the_contract() -> None:
    with (REFERENCE_DIR / "plausibility_bounds.csv").open(encoding="utf-8") as fh:
        rows = [(r["feed"], r["column_name"], r["max_value"]) for r in csv.DictReader(fh)]
    checks = bounds_checks(default_contract(), rows)
    assert "plausibility.rental_housing_project_within_bounds" in {c.id for c in checks}
    with pytest.raises(ValueError, match="graduate_intake.major"):
        bounds_checks(default_contract(), [("graduate_intake", "major", "10")])
