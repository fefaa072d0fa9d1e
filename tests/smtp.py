"""A real SMTP server on loopback (aiosmtpd) for the tests of reminders and the digest."""

from __future__ import annotations

import dataclasses
import email
import socket
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller

from core.settings import Settings, load_settings


class Inbox:
    """What the server received; `refuse` makes it answer 554, `on_data` runs while it holds a message."""

    def __init__(self) -> None:
        self.messages: list = []
        self.refuse = False
        self.on_data = None

    async def handle_DATA(self, server, session, envelope):
        if self.on_data is not None:
            self.on_data()
        if self.refuse:
            return "554 5.7.1 refused by the test server"
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        message.envelope_to = list(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mail_settings(port: int | None) -> Settings:
    """Default settings with mail sent to 127.0.0.1:`port`, or mail off (None)."""
    base = load_settings(env={}, secrets={})
    return dataclasses.replace(base, smtp_host="127.0.0.1" if port else "", smtp_port=port or 25)


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()
