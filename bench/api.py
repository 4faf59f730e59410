"""REST API benchmark: the public notice list over HTTP, served by gunicorn, on a million notices.

    .venv/bin/python bench/api.py [--count 1000000] [--requests 200] [--workers 2] [--database-url postgres://...]

The data is generated with bulk SQL - one INSERT ... SELECT over a recursive CTE (SQLite) or
generate_series (PostgreSQL) for the notices, another for their deadlines - NOT through
``notices.store.save`` (which would take hours for a million and is measured by bench/ingest.py). The
database's own triggers still fill the full-text table (SQLite) and the CPV rows on the way in, as they do
on ingest (on PostgreSQL the stored search vector column is computed as rows go in); on PostgreSQL the
GIN index is dropped for the load and built once after it.

Then gunicorn serves the project on 127.0.0.1 and a client on the same machine sends, one after another,
``--requests`` requests per scenario (after a warm-up), each on a new connection: the list of open notices
in next-deadline order, 50 a page, plain, with ``q`` (a frequent and a rare word), with ``cpv`` (a broad
and a narrow prefix), a deep cursor page; and ``GET /api/health`` (no database) for scale. Prints p50 and
p95 in milliseconds and each p50 as a multiple of the health endpoint's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from machine import cpu_model  # bench/machine.py (the script's folder is on sys.path)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORDS = [
    "tienhoidon urakka", "siivouspalvelut", "koulukuljetukset", "kalusteet", "tietojärjestelmä",
    "ruokapalvelut", "lumityöt", "rakennusurakka", "konsultointi", "terveyspalvelut",
    "vägunderhåll", "städtjänster", "skolskjutsar", "möbler", "datasystem",
    "energia", "vesihuolto", "katuvalaistus", "ohjelmisto", "kuljetus",
]
CPV = ["45233000", "90910000", "60112000", "39100000", "72000000", "55520000", "90620000", "45000000",
       "71300000", "85100000", "45233140", "90911200", "60130000", "39121000", "72212000", "55523100",
       "09310000", "65100000", "34928500", "48000000"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def generate(count: int, now: dt.datetime) -> float:
    """Bulk-insert ``count`` notices and their deadlines; returns the seconds it took."""
    from django.db import connection

    vendor = connection.vendor
    start = time.perf_counter()
    now_s = now.strftime("%Y-%m-%d %H:%M:%S")
    words = ", ".join(f"({i}, '{w}')" for i, w in enumerate(WORDS))
    cpvs = ", ".join(f"({i}, '{c}')" for i, c in enumerate(CPV))
    # Each notice: one closing deadline spread from 100 days ago to 300 days ahead; every fiftieth has a
    # second lot closing 14 days later (so some are "partly closed"); 3 % cancelled.
    if vendor == "sqlite":
        with connection.cursor() as c:
            c.execute("CREATE TEMP TABLE w(i INTEGER PRIMARY KEY, w TEXT)")
            c.execute(f"INSERT INTO w VALUES {words}")
            c.execute("CREATE TEMP TABLE k(i INTEGER PRIMARY KEY, c TEXT)")
            c.execute(f"INSERT INTO k VALUES {cpvs}")
            c.execute(
                f"""
                WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {count}),
                rows AS (
                  SELECT n,
                    datetime('{now_s}', printf('%+d minutes', ((n * 7919) % 576000) - 144000)) AS first_at,
                    (SELECT w FROM w WHERE i = n % 20) AS word,
                    (SELECT w FROM w WHERE i = (n / 20) % 20) AS word2,
                    (SELECT c FROM k WHERE i = n % 20) AS code,
                    (SELECT c FROM k WHERE i = (n / 7) % 20) AS code2
                  FROM seq)
                INSERT INTO notices_notice (source, source_id, procedure_id, notice_type, status, language, title,
                  titles, descriptions, cpv, all_cpv, links, currency, source_url, warnings, next_deadline,
                  closes_at, published_at, created_at, updated_at)
                SELECT 'eforms', 'bench-' || n, '', 'cn-standard',
                  CASE WHEN n % 33 = 0 THEN 'cancelled' ELSE 'active' END, 'fi',
                  word || ' ' || n,
                  json_object('fi', word || ' ' || n, 'sv', word2),
                  json_object('fi', 'Hankinnan kuvaus: ' || word || ' ja ' || word2 || ', numero ' || n),
                  json_array(code), json_array(code, code2), '[]', 'EUR', '', '[]',
                  first_at,
                  CASE WHEN n % 50 = 0 THEN datetime(first_at, '+14 days') ELSE first_at END,
                  datetime(first_at, '-30 days'), '{now_s}', '{now_s}'
                FROM rows
                """
            )
    else:
        with connection.cursor() as c:
            c.execute("DROP INDEX IF EXISTS notices_notice_fulltext")
            c.execute(f"CREATE TEMP TABLE w(i int PRIMARY KEY, w text); INSERT INTO w VALUES {words}")
            c.execute(f"CREATE TEMP TABLE k(i int PRIMARY KEY, c text); INSERT INTO k VALUES {cpvs}")
            c.execute(
                f"""
                INSERT INTO notices_notice (source, source_id, procedure_id, notice_type, status, language, title,
                  titles, descriptions, cpv, all_cpv, links, currency, source_url, warnings, next_deadline,
                  closes_at, published_at, created_at, updated_at)
                SELECT 'eforms', 'bench-' || n, '', 'cn-standard',
                  CASE WHEN n % 33 = 0 THEN 'cancelled' ELSE 'active' END, 'fi',
                  w1.w || ' ' || n,
                  jsonb_build_object('fi', w1.w || ' ' || n, 'sv', w2.w),
                  jsonb_build_object('fi', 'Hankinnan kuvaus: ' || w1.w || ' ja ' || w2.w || ', numero ' || n),
                  jsonb_build_array(k1.c), jsonb_build_array(k1.c, k2.c), '[]', 'EUR', '', '[]',
                  first_at,
                  CASE WHEN n % 50 = 0 THEN first_at + interval '14 days' ELSE first_at END,
                  first_at - interval '30 days', timestamptz '{now_s}+00', timestamptz '{now_s}+00'
                FROM (SELECT n, timestamptz '{now_s}+00' + (((n * 7919) % 576000) - 144000) * interval '1 minute'
                      AS first_at FROM generate_series(1::bigint, {count}::bigint) AS n) s
                JOIN w w1 ON w1.i = n % 20 JOIN w w2 ON w2.i = (n / 20) % 20
                JOIN k k1 ON k1.i = n % 20 JOIN k k2 ON k2.i = (n / 7) % 20
                """
            )
    with connection.cursor() as c:
        # The tender deadline of the procedure (or of lot 1), and lot 2's later one for every fiftieth.
        c.execute(
            """
            INSERT INTO notices_deadline (notice_id, lot, kind, at, needs_review, review_reasons, text, sequence,
              active)
            SELECT id, CASE WHEN next_deadline < closes_at THEN '1' ELSE '' END, 'tender', next_deadline,
                   false, '[]', '', 0, true FROM notices_notice
            """
        )
        c.execute(
            """
            INSERT INTO notices_deadline (notice_id, lot, kind, at, needs_review, review_reasons, text, sequence,
              active)
            SELECT id, '2', 'tender', closes_at, false, '[]', '', 0, true FROM notices_notice
            WHERE next_deadline < closes_at
            """
        )
    if vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("CREATE INDEX notices_notice_fulltext ON notices_notice USING GIN (search_vector)")
            c.execute("ANALYZE")
    else:
        with connection.cursor() as c:
            c.execute("ANALYZE")
    return time.perf_counter() - start


def get(port: int, path: str) -> tuple[float, int, bytes]:
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return (time.perf_counter() - start) * 1000, response.status, body


def measure(port: int, path: str, n: int, warmup: int = 10) -> dict:
    for _ in range(warmup):
        get(port, path)
    times = []
    for _ in range(n):
        ms, status, body = get(port, path)
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status}: {body[:300]!r}")
        times.append(ms)
    times.sort()
    return {
        "p50": statistics.median(times),
        "p95": times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)],
        "body": json.loads(body) if body.startswith(b"{") else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="per scenario, after 10 warm-up requests")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""), help="default: $DATABASE_URL, else SQLite")
    parser.add_argument(
        "--keep", metavar="DIR", help="SQLite: build the data in DIR and keep it; a later run with the same DIR "
        "and --count reuses it (the data takes minutes to build, a run of the scenarios much less)",
    )
    args = parser.parse_args()

    keep = Path(args.keep).resolve() if args.keep and not args.database_url else None
    tmp = keep or Path(tempfile.mkdtemp(prefix="bench-api-"))
    tmp.mkdir(parents=True, exist_ok=True)
    stamp = tmp / f"bench-data-{args.count}"
    os.environ.update(TRACKER_VAR_DIR=str(tmp), DATABASE_URL=args.database_url, DEBUG="false", LOG_LEVEL="WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as c:  # a clean schema in the given database
            c.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    if keep is not None and stamp.exists():
        seconds = float(stamp.read_text())  # the data of an earlier run, its deadlines relative to then
    else:
        if keep is not None:
            (tmp / "tracker.sqlite3").unlink(missing_ok=True)
        call_command("migrate", verbosity=0)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        seconds = generate(args.count, now)
        if keep is not None:
            stamp.write_text(f"{seconds:.1f}")
    from notices.models import Deadline, Notice, NoticeCpv

    counts = (Notice.objects.count(), Deadline.objects.count(), NoticeCpv.objects.count())
    connection.close()

    port = free_port()
    env = dict(os.environ, ALLOWED_HOSTS="127.0.0.1,localhost", API_AUTH_FAILURES="0")
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "tracker.wsgi", "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    try:
        for _ in range(200):
            try:
                if get(port, "/api/health")[1] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("gunicorn did not start")
        open_list = "/api/notices?" + urlencode({"status": "open", "limit": 50})
        first = measure(port, open_list, 1, warmup=0)["body"]
        deep = first["next_cursor"]
        for _ in range(20):  # 20 pages in, by cursor (fewer when a tiny run has fewer pages)
            following = json.loads(get(port, open_list + "&" + urlencode({"cursor": deep}))[2])["next_cursor"]
            if following is None:
                break
            deep = following
        scenarios = [
            ("health (no database)", "/api/health"),
            ("open, next deadline first, 50", open_list),
            ("  + q, frequent word (10 %)", open_list + "&q=siivouspalvelut"),
            ("  + q, rare words (a few notices)", open_list + "&q=" + "kalusteet+123403"),
            ("  + cpv, broad prefix 45 (25 %)", open_list + "&cpv=45"),
            ("  + cpv, one code 4523314 (10 %)", open_list + "&cpv=4523314"),
            ("  + cursor, page 21", open_list + "&" + urlencode({"cursor": deep})),
            ("all statuses, 50", "/api/notices?limit=50"),
            ("deadlines (calendar), 100", "/api/deadlines?limit=100"),
        ]
        results = [(name, measure(port, path, args.requests)) for name, path in scenarios]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    if keep is None:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"database: {connection.vendor}; gunicorn workers: {args.workers}; requests per scenario: {args.requests}")
    print(f"data: {counts[0]:,} notices, {counts[1]:,} deadlines, {counts[2]:,} CPV rows, "
          f"generated in {seconds:.0f} s with bulk SQL (triggers on)")
    print(f"open notices: count {first['count']:,} (exact: {first['count_exact']})")
    base = results[0][1]["p50"]
    print(f"{'scenario':34} {'p50 ms':>8} {'p95 ms':>8} {'p50 / health':>13}")
    for name, r in results:
        print(f"{name:34} {r['p50']:8.1f} {r['p95']:8.1f} {r['p50'] / base:12.1f}x")


if __name__ == "__main__":
    main()
