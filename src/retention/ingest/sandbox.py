"""Reading each delivered file in a child process with limits, so that no file can hurt the run.

A file's bytes are untrusted: a workbook can make calamine ask for 512 GB and abort the
process, a few KB of CSV can keep a reader busy for minutes. So the loader never parses in its
own process. `Sandbox` starts one worker (`python -m retention.ingest.sandbox`) per ingest run;
the worker has imported the readers but opened nothing, so forking it is cheap (milliseconds,
against half a second to start a fresh Python with DuckDB and Arrow) and safe. For each file
it has forked a child ahead of time (below) that sets its resource limits (address space, CPU
time, size of what it writes, no core dump) and reads the file (`reading.py`), writing the
cells as an Arrow IPC file into an unnamed file the loader opened for it. The worker kills a
child that runs out of time and tells the loader how the child ended. Whatever happens (an
exception, a native crash, a memory blow-up, a hang) becomes that file's refusal, and the run
goes on.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import resource
import select
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from retention import errors
from retention.ingest.reading import FileRefused, Limits, Parsed, Spec

# Address space of a reading child: calamine holds a whole sheet, about 20 times the workbook's
# size (a 106 MB workbook of 970,000 rows peaks at 2.1 GB resident, 2.9 GB of address space).
# The limit is there to stop a file asking for hundreds of GB, not to squeeze real ones.
MEMORY_BYTES = 6 << 30
# Time for one file: generous for the largest real file (about 10 MB/s at worst here).
BASE_SECONDS, SECONDS_PER_MB = 60.0, 2.0
# Rows per batch of a child's answer: the loader holds one batch at a time, not the file.
BATCH_ROWS = 65_536
# A child that found the disk full (for its answer, or a transcoded copy) ends with this code:
# the run's trouble, not the file's, so the file is not refused; the loader stops the run.
DISK_FULL_EXIT = errno.ENOSPC


@dataclass(frozen=True)
class Request:
    path: str  # the snapshot of the delivered file, as this process can open it
    out: str  # where the child writes its Arrow IPC file
    format: str  # csv | xlsx
    spec: Spec
    tmp_dir: str
    limits: Limits = Limits()

    def to_json(self) -> str:
        data = dict(self.__dict__, spec=self.spec.__dict__, limits=self.limits.__dict__)
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Request:
        data = json.loads(text)
        spec = Spec([tuple(c) for c in data["spec"]["columns"]], data["spec"]["textual"])
        return cls(**dict(data, spec=spec, limits=Limits(**data["limits"])))


class ReaderLost(Exception):
    """The reading worker itself died (killed, out of memory as a whole): not the file's
    fault. The loader leaves the file for the next run rather than refusing it."""


def seconds_for(size_bytes: int) -> float:
    return BASE_SECONDS + SECONDS_PER_MB * size_bytes / 1e6


class Sandbox:
    """The loader's side: one worker process for the run, one child per file."""

    def __init__(self, memory_bytes: int = MEMORY_BYTES):
        self.memory_bytes = memory_bytes
        self.peak_mib = 0.0  # the largest reading child's peak resident memory
        self._worker: subprocess.Popen | None = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._worker is not None:
            self._worker.kill()
            self._worker.wait()
            self._worker = None

    def _start(self) -> subprocess.Popen:
        if self._worker is None or self._worker.poll() is not None:
            self._worker = subprocess.Popen(
                [sys.executable, "-m", "retention.ingest.sandbox", str(self.memory_bytes)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                encoding="utf-8",
            )
        return self._worker

    def read(self, request: Request, seconds: float):
        """(Parsed, Arrow batch reader) of the file, or FileRefused saying why it cannot be
        read. The batches come from the child's answer one at a time (never the whole file in
        this process's memory): read them all before closing the file at `request.out`."""
        import pyarrow as pa

        worker = self._start()
        order = {"request": request.to_json(), "seconds": seconds}
        try:
            worker.stdin.write(json.dumps(order) + "\n")
            worker.stdin.flush()
            reply = worker.stdout.readline()
        except BrokenPipeError:
            reply = ""
        if not reply:  # the worker itself died: start a new one for the next file
            self.__exit__()
            raise ReaderLost("the reading worker ended unexpectedly")
        ended = json.loads(reply)
        self.peak_mib = max(self.peak_mib, ended.get("peak", 0.0))
        if ended.get("exit") == DISK_FULL_EXIT:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), request.tmp_dir)
        if ended["timed_out"]:
            raise _stopped(
                f"reading took longer than {seconds:.0f} s",
                f"读取超过 {seconds:.0f} 秒仍未完成",
            )
        if ended["signal"]:
            name = signal.Signals(ended["signal"]).name
            raise _stopped(
                f"the reader was stopped by {name} (most often: more memory than allowed)",
                f"读取进程被 {name} 终止（多为所需内存超过上限）",
            )
        source = pa.OSFile(request.out)
        answer = pa.ipc.open_file(source)
        meta = json.loads(answer.schema.metadata[b"retention"])
        if "refused" in meta:
            source.close()
            raise FileRefused(meta["refused"]["reason"], **meta["refused"]["values"])

        def batches():
            with source:
                for i in range(answer.num_record_batches):
                    yield answer.get_batch(i)

        schema = answer.schema.remove_metadata()
        return Parsed(**meta["parsed"]), pa.RecordBatchReader.from_batches(schema, batches())


def _stopped(en: str, zh: str) -> FileRefused:
    return FileRefused(
        "unreadable",
        detail_zh=f"{zh}；文件可能已损坏或含有大量空行空列，请重新导出后报送",
        detail_en=f"{en}; the file may be damaged or carry huge empty areas: export it again "
        "and send it",
    )


