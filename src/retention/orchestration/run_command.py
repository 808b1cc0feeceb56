"""`retention run` as the operator sees it.

The DAGs run in a child process (embedded.py) in a process group of its own, whose output
(Airflow's, dbt's and GX's logs, every traceback) goes to <state>/logs/run-<UTC time>.log. The
child reports through a pipe (events.py); the console shows one line per stage, a progress bar
while files load (on a terminal) and a last line saying whether a new version was published or
which one stands.

A failed task ends the command at once, with one line naming the step, the quarter, the reason
(Chinese and English) and the log, and the exit code the reason means; nobody waits for the DAG
run to wind down or for retries. Ctrl-C or SIGTERM stops the child's whole group: SIGINT (as
Ctrl-C at a terminal would), then SIGKILL after a few seconds. Either way the warehouse and the
releases stay as the last finished step left them: DuckDB's transactions are atomic, and a
release is written aside and renamed into place (release/versions.py); the next run takes up
the rest.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import json
import logging
import os
import select
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import NoReturn

from retention import errors
from retention.orchestration import events
from retention.state_files import private_dir, private_file

# SIGINT lets the child's steps undo what they started (Airflow's task runner turns SIGTERM
# into a call of the operator's on_kill and carries on); then SIGKILL, well inside 10 seconds.
GRACE_SECONDS = 4.0
POLL_SECONDS = 0.5


def run(quarter: str, landing: Path, state: Path, out: Path) -> int:
    log = _new_log(state)
    print(f"retention run {quarter}，完整日志 / full log: {log}", flush=True)
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _die_with(parent)
        _child(quarter, landing, state, out, log, write_end)
    os.close(write_end)
    child = _Child(pid)
    try:
        return _Console(quarter, landing, log).follow(child, read_end)
    finally:
        if how := child.stop():
            with log.open("a", encoding="utf-8") as record:
                record.write(f"retention run: the DAGs' process was {how}\n")
        os.close(read_end)


def _new_log(state: Path) -> Path:
    logs = private_dir(state / "logs")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    for name in (f"run-{stamp}.log", f"run-{stamp}-{os.getpid()}.log"):
        with contextlib.suppress(FileExistsError), private_file(logs / name, exclusive=True):
            return logs / name
    raise FileExistsError(logs / name)


def _child(quarter: str, landing: Path, state: Path, out: Path, log: Path, fd: int) -> NoReturn:
    """Run the DAGs, all output to the log, telling the parent through `fd`; never returns."""
    code = errors.UNEXPECTED
    try:
        os.setpgid(0, 0)  # Ctrl-C at the terminal reaches the parent, which stops this group
        _output_to(log)
        os.environ[events.EVENTS_FD_ENV] = str(fd)
        from retention.orchestration.embedded import run_dags

        run_dags(quarter, landing, state, out)
        events.emit("finished")
        code = errors.OK
    except KeyboardInterrupt:  # the parent's SIGINT (interrupts.py)
        code = errors.INTERRUPTED
    except BaseException as error:
        traceback.print_exc()
        said = events.failure(error)
        events.emit("failed", dag=None, task=None, **said)
        code = int(said["code"])
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _die_with(parent: int) -> None:
    """A parent killed outright (SIGKILL) takes the child with it: Linux's PR_SET_PDEATHSIG."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # it died before that
        os._exit(errors.INTERRUPTED)


def _output_to(log: Path) -> None:
    fd = os.open(log, os.O_WRONLY | os.O_APPEND)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    logging.getLogger().setLevel(logging.INFO)  # the log is the full record


class _Child:
    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.status: int | None = None
        with contextlib.suppress(OSError):  # the child does it too: whichever comes first
            os.setpgid(pid, pid)

    def poll(self) -> int | None:
        if self.status is None:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.status = os.waitstatus_to_exitcode(status)
        return self.status

    def wait(self, seconds: float) -> int | None:
        deadline = time.monotonic() + seconds
        while self.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.status

    def stop(self) -> str | None:
        """SIGINT to the child's group, SIGKILL after the grace; the child reaped. A second
        Ctrl-C meanwhile waits until this is done. Says how the child was stopped, if it was."""
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        how = None
        try:
            if self.poll() is None:
                started = time.monotonic()
                self._signal(signal.SIGINT)
                how = "interrupted (SIGINT)"
                if self.wait(GRACE_SECONDS) is None:
                    how = f"killed (SIGKILL), {GRACE_SECONDS:.0f} s after SIGINT"
                else:
                    how += f", ending {time.monotonic() - started:.1f} s later"
            self._signal(signal.SIGKILL)  # the child if still there, and what it started
            if self.status is None:
                self.status = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        return how

    def _signal(self, number: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, number)


def _events(fd: int, child: _Child):
    """The child's events as they come; ends when the child has ended and said all."""
    pending = b""
    while True:
        readable, _, _ = select.select([fd], [], [], POLL_SECONDS)
        chunk = os.read(fd, 65536) if readable else b""
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            yield json.loads(line)
        # EOF, or a grandchild still holding the pipe after the child ended
        if (readable and not chunk) or (not readable and child.poll() is not None):
            return


