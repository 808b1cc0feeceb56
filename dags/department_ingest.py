"""Department ingest: one DAG per department (ingest_hrss, ingest_edu, ...).

Every 15 minutes it loads what the department has dropped into its landing folder
(`RETENTION_LANDING/<department>/`) and announces each of its feeds as an Asset, the quarters
loaded in the event's extra. Files already loaded are skipped, so a re-run changes nothing.
The task takes the warehouse pool's only slot: DuckDB has one writer at a time.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, dag, task

from retention.orchestration.dag_support import DEFAULT_ARGS, department_feeds, feed_asset_uri
from retention.orchestration.settings import TIMEZONE, WAREHOUSE_POOL


def ingest_dag(department: str, feeds: list[str]):
    assets = {feed: Asset(feed_asset_uri(feed)) for feed in feeds}

    @dag(
        dag_id=f"ingest_{department}",
        doc_md=__doc__,
        schedule="*/15 * * * *",
        start_date=pendulum.datetime(2024, 1, 1, tz=TIMEZONE),
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        tags=["retention", "ingest", department],
    )
    def ingest_department_files():
        @task(pool=WAREHOUSE_POOL, outlets=list(assets.values()))
        def ingest(outlet_events=None) -> dict[str, list[str]]:
            from retention.orchestration import steps

            loaded = steps.ingest_department(department)
            for feed, asset in assets.items():
                outlet_events[asset].extra = {"quarters": sorted(loaded.get(feed, []))}
            return loaded

        ingest()

    return ingest_department_files()


for _department, _feeds in department_feeds().items():
    globals()[f"ingest_{_department}"] = ingest_dag(_department, _feeds)
