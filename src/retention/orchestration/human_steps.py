"""The release DAG's two human steps, on Airflow's human-in-the-loop operators.

- `GateWaiver`, offered only when the gate failed: an approver waives the blocking failures in
  their name with a reason (recorded by steps.record_waivers), or stops the run.
- `DraftApproval`: an approver looks at the draft (quarter, version, final or provisional,
  headline figures with their change, warnings, waivers, missing feeds, where the draft is)
  and approves it, or rejects it with a reason, which fails the run and so notifies.

Only the users named in RETENTION_APPROVERS (comma-separated Airflow user ids, the user names
of the simple auth manager) may answer: Airflow refuses anyone else's answer. Each step tells
the people notified (retention.orchestration.notify) that it waits for them.

Imported when Airflow parses the DAG file: the bodies and what they read wait for the task.
"""

from __future__ import annotations

import copy
import logging
import os

from airflow.providers.standard.operators.hitl import ApprovalOperator, HITLOperator
from airflow.sdk import Param, ParamsDict
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from retention.printable import printable

log = logging.getLogger(__name__)

APPROVERS_ENV = "RETENTION_APPROVERS"


def approvers() -> list[dict[str, str]]:
    """The users who may answer, as Airflow's HITLUser ({id, name}); none configured is a
    mistake, not an invitation to everyone."""
    names = [n.strip() for n in os.environ.get(APPROVERS_ENV, "").split(",") if n.strip()]
    if not names:
        raise AirflowFailException(
            f"未配置审批人：请在 .env 中设置 {APPROVERS_ENV}（Airflow 用户名，以逗号分隔）/ no "
            f"approvers are configured: set {APPROVERS_ENV} in .env (Airflow user names, "
            "comma-separated)"
        )
    return [{"id": name, "name": name} for name in names]


def _answered_by(event: dict) -> str:
    user = event.get("responded_by_user") or {}
    return printable(user.get("name") or user.get("id") or "?")


def _reason(event: dict) -> str:
    """The reason typed in the step's form, on one line, fit for a log or a notification."""
    typed = (event.get("params_input") or {}).get("reason") or ""
    return printable(" ".join(str(typed).split()))


def _tell(subject: str, context) -> None:
    """Let the people notified know a step waits for them; a channel that fails does not keep
    the step from asking."""
    from retention.orchestration.notify import awaiting_message, notify

    try:
        link = HITLOperator.generate_link_to_ui_from_context(context=context)
    except ValueError:  # no [api] base_url configured
        link = None
    try:
        notify(*awaiting_message(subject, link))
    except Exception:
        log.exception("could not tell the approvers that %s", subject)


REASON = Param(
    "",
    type="string",
    title="理由 / Reason",
    description="驳回或豁免时必填 / required to reject, or to waive",
    source="task",
)
UNTIL = Param(
    None,
    type=["null", "string"],
    format="date",
    title="有效至（可选）/ Until (optional)",
    description="最后有效日；不填则数据变化前一直有效 / the last day it holds; empty: until "
    "the data changes",
    source="task",
)


def _form(params: ParamsDict | None, **fields: Param) -> ParamsDict:
    """The step's form fields, added to the params Airflow hands every task of the DAG (the
    human-in-the-loop operator keeps only a task's own)."""
    form = copy.copy(params) if params is not None else ParamsDict()
    for name, field in fields.items():
        form[name] = copy.deepcopy(field)
    return form


class GateWaiver(HITLOperator):
    WAIVE = "Waive"
    STOP = "Stop"

    def __init__(self, *, gate_task_id: str, params: ParamsDict | None = None, **kwargs) -> None:
        super().__init__(
            subject="质量检查未通过 / The quality gate failed",
            options=[self.WAIVE, self.STOP],
            params=_form(params, reason=REASON, until=UNTIL),
            **kwargs,
        )
        self.gate_task_id = gate_task_id

    def execute(self, context):
        gate = context["ti"].xcom_pull(task_ids=self.gate_task_id)
        if gate["passed"]:  # offered only when the gate failed
            raise AirflowSkipException("质量检查已通过 / the gate passed: nothing to waive")
        from retention.orchestration.approval_text import waiver_request

        self.assigned_users = approvers()
        self.subject, self.body = waiver_request(gate["quarter"], gate)
        _tell(self.subject, context)
        return super().execute(context)

    def execute_complete(self, context, event: dict):
        answer = super().execute_complete(context, event)
        gate = context["ti"].xcom_pull(task_ids=self.gate_task_id)
        quarter, by = gate["quarter"], _answered_by(event)
        if answer["chosen_options"] == [self.STOP]:
            raise AirflowFailException(
                f"{quarter} 未通过质量检查，{by} 选择不豁免 / {quarter} failed the quality gate "
                f"and {by} chose not to waive it: "
                + "; ".join(f["sentence"] for f in gate["failures"])
            )
        if not _reason(event):
            raise AirflowFailException(
                f"{by} 的豁免没有写理由，未记录 / {by}'s waiver gives no reason: not recorded"
            )
        return answer


class DraftApproval(ApprovalOperator):
    def __init__(self, *, draft_task_id: str, params: ParamsDict | None = None, **kwargs) -> None:
        super().__init__(
            subject="留慈工作季度报告待审批 / The quarterly pack awaits approval",
            params=_form(params, reason=REASON),
            **kwargs,
        )
        self.draft_task_id = draft_task_id

    def execute(self, context):
        draft = context["ti"].xcom_pull(task_ids=self.draft_task_id)
        if not draft["created"]:  # nothing to approve: the release announces vN again
            log.info("%s has nothing new: v%s stands", draft["quarter"], draft["version"])
            return None
        from retention.orchestration.approval_text import approval_request

        self.assigned_users = approvers()
        self.subject, self.body = approval_request(draft)
        _tell(self.subject, context)
        return super().execute(context)

    def execute_complete(self, context, event: dict):
        if "error" not in event and event["chosen_options"] == [self.REJECT]:
            draft = context["ti"].xcom_pull(task_ids=self.draft_task_id)
            raise rejection(draft, event)
        return super().execute_complete(context, event)


def rejection(draft: dict, event: dict) -> AirflowFailException:
    """A rejected draft fails the run (and so notifies, retention.orchestration.dag_support),
    naming who rejected it and why; the draft stays for them to look at until the next run."""
    by, reason = _answered_by(event), _reason(event) or "未说明 / none given"
    quarter, version = draft["quarter"], draft["version"]
    return AirflowFailException(
        f"{quarter} v{version} 的草稿被 {by} 驳回，理由：{reason} / {quarter} v{version}'s draft "
        f"was rejected by {by}: {reason} ({draft['path']})"
    )
