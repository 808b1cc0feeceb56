"""DuckDB's memory limit: one operator setting (RETENTION_DUCKDB_MEMORY) for the loader's, the
gate's and dbt's DuckDB."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from retention import warehouse
from retention.paths import DBT_DIR


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


def test_the_dbt_build_reads_the_same_variable_with_the_same_default() -> None:
    profile = (DBT_DIR / "profiles.yml").read_text(encoding="utf-8")
    found = re.search(r"memory_limit: \"\{\{ env_var\('(\w+)', '([^']+)'\) \}\}\"", profile)
    assert found is not None
    assert found.groups() == (warehouse.MEMORY_VARIABLE, warehouse.DEFAULT_MEMORY)
