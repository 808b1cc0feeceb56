"""The Airflow DAGs: they import, say who owns them, retry, never cycle, parse fast, keep one
writer on the warehouse, and run the whole job end to end in-process."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path

import pendulum
import pytest
from conftest import retention_cli

# Airflow reads its configuration on first import: give it a home of its own first.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="airflow-home-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

from airflow.dag_processing.dagbag import DagBag  # noqa: E402

from retention.orchestration.embedded import DAGS_DIR  # noqa: E402
from retention.orchestration.settings import WAREHOUSE_POOL  # noqa: E402

WRITES_WAREHOUSE = {"ingest", "completeness", "build", "gate", "release"}


@pytest.fixture(scope="module")
def bag() -> DagBag:
    return DagBag(dag_folder=str(DAGS_DIR))


def test_every_dag_imports_with_tags_owner_and_retries(bag: DagBag) -> None:
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == {
        "ingest_hrss", "ingest_edu", "ingest_housing", "ingest_youth", "quarterly_release",
    }  # fmt: skip
    for dag in bag.dags.values():
        assert dag.tags and "retention" in dag.tags, dag.dag_id
        assert dag.doc_md, dag.dag_id
        for task in dag.tasks:
            assert task.owner == "data-engineering", task.task_id
            assert task.retries >= 1 or task.task_id == "approval", task.task_id
            assert task.on_failure_callback, task.task_id
        assert dag.topological_sort()  # raises on a cycle


def test_each_dag_file_parses_in_under_two_seconds(bag: DagBag) -> None:
    stats = {Path(s.file).name: s.duration for s in bag.dagbag_stats}
    assert set(stats) == {"department_ingest.py", "quarterly_release.py"}
    for name, duration in stats.items():
        seconds = duration.total_seconds() if isinstance(duration, dt.timedelta) else duration
        assert seconds < 2, name


def test_every_task_that_writes_the_warehouse_takes_the_one_slot(bag: DagBag) -> None:
    for dag in bag.dags.values():
        for task in dag.tasks:
            if task.task_id in WRITES_WAREHOUSE:
                assert task.pool == WAREHOUSE_POOL, (dag.dag_id, task.task_id)
        assert dag.max_active_runs == 1


def test_release_runs_the_day_after_the_last_deadline_in_shanghai(bag: DagBag) -> None:
    from croniter import croniter

    timetable = bag.dags["quarterly_release"].timetable
    assert str(timetable.timezone) == "Asia/Shanghai"
    after = pendulum.datetime(2024, 1, 1, tz="Asia/Shanghai")
    runs = croniter(timetable.expression, after)
    first, second = runs.get_next(dt.datetime), runs.get_next(dt.datetime)
    # the last deadline is 20 days after the quarter (district_intake): the run is on day 21
    assert (first.month, first.day, first.hour) == (1, 21, 2)
    assert (second.month, second.day) == (4, 21)


def test_the_embedded_run_releases_the_samples_2023q4(tmp_path: Path) -> None:
    state, out = tmp_path / "state", tmp_path / "releases"
    run = retention_cli("run", "--quarter", "2023Q4", "--state", str(state), "--out", str(out))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    document = json.loads((out / "2023Q4/v1/kpis.json").read_text(encoding="utf-8"))
    value = {(k["kpi"], k["scope"]): k["value"] for k in document["kpis"] if not k["dimension"]}
    assert document["release"]["status"] == "final"
    assert value["graduate_intake", "ytd"] == 20999
    assert value["graduate_intake_completion_rate", "ytd"] == 1.0293
    assert value["graduate_intake_rank", "ytd"] == 3
    assert value["employment_subsidy_enterprise_times", "ytd"] == 1241
    assert value["internship_bases_active", "as_of"] == 130
