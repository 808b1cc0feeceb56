"""The dbt build as Airflow tasks, through Cosmos: one task per model, seed and its tests,
visible in the UI, and still one writer on the warehouse.

Cosmos's watcher mode runs the whole `dbt build` in one producer task (one dbt invocation,
dbt's own threads) and gives every node a task that reports that node's result. Here each
node's task also waits for the producer: a node task never starts while dbt writes, and if a
retry falls back to building its node alone, the warehouse pool still lets one writer in at a
time, and every task in that pool holds the state folder's lock as the `retention` commands do.
The tasks are drawn from dbt's manifest (`retention dbt-parse`, run by `make setup`), so
parsing the DAG runs no dbt command.
"""

from __future__ import annotations

from typing import Any

from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import (
    PRODUCER_WATCHER_TASK_ID,
    ExecutionMode,
    InvocationMode,
    LoadMode,
    TestBehavior,
)

from retention import state_lock
from retention.orchestration import settings
from retention.paths import DBT_DIR, DBT_MANIFEST, warehouse_path


def dbt_build_group(group_id: str = "build") -> DbtTaskGroup:
    group = DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(
            dbt_project_path=DBT_DIR,
            manifest_path=DBT_MANIFEST,
            project_name="cixi_retention",
            env_vars={"RETENTION_WAREHOUSE": str(warehouse_path(settings.state().resolve()))},
        ),
        profile_config=ProfileConfig(
            profile_name="retention",
            target_name="warehouse",
            profiles_yml_filepath=DBT_DIR / "profiles.yml",
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER, invocation_mode=InvocationMode.DBT_RUNNER
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST, test_behavior=TestBehavior.AFTER_EACH
        ),
        operator_args={
            "pool": settings.WAREHOUSE_POOL,
            # the node tasks read the producer's results: no need to poll or defer
            "deferrable": False,
            "poke_interval": 1,
        },
    )
    producer = group.children[f"{group_id}.{PRODUCER_WATCHER_TASK_ID}"]
    for task in group.iter_tasks():
        if task is not producer:
            producer >> task
        if task.pool == settings.WAREHOUSE_POOL:
            _holding_the_state(task)
    return group


def _holding_the_state(task) -> None:
    """Run the task's execute inside the state folder's lock. Cosmos makes these operators,
    so the lock goes around this instance's execute. Airflow runs a copy of the task (the
    context's "task", with its fields rendered) and checks that it is the one executing: the
    copy's own execute is called, not this instance's."""

    def execute(context: Any, **kwargs: Any) -> Any:
        running = context["task"]
        command = f"Airflow {running.dag_id}.{running.task_id}"
        with state_lock.hold(settings.state(), command, wait=settings.task_lock_wait()):
            return type(running).execute(running, context, **kwargs)

    task.execute = execute
