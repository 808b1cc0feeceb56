"""Where the orchestrated job reads and writes, from the environment the deployment sets."""

from __future__ import annotations

import os
from pathlib import Path

from retention.paths import DEFAULT_RELEASES, DEFAULT_STATE, SAMPLE_LANDING

TIMEZONE = "Asia/Shanghai"
# Every task that opens the warehouse for writing takes this pool's only slot: DuckDB allows
# one writing process at a time.
WAREHOUSE_POOL = "warehouse"
# Those tasks also hold the state folder's lock (retention.state_lock), which a `retention`
# command run by hand holds too: a task queues behind such a command for up to this many
# seconds, well inside the task's hour (dag_support.DEFAULT_ARGS), then fails naming it.
TASK_LOCK_WAIT_ENV = "RETENTION_TASK_LOCK_WAIT"
TASK_LOCK_WAIT_SECONDS = 30 * 60


def landing() -> Path:
    return Path(os.environ.get("RETENTION_LANDING", SAMPLE_LANDING))


def state() -> Path:
    return Path(os.environ.get("RETENTION_STATE", DEFAULT_STATE))


def releases() -> Path:
    return Path(os.environ.get("RETENTION_RELEASES", DEFAULT_RELEASES))


def task_lock_wait() -> float:
    return float(os.environ.get(TASK_LOCK_WAIT_ENV, TASK_LOCK_WAIT_SECONDS))
