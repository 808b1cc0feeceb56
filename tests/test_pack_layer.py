"""The pack layer (dbt models/pack): what the leadership pack reads, and the catalogue behind it."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml
from conftest import INTAKE_HEADER, intake_row, write_csv

from retention.build import build
from retention.builds import current_build
from retention.gate.runner import GateError, run_gate
from retention.ingest.loader import ingest
from retention.kpis import kpis_document
from retention.paths import DBT_DIR, PROJECT_ROOT, warehouse_path

REFERENCE = PROJECT_ROOT / "seeds" / "reference"


def _seed(name: str) -> list[dict[str, str]]:
    with (REFERENCE / f"{name}.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _contract_catalogue() -> set[tuple[str, str, str]]:
    """(kpi, scope, unit) of each row of the catalogue table in contract/kpis.md."""
    text = (PROJECT_ROOT / "contract" / "kpis.md").read_text(encoding="utf-8")
    table = text.split("## Catalogue", 1)[1].split("\n\n", 2)[1]
    rows = set()
    for line in table.splitlines()[2:]:  # below the header and its rule
        kpi, scopes, unit, _definition = (cell.strip() for cell in line.strip("|").split("|"))
        rows |= {(kpi, scope.strip(), unit) for scope in scopes.split(",")}
    return rows


def test_the_catalogue_agrees_with_contract_kpis_md() -> None:
    seed = {(r["kpi"], r["scope"], r["unit"]) for r in _seed("kpi_catalogue")}
    contract = _contract_catalogue()
    assert len(contract) == 31
    assert seed == contract, {"seed only": seed - contract, "kpis.md only": contract - seed}


def test_every_catalogue_row_is_presented_in_plain_chinese() -> None:
    units = {u["unit"] for u in _seed("kpi_units")}
    sections = {s["section"] for s in _seed("pack_sections")}
    for row in _seed("kpi_catalogue"):
        assert row["unit"] in units and row["section"] in sections, row
        assert re.search(r"[\u4e00-\u9fff]", row["definition_zh"]), row
        # leaders read no feed codes: the English ids stay in the engineers' definition
        assert not re.search(r"[a-z]+_[a-z]+", row["definition_zh"]), row


def test_every_row_reason_of_the_contract_has_a_chinese_name() -> None:
    contract = yaml.safe_load((PROJECT_ROOT / "contract" / "feeds.yaml").read_text("utf-8"))
    assert {r["reason"] for r in _seed("rejection_reasons")} == set(contract["reasons"]["row"])


@pytest.fixture(scope="module")
def baselined(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Graduate intake handed over as a baseline to 2022Q4, then regular files from 2023Q1."""
    landing = tmp_path_factory.mktemp("baselined") / "landing"
    state = landing.parent / "state"
    history = [intake_row(1, "2022-02-01"), intake_row(2, "2022-03-01")]
    history.append(intake_row(3, "2022-11-01"))
    write_csv(landing / "hrss/graduate_intake_baseline_2022Q4.csv", INTAKE_HEADER, history)
    regular = [intake_row(n, "2023-02-01") for n in (4, 5, 6)]
    write_csv(landing / "hrss/graduate_intake_2023Q1.csv", INTAKE_HEADER, regular)
    assert all(r.status == "loaded" for r in ingest(landing, state))
    build(state)
    return state


def test_a_baseline_gives_the_first_regular_year_its_changes(baselined: Path) -> None:
    with duckdb.connect(str(warehouse_path(baselined)), read_only=True) as con:
        assert current_build(con).build_id  # the build passed, its exposure included
    document = kpis_document(baselined, "2023Q1")
    rows = {(r["kpi"], r["scope"]): r for r in document["kpis"] if not r["dimension"]}
    # 3 received in 2023Q1 against 2 in 2022Q1 (a year earlier) and 1 in 2022Q4
    assert (
        rows["graduate_intake", "quarter"] | {"value": 3, "yoy": 0.5, "qoq": 2.0}
        == rows["graduate_intake", "quarter"]
    )
    assert (rows["graduate_intake", "ytd"]["value"], rows["graduate_intake", "ytd"]["yoy"]) == (
        3,
        0.5,
    )
    # a feed with neither a file nor a baseline has no data, so no value and no change
    assert rows["employment_subsidy_amount", "ytd"]["value"] is None
    assert rows["employment_subsidy_amount", "ytd"]["yoy"] is None
    # the history's quarters are compared with, never published
    with duckdb.connect(str(warehouse_path(baselined)), read_only=True) as con:
        published = con.execute("select distinct quarter from pack.pack_kpis").fetchall()
        town = con.execute(
            "select ytd_intake, ytd_intake_last_year, yoy from pack.pack_towns "
            "where quarter = '2023Q1' and town_name = '浒山街道'"
        ).fetchall()
    assert published == [("2023Q1",)]
    assert town == [(3, 2, 0.5)]  # the town's change has its last year from the baseline too


