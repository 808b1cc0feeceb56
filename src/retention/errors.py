"""What a failure means to whoever ran the command: the exit codes, and the errors that are
expected (an operator's mistake, a refusal, a full disk, a busy warehouse), each told in one
line, Chinese and English, with what to do next, never as a traceback (that takes --debug).

The refusals of the modules (QuarterNotReady, ReleaseRefused, GateError, ...) are subclasses
of ExpectedError; `recognised` finds the expected error inside one that does not look it: a
full disk behind an OSError or behind DuckDB's errors, another process holding DuckDB's lock.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Iterator

# The exit codes of every `retention` command (README, "When something goes wrong").
OK = 0
CHECKS_FAILED = 1  # the data failed a check: a blocking gate check, a dbt test, verify
REFUSED = 2  # refused, nothing changed: an operator's mistake, or a state that forbids it
UNEXPECTED = 3  # a fault nobody foresaw: a bug to report, with the traceback of --debug
INTERRUPTED = 130  # Ctrl-C or SIGTERM


class ExpectedError(Exception):
    """An error the operator can act on. Its message is one line, Chinese and English, ending
    with the next step. It is deterministic unless `retry_helps`: the same inputs give the same
    refusal, so an Airflow task fails at once rather than retrying it."""

    exit_code = REFUSED
    retry_helps = False

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:  # a class's refusals need not all mean the same
            self.exit_code = exit_code


class DiskFull(ExpectedError):
    def __init__(self, where: object = None) -> None:
        zh, en = (f"（{where}）", f" ({where})") if where else ("", "")
        super().__init__(
            f"磁盘空间不足{zh}，之前完成的步骤不受影响：请清理该磁盘后重新运行 / the disk is "
            f"full{en}; what finished before is intact: free space on that disk and run the "
            "command again"
        )


class WarehouseBusy(ExpectedError):
    """Another process has the DuckDB file open (a DuckDB client, a reader during a write):
    DuckDB's own lock, which the state folder's lock does not cover for readers."""

    retry_helps = True

    def __init__(self, holder: str) -> None:
        super().__init__(
            f"数据仓库正被另一个程序使用（{holder}），请等其结束或关闭它后重试 / the warehouse "
            f"is in use by another program ({holder}): wait for it to finish, or close it, "
            "and run again"
        )


# A write that found no room on its disk: full, or over a quota.
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}
_DISK_FULL_TEXT = re.compile(r"No space left on device|Disk quota exceeded")
_DUCKDB_LOCK = re.compile(r"Could not set lock on file \"([^\"]+)\"(?:.*?(PID \d+))?", re.S)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error and those it was raised from or during: DuckDB's "cannot rollback", raised
    while a failed commit was being undone, hides the full disk behind it."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def recognised(error: BaseException, where: object = None) -> ExpectedError | None:
    """The expected error this one is or hides, or None for a fault nobody foresaw. `where` is
    named when the error does not say which disk filled (the state folder, usually)."""
    for link in _chain(error):
        if isinstance(link, ExpectedError):
            return link
    for link in _chain(error):
        # a file-size limit (RLIMIT_FSIZE) reads the same to whoever ran the command
        if isinstance(link, OSError) and link.errno in _DISK_FULL | {errno.EFBIG}:
            return DiskFull(link.filename or where or link.strerror)
        text = str(link)
        if _DISK_FULL_TEXT.search(text) or "File too large" in text:
            named = re.search(r"\"(/[^\"]+)\"", text)
            return DiskFull(named.group(1) if named else where)
        if locked := _DUCKDB_LOCK.search(text):
            path, pid = locked.groups()
            return WarehouseBusy(f"{path}, {pid.lower()}" if pid else path)
    return None


def disk_full(error: BaseException) -> bool:
    """Whether the disk was full (or over a quota), however the error surfaced; not a file-size
    limit, which the ingest's reading children set to stop a file that would write too much."""
    return any(
        (isinstance(link, OSError) and link.errno in _DISK_FULL)
        or bool(_DISK_FULL_TEXT.search(str(link)))
        for link in _chain(error)
    )


def one_line(error: BaseException) -> str:
    """An unexpected error's type and first line, for a console that shows one line."""
    first = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {first}"[:500]
