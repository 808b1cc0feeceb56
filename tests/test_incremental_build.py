"""An incremental build gives exactly what a build from scratch gives: after a new quarter's
files, and after a restated (v2) file of an old quarter, every table and view dbt builds is row
for row the one `retention build --full-refresh` makes of the same warehouse."""

from __future__ import annotations

import shutil
import zlib
from pathlib import Path

import duckdb
import numpy as np
import pytest

from retention.build import build
from retention.ingest.loader import ingest
from retention.paths import warehouse_path
from retention.sample.batches import Batch, take
from retention.sample.generate import build as sample_batches
from retention.sample.generate import write_batches

LAST = "2024Q2"
RESTATED = "2022Q3"
# what a department restates: event feeds (one a KPI reads whatever its date) and a snapshot
RESTATED_FEEDS = {"graduate_intake", "industry_program", "subsidy_payment", "internship_base"}
# every schema dbt writes; the comparison must not miss one
DBT_SCHEMAS = ("reference", "staging", "intermediate", "marts", "reports", "pack")
# the person a row is about, where it names one: a twentieth of the people, every file of theirs
PERSON_COLUMNS = ("id_number", "talent_id_number", "buyer_id_number", "applicant_id_number")


def _small(batch: Batch) -> Batch:
    """A twentieth of the sample file's rows, whole people kept, so that feeds still meet."""
    column = next((c for c in PERSON_COLUMNS if c in batch.rows), None)
    if column is None:
        keep = np.arange(len(batch)) % 20 == 0
    else:
        keep = np.array([zlib.crc32(str(v).encode()) % 20 == 0 for v in batch.rows[column]])
    keep[0] = True  # a file with no row would be refused
    return Batch(
        batch.feed,
        batch.quarter,
        take(batch.rows, np.flatnonzero(keep)),
        batch.version,
        batch.baseline,
    )


def _restated(batch: Batch) -> Batch:
    """Version 2 of the file: every third row dropped, the rest as they were."""
    keep = np.flatnonzero(np.arange(len(batch)) % 3 != 1)
    return Batch(batch.feed, batch.quarter, take(batch.rows, keep), 2, batch.baseline)


def _relations(con: duckdb.DuckDBPyConnection, database: str) -> set[str]:
    rows = con.execute(
        "select schema_name || '.' || table_name from duckdb_tables() where database_name = ? "
        "union all "
        "select schema_name || '.' || view_name from duckdb_views() where database_name = ? "
        f"and schema_name in {DBT_SCHEMAS}",
        [database, database],
    ).fetchall()
    return {name for (name,) in rows if name.split(".")[0] in DBT_SCHEMAS}


def _differences(incremental: Path, scratch: Path) -> dict[str, tuple[int, int]]:
    """Rows of each relation found in one build and not the other (EXCEPT ALL both ways)."""
    with duckdb.connect() as con:
        con.execute(f"attach '{warehouse_path(incremental)}' as inc (read_only)")
        con.execute(f"attach '{warehouse_path(scratch)}' as new (read_only)")
        names = _relations(con, "inc")
        assert names == _relations(con, "new")
        assert {n.split(".")[0] for n in names} == set(DBT_SCHEMAS)
        found = {}
        for name in sorted(names):
            only_inc, only_new = (
                con.execute(
                    f"select count(*) from (from {a}.{name} except all from {b}.{name})"
                ).fetchone()[0]
                for a, b in (("inc", "new"), ("new", "inc"))
            )
            if only_inc or only_new:
                found[name] = (only_inc, only_new)
        return found


def _recomputed_from(state: Path) -> dict[str, str | None]:
    with duckdb.connect(str(warehouse_path(state)), read_only=True) as con:
        rows = con.execute("select model, recomputed_from from ops.incremental_inputs").fetchall()
    return {model.rsplit(".", 1)[1]: first for model, first in rows}


def _deliver(landing: Path, state: Path, batches: list[Batch]) -> None:
    shutil.rmtree(landing, ignore_errors=True)
    write_batches(landing, batches)
    assert {r.status for r in ingest(landing, state)} == {"loaded"}


def _build_and_compare(state: Path, scratch: Path) -> None:
    build(state)
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(state, scratch)
    build(scratch, full_refresh=True)
    assert _differences(state, scratch) == {}


@pytest.fixture(scope="module")
def batches() -> list[Batch]:
    return [_small(b) for b in sample_batches(1)]


# five builds and three loads of a twentieth of the sample: minutes, so in the full tier
@pytest.mark.slow
def test_an_incremental_build_equals_a_build_from_scratch(
    batches: list[Batch], tmp_path: Path
) -> None:
    landing, state, scratch = tmp_path / "landing", tmp_path / "state", tmp_path / "scratch"
    _deliver(landing, state, [b for b in batches if str(b.quarter) != LAST])
    build(state)

    # the last quarter arrives: only it is computed again, except where a feed counts whatever
    # its date (industry_program: a graduate in a programme joined at any time)
    _deliver(landing, state, [b for b in batches if str(b.quarter) == LAST])
    _build_and_compare(state, scratch)
    first = _recomputed_from(state)
    assert first["int_intake_breakdown_counts"] == LAST
    assert first["kpi_subsidies"] == LAST
    assert first["kpi_local_college_retention"] == ""

    # an old quarter restated: it and every later quarter are computed again where its feeds
    # are read; a model reading none of them computes nothing
    old = [b for b in batches if str(b.quarter) == RESTATED and b.feed in RESTATED_FEEDS]
    assert len(old) == len(RESTATED_FEEDS)
    _deliver(landing, state, [_restated(b) for b in old])
    _build_and_compare(state, scratch)
    first = _recomputed_from(state)
    assert first["int_intake_breakdown_counts"] == RESTATED
    assert first["kpi_internship_bases"] == RESTATED
    assert first["kpi_housing"] is None
