"""The Airflow DAGs: they import, say who owns them, retry, never cycle, parse light, keep one
writer on the warehouse, and run the whole job end to end in-process."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pendulum
import pytest
from airflow.dag_processing.dagbag import DagBag  # conftest gave Airflow a home
from conftest import (
    Undisturbed,
    assert_the_samples_2023q4,
    retention_cli,
    wait_for_log,
    what_a_run_leaves,
)

from retention.orchestration.embedded import DAGS_DIR
from retention.orchestration.settings import WAREHOUSE_POOL
from retention.paths import DBT_DIR

# The tasks that never open the warehouse; every other task takes the warehouse pool's slot.
NO_WAREHOUSE = {"quarter", "waive", "approval", "notify", "build.dbt_producer_watcher_done"}


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
            # a person's answer is not retried, nor a dbt build (Cosmos would skip its retry)
            once = {"approval", "build.dbt_producer_watcher"}
            assert task.retries >= 1 or task.task_id in once, task.task_id
            assert task.on_failure_callback, task.task_id
        assert dag.topological_sort()  # raises on a cycle


# What a DAG file must not import at parse time: the scheduler parses each file every few
# seconds, and these take seconds to import (their work waits inside the tasks).
HEAVY = {"duckdb", "pandas", "polars", "pyarrow", "great_expectations", "dbt", "matplotlib"}

PARSE = """
import sys
from airflow.dag_processing.dagbag import DagBag
before = set(sys.modules)
bag = DagBag(dag_folder=sys.argv[1])
assert not bag.import_errors, bag.import_errors
print("imported:", " ".join(sorted({m.split(".")[0] for m in set(sys.modules) - before})))
"""


def test_parsing_the_dag_files_imports_nothing_heavy(tmp_path: Path) -> None:
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path)}
    parsed = subprocess.run(
        [sys.executable, "-c", PARSE, str(DAGS_DIR)], env=env, capture_output=True, text=True
    )
    assert parsed.returncode == 0, parsed.stderr[-2000:]
    (line,) = [x for x in parsed.stdout.splitlines() if x.startswith("imported:")]
    imported = set(line.split()[1:])
    assert "retention" in imported  # the DAG files were read
    assert not imported & HEAVY


def test_a_manifest_cut_short_is_parsed_again(tmp_path: Path) -> None:
    """dbt writes its manifest in place: a `dbt parse` killed while writing leaves it cut short
    and newer than every model. Taken as it is, the release DAG would not import until someone
    deleted it (`retention dbt-parse` took it too)."""
    from retention.build import is_current, manifest

    whole = manifest()
    cut = tmp_path / "manifest.json"
    cut.write_bytes(whole.read_bytes()[:4096])
    assert is_current(whole, DBT_DIR)
    assert not is_current(cut, DBT_DIR)


def test_a_model_renamed_makes_the_manifest_stale(tmp_path: Path) -> None:
    """`mv` keeps a file's time (and a deleted model leaves none): a manifest newer than every
    file still named the old model, whose task would wait an hour for a result the build never
    gives."""
    import shutil

    from retention.build import is_current, manifest

    project = tmp_path / "dbt"
    shutil.copytree(DBT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    (project / "target").mkdir()
    parsed = project / "target" / "manifest.json"
    shutil.copy2(manifest(), parsed)
    newest = max(p.stat().st_mtime for p in project.rglob("*"))
    os.utime(parsed, (newest + 1, newest + 1))  # parsed after the project was as it is
    assert is_current(parsed, project)
    models = project / "models" / "reports"
    (models / "rpt_intake_breakdown.sql").rename(models / "rpt_intake_by_district.sql")
    os.utime(models, (newest + 2, newest + 2))  # the rename, after the parse
    assert not is_current(parsed, project)


def test_every_task_that_opens_the_warehouse_takes_the_one_slot(bag: DagBag) -> None:
    from cosmos.operators._watcher.base import BaseConsumerSensor

    for dag in bag.dags.values():
        for task in dag.tasks:
            # a dbt node's task reads the producer's result: it waits for no slot
            reads_a_result = isinstance(task, BaseConsumerSensor)
            if task.task_id not in NO_WAREHOUSE and not reads_a_result:
                assert task.pool == WAREHOUSE_POOL, (dag.dag_id, task.task_id)
            if reads_a_result:
                assert task.pool != WAREHOUSE_POOL, task.task_id
        assert dag.max_active_runs == 1


def test_the_dbt_build_shows_every_model_and_has_one_writer(bag: DagBag) -> None:
    dag = bag.dags["quarterly_release"]
    models = {p.stem for p in (DBT_DIR / "models").rglob("*.sql")}
    shown = {t.task_id.split(".")[1].removesuffix("_run") for t in dag.tasks if "." in t.task_id}
    assert models <= shown
    # dbt builds once, in the producer; a node's task waits for it and reports its node, so
    # no node's task writes while dbt does
    producer = dag.get_task("build.dbt_producer_watcher")
    for task in dag.tasks:
        if task.task_id.startswith("build.") and task is not producer:
            assert producer.task_id in task.upstream_task_ids, task.task_id
    assert producer.upstream_task_ids == {"completeness"}
    # the gate waits for the producer's whole `dbt build`: seeds, models and their tests, with
    # nothing left out (a narrowed build is no build a release may come from)
    assert "build.dbt_producer_watcher_done" in dag.get_task("gate").upstream_task_ids
    command, _ = producer.build_cmd(context={}, cmd_flags=producer.add_cmd_flags())
    assert command[1] == "build"
    assert not {"--select", "--exclude", "--selector", "--resource-type"} & set(command)


def test_a_failed_dbt_build_fails_the_run_and_everything_after_it(bag: DagBag) -> None:
    """Cosmos skips the producer's retry (it never runs `dbt build` twice in a run): a skipped
    producer skipped every model's task and the gate, and the draft, which runs when the
    waiver is skipped, went on to a failed build. The producer fails for good instead, and
    what comes after it is upstream_failed: none of it skips or ignores a failure."""
    from airflow.sdk.exceptions import AirflowSkipException

    dag = bag.dags["quarterly_release"]
    producer = dag.get_task("build.dbt_producer_watcher")

    class SecondTry:
        try_number, dag_id, task_id = 2, dag.dag_id, producer.task_id

    with pytest.raises(AirflowSkipException):  # why it must not be retried
        type(producer).execute(producer, {"ti": SecondTry(), "run_id": "r", "task": producer})
    assert producer.retries == 0
    after = dag.partial_subset(producer.task_id, include_downstream=True, include_upstream=False)
    assert {"gate", "draft", "release"} <= set(after.task_dict)
    skips_failures = {"all_done", "all_skipped", "always", "one_failed", "one_success"}
    for task in after.tasks:
        assert task.trigger_rule not in skips_failures, task.task_id


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


@pytest.mark.slow
def test_the_embedded_run_releases_the_samples_2023q4(undisturbed: Undisturbed) -> None:
    assert_the_samples_2023q4(undisturbed.out / "2023Q4/v1")


@pytest.mark.slow
def test_the_dbt_producer_stores_only_what_the_model_tasks_read(undisturbed: Undisturbed) -> None:
    # each XCom is a call to Airflow's API from inside dbt's threads: a status for every model,
    # none for seeds or tests, which have no task to read them; and every model's task passed
    metadata = sqlite3.connect(undisturbed.state / "airflow" / "airflow.db")
    where = "dag_id = 'quarterly_release' and task_id like 'build.%'"
    keys = {k for (k,) in metadata.execute(f"select key from xcom where {where}")}
    models = {p.stem for p in (DBT_DIR / "models").rglob("*.sql")}
    statuses = {
        k.removesuffix("_status").split("__", 2)[2]
        for k in keys
        if k.startswith("model__") and k.endswith("_status")
    }
    assert statuses == models
    assert not {k for k in keys if k.startswith(("test__", "seed__", "unit_test__"))}
    states = {s for (s,) in metadata.execute(f"select state from task_instance where {where}")}
    assert states == {"success"}
    # nor is any DAG scheduled on a model's table: no asset per model
    assert metadata.execute("select uri from asset where uri like 'duckdb:%'").fetchall() == []


@pytest.mark.slow
def test_a_run_killed_mid_ingest_and_started_again_ends_as_an_undisturbed_one(
    undisturbed: Undisturbed, tmp_path: Path
) -> None:
    state, out = tmp_path / "state", tmp_path / "releases"
    args = ["run", "--quarter", "2023Q4", "--state", str(state), "--out", str(out)]
    process = subprocess.Popen(
        [sys.executable, "-m", "retention.cli", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    # the third department's ingest is writing
    wait_for_log(state, "replacing raw.graduate_intake", process)
    os.killpg(process.pid, signal.SIGKILL)  # the command and the child running the DAGs
    process.wait()
    assert not (out / "2023Q4").exists()

    again = retention_cli(*args)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert what_a_run_leaves(state) == what_a_run_leaves(undisturbed.state)
    released, expected = (
        json.loads((root / "2023Q4/v1/kpis.json").read_text(encoding="utf-8"))["kpis"]
        for root in (out, undisturbed.out)
    )
    assert released == expected
    assert not (out / "2023Q4/v2").exists()