def _dbt_project_copy(target: Path) -> Path:
    """The dbt project with its seeds as real files, to change a seed without touching ours."""
    ignore = shutil.ignore_patterns("target", "logs", "dbt_packages")
    shutil.copytree(DBT_DIR, target, symlinks=False, ignore=ignore)
    return target


def test_a_kpi_row_without_a_catalogue_row_fails_the_build(
    baselined: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without its catalogue row, graduate_intake (quarter) would vanish from kpis.json; instead
    rpt_quarterly_kpis keeps it with no unit, its not_null test fails, dbt stops the pack's
    models after it, and the build fails: no current build, so no gate run and no release."""
    from dbt.cli.main import dbtRunner

    state = tmp_path / "state"
    shutil.copytree(baselined, state)
    project = _dbt_project_copy(tmp_path / "dbt")
    catalogue = project / "seeds" / "kpi_catalogue.csv"
    lines = catalogue.read_text(encoding="utf-8").splitlines(keepends=True)
    catalogue.write_text(
        "".join(line for line in lines if not line.startswith("graduate_intake,quarter,")),
        encoding="utf-8",
    )
    monkeypatch.setenv("RETENTION_WAREHOUSE", str(warehouse_path(state)))
    args = ["build", "--select", "kpi_catalogue", "rpt_quarterly_kpis+", "--quiet"]
    paths = ["--project-dir", str(project), "--profiles-dir", str(project)]
    result = dbtRunner().invoke([*args, *paths, "--target-path", str(tmp_path / "target")])

    assert not result.success
    failed = {r.node.name for r in result.result if str(r.status) in ("fail", "error")}
    assert failed == {"not_null_rpt_quarterly_kpis_unit"}
    skipped = {r.node.name for r in result.result if str(r.status) == "skipped"}
    assert "pack_kpis" in skipped
    with pytest.raises(GateError, match="retention build"):
        run_gate(state, "2023Q1")


def test_breakdown_changes_are_rounded_as_published(built: Path) -> None:
    with duckdb.connect(str(warehouse_path(built)), read_only=True) as con:
        rows = con.execute(
            "select ytd_intake, ytd_intake_last_year, yoy from pack.pack_intake_breakdowns "
            "where quarter = '2023Q4'"
        ).fetchall()
        towns = con.execute(
            "select count(*), count(yoy) from pack.pack_towns where quarter = '2023Q4'"
        ).fetchall()
    assert rows and all(yoy == round(yoy, 4) for *_, yoy in rows if yoy is not None)
    assert all(yoy == round(ytd / last - 1, 4) for ytd, last, yoy in rows if last), (
        "yoy is this year's ytd against last year's, to 4 decimals"
    )
    assert towns == [(len(_seed("cixi_towns")), len(_seed("cixi_towns")))]


def test_kpis_json_lists_the_kpis_in_catalogue_order_rounded_by_unit(built: Path) -> None:
    document = kpis_document(built, "2023Q4")
    position = {(r["kpi"], r["scope"]): int(r["position"]) for r in _seed("kpi_catalogue")}
    decimals = {u["unit"]: int(u["decimals"]) for u in _seed("kpi_units")}
    order = [position[r["kpi"], r["scope"]] for r in document["kpis"]]
    assert order == sorted(order) and set(order) == set(position.values())
    for row in document["kpis"]:
        if row["value"] is not None:
            assert row["value"] == round(row["value"], decimals[row["unit"]]), row
            assert isinstance(row["value"], float if decimals[row["unit"]] else int), row


def test_every_kpi_family_model_is_published() -> None:
    """A KPI family model left out of kpi_values would never reach the pack, silently: dbt's
    manifest shows which models of the KPI folder kpi_values reads."""
    from retention.build import manifest

    nodes = json.loads(manifest().read_text(encoding="utf-8"))["nodes"]
    families = {
        node["unique_id"]
        for node in nodes.values()
        if node["resource_type"] == "model"
        and node["original_file_path"].startswith("models/reports/kpi/")
    }
    (union,) = (
        n for n in nodes.values() if n["resource_type"] == "model" and n["name"] == "kpi_values"
    )
    assert len(families) >= 8
    assert families - set(union["depends_on"]["nodes"]) == set()
