"""Opening the warehouse: one DuckDB file in the state folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from retention.paths import warehouse_path
from retention.state_files import private_dir


def connect(state: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    if read_only:
        return duckdb.connect(str(warehouse_path(state)), read_only=True)
    private_dir(state)
    private_dir(state / "tmp")
    con = duckdb.connect(str(warehouse_path(state)))
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
