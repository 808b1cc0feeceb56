"""What the Airflow tasks of `retention run` tell the console.

`retention run` runs the DAGs in a child process whose output all goes to a log file; the
child tells the command, through a pipe, what happens, one JSON object a line: a task started,
ended (with its result) or failed (with the reason in one line and the exit code it means), a
file the ingest is reading (the progress bar), an ingest's totals. Elsewhere (a deployment, a
test) there is no pipe and nothing is sent.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from retention import errors

EVENTS_FD_ENV = "RETENTION_EVENTS_FD"


def emit(kind: str, **fields: object) -> None:
    fd = os.environ.get(EVENTS_FD_ENV)
    if not fd:
        return
    line = json.dumps({"kind": kind, **fields}, ensure_ascii=False, default=str) + "\n"
    with contextlib.suppress(OSError):  # the command is gone, and this process with it
        os.write(int(fd), line.encode("utf-8"))


def file_started(path: Path, size: int) -> None:
    emit("file", name=path.name, size=size)


def failure(error: BaseException) -> dict[str, object]:
    """The reason and exit code a failure means: an expected error's own line, else its type
    and first line (the traceback is in the log)."""
    known = errors.recognised(error)
    if known is not None:
        return {"reason": str(known), "code": known.exit_code}
    return {"reason": errors.one_line(error), "code": errors.UNEXPECTED}
