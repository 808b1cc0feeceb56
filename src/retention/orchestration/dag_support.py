"""What every DAG shares: default arguments, failure reporting and the feeds' assets.

Imported when Airflow parses the DAG files, so it imports nothing heavy (no duckdb, pandas,
great_expectations): those wait inside the tasks.
"""

from __future__ import annotations

import datetime as dt
import logging

from retention.contract import default_contract

log = logging.getLogger("retention.orchestration")

OWNER = "data-engineering"


def report_failure(context: dict) -> None:
    """Say what failed, for which quarter, and why, where the data engineer looks first."""
    task_instance = context.get("task_instance")
    params = context.get("params") or {}
    quarter = params.get("quarter") or "the run's quarter"
    log.error(
        "%s failed at %s for %s: %s",
        getattr(task_instance, "dag_id", "?"),
        getattr(task_instance, "task_id", "?"),
        quarter,
        context.get("exception"),
    )


DEFAULT_ARGS = {
    "owner": OWNER,
    "retries": 2,
    "retry_delay": dt.timedelta(minutes=5),
    "execution_timeout": dt.timedelta(hours=1),
    "on_failure_callback": report_failure,
}


def department_feeds() -> dict[str, list[str]]:
    contract = default_contract()
    return {code: [f.name for f in contract.feeds_of(code)] for code in contract.departments}


def feed_asset_uri(feed: str) -> str:
    return f"retention://warehouse/raw/{feed}"
