"""DuckDB's memory limit for the loader's and the gate's connections (RETENTION_DUCKDB_MEMORY)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from retention import warehouse


def _limit(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("select current_setting('memory_limit')").fetchone()[0]


def _as_duckdb_says(size: str) -> str:
    with duckdb.connect(config={"memory_limit": size}) as con:
        return _limit(con)


def test_every_warehouse_connection_is_held_to_the_operators_limit(tmp_path: Path, monkeypatch):
    with warehouse.connect(tmp_path) as con:
        assert _limit(con) == _as_duckdb_says(warehouse.DEFAULT_MEMORY)
    monkeypatch.setenv(warehouse.MEMORY_VARIABLE, "512MB")
    with warehouse.connect(tmp_path) as con:
        assert _limit(con) == _as_duckdb_says("512MB")
    with warehouse.connect(tmp_path, read_only=True) as con:
        assert _limit(con) == _as_duckdb_says("512MB")
