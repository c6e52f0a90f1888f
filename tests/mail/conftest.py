"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives."""

from __future__ import annotations

import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            (
                envelope.rcpt_tos,
                email.message_from_bytes(envelope.content, policy=email.policy.default),
            )
        )
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_port():
    return _free_port()


class SMTPServer:
    """A server that can be stopped and started again on the same port (a fresh aiosmtpd
    controller each time, the same inbox)."""

    def __init__(self, port: int):
        self.port = port
        self.inbox = Inbox()
        self.controller = None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server(smtp_port):
    server = SMTPServer(smtp_port)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app_config(app_config, smtp_port):
    app_config.update(
        {
            "MAIL_SMTP_HOST": "127.0.0.1",
            "MAIL_SMTP_PORT": smtp_port,
            "MAIL_SMTP_SECURITY": "none",
            "MAIL_SMTP_TIMEOUT": 2,
            "ICS_UID_HOST": "hoinghi.example.vn",
            "MAIL_ORGANIZER_EMAIL": "btc@example.vn",
        }
    )
    return app_config
