"""Personal data locked down: no load without a key, one key per warehouse, deliberate
re-keying, a mask that reveals nothing useful, an encrypted archive and an owner-only state."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import (
    INTAKE_HEADER,
    TEST_KEY,
    intake_row,
    query,
    resident_id,
    retention_cli,
    write_csv,
)

from retention import keyring, vault
from retention.ingest.loader import ingest
from retention.pii import DEVELOPMENT_KEY, KEY_ENV, KeyRefused
from retention.rekey import OLD_KEY_ENV, rekey

INTAKE = "hrss/graduate_intake_2023Q4.csv"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "retention.cli", *args]
    return subprocess.run(command, capture_output=True, env=env, check=False)


def without_key() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != KEY_ENV}


def deliveries(landing: Path) -> Path:
    """A loaded intake file, a second version of another quarter and a refused file."""
    write_csv(landing / INTAKE, INTAKE_HEADER, [intake_row(n) for n in range(1, 6)])
    q3 = [intake_row(n, "2023-08-01") for n in range(6, 9)]
    write_csv(landing / "hrss/graduate_intake_2023Q3.csv", INTAKE_HEADER, q3)
    write_csv(landing / "hrss/graduate_intake_2023Q3_v2.csv", INTAKE_HEADER, q3[:2])
    write_csv(landing / "hrss/graduate_intake_2023Q2.csv", INTAKE_HEADER, [])  # refused
    return landing


def test_ingest_without_a_key_is_refused_and_writes_nothing(landing: Path, state: Path) -> None:
    deliveries(landing)
    run = cli("ingest", "--landing", str(landing), "--state", str(state), env=without_key())
    assert run.returncode != 0
    message = run.stderr.decode()
    assert "未设置 RETENTION_PII_KEY" in message and "RETENTION_PII_KEY is not set" in message
    assert "--sample-key" in message
    assert len(message.strip().splitlines()) == 1, "one line, no traceback"
    assert not state.exists()


def test_sample_mode_loads_under_the_development_key_and_says_so(
    landing: Path, state: Path
) -> None:
    deliveries(landing)
    args = ("ingest", "--landing", str(landing), "--state", str(state), "--sample-key")
    run = cli(*args, env=without_key())
    assert run.returncode == 0, run.stderr.decode()
    assert "SAMPLE MODE" in run.stderr.decode() and "样例模式" in run.stderr.decode()
    assert query(state, "select count(*) from raw.graduate_intake") == [(7,)]
    assert query(state, "select fingerprint from ledger.key_fingerprint") == [
        (keyring.fingerprint(DEVELOPMENT_KEY),)
    ]


def test_a_load_under_another_key_is_refused_before_anything_is_written(
    landing: Path, state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_csv(landing / INTAKE, INTAKE_HEADER, [intake_row(1)])
    ingest(landing, state)
    tables = query(state, "select * from raw.graduate_intake order by all")

    def files() -> list[Path]:  # but the state lock's empty file, which the command takes first
        return sorted(p for p in state.rglob("*") if p.is_file() and p.name != "state.lock")

    before = files()
    write_csv(landing / "hrss/graduate_intake_2023Q4_v2.csv", INTAKE_HEADER, [intake_row(2)])

    monkeypatch.setenv(KEY_ENV, "another key")
    with pytest.raises(KeyRefused, match="retention rekey"):
        ingest(landing, state)
    run = cli("ingest", "--landing", str(landing), "--state", str(state))
    assert run.returncode != 0 and "密钥与数据仓库不符" in run.stderr.decode()

    assert query(state, "select * from raw.graduate_intake order by all") == tables
    assert query(state, "select count(*) from ledger.submissions") == [(1,)]
    assert files() == before


def test_rekey_gives_the_person_keys_of_a_fresh_load_under_the_new_key(
    landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deliveries(landing)
    state, fresh = tmp_path / "state", tmp_path / "fresh"
    ingest(landing, state)
    ledger_sql = (
        "select submission_id, ingested_at, landing_path, file_sha256, status, rows_loaded "
        "from ledger.submissions order by submission_id"
    )
    history = query(state, ledger_sql)
    rows_sql = "select person_key, id_masked, record_id, quarter from raw.graduate_intake"
    before = query(state, f"{rows_sql} order by all")

    monkeypatch.setenv(KEY_ENV, "the new key")
    ingest(landing, fresh)
    monkeypatch.setenv(OLD_KEY_ENV, TEST_KEY)
    assert rekey(state) == len(history)

    after = query(state, f"{rows_sql} order by all")
    assert after == query(fresh, f"{rows_sql} order by all")
    assert after != before
    assert query(state, ledger_sql) == history, "the ledger's history is kept"
    assert query(state, "select fingerprint from ledger.key_fingerprint") == [
        (keyring.fingerprint(b"the new key"),)
    ]
    for (path,) in query(state, "select archive_path from ledger.submissions"):
        assert b"".join(vault.reveal(state / path, b"the new key"))
        with pytest.raises(vault.VaultError):
            b"".join(vault.reveal(state / path, TEST_KEY.encode()))
    assert not (state / "tmp/rekey").exists(), "no decrypted copy is left behind"
    ingest(landing, state)  # the new key is the warehouse's now


def test_rekey_needs_the_warehouses_key_as_the_old_one(
    landing: Path, state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deliveries(landing)
    ingest(landing, state)
    monkeypatch.setenv(KEY_ENV, "the new key")
    monkeypatch.setenv(OLD_KEY_ENV, "not the old key")
    with pytest.raises(KeyRefused):
        rekey(state)
    monkeypatch.delenv(OLD_KEY_ENV)
    with pytest.raises(KeyRefused, match=OLD_KEY_ENV):
        rekey(state)


def test_masked_ids_show_two_characters_and_rejected_ids_none_more(
    landing: Path, state: Path
) -> None:
    bad = resident_id(3)[:-1] + ("0" if resident_id(3)[-1] != "0" else "1")
    rows = [intake_row(1), intake_row(2), intake_row(3, **{"公民身份号码": bad})]
    write_csv(landing / INTAKE, INTAKE_HEADER, rows)
    ingest(landing, state)
    masked = query(state, "select id_masked from raw.graduate_intake order by record_id")
    assert masked == [("*" * 16 + resident_id(n)[-2:],) for n in (1, 2)]
    (shown,) = query(state, "select value_shown from ledger.rejected_rows")
    assert shown == ("*" * 16 + bad[-2:],)


def test_archive_is_encrypted_and_decrypts_to_the_delivered_bytes(
    landing: Path, state: Path
) -> None:
    deliveries(landing)
    ingest(landing, state)
    stored = query(
        state,
        "select landing_path, file_sha256, archive_path, quarantine_path from ledger.submissions",
    )
    assert any(quarantine for *_, quarantine in stored)
    for landing_path, sha, *kept in stored:
        delivered = (landing / landing_path).read_bytes()
        for path in filter(None, kept):
            on_disk = (state / path).read_bytes()
            assert resident_id(1).encode() not in on_disk
            assert delivered[:32] not in on_disk and INTAKE_HEADER[1].encode() not in on_disk
            clear = b"".join(vault.reveal(state / path, TEST_KEY.encode()))
            assert hashlib.sha256(clear).hexdigest() == sha


def test_vault_streams_big_files_and_refuses_any_alteration(tmp_path: Path) -> None:
    original = tmp_path / "big.csv"
    original.write_bytes(os.urandom(2 * vault.CHUNK + 12345))
    stored = vault.store(original, tmp_path / "archive" / "big.csv", b"key")
    assert b"".join(vault.reveal(stored, b"key")) == original.read_bytes()
    sealed = stored.read_bytes()
    chunk = vault.CHUNK + 16
    altered = {
        "a flipped bit": sealed[:100] + bytes([sealed[100] ^ 1]) + sealed[101:],
        "cut at a chunk boundary": sealed[: vault.HEADER_SIZE + 2 * chunk],
        "chunks swapped": sealed[: vault.HEADER_SIZE]
        + sealed[vault.HEADER_SIZE + chunk : vault.HEADER_SIZE + 2 * chunk]
        + sealed[vault.HEADER_SIZE : vault.HEADER_SIZE + chunk]
        + sealed[vault.HEADER_SIZE + 2 * chunk :],
        "another header": sealed[:20] + bytes(12) + sealed[32:],
    }
    for what, data in altered.items():
        stored.write_bytes(data)
        with pytest.raises(vault.VaultError):
            b"".join(vault.reveal(stored, b"key"))
        out = tmp_path / f"{what}.out"
        with pytest.raises(vault.VaultError):
            vault.reveal_to(stored, b"key", out)
        assert not out.exists(), what
    stored.write_bytes(sealed)
    with pytest.raises(vault.VaultError):
        b"".join(vault.reveal(stored, b"another key"))


def test_state_is_owner_only_and_leftover_scratch_is_removed(landing: Path, state: Path) -> None:
    deliveries(landing)
    write_csv(landing / "hrss/graduate_intake_2024Q1.csv", INTAKE_HEADER, [intake_row(9)], "gbk")
    (state / "tmp").mkdir(parents=True)
    leftover = state / "tmp/graduate_intake_2023Q1.csv.utf8"  # as a killed GB18030 load leaves
    leftover.write_text(",".join(intake_row(4)))
    previous = os.umask(0o022)  # as a shell usually has it
    try:
        ingest(landing, state)
    finally:
        os.umask(previous)
    assert not leftover.exists()
    modes = {
        p.relative_to(state).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in state.rglob("*")
    }
    modes["."] = stat.S_IMODE(state.stat().st_mode)
    assert any(p.endswith(".reason.txt") for p in modes) and "warehouse.duckdb" in modes
    for path, mode in modes.items():
        expected = 0o700 if (state / path).is_dir() else 0o600
        assert mode == expected, f"{path} is {oct(mode)}"


def test_the_audit_command_lists_and_prints_the_delivered_file(
    landing: Path, state: Path, tmp_path: Path
) -> None:
    deliveries(landing)
    ingest(landing, state)
    (sha,) = query(
        state, "select file_sha256 from ledger.submissions where landing_path = ?", [INTAKE]
    )[0]
    listing = cli("archive", "list", "--state", str(state))
    assert listing.returncode == 0 and INTAKE in listing.stdout.decode()

    shown = cli("archive", "show", sha[:12], "--state", str(state))
    assert shown.returncode == 0, shown.stderr.decode()
    assert shown.stdout == (landing / INTAKE).read_bytes()

    out = tmp_path / "audit.csv"
    (path,) = query(
        state, "select archive_path from ledger.submissions where file_sha256 = ?", [sha]
    )[0]
    copied = cli("archive", "show", str(state / path), "--state", str(state), "--out", str(out))
    assert copied.returncode == 0, copied.stderr.decode()
    assert out.read_bytes() == (landing / INTAKE).read_bytes()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    again = cli("archive", "show", sha[:12], "--state", str(state), "--out", str(out))
    assert again.returncode != 0, "an audit copy never overwrites a file"


def test_a_state_folder_made_read_only_on_purpose_stays_read_only(state: Path) -> None:
    """Narrowing the folder to its owner must not give the owner back the write permission
    someone took away to freeze the state (as root the command still writes; as its user it
    cannot)."""
    state.mkdir()
    state.chmod(0o500)

    retention_cli("build", "--state", str(state))

    assert stat.S_IMODE(state.stat().st_mode) == 0o500
