"""Notifications reach a mail server and a DingTalk webhook, both on loopback."""

from __future__ import annotations

import email
import json
import os
import socket
import tempfile
import threading
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from aiosmtpd.controller import Controller

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="airflow-home-"))

from retention.orchestration.notify import failure_message, notify, release_message  # noqa: E402

RESULT = {
    "quarter": "2023Q4",
    "version": 2,
    "status": "final",
    "path": "/data/releases/2023Q4/v2",
    "created": True,
}


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def mail_server(monkeypatch):
    inbox = Inbox()
    with socket.socket() as probe:  # aiosmtpd checks its port by connecting: name a free one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    extra = "disable_ssl=true&disable_tls=true&from_email=retention%40example.org"
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", f"smtp://127.0.0.1:{port}?{extra}")
    monkeypatch.setenv("RETENTION_NOTIFY_EMAIL", "leadership@example.org, engineers@example.org")
    yield inbox
    controller.stop()


@pytest.fixture
def webhook(monkeypatch):
    received: list[dict] = []

    class Robot(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            answer = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Robot)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(
        "RETENTION_DINGTALK_WEBHOOK",
        f"http://127.0.0.1:{server.server_port}/robot/send?access_token=t",
    )
    yield received
    server.shutdown()


def subject_of(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def test_a_release_is_announced_by_email_and_dingtalk(mail_server, webhook) -> None:
    assert notify(*release_message(RESULT)) == ["email", "dingtalk"]
    (mail,) = mail_server.messages
    assert "2023Q4 v2 已发布（正式）" in subject_of(mail)
    assert "leadership@example.org" in mail["To"] and "engineers@example.org" in mail["To"]
    (robot,) = webhook
    assert robot["msgtype"] == "text"
    assert "/data/releases/2023Q4/v2" in robot["text"]["content"]


def test_a_failure_names_the_step_and_why(mail_server, webhook) -> None:
    notify(*failure_message("quarterly_release", "gate", "2023Q4", "district row disagrees"))
    assert "gate 失败" in subject_of(mail_server.messages[0])
    assert "district row disagrees" in webhook[0]["text"]["content"]


def test_nothing_configured_sends_nothing(monkeypatch) -> None:
    monkeypatch.delenv("RETENTION_NOTIFY_EMAIL", raising=False)
    monkeypatch.delenv("RETENTION_DINGTALK_WEBHOOK", raising=False)
    assert notify(*release_message(RESULT)) == []
