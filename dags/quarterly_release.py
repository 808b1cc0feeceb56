"""Quarterly release: the leadership pack of the quarter just ended.

Runs in Asia/Shanghai on the day after the quarter's last submission deadline (from the
submission calendar in seeds/reference): completeness (from the ledger, before any build: a
quarter not ready stops the run here, naming its missing feeds) → dbt build (through Cosmos: one
dbt invocation, a task per model showing its result) → quality gate → waive (offered to the
approvers only when the gate failed: they waive its blocking failures with a reason, or stop)
→ draft (the pack, read-only, in `<releases>/<quarter>/draft-v<N>/`) → approval (the approvers
in RETENTION_APPROVERS see the quarter, version, status, headline figures, warnings, waivers,
missing feeds and the draft; a rejection with its reason fails the run) → release (the approved
draft, published as v<N> if unchanged) → notification (email and DingTalk, where configured);
a failed step notifies too, naming itself and why. Every step is keyed by the quarter and safe
to run again; every task that opens the warehouse takes the warehouse pool's only slot.
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.sdk import CronTriggerTimetable, chain, dag, task

from retention.orchestration.dag_support import DEFAULT_ARGS
from retention.orchestration.dbt_tasks import dbt_build_group
from retention.orchestration.human_steps import DraftApproval, GateWaiver
from retention.orchestration.schedule import release_cron
from retention.orchestration.settings import TIMEZONE, WAREHOUSE_POOL


@dag(
    dag_id="quarterly_release",
    doc_md=__doc__,
    schedule=CronTriggerTimetable(release_cron(), timezone=TIMEZONE),
    start_date=pendulum.datetime(2022, 4, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={"quarter": None},
    tags=["retention", "release"],
)
def quarterly_release():
    @task
    def quarter(params=None, logical_date=None) -> str:
        """The quarter asked for, or the one that ended before the run."""
        from retention.orchestration.schedule import quarter_before

        return params.get("quarter") or str(quarter_before(logical_date))

    @task(pool=WAREHOUSE_POOL)
    def completeness(quarter: str) -> dict:
        from retention.orchestration import steps

        return steps.completeness(quarter)

    @task(pool=WAREHOUSE_POOL)
    def gate(quarter: str) -> dict:
        from retention.orchestration import steps

        return steps.gate(quarter)

    # a person answers within a week; the DAG's execution timeout is not for waiting
    waiting = {"execution_timeout": None, "response_timeout": dt.timedelta(days=7)}
    waive = GateWaiver(task_id="waive", gate_task_id="gate", **waiting)

    @task(pool=WAREHOUSE_POOL)
    def record_waivers(quarter: str, gate: dict, ti=None) -> dict | None:
        from retention.orchestration import steps

        # pulled here, not passed: a step marked done without asking (`retention run`) has none
        return steps.record_waivers(quarter, gate, ti.xcom_pull(task_ids="waive"))

    # runs when the gate passed (waive skipped) as when a failure was waived
    @task(pool=WAREHOUSE_POOL, trigger_rule="none_failed")
    def draft(quarter: str) -> dict:
        from retention.orchestration import steps

        return steps.draft(quarter)

    approval = DraftApproval(task_id="approval", draft_task_id="draft", **waiting)

    @task(pool=WAREHOUSE_POOL)
    def release(quarter: str, draft: dict) -> dict:
        from retention.orchestration import steps

        return steps.release(quarter, draft)

    @task
    def notify(result: dict) -> list[str]:
        from retention.orchestration.notify import notify, release_message

        return notify(*release_message(result))

    the_quarter = quarter()
    checked = completeness(the_quarter)
    built = dbt_build_group()
    gated = gate(the_quarter)
    waived = record_waivers(the_quarter, gated)
    drafted = draft(the_quarter)
    released = release(the_quarter, drafted)
    chain(checked, built, gated, waive, waived, drafted, approval, released)
    notify(released)


quarterly_release()
