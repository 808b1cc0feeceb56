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
    """Say what failed, for which quarter and why: in the log and to the people notified."""
    from retention.orchestration.notify import failure_message, notify
    from retention.orchestration.schedule import quarter_before

    task_instance = context.get("task_instance")
    dag_id = getattr(task_instance, "dag_id", "?")
    task_id = getattr(task_instance, "task_id", "?")
    params = context.get("params") or {}
    logical_date = context.get("logical_date")
    quarter = params.get("quarter") or (str(quarter_before(logical_date)) if logical_date else "?")
    error = context.get("exception")
    log.error("%s failed at %s for %s: %s", dag_id, task_id, quarter, error)
    try:
        notify(*failure_message(dag_id, task_id, quarter, error))
    except Exception:  # a broken mail server must not hide the failure being reported
        log.exception("could not send the failure notification")


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
