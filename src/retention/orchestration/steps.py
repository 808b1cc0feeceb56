"""The steps of the orchestrated job; each returns what the next step or a person needs."""

from __future__ import annotations

import collections
import datetime as dt
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


def fails_for_good(step: Callable[..., Result]) -> Callable[..., Result]:
    """A refusal that the same inputs give again (a gate failure, a quarter not ready, a
    release refused, a full disk) fails the task at once: a retry could only repeat it.
    Anything else is left to Airflow's retries."""

    @functools.wraps(step)
    def failing(*args: object) -> Result:
        try:
            return step(*args)
        except Exception as error:
            known = errors.recognised(error, settings.state())
            if known is None or known.retry_helps:
                raise
            from airflow.sdk.exceptions import AirflowFailException

            raise AirflowFailException(str(known)) from error

    return failing


def writes_state(step: Callable[..., Result]) -> Callable[..., Result]:
    """The step holds the state folder's lock while it runs, as the `retention` commands do:
    the warehouse pool keeps Airflow's tasks apart, the lock keeps them from a command run by
    hand. Its refusals fail for good."""

    @fails_for_good
    @functools.wraps(step)
    def holding(subject: str, *more: object) -> Result:  # the department or quarter, ...
        command = f"Airflow {step.__name__} {subject}"
        with state_lock.hold(settings.state(), command, wait=settings.task_lock_wait()):
            return step(subject, *more)

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
    """The gate's run; blocking failures do not fail the step: the release DAG offers to waive
    them (record_waivers), and the draft refuses a quarter whose gate did not pass."""
    from retention.gate.runner import run_gate

    run = run_gate(settings.state(), quarter)
    return {
        "quarter": quarter,
        "run_id": run.run_id,
        "passed": run.passed,
        "failures": [
            {"check": o.check.id, "expectation": o.label, "sentence": o.sentence()}
            for o in run.blocking_failures
        ],
        "warnings": [o.sentence() for o in run.warnings],
    }


def _gate_failed(quarter: str, gate: dict, why: tuple[str, str]) -> StepFailed:
    failures = "; ".join(f["sentence"] for f in gate["failures"])
    return StepFailed(
        f"{quarter} 未通过质量检查，{why[0]} / {quarter} failed the quality gate, {why[1]}: "
        f"{failures}. 改正数据，或由负责人豁免后重新运行 / correct the data, or have a named "
        f"person waive the checks (`retention waive --quarter {quarter} --check CHECK --by NAME "
        "--reason TEXT`), then run again"
    )


@fails_for_good
def record_waivers(quarter: str, gate: dict, answer: dict | None) -> dict | None:
    """Record the waivers a person gave in the release DAG's waive step for the gate's
    blocking failures, then run the gate again: it must pass now. With no answer (a run with
    nobody there to give one) the quarter stops here, naming its failures."""
    if gate["passed"]:
        return None
    if not answer:
        raise _gate_failed(quarter, gate, ("无人豁免", "and nobody waived it"))
    return waive_failures(quarter, gate, answer)


@writes_state
def waive_failures(quarter: str, gate: dict, answer: dict) -> dict:
    from retention.gate.runner import run_gate
    from retention.gate.waivers import waive

    chosen = answer["params_input"] or {}
    until = chosen.get("until") or None
    for check in dict.fromkeys(f["check"] for f in gate["failures"]):
        waive(
            settings.state(),
            quarter,
            check,
            by=answer["responded_by_user"]["name"],
            reason=chosen.get("reason", ""),
            until=dt.date.fromisoformat(until) if until else None,
        )
    run = run_gate(settings.state(), quarter)
    if not run.passed:  # new data came between the gate and the waiver
        again = gate | {"failures": [{"sentence": o.sentence()} for o in run.blocking_failures]}
        raise _gate_failed(quarter, again, ("豁免后数据已变化", "the data changed since"))
    return {"run_id": run.run_id, "waived": [o.waiver.sentence() for o in run.waived]}


@writes_state
def draft(quarter: str) -> dict:
    """The quarter's next version as a read-only draft for the approvers to look at."""
    from retention.release.pack import make_draft

    return make_draft(settings.state(), quarter, settings.releases()).as_json()


def release(quarter: str, draft: dict) -> dict:
    """Publish the approved draft, if it is still the one approved."""
    if not draft["created"]:  # nothing new: the version that stands is announced again
        return draft
    return publish(quarter, draft)


@writes_state
def publish(quarter: str, draft: dict) -> dict:
    from retention.release.pack import publish_draft

    made = publish_draft(
        settings.state(), quarter, settings.releases(), draft["version"], draft["digest"]
    )
    return {
        "quarter": made.quarter,
        "version": made.version,
        "status": made.status,
        "path": str(made.path),
        "created": made.created,
    }
