"""The archive and the quarantine, encrypted at rest: the one place clear resident IDs exist.

Each delivered file is sealed with AES-256-GCM in 1 MiB chunks (the STREAM construction of
Hoang, Reyhanitabar, Rogaway and Vizár), so a file of any size is encrypted and read back in
constant memory, and a chunk cannot be altered, reordered, dropped or cut off unnoticed:

    header = MAGIC | version | salt (16 random bytes) | nonce prefix (7 random bytes)
    chunk i = AES-256-GCM(file key, nonce = prefix | i as 4 bytes | 1 if last else 0,
                          plaintext chunk, associated data = header)

The file key is derived with HKDF-SHA256 from RETENTION_PII_KEY and the file's salt, under a
label of its own: one secret to keep, never used directly for two purposes, and a fresh key
for every file. Whoever re-keys the person_keys re-encrypts the archive too (`retention
rekey`), which is what a leaked key calls for anyway.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from retention.state_files import private_dir, private_file

MAGIC = b"CXRVAULT"
VERSION = 1
SUFFIX = ".enc"
CHUNK = 1 << 20
_SALT, _PREFIX, _TAG = 16, 7, 16
HEADER_SIZE = len(MAGIC) + 1 + _SALT + _PREFIX
_LABEL = b"cixi-retention archive and quarantine encryption v1"
_LAST_COUNTER = 2**32 - 1


class VaultError(Exception):
    """A stored file that cannot be read back: not a vault file, another key, or altered."""


def _cipher(key: bytes, salt: bytes) -> AESGCM:
    derived = HKDF(algorithm=SHA256(), length=32, salt=salt, info=_LABEL).derive(key)
    return AESGCM(derived)


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    if counter > _LAST_COUNTER:
        raise VaultError("file too large for one vault file (4 PiB)")
    return prefix + counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def store(source: Path, target: Path, key: bytes) -> Path:
    """Encrypt `source` to `target` + SUFFIX unless already there, owner-only; the rename
    makes a half-written file impossible. Returns the stored path."""
    stored = target.with_name(target.name + SUFFIX)
    if stored.exists():
        return stored
    private_dir(stored.parent)
    partial = stored.with_name(stored.name + ".partial")
    salt, prefix = os.urandom(_SALT), os.urandom(_PREFIX)
    header = MAGIC + bytes([VERSION]) + salt + prefix
    cipher = _cipher(key, salt)
    with source.open("rb") as clear, private_file(partial) as out:
        out.write(header)
        chunk, counter = clear.read(CHUNK), 0
        while True:
            following = clear.read(CHUNK)
            last = not following
            out.write(cipher.encrypt(_nonce(prefix, counter, last), chunk, header))
            if last:
                break
            chunk, counter = following, counter + 1
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, stored)
    return stored


def reveal(stored: Path, key: bytes) -> Iterator[bytes]:
    """The original bytes, chunk by chunk; VaultError as soon as anything does not verify
    (a chunk yielded has been authenticated, but only the end proves the file complete)."""
    with stored.open("rb") as sealed:
        header = sealed.read(HEADER_SIZE)
        if len(header) < HEADER_SIZE or not header.startswith(MAGIC):
            raise VaultError(f"{stored.name} is not an encrypted archive file")
        if header[len(MAGIC)] != VERSION:
            raise VaultError(f"{stored.name}: unknown vault format version {header[len(MAGIC)]}")
        salt = header[len(MAGIC) + 1 : len(MAGIC) + 1 + _SALT]
        prefix = header[-_PREFIX:]
        cipher = _cipher(key, salt)
        chunk, counter = sealed.read(CHUNK + _TAG), 0
        while True:
            following = sealed.read(CHUNK + _TAG)
            last = not following
            try:
                yield cipher.decrypt(_nonce(prefix, counter, last), chunk, header)
            except InvalidTag:
                raise VaultError(
                    f"{stored.name} does not decrypt: another key than the one it was stored "
                    "under, or the file was altered or cut off"
                ) from None
            if last:
                return
            chunk, counter = following, counter + 1


def reveal_to(stored: Path, key: bytes, target: Path) -> Path:
    """Decrypt to a new owner-only file (never over an existing one); nothing is left behind
    when the stored file does not verify."""
    try:
        with private_file(target, exclusive=True) as out:
            for chunk in reveal(stored, key):
                out.write(chunk)
    except VaultError:
        target.unlink(missing_ok=True)
        raise
    return target
