"""Ctrl-C and SIGTERM stop a command the way Ctrl-C stops Python, cleaning up as the stack
unwinds. A library that catches the interrupt (dbt, DuckDB, Airflow's task runner) reports an
error of its own instead; `stopped` says it was the interruption all the same."""

from __future__ import annotations

import signal
import threading

stopped = threading.Event()


def _interrupt(signum: int, frame: object) -> None:
    stopped.set()
    raise KeyboardInterrupt


def stop_on_signals() -> None:
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
