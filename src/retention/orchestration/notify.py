"""Telling people how a quarterly run ended: by email through Airflow's SMTP provider (the
`smtp_default` connection) and by DingTalk webhook, each when configured."""

from __future__ import annotations

import html
import json
import logging
import os
import urllib.request

log = logging.getLogger(__name__)

EMAIL_TO = "RETENTION_NOTIFY_EMAIL"  # comma-separated recipients
WEBHOOK = "RETENTION_DINGTALK_WEBHOOK"  # the robot's URL, access token included


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


def failure_message(dag_id: str, task_id: str, quarter: str, error: object) -> tuple[str, str]:
    subject = f"慈溪市留慈工作季度报告 {quarter} 未能发布：{task_id} 失败"
    body = (
        f"{subject}\n原因 / reason: {error}\nDAG {dag_id}, failed step {task_id}, quarter {quarter}"
    )
    return subject, body


def _email(recipients: str, subject: str, body: str) -> None:
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    with SmtpHook(smtp_conn_id="smtp_default") as hook:
        hook.send_email_smtp(
            to=[r.strip() for r in recipients.split(",") if r.strip()],
            subject=subject,
            html_content=f"<pre>{html.escape(body)}</pre>",
        )


def _dingtalk(url: str, body: str) -> None:
    request = urllib.request.Request(
        url,
        data=json.dumps({"msgtype": "text", "text": {"content": body}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.loads(response.read() or b"{}")
    if answer.get("errcode", 0) != 0:
        raise RuntimeError(f"DingTalk refused the message: {answer}")


def notify(subject: str, body: str) -> list[str]:
    """Send by every configured channel; returns the channels used."""
    sent = []
    if recipients := os.environ.get(EMAIL_TO):
        _email(recipients, subject, body)
        sent.append("email")
    if url := os.environ.get(WEBHOOK):
        _dingtalk(url, body)
        sent.append("dingtalk")
    if not sent:
        log.info("no notification channel configured (%s, %s): %s", EMAIL_TO, WEBHOOK, subject)
    return sent
