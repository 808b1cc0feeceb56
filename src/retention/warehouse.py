"""Opening the warehouse: one DuckDB file in the state folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb

from retention.paths import warehouse_path
from retention.state_files import private_dir

# DuckDB takes 80 % of the machine's memory by default and keeps what it read cached up to
# that: at x100 the loader reached 1.8 GB and the dbt build 16.8 GB. Beyond this limit it
# spills to disk (the state folder) instead. The loader and the gate run under it; the dbt build
# has its own setting, of the same default (RETENTION_DBT_MEMORY, dbt/profiles.yml).
MEMORY_VARIABLE = "RETENTION_DUCKDB_MEMORY"
DEFAULT_MEMORY = "1GB"


def memory_limit() -> str:
    return os.environ.get(MEMORY_VARIABLE) or DEFAULT_MEMORY


def connect(state: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    config = {"memory_limit": memory_limit()}
    if read_only:
        return duckdb.connect(str(warehouse_path(state)), read_only=True, config=config)
    private_dir(state)
    private_dir(state / "tmp")
    con = duckdb.connect(str(warehouse_path(state)), config=config)
    # Staging tables keep the file's order (line numbers); spills stay inside the state.
    con.execute("set preserve_insertion_order = true")
    # DuckDB's own bar would print into logs; the loader draws its own on a terminal.
    con.execute("set enable_progress_bar = false")
    con.execute(f"set temp_directory = '{state / 'tmp'}'")
    return con


def one(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> tuple | None:
    """The first row, with the result read to its end: DuckDB 2 refuses new work on a
    connection whose previous result is still open, and fetchone() leaves it open."""
    rows = con.execute(sql, params).fetchall()
    return rows[0] if rows else None
