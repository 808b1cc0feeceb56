"""One writer on the state folder at a time.

Every command and Airflow task that writes the state (ingest, build, validate, release, rekey,
run) holds an exclusive lock on the folder for its whole run. DuckDB's own file lock is not
enough: dbt closes the warehouse between nodes (dbt/profiles.yml, keep_open: false), and an
ingest started in such a gap slipped into a running build.

The lock is `flock` on <state>/state.lock: the kernel drops it when the process holding it ends,
however it ends, so a killed command never leaves the folder locked. Beside it the holder writes
<state>/state.lock.json (command, pid, host, since), so that a command finding the folder taken
can say whom it waits for. The lock does not stop readers (`retention kpis`, `archive list`).

Within one process the lock is re-entrant: `retention run` holds it for its whole run while the
Airflow tasks it runs in-process (`dag.test`) take it again. Those must not flock a second open
file: the kernel would make the process wait for itself.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from retention.errors import ExpectedError
from retention.state_files import private_dir, private_file

log = logging.getLogger(__name__)

LOCK_NAME = "state.lock"
HOLDER_NAME = "state.lock.json"
# The default wait of a command line, in seconds (`--wait` overrides it).
WAIT_ENV = "RETENTION_LOCK_WAIT"
POLL_SECONDS = 0.2


class StateBusy(ExpectedError):
    """Another command holds the state folder: one bilingual line naming it and what to do.
    The holder ends, so an Airflow task that waited in vain is worth retrying."""

    retry_helps = True


@dataclass
class _Held:
    fd: int
    depth: int


# The locks this process holds, by lock file: a fork inherits them with the descriptor that
# holds the lock, so a forked child re-enters too instead of waiting for its parent.
_held: dict[Path, _Held] = {}
_registry = threading.Lock()


@contextmanager
def hold(state: Path, command: str, wait: float = 0) -> Iterator[None]:
    """Hold the state folder's lock while the block runs. If another process holds it, wait up
    to `wait` seconds (saying once whom for), then raise StateBusy naming the holder."""
    lock = private_dir(state).resolve() / LOCK_NAME
    with _registry:
        held = _held.get(lock)
        if held:
            held.depth += 1
    if held is None:
        held = _Held(_acquire(lock, command, wait), 1)
        with _registry:
            _held[lock] = held
    try:
        yield
    finally:
        with _registry:
            held.depth -= 1
            last = held.depth == 0
            if last:
                del _held[lock]
        if last:
            lock.with_name(HOLDER_NAME).unlink(missing_ok=True)
            os.close(held.fd)  # releases the lock


def _acquire(lock: Path, command: str, wait: float) -> int:
    # not through a link: it would make its target, wherever it points
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    try:
        deadline = time.monotonic() + wait
        said = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StateBusy(_refusal(lock.parent, _holder(lock), wait)) from None
                if not said:
                    zh, en = _who(_holder(lock))
                    log.warning(
                        "正在等待%s结束（最多 %.0f 秒）/ waiting for %s to finish with %s "
                        "(up to %.0f s) ...",
                        zh,
                        wait,
                        en,
                        lock.parent,
                        wait,
                    )
                    said = True
                time.sleep(POLL_SECONDS)
        _write_holder(lock, command)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _write_holder(lock: Path, command: str) -> None:
    record = {
        "command": command,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    # Written whole and renamed into place: a waiting command never reads half a record.
    partial = lock.with_name(HOLDER_NAME + ".partial")
    with private_file(partial) as fh:
        fh.write(json.dumps(record, ensure_ascii=False).encode("utf-8"))
    partial.replace(lock.with_name(HOLDER_NAME))


def _holder(lock: Path) -> dict | None:
    """Who holds the lock, as its holder wrote it; None between its taking the lock and
    writing the record (or if a killed holder's record was cut short)."""
    try:
        record = json.loads(lock.with_name(HOLDER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _who(holder: dict | None) -> tuple[str, str]:
    if holder is None:
        return "另一个命令（尚未登记）", "another command (not yet recorded)"
    command, pid, host, since = (holder.get(k) for k in ("command", "pid", "host", "since"))
    return (
        f" {command}（{host} 上的进程 {pid}，{since} 起）",
        f"{command} (pid {pid} on {host}, since {since})",
    )


def _refusal(state: Path, holder: dict | None, waited: float) -> str:
    zh, en = _who(holder)
    after_zh = f"已等待 {waited:.0f} 秒，" if waited else ""
    after_en = f" (waited {waited:.0f} s)" if waited else ""
    return (
        f"状态目录 {state} 正被{zh}使用，{after_zh}请等它结束后重试，或用 --wait 秒数 排队等候 / "
        f"another command is using the state folder {state}: {en}{after_en}; wait for it to "
        "finish and run again, or queue behind it with --wait SECONDS"
    )
