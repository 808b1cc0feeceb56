"""The steps of the orchestrated job; each returns what the next step or a person needs."""

from __future__ import annotations

import collections
import functools
import logging
from collections.abc import Callable
from typing import TypeVar

from retention import errors, state_lock
from retention.orchestration import events, settings

log = logging.getLogger(__name__)


class StepFailed(errors.ExpectedError):
    """A step found its quarter not fit to go on; the message says why."""

    exit_code = errors.CHECKS_FAILED


Result = TypeVar("Result")


def writes_state(step: Callable[[str], Result]) -> Callable[[str], Result]:
    """The step holds the state folder's lock while it runs, as the `retention` commands do:
    the warehouse pool keeps Airflow's tasks apart, the lock keeps them from a command run by
    hand. A refusal that the same inputs give again (a gate failure, a quarter not ready, a
    release refused, a full disk) fails the task at once: a retry could only repeat it."""

    @functools.wraps(step)
    def holding(subject: str) -> Result:  # the department or quarter
        command = f"Airflow {step.__name__} {subject}"
        try:
            with state_lock.hold(settings.state(), command, wait=settings.task_lock_wait()):
                return step(subject)
        except Exception as error:
            known = errors.recognised(error, settings.state())
            if known is None or known.retry_helps:
                raise
            from airflow.sdk.exceptions import AirflowFailException

            raise AirflowFailException(str(known)) from error

    return holding


@writes_state
def ingest_department(department: str) -> dict[str, list[str]]:
    """Load the department's new files; returns the quarters loaded per feed."""
    from retention.ingest.loader import ingest

    results = ingest(
        settings.landing(),
        settings.state(),
        departments={department},
        on_file=events.file_started,
    )
    statuses = collections.Counter(r.status for r in results)
    rows = {"loaded": sum(r.rows_loaded for r in results)}
    rows["rejected"] = sum(r.rows_rejected for r in results)
    refused = [f"{r.file} ({r.reason})" for r in results if r.status == "refused"]
    events.emit("ingested", department=department, files=statuses, rows=rows, refused=refused)
    loaded: dict[str, list[str]] = {}
    for result in results:
        if result.status == "loaded":
            loaded.setdefault(result.feed, []).append(result.quarter)
        elif result.status == "refused":
            log.warning("refused %s: %s", result.file, result.message)
    return loaded


@writes_state
def completeness(quarter: str) -> dict:
    """The quarter's missing feeds by department and whether its release will be final or
    provisional; QuarterNotReady (a deterministic refusal) before any build when the quarter has
    not ended, its feeds are still due, it is before the data or nothing was delivered."""
    from retention.completeness import check

    return check(settings.state(), quarter).as_json()


@writes_state
def gate(quarter: str) -> dict:
    from retention.gate.runner import run_gate

    run = run_gate(settings.state(), quarter)
    if not run.passed:
        failures = "; ".join(o.sentence() for o in run.blocking_failures)
        raise StepFailed(f"{quarter} failed the quality gate: {failures}")
    return {"run_id": run.run_id, "warnings": [o.sentence() for o in run.warnings]}


@writes_state
def release(quarter: str) -> dict:
    from retention.release.pack import make_release

    made = make_release(settings.state(), quarter, settings.releases())
    return {
        "quarter": made.quarter,
        "version": made.version,
        "status": made.status,
        "path": str(made.path),
        "created": made.created,
    }
