"""A new KPI is a dbt model, its unit test, its line in kpi_values and a catalogue row: with no
Python changed it reaches kpis.json, the workbook and the brief's table of every KPI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import openpyxl
import pytest

from retention.paths import PROJECT_ROOT, warehouse_path

QUARTER = "2023Q4"
NAME = "接收硕士及以上学历毕业生人数（累计）"

MODEL = """\
-- Postgraduates received: distinct persons with a master's or doctor's degree received from
-- 1 January to the quarter's end.
with quarters as (
    select * from {{ ref('int_kpi_periods') }}
),

intakes as (
    select * from {{ ref('fct_graduate_intakes') }}
    where degree in ('硕士', '博士')
),

received as (
    select
        quarters.quarter,
        count(distinct intakes.person_key) as postgraduates
    from quarters
    left join intakes
        on intakes.received_on between quarters.year_start and quarters.quarter_end
    group by quarters.quarter
),

final as (
    {{ kpi_row('postgraduate_intake', 'ytd', 'postgraduates') }} from received
)

select * from final
"""

UNIT_TEST = """\
unit_tests:
  - name: postgraduate_intake_counts_masters_and_doctors_once
    model: kpi_postgraduate_intake
    given:
      - input: ref('int_kpi_periods')
        rows:
          - {quarter: 2023Q4, year_start: 2023-01-01, quarter_end: 2023-12-31}
      - input: ref('fct_graduate_intakes')
        rows:
          - {person_key: p1, degree: 硕士, received_on: 2023-03-01}
          - {person_key: p1, degree: 硕士, received_on: 2023-09-01}
          - {person_key: p2, degree: 博士, received_on: 2023-05-01}
          - {person_key: p3, degree: 本科, received_on: 2023-05-01}
          - {person_key: p4, degree: 硕士, received_on: 2022-12-31}
    expect:
      rows:
        - {quarter: 2023Q4, kpi: postgraduate_intake, scope: ytd, dimension: "{}", value: 2}
"""

CATALOGUE_ROW = (
    "postgraduate_intake,ytd,persons,ratio,graduate_intake,{name},Postgraduates received,"
    "distinct persons with a master's or doctor's degree in graduate_intake received in the year "
    "to date,intake,100,,,当年1月1日至本季度末在我市办理接收登记的硕士、博士毕业生人数。\n"
)


def _project_with_a_new_kpi(root: Path) -> Path:
    """A copy of the project's data side (contract, reference data, dbt, checks) with the KPI
    added the way an analyst adds one; the Python package is the one under test, unchanged."""
    ignore = shutil.ignore_patterns("target", "logs", "dbt_packages", "sample")
    for part in ("contract", "seeds", "dbt", "expectations", "dags"):
        shutil.copytree(PROJECT_ROOT / part, root / part, symlinks=True, ignore=ignore)
    kpi_models = root / "dbt" / "models" / "reports" / "kpi"
    (kpi_models / "kpi_postgraduate_intake.sql").write_text(MODEL, encoding="utf-8")
    (kpi_models / "_kpi_postgraduate__unit_tests.yml").write_text(UNIT_TEST, encoding="utf-8")
    with (kpi_models.parent / "kpi_values.sql").open("a", encoding="utf-8") as union:
        union.write(
            "union all\nselect quarter, kpi, scope, dimension, value "
            "from {{ ref('kpi_postgraduate_intake') }}\n"
        )
    with (root / "seeds" / "reference" / "kpi_catalogue.csv").open("a", encoding="utf-8") as f:
        f.write(CATALOGUE_ROW.format(name=NAME))
    return root


def _retention(home: Path, *args: str) -> None:
    environment = {**os.environ, "RETENTION_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-m", "retention.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_a_kpi_added_by_model_unit_test_and_catalogue_row_reaches_the_pack(
    built: Path, tmp_path: Path
) -> None:
    home = _project_with_a_new_kpi(tmp_path / "project")
    state, out = tmp_path / "state", tmp_path / "releases"
    shutil.copytree(built, state)
    for step in (
        ["build"],
        ["validate", "--quarter", QUARTER],
        ["release", "--quarter", QUARTER, "--out", str(out)],
    ):
        _retention(home, *step, "--state", str(state))

    with duckdb.connect(str(warehouse_path(state)), read_only=True) as con:
        (expected,) = con.execute(
            "select count(distinct person_key) from marts.fct_graduate_intakes "
            "where degree in ('硕士', '博士') and received_on between '2023-01-01' and '2023-12-31'"
        ).fetchone()
    assert expected > 0
    version = out / QUARTER / "v1"
    kpis = json.loads((version / "kpis.json").read_text(encoding="utf-8"))["kpis"]
    added = [k for k in kpis if k["kpi"] == "postgraduate_intake"]
    assert [(k["scope"], k["value"], k["unit"]) for k in added] == [("ytd", expected, "persons")]
    assert kpis[-1]["kpi"] == "postgraduate_intake"  # at its catalogue position, the last

    (workbook,) = version.glob("*.xlsx")
    book = openpyxl.load_workbook(workbook, read_only=True)
    overview = {row[0]: row[2] for row in book["概览"].iter_rows(values_only=True) if row}
    assert overview[NAME] == expected

    import pypdfium2

    (brief,) = version.glob("*.pdf")
    pdf = pypdfium2.PdfDocument(brief)
    text = "".join(page.get_textpage().get_text_range() for page in pdf).replace("\r\n", "")
    assert NAME in text
