"""Resident IDs never reach the warehouse, a log or the output in clear."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import TEST_KEY, copy_landing

from retention import vault
from retention.paths import SAMPLE_LANDING, warehouse_path
from retention.sample import generate_broken

# An 18-character resident ID standing alone (not inside a longer run such as a hex hash).
CLEAR_ID = re.compile(
    rb"(?<![0-9A-Za-z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}"
    rb"[0-9Xx](?![0-9A-Za-z])"
)


def clear_ids(data: bytes) -> list[bytes]:
    return CLEAR_ID.findall(data)


@pytest.mark.slow  # the whole sample, ingested twice, built and released
def test_no_clear_id_in_warehouse_logs_or_output(tmp_path: Path) -> None:
    landing = copy_landing(SAMPLE_LANDING, tmp_path / "landing")
    generate_broken(landing)
    state = tmp_path / "state"
    outputs = []
    for extra in (["--json"], []):
        command = [sys.executable, "-m", "retention.cli", "-v", "ingest"]
        paths = ["--landing", str(landing), "--state", str(state)]
        run = subprocess.run([*command, *paths, *extra], capture_output=True, check=True)
        outputs += [run.stdout, run.stderr]
        state = tmp_path / "state-table"

    archived = (tmp_path / "state/archive").rglob("*.csv.enc")
    clear = b"".join(b"".join(vault.reveal(p, TEST_KEY.encode())) for p in archived)
    assert clear_ids(clear), "the scan finds the IDs the departments delivered"
    for output in outputs:
        assert clear_ids(output) == []
    for path in (tmp_path / "state").rglob("*"):  # the archive and quarantine are encrypted
        if path.is_file():
            assert clear_ids(path.read_bytes()) == [], path

    with duckdb.connect(str(warehouse_path(tmp_path / "state")), read_only=True) as con:
        text_columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR' and table_schema in ('raw', 'ledger')"
        ).fetchall()
        for schema, table, column in text_columns:
            values = con.execute(f'select distinct "{column}" from {schema}.{table}').fetchall()
            joined = "\n".join(str(v[0]) for v in values).encode()
            assert clear_ids(joined) == [], f"{schema}.{table}.{column}"
