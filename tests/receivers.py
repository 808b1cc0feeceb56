"""A mail server and a DingTalk group robot on loopback, each as strict as the real one: the
mail server wants a login, the robot its access token and a fresh signature (加签). Each says
what an operator writes into .env to reach it. Used by test_notify.py and the deployment
tests."""

from __future__ import annotations

import base64
import email
import hashlib
import hmac
import json
import secrets
import socket
import threading
import time
import urllib.parse
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

# DingTalk refuses a signature older (or newer) than an hour
SIGNATURE_LIFETIME_MS = 3600 * 1000


class MailServer:
    """Takes mail from one user, with a password that would need quoting in a URL."""

    user = "retention@example.org"
    password = "p@ss:w/rd%?#&"

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        with socket.socket() as probe:  # aiosmtpd checks its port by connecting: name a free one
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self._authenticate,
            auth_required=True,
            auth_require_tls=False,  # loopback, no certificate
        )

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        given = (auth_data.login.decode(), auth_data.password.decode())
        # not handled: aiosmtpd then answers "535 credentials invalid", as a real server does
        return AuthResult(success=given == (self.user, self.password), handled=False)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def subjects(self) -> list[str]:
        return [str(make_header(decode_header(m["Subject"]))) for m in self.messages]

    def settings(self, recipients: str) -> dict[str, str]:
        return {
            "RETENTION_NOTIFY_EMAIL": recipients,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.port),
            "SMTP_USER": self.user,
            "SMTP_PASSWORD": self.password,
            "SMTP_FROM": "reports@example.org",
            "SMTP_DISABLE_SSL": "true",
            "SMTP_DISABLE_TLS": "true",
        }

    def __enter__(self) -> MailServer:
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()


class DingTalkRobot:
    """A group robot secured by signature: it answers as DingTalk does, HTTP 200 with an
    errcode, and keeps the messages it accepted and the reasons it refused the others."""

    def __init__(self) -> None:
        self.token = secrets.token_hex(32)
        self.secret = "SEC" + secrets.token_hex(32)
        self.messages: list[dict] = []
        self.refusals: list[str] = []
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length", 0))
                answer = robot._receive(self.path, self.rfile.read(length))
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def _refusal(self, path: str) -> tuple[int, str] | None:
        url = urllib.parse.urlsplit(path)
        query = urllib.parse.parse_qs(url.query)
        if url.path != "/robot/send" or query.get("access_token") != [self.token]:
            return 300001, "token is not exist"
        timestamp, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
        if not timestamp.isdigit() or not sign:
            return 310000, "sign not match: no timestamp or sign"
        if abs(time.time() * 1000 - int(timestamp)) > SIGNATURE_LIFETIME_MS:
            return 310000, "sign not match: timestamp more than an hour away"
        string = f"{timestamp}\n{self.secret}".encode()
        digest = hmac.new(self.secret.encode(), string, hashlib.sha256).digest()
        if not hmac.compare_digest(base64.b64encode(digest).decode(), sign):
            return 310000, "sign not match"
        return None

    def _receive(self, path: str, body: bytes) -> dict:
        if refused := self._refusal(path):
            self.refusals.append(refused[1])
            return {"errcode": refused[0], "errmsg": refused[1]}
        self.messages.append(json.loads(body))
        return {"errcode": 0, "errmsg": "ok"}

    def texts(self) -> list[str]:
        return [m["text"]["content"] for m in self.messages if m["msgtype"] == "text"]

    def settings(self) -> dict[str, str]:
        return {
            "DINGTALK_HOST": f"http://127.0.0.1:{self._server.server_port}",
            "DINGTALK_ACCESS_TOKEN": self.token,
            "DINGTALK_SECRET": self.secret,
        }

    def __enter__(self) -> DingTalkRobot:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
