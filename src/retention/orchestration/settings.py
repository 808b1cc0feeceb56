"""Where the orchestrated job reads and writes, from the environment the deployment sets."""

from __future__ import annotations

import os
from pathlib import Path

from retention.paths import DEFAULT_RELEASES, DEFAULT_STATE, SAMPLE_LANDING

TIMEZONE = "Asia/Shanghai"
# Every task that opens the warehouse for writing takes this pool's only slot: DuckDB allows
# one writing process at a time.
WAREHOUSE_POOL = "warehouse"


def landing() -> Path:
    return Path(os.environ.get("RETENTION_LANDING", SAMPLE_LANDING))


def state() -> Path:
    return Path(os.environ.get("RETENTION_STATE", DEFAULT_STATE))


def releases() -> Path:
    return Path(os.environ.get("RETENTION_RELEASES", DEFAULT_RELEASES))
