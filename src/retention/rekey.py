"""`retention rekey`: move the warehouse from one key to another, deliberately.

The warehouse holds no clear IDs, so person_keys cannot be re-hashed where they stand: they
are made again from the archive. Every submission of the ledger is decrypted with the old key
(RETENTION_PII_KEY_OLD) and loaded again, in ledger order, into a fresh warehouse under the new
key (RETENTION_PII_KEY); the replay must reproduce the ledger file for file (same bytes, same
outcome), or nothing changes. The raw and ledger tables are then replaced in one transaction,
and the archive and quarantine, re-encrypted under the new key on the way, replace the old
files. dbt's models still hold the old person_keys until the next `retention build`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from retention import keyring, pii, vault, warehouse
from retention.errors import ExpectedError
from retention.ingest.loader import ingest
from retention.paths import warehouse_path
from retention.state_files import owner_only, private_dir

OLD_KEY_ENV = "RETENTION_PII_KEY_OLD"
HISTORY = (
    "select submission_id, ingested_at, landing_path, file_sha256, archive_path, status, "
    "reason, seen_on from ledger.submissions order by submission_id"
)


class RekeyRefused(ExpectedError):
    """The replay under the new key does not reproduce the ledger: nothing was changed."""


def rekey(state: Path) -> int:
    """Re-key the state folder; returns the number of submissions replayed."""
    owner_only()
    old, new = pii.pii_key(OLD_KEY_ENV), pii.pii_key()
    if keyring.fingerprint(old) == keyring.fingerprint(new):
        raise pii.KeyRefused(
            f"{OLD_KEY_ENV} 与 {pii.KEY_ENV} 相同，无需更换密钥。 / {OLD_KEY_ENV} and "
            f"{pii.KEY_ENV} are the same key: there is nothing to re-key."
        )
    work = state / "tmp" / "rekey"
    # The write connection is held throughout: no load can change the ledger being replayed.
    with warehouse.connect(state) as con:
        keyring.verify(con, old)
        history = con.execute(HISTORY).fetchall()
        shutil.rmtree(work, ignore_errors=True)
        try:
            fresh = _replay(state, history, old, work)
            _compare(history, fresh)
            _replace_tables(con, fresh, history)
            _replace_files(state, fresh)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return len(history)


def _replay(state: Path, history: list[tuple], old: bytes, work: Path) -> Path:
    """Each submission, alone in a private landing folder, loaded into a fresh state."""
    landing, fresh = private_dir(work / "landing"), work / "state"
    for _, _, landing_path, _, archive_path, *_ in history:
        clear = landing / landing_path
        private_dir(clear.parent)
        vault.reveal_to(state / archive_path, old, clear)
        try:
            ingest(landing, fresh)
        finally:
            clear.unlink()
    return fresh


def _compare(history: list[tuple], fresh: Path) -> None:
    with duckdb.connect(str(warehouse_path(fresh)), read_only=True) as con:
        replayed = con.execute(HISTORY).fetchall()
    was = [(r[2], r[3], r[5], r[6]) for r in history]
    now = [(r[2], r[3], r[5], r[6]) for r in replayed]
    for number, (before, after) in enumerate(zip(was, now, strict=False), start=1):
        if before != after:
            raise RekeyRefused(
                f"第 {number} 个报送文件（{before[0]}）原为 {before[2]}，用本版本的入库程序重放为 "
                f"{after[2]}，未做任何更改：请用入库时的版本更换密钥 / submission {number} "
                f"({before[0]}) was {before[2]} and replays as {after[2]} under this version of "
                "the loader; nothing was changed: re-key with the version that loaded it"
            )
    if len(was) != len(now):
        raise RekeyRefused(
            f"台账有 {len(was)} 个报送文件，重放得到 {len(now)} 个，未做任何更改：请用入库时的版本"
            f"更换密钥 / the ledger has {len(was)} submissions, the replay {len(now)}; nothing "
            "was changed: re-key with the version that loaded them"
        )


def _replace_tables(con: duckdb.DuckDBPyConnection, fresh: Path, history: list[tuple]) -> None:
    """raw.* and ledger.* from the fresh warehouse, in one transaction; the ledger keeps its
    submission ids, the times the files were first ingested and the days they were first seen
    (the replay sees every file today)."""
    con.execute(f"attach '{warehouse_path(fresh)}' as fresh (read_only)")
    try:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = 'fresh' and schema_name in ('raw', 'ledger')"
        ).fetchall()
        con.execute(
            "create temp table first_ingest (n bigint, id bigint, first_at timestamp, seen date)"
        )
        con.executemany(
            "insert into first_ingest values (?, ?, ?, ?)",
            [(n, row[0], row[1], row[7]) for n, row in enumerate(history, start=1)],
        )
        con.execute("begin transaction")
        try:
            for schema, table in tables:
                name = f"{schema}.{table}"
                con.execute(f"create table if not exists {name} as from fresh.{name} limit 0")
                con.execute(f"delete from {name}")
                source = f"fresh.{name}"
                if name == "ledger.submissions":
                    source = (
                        "(select f.* exclude (submission_id, ingested_at, seen_on, n), "
                        "o.id as submission_id, o.first_at as ingested_at, o.seen as seen_on "
                        "from (select *, "
                        "row_number() over (order by submission_id) as n "
                        "from fresh.ledger.submissions) f join first_ingest o using (n))"
                    )
                con.execute(f"insert into {name} by name select * from {source}")
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    finally:
        con.execute("detach fresh")


def _replace_files(state: Path, fresh: Path) -> None:
    """The re-encrypted archive and quarantine over the old files, one rename each (copied
    first when the archive is a volume of its own)."""
    for folder in ("archive", "quarantine"):
        for new in sorted((fresh / folder).rglob("*")):
            if not new.is_file():
                continue
            target = state / new.relative_to(fresh)
            private_dir(target.parent)
            partial = target.with_name(target.name + ".partial")
            shutil.move(new, partial)
            partial.replace(target)
