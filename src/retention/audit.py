"""`retention archive`: the encrypted archive and quarantine, read back for an audit.

The ledger says which stored file holds which delivery; a file is named by its path or by a
prefix of the delivered bytes' SHA-256, and decrypted only to the terminal or to a new
owner-only file. What comes out is checked against the ledger's SHA-256.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from retention import keyring, vault, warehouse


class AuditError(Exception):
    """The stored file asked for cannot be found or does not match the ledger."""


@dataclass
class Stored:
    """One delivered file as the ledger knows it."""

    submission_id: int
    status: str
    landing_path: str
    file_sha256: str
    archive_path: str | None
    quarantine_path: str | None


def stored_files(state: Path) -> list[Stored]:
    with warehouse.connect(state, read_only=True) as con:
        rows = con.execute(
            "select submission_id, status, landing_path, file_sha256, archive_path, "
            "quarantine_path from ledger.submissions order by submission_id"
        ).fetchall()
    return [Stored(*row) for row in rows]


def find(state: Path, ref: str) -> tuple[Path, str]:
    """The stored file `ref` names (a path, or a SHA-256 prefix of the delivered bytes) and
    the SHA-256 its clear bytes must have."""
    files = stored_files(state)
    by_path = {
        path: s.file_sha256
        for s in files
        for path in (s.archive_path, s.quarantine_path)
        if path is not None
    }
    given = Path(ref)
    candidate = given if given.exists() else state / given  # as typed, or inside the state
    if candidate.resolve().is_relative_to(state.resolve()):
        relative = candidate.resolve().relative_to(state.resolve()).as_posix()
        if relative in by_path:
            return state / relative, by_path[relative]
    matches = {s.file_sha256: s.archive_path for s in files if s.file_sha256.startswith(ref)}
    if len(ref) < 4 or not matches:
        raise AuditError(f"no stored file is named {ref!r}: see `retention archive list`")
    if len(matches) > 1:
        raise AuditError(f"{ref!r} names {len(matches)} files: give more of the SHA-256")
    [(sha, path)] = matches.items()
    return state / path, sha


def show(state: Path, ref: str, key: bytes, out: Path | None, terminal: BinaryIO) -> Path:
    """Decrypt the stored file to `out` (a new owner-only file) or to `terminal`."""
    stored, sha = find(state, ref)
    with warehouse.connect(state, read_only=True) as con:
        keyring.verify(con, key)
    digest = hashlib.sha256()
    if out is not None:
        vault.reveal_to(stored, key, out)
        with out.open("rb") as clear:
            while chunk := clear.read(vault.CHUNK):
                digest.update(chunk)
    else:
        for chunk in vault.reveal(stored, key):
            digest.update(chunk)
            terminal.write(chunk)
        terminal.flush()
    if digest.hexdigest() != sha:
        raise AuditError(f"{stored} decrypts to other bytes than the ledger's SHA-256 {sha}")
    return stored
