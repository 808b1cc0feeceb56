"""A load is all or nothing, even when the process is killed in the middle of it."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import INTAKE_HEADER, intake_row, query, resident_id, write_csv

from retention.ingest.loader import ingest

LARGE = 400_000


def write_large_intake(path: Path) -> None:
    ids = [resident_id(n) for n in range(1000)]
    template = intake_row(0)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(INTAKE_HEADER)
        for n in range(LARGE):
            template[0], template[1] = f"L{n:07d}", ids[n % 1000]
            writer.writerow(template)


def test_sigkill_while_writing_leaves_the_tables_as_before(landing: Path, state: Path) -> None:
    write_csv(landing / "hrss/graduate_intake_2023Q4.csv", INTAKE_HEADER, [intake_row(1)])
    ingest(landing, state)
    before = query(state, "select * from raw.graduate_intake")
    ledger_before = query(state, "select * exclude (ingested_at) from ledger.submissions")
    write_large_intake(landing / "hrss/graduate_intake_2023Q4_v2.csv")

    command = [sys.executable, "-m", "retention.cli", "-v", "ingest"]
    process = subprocess.Popen(
        [*command, "--landing", str(landing), "--state", str(state)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    for line in process.stderr:  # wait until the v2 rows are being written
        if "replacing raw.graduate_intake" in line:
            break
    time.sleep(0.2)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL

    assert query(state, "select * from raw.graduate_intake") == before
    assert query(state, "select * exclude (ingested_at) from ledger.submissions") == ledger_before

    (v1, v2) = ingest(landing, state)  # started again, the delivery is not lost
    assert (v1.status, v2.status, v2.rows_loaded) == ("already_ingested", "loaded", LARGE)
    assert query(state, "select count(*) from raw.graduate_intake") == [(LARGE,)]
