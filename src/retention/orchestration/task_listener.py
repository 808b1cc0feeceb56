"""An Airflow listener, registered in `retention run`'s child only: every task's start, end
(with its result, read back from XCom) and failure (with its exception) go to the console as
events (events.py). One place for every task, Cosmos's included."""

from __future__ import annotations

from airflow.sdk._shared.listeners import hookimpl
from airflow.sdk.listener import get_listener_manager

from retention.orchestration import events


def _names(task_instance) -> dict[str, str]:
    return {"dag": task_instance.dag_id, "task": task_instance.task_id}


class TaskEvents:
    @hookimpl
    def on_task_instance_running(self, previous_state, task_instance) -> None:
        events.emit("running", **_names(task_instance))

    @hookimpl
    def on_task_instance_success(self, previous_state, task_instance) -> None:
        result = None
        if "." not in task_instance.task_id:  # a dbt node's task returns nothing to show
            result = task_instance.xcom_pull(task_ids=task_instance.task_id)
        events.emit("success", result=result, **_names(task_instance))

    @hookimpl
    def on_task_instance_failed(self, previous_state, task_instance, error) -> None:
        said = events.failure(error or RuntimeError("no exception given"))
        events.emit("failed", **said, **_names(task_instance))


def listen() -> None:
    get_listener_manager().add_listener(TaskEvents())
