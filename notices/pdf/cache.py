"""The cache of rendered summaries: once per notice version, language, template version and time bucket.

Files under ``PDF_CACHE_DIR`` (written atomically, shared by every process on the host) with a small
process-level LRU in front. The ETag served by the site and the API is derived from the same key.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import os
import tempfile
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from django.conf import settings

from notices.models import Deadline, Notice
from notices.pdf.render import STATIC_DIR
from notices.vocab import HELSINKI

# Raise when the context built in context.py changes in a way the template hash cannot see.
FORMAT = "1"
MEMORY_CACHE_BYTES = 32 * 1024 * 1024


def cache_key(notice: Notice, lang: str, now: dt.datetime) -> str:
    """Same key, same PDF: notice version, language, template version and time bucket."""
    parts = (
        FORMAT,
        template_version(),
        str(notice.pk),
        str(notice.current_version_id or 0),
        notice.updated_at.isoformat(),
        lang,
        time_bucket(notice, now),
    )
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def etag_for(key: str) -> str:
    return f'"{key[:32]}"'


def time_bucket(notice: Notice, now: dt.datetime) -> str:
    """What "time left" depends on: today's Helsinki date and how many deadlines are still ahead.
    When none is, nothing on the page can go stale and the bucket stays "closed"."""
    ahead = Deadline.objects.filter(notice=notice, active=True, at__gt=now).count()
    if not ahead:
        return "closed"
    return f"{now.astimezone(HELSINKI).date().isoformat()}:{ahead}"


@cache
def template_version() -> str:
    """A hash of everything that shapes the document: template, stylesheet, translations, this file."""
    digest = hashlib.sha256()
    files = [
        *sorted((Path(settings.BASE_DIR) / "templates" / "pdf").rglob("*")),
        *sorted(STATIC_DIR.rglob("*")),
        *sorted(Path(settings.BASE_DIR).joinpath("locale").glob("*/LC_MESSAGES/django.mo")),
        *sorted(Path(__file__).parent.glob("*.py")),
    ]
    for path in files:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    import weasyprint

    digest.update(weasyprint.__version__.encode())
    return digest.hexdigest()[:16]


class MemoryLRU:
    """Recently served PDFs by key, bounded in bytes."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.size = 0
        self.items: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key: str, value: bytes) -> None:
        if len(value) > self.max_bytes // 4:
            return
        with self.lock:
            if key in self.items:
                return
            self.items[key] = value
            self.size += len(value)
            while self.size > self.max_bytes:
                _, dropped = self.items.popitem(last=False)
                self.size -= len(dropped)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.size = 0


class FileCache:
    """Rendered PDFs as files named by key under ``PDF_CACHE_DIR`` (default ``VAR_DIR/cache/pdf``).

    Written atomically (temporary file + rename), so readers in other processes see a whole file or
    none. Files older than ``PDF_CACHE_MAX_AGE_DAYS`` are pruned now and then by the writers."""

    prune_every = 3600.0

    def __init__(self):
        self.last_prune = 0.0

    @property
    def root(self) -> Path:
        return Path(settings.PDF_CACHE_DIR)

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.pdf"

    def get(self, key: str) -> bytes | None:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            return None

    def put(self, key: str, content: bytes) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pdf")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.maybe_prune()

    @contextmanager
    def lock(self, key: str):
        """An exclusive lock for this key among processes on this host (64 lock files, reused)."""
        locks = self.root / "locks"
        locks.mkdir(parents=True, exist_ok=True)
        with open(locks / f"{int(key[:4], 16) % 64:02d}.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def maybe_prune(self) -> None:
        if time.monotonic() - self.last_prune < self.prune_every:
            return
        self.last_prune = time.monotonic()
        days = float(settings.PDF_CACHE_MAX_AGE_DAYS)
        cutoff = time.time() - days * 86400
        for path in self.root.glob("??/*.pdf"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
            except FileNotFoundError:
                pass


