"""An Airflow listener, registered in `retention run`'s child only: every task's start, end
(with its result, read back from XCom) and failure (with its exception) go to the console as
events (events.py). One place for every task, Cosmos's included."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

from airflow.sdk._shared.listeners import hookimpl
from airflow.sdk.listener import get_listener_manager
from cosmos.exceptions import CosmosDbtRunError

from retention import errors, interrupts
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
        if interrupts.stopped.is_set():  # `retention run` stopping this process (SIGINT)
            _end_interrupted()
        error = error or RuntimeError("no exception given")
        said = events.failure(error)
        if said["code"] == errors.UNEXPECTED and isinstance(error, CosmosDbtRunError):
            said = _dbt_failed(error)
        events.emit("failed", **said, **_names(task_instance))


def _end_interrupted() -> NoReturn:
    """The task has unwound (its transactions rolled back, its staging folder removed), and
    Airflow or dbt caught the interrupt: end here, or dag.test would retry the task or go on."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(errors.INTERRUPTED)


def _dbt_failed(error: CosmosDbtRunError) -> dict[str, object]:
    """A model or a data test failed (Cosmos names them): the data's fault, or the models'."""
    detail = errors.one_line(error).removeprefix("CosmosDbtRunError: ")
    return {
        "reason": f"dbt 构建失败（{detail}），请按日志改正后重新运行 / the dbt build failed "
        f"({detail}): the log names each model and test; fix them and run again",
        "code": errors.CHECKS_FAILED,
    }


def listen() -> None:
    get_listener_manager().add_listener(TaskEvents())
