"""What every benchmark records: the machine, and a stage's seconds and peak memory."""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from queue import Empty
from typing import Any


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(pages / 2**30, 1),
        "python": platform.python_version(),
        "system": platform.platform(),
        # what else the machine was running when measured: a shared machine's figures vary
        "load_average_1min": round(os.getloadavg()[0], 1),
    }


def peak_rss_mib() -> float:
    """This process's peak resident memory (VmHWM), DuckDB's included. Not ru_maxrss: Linux
    carries that across exec, so a spawned child would report its parent's peak."""
    with open("/proc/self/status", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _child(function: Callable, args: tuple, queue: multiprocessing.Queue) -> None:
    started = time.perf_counter()
    value = function(*args)
    seconds = time.perf_counter() - started
    queue.put((value, seconds, peak_rss_mib()))


def in_child(function: Callable, *args: Any) -> tuple[Any, float, float]:
    """Run function(*args) in a fresh process: (its value, seconds, peak RSS in MiB).

    A fresh process per stage makes the peak memory that stage's own, DuckDB's included.
    """
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(function, args, queue))
    process.start()
    # A stage that fails ends its process without an answer: waiting on the queue alone would
    # wait for ever.
    while True:
        try:
            value, seconds, peak = queue.get(timeout=1)
            break
        except Empty:
            if not process.is_alive() and queue.empty():
                raise RuntimeError(
                    f"{function.__name__} failed with exit code {process.exitcode}"
                ) from None
    process.join()
    return value, seconds, round(peak, 1)


def write(path: Path, result: dict[str, Any]) -> None:
    """Write the result; a benchmark of runs per scale measured at some scales keeps the
    file's runs at the others (`make bench SCALES=100` does not drop x1 and x10), each kept
    run marked with the machine it was measured on."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if "runs" in result and path.exists():
        earlier = json.loads(path.read_text(encoding="utf-8"))
        measured = {run["scale"] for run in result["runs"]}
        kept = [
            {"earlier_machine": earlier["machine"], **run} if "earlier_machine" not in run else run
            for run in earlier.get("runs", [])
            if run["scale"] not in measured
        ]
        result = dict(result, runs=sorted(kept + result["runs"], key=lambda run: run["scale"]))
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
