"""A real SMTP server (aiosmtpd) on 127.0.0.1 for tests of anything that sends mail, with helpers to read
what it received."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from email import message_from_bytes
from email.parser import BytesHeaderParser
from email.policy import default as default_policy

from aiosmtpd.controller import Controller

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Handler:
    """Collects what the server accepted. ``refuse`` answers every DATA with that reply instead;
    ``delay`` (seconds) slows each DATA down; ``keep`` False keeps only the headers' reminder id."""

    def __init__(self, keep: bool = True):
        self.keep = keep
        self.lock = threading.Lock()
        self.messages: list = []  # parsed messages (keep) or None
        self.reminder_ids: list[int] = []
        self.message_ids: list[int] = []
        self.received_at: list[tuple[int, float]] = []  # (reminder id, time.time()) for reminders
        self.refuse: str | None = None
        self.delay = 0.0

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refuse:
            return self.refuse
        now = time.time()
        headers = BytesHeaderParser().parsebytes(envelope.content)
        with self.lock:
            if headers.get("X-Reminder-ID"):
                rid = int(headers["X-Reminder-ID"])
                self.reminder_ids.append(rid)
                self.received_at.append((rid, now))
            if headers.get("X-Tracker-Message"):
                self.message_ids.append(int(headers["X-Tracker-Message"]))
            if self.keep:
                msg = message_from_bytes(envelope.content, policy=default_policy)
                msg.envelope_to = list(envelope.rcpt_tos)
                msg.raw = envelope.content
                self.messages.append(msg)
        return "250 Message accepted for delivery"


def header(message, name: str) -> str:
    """A header's value as a reader sees it (unfolded, without the fold's leading space)."""
    value = message[name]
    return " ".join(str(value).split()) if value is not None else ""


def raw_header(message, name: str) -> str:
    """A header exactly as it came over the wire, unfolded."""
    head = message.raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].decode("ascii")
    unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ").replace("\n ", " ")
    for line in unfolded.splitlines():
        key, _, value = line.partition(":")
        if key.lower() == name.lower():
            return " ".join(value.split())
    return ""


class SMTPServer:
    def __init__(self, keep: bool = True):
        self.handler = Handler(keep)
        self.port = free_port()
        self.controller = None

    def start(self):
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.handler.messages

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m.envelope_to]

    def kinds(self, address: str | None = None) -> list[str]:
        msgs = self.to(address) if address else self.messages
        return [("reminder" if m["X-Reminder-ID"] else m["X-Tracker-Kind"]) for m in msgs]

    def wait(self, predicate, timeout: float = 60.0, step: float = 0.05) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if predicate():
                return True
            time.sleep(step)
        return predicate()

    def settings(self) -> dict:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_TIMEOUT": 5,
        }

    def env(self) -> dict:
        return {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(self.port), "EMAIL_TIMEOUT": "5"}
