"""Mail as ``.eml`` files: the embedded default's outbox (``EMAIL_FILE_PATH``, ``var/outbox/``).

One RFC 5322 message per file, with CRLF line ends, exactly the bytes an SMTP server would get, so any
mail program opens it (Django's file backend instead appends several messages to one ``.log`` with a
dashed line after each). A file is written under a temporary name and renamed into place, so a reader
never sees half a message; names sort by the time they were written (UTC, microseconds), then by a
per-process counter: ``20261213T130000.123456Z-4711-000001.eml``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import threading
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.base import BaseEmailBackend

_counter = itertools.count(1)
_lock = threading.Lock()


class EmlBackend(BaseEmailBackend):
    def __init__(self, *args, file_path=None, **kwargs):
        super().__init__(*args, **kwargs)
        folder = file_path or getattr(settings, "EMAIL_FILE_PATH", None)
        if not folder:
            raise ImproperlyConfigured("EMAIL_FILE_PATH must name the folder .eml files are written to")
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ImproperlyConfigured(f"cannot create the mail folder {self.folder}: {exc}") from exc

    def send_messages(self, email_messages) -> int:
        sent = 0
        for message in email_messages or ():
            if not message.recipients():
                continue
            try:
                self.write(message.message().as_bytes(linesep="\r\n"))
            except Exception:
                if not self.fail_silently:
                    raise
            else:
                sent += 1
        return sent

    def write(self, data: bytes) -> Path:
        with _lock:
            number = next(_counter)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        name = f"{stamp}-{os.getpid()}-{number:06d}.eml"
        final = self.folder / name
        temporary = self.folder / f".{name}.tmp"
        with open(temporary, "wb") as handle:
            handle.write(data if data.endswith(b"\r\n") else data + b"\r\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)
        return final
