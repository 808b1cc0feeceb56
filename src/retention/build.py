"""`retention build`: the dbt build, in-process, against the state folder's warehouse."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from retention import warehouse
from retention.gate.tables import RESULTS_DDL
from retention.paths import DBT_DIR, DBT_MANIFEST, warehouse_path

log = logging.getLogger(__name__)


class BuildFailed(RuntimeError):
    """A model or a data test failed; the message names them."""


def dbt_args(state: Path, *args: str) -> list[str]:
    """dbt's own arguments: this project, and artefacts and logs kept in the state folder so
    that two states never share a target directory."""
    return [
        *args,
        "--project-dir",
        str(DBT_DIR),
        "--profiles-dir",
        str(DBT_DIR),
        "--target-path",
        str(state.resolve() / "dbt" / "target"),
        "--log-path",
        str(state.resolve() / "dbt" / "logs"),
    ]


def run_dbt(state: Path, *args: str) -> list:
    """Invoke dbt once (dbtRunner: no subprocess per model) and return its node results."""
    from dbt.cli.main import dbtRunner

    os.environ["RETENTION_WAREHOUSE"] = str(warehouse_path(state))
    # the profile's keep_open: false closes the warehouse when dbt is done with it; nothing on
    # the console (dbt prints its own tracebacks there): the failures come back in the result,
    # and everything is in <state>/dbt/logs/dbt.log
    quiet = ("--log-level", "none", "--log-level-file", "debug")
    result = dbtRunner().invoke(dbt_args(state, *args, *quiet))
    nodes = list(result.result or []) if hasattr(result.result, "__iter__") else []
    failed = [n for n in nodes if str(n.status) in {"error", "fail", "runtime error"}]
    if not result.success:
        names = ", ".join(f"{n.node.name} ({n.status}: {n.message})" for n in failed)
        raise BuildFailed(f"dbt {args[0]} failed: {names or result.exception}")
    return nodes


def manifest() -> Path:
    """dbt's manifest of the project (`dbt parse`), from which the release DAG draws one task
    per model without running dbt while it is parsed; parsed again when a model, macro, seed
    or setting is newer than it."""
    target = DBT_MANIFEST
    if is_current(target, DBT_DIR):
        return target
    from dbt.cli.main import dbtRunner

    args = ["parse", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR), "--quiet"]
    result = dbtRunner().invoke(args)
    if not result.success:
        raise BuildFailed(f"dbt parse failed: {result.exception}")
    return target


def is_current(target: Path, project: Path) -> bool:
    """Whether the manifest at `target` stands for the dbt project in `project`: newer than
    every file and folder of it, and whole. A folder counts for the files it lost or gained: a
    model renamed or deleted changes no file's time, and a task left for a model dbt no longer
    builds would wait for its result until the task's timeout. dbt writes the manifest in
    place, so a parse killed or stopped by a full disk leaves it cut short and newer than
    everything: taken as it is, every DAG parse would fail on it for good."""
    sources = [  # the seeds folder is a link, which rglob does not follow
        p
        for p in [*project.rglob("*"), *(project / "seeds").glob("*")]
        if p.relative_to(project).parts[0] not in {"target", "logs"}
    ]
    if not target.exists() or any(p.stat().st_mtime > target.stat().st_mtime for p in sources):
        return False
    try:
        json.loads(target.read_bytes())
    except ValueError:
        return False
    return True


def build(state: Path, full_refresh: bool = False) -> list:
    """dbt build of the whole project: a full build (retention.builds), whose incremental models
    compute only the periods whose files changed (dbt/macros/incremental_periods.sql), or every
    period with full_refresh."""
    if not warehouse_path(state).exists():
        raise BuildFailed(f"no warehouse in {state}: run `retention ingest` first")
    # a warehouse ingested before the gate's tables came with the ledger gets them here: the
    # pack layer reads them (the source `gate`)
    with warehouse.connect(state) as con:
        con.execute(RESULTS_DDL)
    nodes = run_dbt(state, "build", *(["--full-refresh"] if full_refresh else []))
    log.info("dbt build: %d nodes passed", len(nodes))
    return nodes
