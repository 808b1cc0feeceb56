"""The state folder holds personal data (the encrypted archive, person_keys, spills of clear
rows): everything in it is owner-only, and no scratch file with clear data outlives a run."""

from __future__ import annotations

import logging
import os
import shutil
import stat
from pathlib import Path
from typing import BinaryIO

log = logging.getLogger(__name__)

# Files 0600 and folders 0700, whoever creates them (DuckDB, dbt, the loader): the umask is
# inherited by every file this process and its children create.
OWNER_ONLY_UMASK = 0o077


def owner_only() -> None:
    """From here on this process creates files and folders only its user can read."""
    os.umask(OWNER_ONLY_UMASK)


def private_dir(path: Path) -> Path:
    """The folder, created 0700; an existing one we own loses what group and others may do
    (a state folder made before the loader was owner-only), and keeps what its owner may
    not: a folder made read-only on purpose stays so. A mounted volume owned by someone else
    is left as its owner set it."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    found = path.stat()
    if found.st_uid == os.getuid():
        path.chmod(stat.S_IMODE(found.st_mode) & 0o700)
    return path


def private_file(path: Path, exclusive: bool = False) -> BinaryIO:
    """A new file opened for writing, 0600 whatever the umask; `exclusive` refuses to replace
    an existing file (an audit copy must not overwrite anything)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    return os.fdopen(os.open(path, flags, 0o600), "wb")


def clear_scratch(state: Path) -> None:
    """Delete what an earlier, killed run left in <state>/tmp: transcoded copies of department
    files (clear IDs) and DuckDB spills. Call it while holding the warehouse's write lock, so
    that no other process is using the folder."""
    scratch = state / "tmp"
    if not scratch.is_dir():
        return
    for leftover in scratch.iterdir():
        log.warning("removing %s, left over by an earlier run", leftover)
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover)
        else:
            leftover.unlink()
