"""Strict helpers that read settings from the environment (healthchecks' style): a bad value fails at
start-up with the variable's name, never later in a request."""

from __future__ import annotations

import os
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def string(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def boolean(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if raw.strip().lower() in _TRUE:
        return True
    if raw.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def integer(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from None


def strings(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


def database(url: str, sqlite_path: str) -> dict:
    """Django's DATABASES['default'] from a DATABASE_URL; empty means the embedded SQLite file.

    postgres://user:password@host:port/name?sslmode=require selects PostgreSQL (psycopg 3);
    sqlite:///path/to/file selects another SQLite file.
    """
    if not url:
        return _sqlite(sqlite_path)
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return _sqlite(unquote(parts.path[1:]) if parts.path.startswith("//") else unquote(parts.path))
    if parts.scheme not in ("postgres", "postgresql"):
        raise ImproperlyConfigured(f"DATABASE_URL must start with postgres:// or sqlite://, not {parts.scheme}://")
    options = dict(parse_qsl(parts.query))
    # No JIT compilation: it is for long analytic queries; on the API's short ones a misestimated row count
    # made PostgreSQL spend 145 ms compiling a 6 ms query. No parallel workers either: starting them costs
    # 2-3 ms a query, more than the lists' queries take, and the web workers already share the cores.
    # (?options=... in DATABASE_URL overrides.)
    options.setdefault("options", "-c jit=off -c max_parallel_workers_per_gather=0")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": integer("DB_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": options,
        "TEST": {"NAME": options.pop("test_name", None)},
    }


def _sqlite(path: str) -> dict:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        "OPTIONS": {
            # Writers queue instead of failing at once, and take the write lock when a transaction
            # begins, so two processes never deadlock upgrading a read lock (Django 5.1+).
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        },
    }


def local_secret(path) -> str:
    """A random secret kept in a file the first process creates (O_EXCL, so concurrent starts agree)."""
    import secrets
    from pathlib import Path

    path = Path(path)
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()
