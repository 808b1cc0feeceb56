"""The dbt build as Airflow tasks, through Cosmos: one task per model, visible in the UI, and
still one writer on the warehouse.

Cosmos's watcher mode runs the whole `dbt build` in one producer task (one dbt invocation,
dbt's own threads) and gives every node a task that reports that node's result. Only the
producer writes: it takes the warehouse pool's one slot and holds the state folder's lock as
the `retention` commands do. A node's task starts after the producer and only reads its
result, so the node tasks run side by side outside the pool; the one time a node's task runs
dbt itself (a retry, or a task cleared by hand after the producer ended) it holds the state's
lock while it does. Seeds and tests have no tasks of their own: dbt loads and runs them in the
producer's build as in `retention build` (a failed model or test fails the producer, whose
error names it), and each task costs Airflow more than reading one
result is worth (0.15 s under `retention run`, a process in a deployment). The tasks are drawn
from dbt's manifest (`retention dbt-parse`, run by `make setup`), so parsing the DAG runs no dbt
command.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import (
    PRODUCER_WATCHER_TASK_ID,
    ExecutionMode,
    InvocationMode,
    LoadMode,
    SeedRenderingBehavior,
    TestBehavior,
)
from cosmos.operators._watcher.base import BaseConsumerSensor, _log_dbt_msg
from cosmos.operators._watcher.state import is_dbt_upstream_failure_skip_event

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
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.NONE,
            seed_rendering_behavior=SeedRenderingBehavior.NONE,
            # no DAG is scheduled on a model's table, so no asset events for them
            emit_datasets=False,
        ),
        operator_args={
            # the node tasks read the producer's results: no need to poll or defer
            "deferrable": False,
            "poke_interval": 1,
        },
    )
    producer = group.children[f"{group_id}.{PRODUCER_WATCHER_TASK_ID}"]
    # Without test tasks Cosmos would leave the tests out of the producer's build
    # (--resource-type): they are the build's checks, and a build of some resource types only
    # is not one a release may come from (retention.builds).
    producer.dbt_cmd_flags = []
    producer.pool = settings.WAREHOUSE_POOL
    producer.execute = _holding_the_state(_execute)
    # Cosmos never runs a producer's second try: it skips it, and the skip would skip every
    # model's task and the gate, leave the draft (which runs when the waiver is skipped) to
    # find the failed build five minutes later, and notify nobody of the dbt error. Failing
    # for good, the producer's failure is notified, naming the model or test, and the run ends.
    producer.retries = 0
    shown = set()
    for task in group.iter_tasks():
        if isinstance(task, BaseConsumerSensor):
            producer >> task
            task._fallback_to_non_watcher_run = _holding_the_state(_fallback)
            shown.add(task.model_unique_id)
    producer._make_parse_callable = _reporting_only(frozenset(shown))
    return group


def _reporting_only(shown: frozenset[str]) -> Callable[[], Callable[[str, Any], None]]:
    """The producer's handler of dbt's events, passing on to Cosmos only what a node's task
    reads: the end of a node that has a task. Cosmos stores every event of every node as
    Airflow XComs (start, compiling, executing, end, status, compiled SQL), one at a time under
    one lock, from dbt's threads: 918 calls to Airflow's API per build, 28 s of a 12 s build.
    Every event is still logged."""

    def _ends(name: str) -> bool:
        # dbt ends every node with NodeFinished; a node skipped because one before it failed
        # is told first, so that Cosmos reports it failed rather than skipped
        return name == "NodeFinished" or is_dbt_upstream_failure_skip_event(name)

    def make() -> Callable[[str, Any], None]:
        def handle(line: str, extra: Any) -> None:
            try:
                event = json.loads(line)
                node = event.get("data", {}).get("node_info") or {}
            except (ValueError, AttributeError):  # not dbt's JSON: Cosmos shows it as it is
                event, node = None, {}
            unique_id, name = node.get("unique_id"), event and event["info"].get("name")
            if event is None or unique_id is None or (unique_id in shown and _ends(name)):
                running = extra["context"]["task"]
                type(running)._make_parse_callable(running)(line, extra)
            else:
                _log_dbt_msg(event)

        return handle

    return make


def _execute(running: Any, context: Any, **kwargs: Any) -> Any:
    return type(running).execute(running, context, **kwargs)


def _fallback(running: Any, try_number: int, context: Any) -> Any:
    return type(running)._fallback_to_non_watcher_run(running, try_number, context)


def _holding_the_state(call):
    """`call` on the running task inside the state folder's lock. Cosmos makes these
    operators, so the lock goes around this instance's method. Airflow runs a copy of the task
    (the context's "task", with its fields rendered) and checks that it is the one executing:
    the copy's own method is called, not this instance's."""

    def locked(*args: Any, **kwargs: Any) -> Any:
        context = kwargs["context"] if "context" in kwargs else args[-1]
        with _state_held(context["task"]):
            return call(context["task"], *args, **kwargs)

    return locked


@contextmanager
def _state_held(running: Any) -> Iterator[None]:
    command = f"Airflow {running.dag_id}.{running.task_id}"
    with state_lock.hold(settings.state(), command, wait=settings.task_lock_wait()):
        yield
