"""Notifications reach a mail server and a signed DingTalk robot, both on loopback, configured
only by the environment docker-compose.yml builds from .env."""

from __future__ import annotations

import pytest
from deployment import compose_environment

from retention.orchestration.notify import (  # conftest gave Airflow a home
    NotDelivered,
    failure_message,
    notify,
    release_message,
)

# what the compose file hands the Airflow services for notifications
NOTIFY_ENV = [
    "RETENTION_NOTIFY_EMAIL",
    "AIRFLOW_CONN_SMTP_DEFAULT",
    "AIRFLOW_CONN_DINGDING_DEFAULT",
]
RECIPIENTS = "leadership@example.org, engineers@example.org"
RESULT = {
    "quarter": "2023Q4",
    "version": 2,
    "status": "final",
    "path": "/data/releases/2023Q4/v2",
    "created": True,
}


def deploy(monkeypatch, dotenv: dict[str, str]) -> None:
    """Set the environment as compose sets it from this .env."""
    for name, value in compose_environment(dotenv, NOTIFY_ENV).items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def configured(monkeypatch, receivers):
    mail, robot = receivers
    deploy(monkeypatch, {**mail.settings(RECIPIENTS), **robot.settings()})
    return mail, robot


def test_a_release_is_announced_by_email_and_dingtalk(configured) -> None:
    mail, robot = configured
    assert notify(*release_message(RESULT)) == ["email", "dingtalk"]
    (message,) = mail.messages
    assert "2023Q4 v2 已发布（正式）" in mail.subjects()[0]
    assert message["To"] == "leadership@example.org, engineers@example.org"
    assert message["From"] == "reports@example.org"
    (text,) = robot.texts()
    assert "2023Q4 v2 已发布（正式）" in text and "/data/releases/2023Q4/v2" in text
    assert robot.refusals == []


def test_a_failure_names_the_step_and_why(configured) -> None:
    mail, robot = configured
    error = "district row disagrees"
    assert notify(*failure_message("quarterly_release", "gate", "2023Q4", error)) == [
        "email",
        "dingtalk",
    ]
    assert "2023Q4 未能发布：gate 失败" in mail.subjects()[0]
    (text,) = robot.texts()
    assert "gate 失败" in text and error in text


@pytest.mark.parametrize("secret", ["", "SEC-of-another-robot"], ids=["unsigned", "wrong-secret"])
def test_a_robot_that_refuses_says_what_to_check_and_email_still_goes(
    monkeypatch, receivers, secret
) -> None:
    mail, robot = receivers
    deploy(
        monkeypatch, {**mail.settings(RECIPIENTS), **robot.settings(), "DINGTALK_SECRET": secret}
    )
    with pytest.raises(NotDelivered) as refused:
        notify(*release_message(RESULT))
    assert "dingtalk" in str(refused.value) and "DINGTALK_*" in str(refused.value)
    assert "sign not match" in str(refused.value)
    assert robot.messages == [] and robot.refusals
    assert len(mail.messages) == 1


def test_a_wrong_mail_password_says_what_to_check(monkeypatch, receivers) -> None:
    mail, robot = receivers
    deploy(monkeypatch, {**mail.settings(RECIPIENTS), "SMTP_PASSWORD": "not the password"})
    with pytest.raises(NotDelivered, match=r"email: .*SMTP_\*, RETENTION_NOTIFY_EMAIL"):
        notify(*release_message(RESULT))
    assert mail.messages == []


def test_nothing_configured_sends_nothing(monkeypatch, receivers) -> None:
    # the compose file with the notification lines of .env.example left empty
    deploy(monkeypatch, {})
    assert notify(*release_message(RESULT)) == []
    # no such environment at all, as `make run`
    for name in NOTIFY_ENV:
        monkeypatch.delenv(name)
    assert notify(*release_message(RESULT)) == []
    mail, robot = receivers
    assert mail.messages == [] and robot.messages == robot.refusals == []
