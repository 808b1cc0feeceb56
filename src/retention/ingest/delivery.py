"""What counts as delivered, and taking a delivered file's bytes exactly once.

Only regular files directly inside `landing/<department>/` are deliveries (contract/feeds.md):
a link is never followed, a folder is never walked, and a file still being written is left
for the next run. A delivery is read once into an unnamed snapshot: the bytes hashed, archived
and parsed are the same bytes, whatever the department does to the file meanwhile.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from retention.ingest.naming import parse_file_name
from retention.ingest.sandbox import unnamed_file

CHUNK = 4 << 20
SETTLE_ENV = "RETENTION_SETTLE_SECONDS"
SETTLE_SECONDS = 5.0  # a file changed more recently than this may still be being written


@dataclass(frozen=True)
class Delivered:
    path: Path
    relative: str  # to the landing folder, with forward slashes
    department: str
    problem: str | None = None  # why it is not a delivery (not_a_file), in English
    # The day a run saw it in a folder that an earlier run had read (None: a first load of the
    # department's history, whose delivery nobody saw); ingest sets it.
    seen_on: dt.date | None = None


def _ignored(name: str) -> bool:
    """Excel's lock files, dotfiles and our own partial copies are nobody's delivery."""
    return name.startswith((".", "~$")) or name.endswith(".partial")


def delivered_files(landing: Path) -> list[Delivered]:
    """Every entry of the department folders, deliveries first in load order, then what is
    not a delivery (links, folders, sockets, files outside a department folder)."""
    found: list[Delivered] = []
    for top in sorted(landing.iterdir()) if landing.is_dir() else []:
        if _ignored(top.name):
            continue
        mode = top.lstat().st_mode
        if stat.S_ISDIR(mode):
            for entry in sorted(top.iterdir()):
                if not _ignored(entry.name):
                    found.append(_classify(entry, landing, top.name))
        else:
            found.append(Delivered(top, top.name, "", "a file outside the department folders"))
    return sorted(found, key=_order)


def _classify(path: Path, landing: Path, department: str) -> Delivered:
    relative = path.relative_to(landing).as_posix()
    if relative != (printable := printable_name(relative)):
        return Delivered(path, printable, department, "a name that is not valid text")
    mode = path.lstat().st_mode
    if stat.S_ISREG(mode):
        return Delivered(path, relative, department)
    kind = (
        "a link"
        if stat.S_ISLNK(mode)
        else "a folder"
        if stat.S_ISDIR(mode)
        else "not a regular file"
    )
    return Delivered(path, relative, department, kind)


def printable_name(name: str) -> str:
    """The name with bytes that are not UTF-8 shown as \\xNN (the ledger holds text)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _order(item: Delivered) -> tuple:
    name = parse_file_name(item.path.name)
    if item.problem or name is None:
        return (1 + bool(item.problem), "", 0, 0, 0, item.relative)
    q = name.quarter
    return (0, name.feed, q.year * 10 + q.q, not name.is_baseline, name.version, item.relative)


def settle_seconds() -> float:
    return float(os.environ.get(SETTLE_ENV, SETTLE_SECONDS))


def still_changing(path: Path, settle: float) -> bool:
    """Changed within the last `settle` seconds. A modification time in the future (a PC with
    a wrong clock) says nothing about now: the snapshot's own check still catches a file
    that changes while it is read."""
    return 0 <= time.time() - path.lstat().st_mtime < settle


def file_sha256(path: Path) -> tuple[str, int]:
    """Hash in place, without following a link."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as fh:
        return _hash_stream(fh, None)


def _hash_stream(fh, copy_to) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := fh.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if copy_to is not None:
            copy_to.write(chunk)
    return digest.hexdigest(), size


@dataclass
class Snapshot:
    """The delivered bytes, held in an unnamed owner-only file for the rest of the file's load."""

    handle: object
    path: str  # /proc/<pid>/fd/<n>: readable by this process and its sandbox
    sha256: str
    size: int

    def close(self) -> None:
        self.handle.close()


def snapshot(path: Path, tmp_dir: Path) -> Snapshot | None:
    """Copy and hash the file in one pass; None when it changed while it was read (still being
    written: the next run takes it)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as source:
        before = os.fstat(source.fileno())
        if not stat.S_ISREG(before.st_mode):
            return None
        handle, proc_path = unnamed_file(tmp_dir)
        sha, size = _hash_stream(source, handle)
        after = os.fstat(source.fileno())
    handle.flush()
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or (
        size != after.st_size
    ):
        handle.close()
        return None
    return Snapshot(handle, proc_path, sha, size)