def unnamed_file(directory: Path):
    """An open file with no name in `directory` (owner-only, gone when closed or when the
    process dies), and the path by which another process of ours can open it."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 - the caller closes it
    return handle, f"/proc/{os.getpid()}/fd/{handle.fileno()}"


# --- the worker and its children -----------------------------------------------------------
#
# Starting DuckDB and paying its first query's costs takes a fresh process about 0.2 s, more
# than reading a small file. Forking a process that has started DuckDB is not safe (it runs
# threads), so the worker forks each child *before* its file arrives: the spare child sets its
# limits, starts DuckDB and waits on its own pipe while the loader checks and loads the
# previous file.


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (PR_SET_PDEATHSIG), so that no
    reader outlives the loader: an orphan would still hold /proc paths into the loader's
    descriptors, which by then may name other files."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() == 1:  # the parent was already gone before the request took effect
        os._exit(1)


def _limit(memory: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (memory, memory))


def _spare(memory: int) -> tuple[int, int]:
    """Fork a child that starts DuckDB under its limits and then reads one order from its
    pipe: (pid, the pipe's write end)."""
    orders, give = os.pipe()
    pid = os.fork()
    if pid:
        os.close(orders)
        return pid, give
    os.close(give)
    _die_with_parent()
    # Never hold the loader's pipes: if the worker dies, the loader must see it at once.
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    code = 1
    try:
        from retention.ingest import reading

        _limit(memory)
        con = reading.connect()
        with os.fdopen(orders, encoding="utf-8") as pipe:
            line = pipe.readline()
        if line:
            order = json.loads(line)
            _child(Request.from_json(order["request"]), float(order["seconds"]), con)
        code = 0
    except BaseException as exc:  # noqa: BLE001 - a child that fails at all says so by its code
        code = DISK_FULL_EXIT if errors.disk_full(exc) else 1
    os._exit(code)


def _child(request: Request, seconds: float, con) -> None:
    import pyarrow as pa

    from retention.ingest import reading

    cpu = int(seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    path = Path(request.path)
    try:
        if request.format == "xlsx":
            parsed, table = reading.read_xlsx(path, request.spec, request.limits)
        else:
            parsed, table = reading.read_csv(
                path, request.spec, Path(request.tmp_dir), request.limits, con
            )
        meta = {"parsed": parsed.as_dict()}
    except FileRefused as refused:
        table, meta = (
            pa.table({}),
            {"refused": {"reason": refused.reason, "values": refused.values}},
        )
    except MemoryError:
        table = pa.table({})
        meta = {"refused": {"reason": "unreadable", "values": _memory_refusal().values}}
    except Exception as exc:  # noqa: BLE001 - any failure on these bytes refuses the file
        if errors.disk_full(exc):  # not these bytes' fault
            raise
        _log_unexpected(exc)
        table = pa.table({})
        detail = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        meta = {
            "refused": {
                "reason": "unreadable",
                "values": {
                    "detail_zh": f"读取出错（{detail}）",
                    "detail_en": f"read error ({detail})",
                },
            }
        }
    table = table.replace_schema_metadata({"retention": json.dumps(meta, ensure_ascii=False)})
    with pa.OSFile(request.out, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=BATCH_ROWS)


def _log_unexpected(exc: Exception) -> None:
    """The traceback for the data team, on the worker's stderr (the loader's log), with
    anything shaped like a resident ID masked."""
    import traceback

    from retention.pii import mask_ids_in_text

    text = "".join(traceback.format_exception(exc))
    sys.stderr.write(f"unexpected error while reading a file:\n{mask_ids_in_text(text)}")
    sys.stderr.flush()


def _memory_refusal() -> FileRefused:
    return _stopped("reading needed more memory than allowed", "读取所需内存超过上限")


def _serve(memory: int) -> None:
    # Imported before any fork, so that each child starts with them loaded.
    import duckdb  # noqa: F401
    import fastexcel  # noqa: F401
    import pyarrow  # noqa: F401
    import pyarrow.compute  # noqa: F401

    import retention.ingest.reading  # noqa: F401

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the loader decides when the worker ends
    _die_with_parent()
    pid, give = _spare(memory)
    try:
        for line in sys.stdin:
            with contextlib.suppress(BrokenPipeError):  # it died starting: _wait says how
                os.write(give, line.encode("utf-8"))
            os.close(give)
            seconds = float(json.loads(line)["seconds"])
            child, (pid, give) = pid, _spare(memory)  # the next one starts meanwhile
            ended = _wait(child, seconds)
            try:
                sys.stdout.write(json.dumps(ended) + "\n")
                sys.stdout.flush()
            except BrokenPipeError:  # the loader is gone: so is the point of going on
                break
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def _wait(pid: int, seconds: float) -> dict:
    # A pidfd becomes readable when the child ends: no polling delay on small files.
    pidfd = os.pidfd_open(pid)
    try:
        ready, _, _ = select.select([pidfd], [], [], seconds)
    finally:
        os.close(pidfd)
    if not ready:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        return {"timed_out": True, "signal": signal.SIGKILL, "exit": None}
    _, status, usage = os.wait4(pid, 0)
    peak = usage.ru_maxrss / 1024  # MiB
    if os.WIFSIGNALED(status):
        return {"timed_out": False, "signal": os.WTERMSIG(status), "exit": None, "peak": peak}
    code = os.WEXITSTATUS(status)
    # A child that could not even write its answer ended with 1: say so as a crash.
    return {"timed_out": False, "signal": signal.SIGABRT if code else 0, "exit": code, "peak": peak}


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
