"""`retention build`: the dbt build, in-process, against the state folder's warehouse."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from retention.paths import DBT_DIR, warehouse_path

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
    try:
        result = dbtRunner().invoke(dbt_args(state, *args, "--quiet"))
    finally:
        _release_warehouse()
    nodes = list(result.result or []) if hasattr(result.result, "__iter__") else []
    failed = [n for n in nodes if str(n.status) in {"error", "fail", "runtime error"}]
    if not result.success:
        names = ", ".join(f"{n.node.name} ({n.status}: {n.message})" for n in failed)
        raise BuildFailed(f"dbt {args[0]} failed: {names or result.exception}")
    return nodes


def _release_warehouse() -> None:
    """dbt-duckdb keeps its DuckDB instance open for the life of the process; close it, so
    that this process can open the warehouse read-only and another process can write it."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


def build(state: Path) -> list:
    if not warehouse_path(state).exists():
        raise BuildFailed(f"no warehouse in {state}: run `retention ingest` first")
    nodes = run_dbt(state, "build")
    log.info("dbt build: %d nodes passed", len(nodes))
    return nodes