class _Console:
    """One line per stage, from the child's events."""

    def __init__(self, quarter: str, landing: Path, log: Path) -> None:
        self.quarter, self.landing, self.log = quarter, landing, log
        self.started: dict[str, float] = {}
        self.ingested: dict[str, dict] = {}
        self.group: dict | None = None  # a task group's tasks (the dbt build), told as one
        self.release: dict | None = None
        self.loading = contextlib.ExitStack()  # the progress bar, while files load
        self.on_file = None

    def follow(self, child: _Child, fd: int) -> int:
        with self.loading:
            for event in _events(fd, child):
                kind = event["kind"]
                if kind == "failed":
                    self._end_loading()
                    print(self._failure(event), file=sys.stderr, flush=True)
                    return int(event["code"])
                if kind == "finished":
                    self._told_group()
                    child.wait(GRACE_SECONDS)
                    print(self._last_line(), flush=True)
                    return errors.OK
                getattr(self, f"_{kind}")(event)
        print(
            f"retention run {self.quarter} 意外停止（退出状态 {child.status}），原因见日志 / "
            f"stopped unexpectedly (exit status {child.status}): see the log {self.log}",
            file=sys.stderr,
        )
        return errors.UNEXPECTED

    # the child's events, by kind

    def _file(self, event: dict) -> None:
        if self.on_file is None and sys.stderr.isatty():
            from retention.ingest.summary import progress_bar

            self.on_file = self.loading.enter_context(progress_bar(self.landing, enabled=True))
        if self.on_file:
            self.on_file(Path(event["name"]), event["size"])

    def _ingested(self, event: dict) -> None:
        self.ingested[event["department"]] = event

    def _running(self, event: dict) -> None:
        if not event["dag"].startswith("ingest_"):
            self._end_loading()
        group = event["task"].split(".")[0] if "." in event["task"] else None
        if self.group and self.group["name"] != group:
            self._told_group()
        if group and not self.group:
            self.group = {"name": group, "since": time.monotonic(), "done": 0}
        if not group:
            self.started[event["task"]] = time.monotonic()

    def _success(self, event: dict) -> None:
        task, result = event["task"], event["result"]
        if self.group and task.startswith(self.group["name"] + "."):
            self.group["done"] += 1
            return
        seconds = time.monotonic() - self.started.pop(task, time.monotonic())
        if task == "release":
            self.release = result
        line = self._stage(event["dag"], task, result)
        if line:
            print(f"{line} ({seconds:.1f} s)", flush=True)

    def _stage(self, dag: str, task: str, result: object) -> str | None:
        if dag.startswith("ingest_"):
            return self._ingest_line(dag.removeprefix("ingest_"))
        if task == "quarter":
            return None
        if task == "completeness" and isinstance(result, dict):
            missing = [f for feeds in result.get("missing", {}).values() for f in feeds]
            said = f", missing {len(missing)} feed(s): {', '.join(missing)}" if missing else ""
            return f"completeness {self.quarter}: {result.get('status')}{said}"
        if task == "gate" and isinstance(result, dict):
            warnings = len(result.get("warnings", []))
            if failures := len(result.get("failures", [])):
                return f"gate {self.quarter}: {failures} blocking check(s) failed"
            return f"gate {self.quarter}: passed, {warnings} warning(s)"
        if task == "release" and isinstance(result, dict):
            if result.get("created"):
                return f"release {self.quarter}: new version v{result['version']}"
            return f"release {self.quarter}: inputs unchanged, no new version"
        if task == "notify":
            sent = ", ".join(result or []) or "no channel configured"
            return f"notify: {sent}"
        return f"{task}: done"

    def _ingest_line(self, department: str) -> str:
        told = self.ingested.pop(department, None)
        if told is None:
            return f"ingest {department}: done"
        files = told["files"]
        if not files:
            return f"ingest {department}: no new files"
        counts = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in sorted(files.items()))
        rows, refused = told["rows"], told["refused"]
        named = f"; refused: {', '.join(refused[:3])}{' …' if len(refused) > 3 else ''}"
        return (
            f"ingest {department}: {_files(sum(files.values()))} ({counts}), "
            f"{rows['loaded']:,} rows loaded, {rows['rejected']:,} rejected"
            f"{named if refused else ''}"
        )

    def _told_group(self) -> None:
        if self.group:
            seconds = time.monotonic() - self.group["since"]
            name, done = self.group["name"], self.group["done"]
            print(f"{name}: dbt build, {done} tasks passed ({seconds:.1f} s)", flush=True)
            self.group = None

    def _end_loading(self) -> None:
        self.loading.close()
        self.on_file = False

    def _failure(self, event: dict) -> str:
        step = event["task"] or "Airflow"
        if event["dag"] and event["dag"].startswith("ingest_"):
            step = f"ingest {event['dag'].removeprefix('ingest_')}"
        return (
            f"retention run {self.quarter} 停在 {step} 步骤 / stopped at step {step}: "
            f"{event['reason']}（完整日志 / full log: {self.log}）"
        )

    def _last_line(self) -> str:
        if self.release is None:
            return f"retention run {self.quarter}: finished, nothing released"
        from retention.release.versions import outcome

        return outcome(
            **{k: self.release[k] for k in ("quarter", "version", "status", "path", "created")}
        )


def _files(count: int) -> str:
    return f"{count} file" if count == 1 else f"{count} files"
