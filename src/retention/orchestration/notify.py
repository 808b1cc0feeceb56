"""Telling people how a quarterly run ended, by email and by DingTalk, each when configured.

Both channels are Airflow connections, so a deployment configures them as it does any other
(docker-compose.yml builds them from .env): email through the SMTP provider's hook on
`smtp_default`, to the recipients in RETENTION_NOTIFY_EMAIL; DingTalk through the Dingding
provider's hook on `dingding_default` (the robot's access token as its password), signed with
the robot's secret from the connection's extra.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import logging
import os
import time
import urllib.parse

from airflow.providers.dingding.hooks.dingding import DingdingHook
from airflow.providers.smtp.hooks.smtp import SmtpHook
from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowNotFoundException

log = logging.getLogger(__name__)

EMAIL_TO = "RETENTION_NOTIFY_EMAIL"  # comma-separated recipients
SMTP_CONN = "smtp_default"
DINGTALK_CONN = "dingding_default"
# what an operator checks when a channel fails: the .env variables compose builds it from
WHAT_TO_CHECK = {"email": "SMTP_*, RETENTION_NOTIFY_EMAIL", "dingtalk": "DINGTALK_*"}


class NotDelivered(RuntimeError):
    """A configured channel did not take the message."""


class SignedDingdingHook(DingdingHook):
    """The provider's hook, made to work with a robot secured by signature (加签): the provider
    sends the access token alone, which such a robot refuses."""

    def _get_endpoint(self) -> str:
        endpoint = super()._get_endpoint()
        secret = self.get_connection(self.http_conn_id).extra_dejson.get("secret")
        if not secret:  # a robot secured by keywords or an IP allow-list instead
            return endpoint
        timestamp = str(round(time.time() * 1000))
        digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256)
        sign = urllib.parse.quote_plus(base64.b64encode(digest.digest()))
        return f"{endpoint}&timestamp={timestamp}&sign={sign}"

    def get_conn(self, headers=None, extra_options=None):
        session = super().get_conn(headers, extra_options)
        # the provider sets no timeout: a robot that never answers would hold the task
        self.merged_extra = {"timeout": 30}
        return session


def release_message(result: dict) -> tuple[str, str]:
    status = "正式" if result["status"] == "final" else "临时（数据未齐）"
    fresh = "已发布" if result["created"] else "无变化，沿用"
    subject = f"慈溪市留慈工作季度报告 {result['quarter']} v{result['version']} {fresh}（{status}）"
    body = (
        f"{subject}\n位置：{result['path']}\n"
        f"Quarter {result['quarter']}: version {result['version']} ({result['status']}) "
        f"{'released' if result['created'] else 'unchanged'} at {result['path']}"
    )
    return subject, body


def awaiting_message(subject: str, link: str | None) -> tuple[str, str]:
    """A human step of the release waits: its subject (our own words, the quarter and
    version), and where to answer it."""
    where = link or "Airflow：quarterly_release 的待办事项 / Required actions"
    return subject, f"{subject}\n请在此处理 / answer it here: {where}"


def failure_message(dag_id: str, task_id: str, quarter: str, error: object) -> tuple[str, str]:
    subject = f"慈溪市留慈工作季度报告 {quarter} 未能发布：{task_id} 失败"
    body = (
        f"{subject}\n原因 / reason: {error}\nDAG {dag_id}, failed step {task_id}, quarter {quarter}"
    )
    return subject, body


def _email(recipients: str, subject: str, body: str) -> None:
    # the hook, not the provider's SmtpNotifier: the notifier renders its fields as Jinja
    # templates, and a failure's reason may quote a department's file
    with SmtpHook(smtp_conn_id=SMTP_CONN) as hook:
        hook.send_email_smtp(
            to=[r.strip() for r in recipients.split(",") if r.strip()],
            subject=subject,
            html_content=f"<pre>{html.escape(body)}</pre>",
        )


def _dingtalk_configured() -> bool:
    try:
        return bool(BaseHook.get_connection(DINGTALK_CONN).password)
    except AirflowNotFoundException:
        return False


def notify(subject: str, body: str) -> list[str]:
    """Send by every configured channel; returns the channels used. A channel that fails does
    not keep the message from the others: the failures are raised together at the end."""
    channels = {}
    if recipients := os.environ.get(EMAIL_TO, "").strip():
        channels["email"] = lambda: _email(recipients, subject, body)
    if _dingtalk_configured():
        channels["dingtalk"] = SignedDingdingHook(DINGTALK_CONN, message=body).send
    failures = []
    for name, send in channels.items():
        try:
            send()
        except Exception as error:
            log.exception("the %s notification was not delivered", name)
            failures.append(f"{name}: {error} — 请检查 / check {WHAT_TO_CHECK[name]} (.env)")
    if failures:
        raise NotDelivered("通知未送达 / notification not delivered: " + "; ".join(failures))
    if not channels:
        log.info(
            "no notification channel configured (%s, %s): %s", EMAIL_TO, DINGTALK_CONN, subject
        )
    return list(channels)
