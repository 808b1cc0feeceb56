"""Nothing delivered is lost or counted twice: archive, ledger, versions, re-runs."""

from __future__ import annotations

import hashlib
from pathlib import Path

from conftest import INTAKE_HEADER, TEST_KEY, intake_row, query, write_csv, write_xlsx

from retention import vault
from retention.ingest.loader import ingest

COUNT = "select count(*), count(distinct record_id) from raw.graduate_intake"


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_every_delivered_file_is_archived_and_in_the_ledger(landing: Path, state: Path) -> None:
    write_csv(landing / "hrss/graduate_intake_2023Q4.csv", INTAKE_HEADER, [intake_row(1)])
    write_csv(landing / "hrss/graduate_intake_2023Q3.csv", INTAKE_HEADER, [])  # empty: refused
    (landing / "hrss/notes.txt").write_text("not a submission")
    (landing / "edu").mkdir()
    write_csv(landing / "edu/graduate_intake_2023Q2.csv", INTAKE_HEADER, [intake_row(2)])
    before = tree_digest(landing)

    results = ingest(landing, state)

    assert tree_digest(landing) == before, "the landing folder is never modified"
    assert sorted((r.file, r.status) for r in results) == [
        ("edu/graduate_intake_2023Q2.csv", "refused"),
        ("hrss/graduate_intake_2023Q3.csv", "refused"),
        ("hrss/graduate_intake_2023Q4.csv", "loaded"),
        ("hrss/notes.txt", "refused"),
    ]
    ledger = query(state, "select landing_path, file_sha256, archive_path from ledger.submissions")
    assert {row[0]: row[1] for row in ledger} == before
    for _, sha, archive in ledger:
        clear = b"".join(vault.reveal(state / archive, TEST_KEY.encode()))
        assert hashlib.sha256(clear).hexdigest() == sha
    reasons = (state / "quarantine/hrss").glob("*.reason.txt")
    texts = {p.name: p.read_text(encoding="utf-8") for p in reasons}
    assert any("文件只有表头" in t and "no data rows" in t for t in texts.values())


def test_ingesting_twice_leaves_the_same_tables(landing: Path, state: Path) -> None:
    write_csv(landing / "hrss/graduate_intake_2023Q4.csv", INTAKE_HEADER, [intake_row(1)])
    write_csv(
        landing / "hrss/graduate_intake_2023Q3.csv", INTAKE_HEADER, [intake_row(2, "2023-08-01")]
    )
    ingest(landing, state)
    tables = query(state, "select * from raw.graduate_intake order by all")
    ledger = query(state, "select count(*) from ledger.submissions")

    again = ingest(landing, state)

    assert {r.status for r in again} == {"already_ingested"}
    assert query(state, "select * from raw.graduate_intake order by all") == tables
    assert query(state, "select count(*) from ledger.submissions") == ledger


def test_higher_version_replaces_every_row_of_the_quarter(landing: Path, state: Path) -> None:
    v1 = [intake_row(n) for n in (1, 2, 3)]
    write_csv(landing / "hrss/graduate_intake_2023Q4.csv", INTAKE_HEADER, v1)
    write_csv(
        landing / "hrss/graduate_intake_2023Q3.csv", INTAKE_HEADER, [intake_row(9, "2023-08-01")]
    )
    ingest(landing, state)
    write_xlsx(
        landing / "hrss/graduate_intake_2023Q4_v2.xlsx",
        INTAKE_HEADER,
        [intake_row(1), intake_row(4)],
    )

    (q3, q4, v2) = sorted(ingest(landing, state), key=lambda r: r.file)

    assert (q3.status, q4.status, v2.status) == ("already_ingested", "already_ingested", "loaded")
    rows = query(state, "select quarter, record_id, version from raw.graduate_intake order by all")
    assert rows == [("2023Q3", "R00009", 1), ("2023Q4", "R00001", 2), ("2023Q4", "R00004", 2)]
    statuses = query(state, "select file_name, status from ledger.submissions order by file_name")
    assert statuses == [
        ("graduate_intake_2023Q3.csv", "loaded"),
        ("graduate_intake_2023Q4.csv", "superseded"),
        ("graduate_intake_2023Q4_v2.xlsx", "loaded"),
    ]


def test_other_bytes_under_a_loaded_version_are_a_conflict(landing: Path, state: Path) -> None:
    write_csv(landing / "hrss/graduate_intake_2023Q4.csv", INTAKE_HEADER, [intake_row(1)])
    write_csv(landing / "hrss/graduate_intake_2023Q4_v1.csv", INTAKE_HEADER, [intake_row(2)])
    results = {r.file: r for r in ingest(landing, state)}
    conflict = results["hrss/graduate_intake_2023Q4_v1.csv"]
    assert (conflict.status, conflict.reason) == ("refused", "version_conflict")
    assert "graduate_intake_2023Q4_v2.csv" in conflict.message
    assert query(state, "select record_id from raw.graduate_intake") == [("R00001",)]


def test_same_bytes_again_are_a_recorded_duplicate(landing: Path, state: Path) -> None:
    path = write_csv(landing / "hrss/graduate_intake_2023Q4.csv", INTAKE_HEADER, [intake_row(1)])
    (landing / "hrss/graduate_intake_2023Q4_v1.csv").write_bytes(path.read_bytes())
    statuses = sorted(r.status for r in ingest(landing, state))
    assert statuses == ["duplicate", "loaded"]
    assert query(state, COUNT) == [(1, 1)]
    assert query(state, "select count(*) from ledger.submissions where status = 'duplicate'") == [
        (1,)
    ]


def test_lower_version_after_a_higher_one_is_refused(landing: Path, state: Path) -> None:
    write_csv(landing / "hrss/graduate_intake_2023Q4_v2.csv", INTAKE_HEADER, [intake_row(2)])
    ingest(landing, state)
    write_csv(landing / "hrss/graduate_intake_2023Q4.csv", INTAKE_HEADER, [intake_row(1)])
    late = next(r for r in ingest(landing, state) if r.version == 1)
    assert (late.status, late.reason) == ("refused", "version_conflict")
    assert query(state, "select record_id, version from raw.graduate_intake") == [("R00002", 2)]
