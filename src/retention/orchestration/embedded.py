"""The DAGs of `retention run`, run with `dag.test` on an embedded SQLite metadata database in
the state folder, against the embedded DuckDB warehouse: the four department ingests, then the
quarter's release. The human steps are marked done without asking, as nobody is there to answer
them: the draft is published as approved, and a gate that failed stops the run (nobody waived
it; `retention waive` can). This runs in the child process run_command.py starts; a listener
tells it every task's end."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from retention.errors import ExpectedError
from retention.paths import PROJECT_ROOT

log = logging.getLogger(__name__)

DAGS_DIR = PROJECT_ROOT / "dags"
HUMAN_STEPS = "^(waive|approval)$"


class RunFailed(RuntimeError):
    pass


class RecordsDamaged(ExpectedError):
    """The Airflow database of `retention run` is no SQLite database (a disk fault, a copy cut
    short). It holds only the runs' own records (DAG runs, task states, XComs): the warehouse,
    the waivers and the releases are elsewhere, so a new one is all it takes."""

    def __init__(self, home: Path, reason: str) -> None:
        db = home / "airflow.db"
        super().__init__(
            f"Airflow 的运行记录 {db} 已损坏（{reason}）：请把文件夹 {home} 移走或删除后重新运行，"
            f"仓库和已发布的版本不受影响 / Airflow's records {db} are damaged ({reason}): move "
            f"the folder {home} aside (or delete it) and run again; the warehouse and the "
            "releases do not depend on it"
        )


def _configure(landing: Path, state: Path, out: Path) -> Path:
    """Airflow reads its configuration when first imported: set it before that. Returns
    Airflow's home, where its database is."""
    home = state.resolve() / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS_DIR),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        # Cosmos reports usage to its makers unless told not to
        AIRFLOW__COSMOS__ENABLE_TELEMETRY="False",
        # dbt's partial-parse file is kept per state: its warehouse path is part of what dbt
        # checks, so a cache shared with other states (Cosmos's default, /tmp) never matches
        AIRFLOW__COSMOS__CACHE_DIR=str(state.resolve() / "cosmos"),
        # see docker-compose.yml: the producer's per-node backup costs more than the build
        AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY="False",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
        RETENTION_LANDING=str(landing.resolve()),
        RETENTION_STATE=str(state.resolve()),
        RETENTION_RELEASES=str(out.resolve()),
    )
    return home


def _migrate(home: Path) -> None:
    """The metadata database brought to this Airflow's schema, in this process: `airflow db
    migrate` would start a second interpreter and import Airflow again, and even with nothing
    to do it takes seconds to check every table."""
    from airflow.utils.db import _get_current_revision, _get_script_object, upgradedb
    from airflow.utils.session import create_session
    from sqlalchemy.exc import DatabaseError

    try:
        with create_session() as session:
            if _get_current_revision(session) == _get_script_object().get_current_head():
                return
    except DatabaseError as error:
        # SQLite's own verdict on the file, not a lock or a full disk (OperationalError)
        if getattr(error.orig, "sqlite_errorname", None) in {"SQLITE_NOTADB", "SQLITE_CORRUPT"}:
            raise RecordsDamaged(home, str(error.orig)) from error
        raise
    upgradedb()


def run_dags(quarter: str, landing: Path, state: Path, out: Path) -> None:
    _migrate(_configure(landing, state, out))
    from airflow.dag_processing.dagbag import DagBag

    from retention.build import manifest
    from retention.orchestration.task_listener import listen

    manifest()  # the release DAG draws its dbt tasks from it
    listen()
    bag = DagBag(dag_folder=str(DAGS_DIR))
    if bag.import_errors:
        raise RunFailed(f"DAG files do not import: {bag.import_errors}")
    order = sorted(d for d in bag.dag_ids if d.startswith("ingest_")) + ["quarterly_release"]
    for dag_id in order:
        conf = {"quarter": quarter} if dag_id == "quarterly_release" else None
        dag_run = bag.get_dag(dag_id).test(run_conf=conf, mark_success_pattern=HUMAN_STEPS)
        if str(dag_run.state) != "success":
            raise RunFailed(f"{dag_id} ended {dag_run.state}")
