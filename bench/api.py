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


BUYERS = 5_000  # small buyers, each with about 0.02 % of the notices; one big buyer has 10 %
# Every notice's other columns, by n: each filter has a value at about 10 % and one below 0.1 %.
RARE = 2_000  # one notice in RARE (0.05 %)


def y_tunnus(i: int) -> str:
    """The i-th valid business ID from 1000000 on (a body whose check would be remainder 1 is skipped)."""
    body = 1_000_000 + i
    while True:
        digits = f"{body:07d}"
        r = sum(int(d) * w for d, w in zip(digits, (7, 9, 10, 5, 8, 4, 2))) % 11
        if r != 1:
            return f"{digits}-{0 if r == 0 else 11 - r}"
        body += 10_000


def _columns(sqlite: bool) -> dict:
    """SQL for the new columns of notice number n (the same on both databases)."""
    obj = "json_array" if sqlite else "jsonb_build_array"
    return {
        # NUTS: FI1B1 (Helsinki-Uusimaa) 10 %, FI200 (Åland) 0.05 %, the rest across four regions.
        "nuts": f"""CASE WHEN n % {RARE} = 7 THEN {obj}('FI200') WHEN n % 10 = 3 THEN {obj}('FI1B1')
                         ELSE {obj}(CASE n % 4 WHEN 0 THEN 'FI197' WHEN 1 THEN 'FI193' WHEN 2 THEN 'FI1D9'
                                   ELSE 'FI1C1' END) END""",
        "subtype": f"CASE WHEN n % {RARE} = 13 THEN 'E1' WHEN n % 10 = 7 THEN 'E3' ELSE '16' END",
        "procedure_type": f"""CASE WHEN n % {RARE} = 17 THEN 'innovation' WHEN n % 10 = 1 THEN 'restricted'
                                   ELSE 'open' END""",
        "language": f"CASE WHEN n % {RARE} = 11 THEN 'en' WHEN n % 10 = 5 THEN 'sv' ELSE 'fi' END",
        "estimated_value": "(n * 7919) % 1000000",
        # Every RARE-th title has a rare compound ("aurausurakka" is inside it).
        "rare_word": f"CASE WHEN n % {RARE} = 19 THEN ' lumenaurausurakka' ELSE '' END",
        # Every RARE-th notice's second code is a rare one.
        "rare_code": f"n % {RARE} = 23",
    }


def generate(count: int, now: dt.datetime) -> float:
    """Bulk-insert ``count`` notices, their deadlines and buyers; returns the seconds it took."""
    from django.db import connection

    vendor = connection.vendor
    start = time.perf_counter()
    now_s = now.strftime("%Y-%m-%d %H:%M:%S")
    words = ", ".join(f"({i}, '{w}')" for i, w in enumerate(WORDS))
    cpvs = ", ".join(f"({i}, '{c}')" for i, c in enumerate(CPV))
    col = _columns(vendor == "sqlite")
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
                    CASE WHEN {col["rare_code"]} THEN '03111900' ELSE (SELECT c FROM k WHERE i = (n / 7) % 20) END
                      AS code2
                  FROM seq)
                INSERT INTO notices_notice (source, source_id, procedure_id, notice_type, status, language, title,
                  titles, descriptions, cpv, all_cpv, links, currency, source_url, warnings, next_deadline,
                  closes_at, published_at, created_at, updated_at, nuts, subtype, procedure_type, estimated_value)
                SELECT 'eforms', 'bench-' || n, '', 'cn-standard',
                  CASE WHEN n % 33 = 0 THEN 'cancelled' ELSE 'active' END, {col["language"]},
                  word || ' ' || n || {col["rare_word"]},
                  json_object('fi', word || ' ' || n || {col["rare_word"]}, 'sv', word2),
                  json_object('fi', 'Hankinnan kuvaus: ' || word || ' ja ' || word2 || ', numero ' || n),
                  json_array(code), json_array(code, code2), '[]', 'EUR', '', '[]',
                  first_at,
                  CASE WHEN n % 50 = 0 THEN datetime(first_at, '+14 days') ELSE first_at END,
                  datetime(first_at, '-30 days'), '{now_s}', '{now_s}',
                  {col["nuts"]}, {col["subtype"]}, {col["procedure_type"]}, {col["estimated_value"]}
                FROM rows
                """
            )
    else:
        with connection.cursor() as c:
            c.execute("DROP INDEX IF EXISTS notices_notice_fulltext")
            c.execute("DROP INDEX IF EXISTS notices_notice_trigram")
            c.execute(f"CREATE TEMP TABLE w(i int PRIMARY KEY, w text); INSERT INTO w VALUES {words}")
            c.execute(f"CREATE TEMP TABLE k(i int PRIMARY KEY, c text); INSERT INTO k VALUES {cpvs}")
            c.execute(
                f"""
                INSERT INTO notices_notice (source, source_id, procedure_id, notice_type, status, language, title,
                  titles, descriptions, cpv, all_cpv, links, currency, source_url, warnings, next_deadline,
                  closes_at, published_at, created_at, updated_at, nuts, subtype, procedure_type, estimated_value)
                SELECT 'eforms', 'bench-' || n, '', 'cn-standard',
                  CASE WHEN n % 33 = 0 THEN 'cancelled' ELSE 'active' END, {col["language"]},
                  w1.w || ' ' || n || {col["rare_word"]},
                  jsonb_build_object('fi', w1.w || ' ' || n || {col["rare_word"]}, 'sv', w2.w),
                  jsonb_build_object('fi', 'Hankinnan kuvaus: ' || w1.w || ' ja ' || w2.w || ', numero ' || n),
                  jsonb_build_array(k1.c),
                  jsonb_build_array(k1.c, CASE WHEN {col["rare_code"]} THEN '03111900' ELSE k2.c END),
                  '[]', 'EUR', '', '[]',
                  first_at,
                  CASE WHEN n % 50 = 0 THEN first_at + interval '14 days' ELSE first_at END,
                  first_at - interval '30 days', timestamptz '{now_s}+00', timestamptz '{now_s}+00',
                  {col["nuts"]}, {col["subtype"]}, {col["procedure_type"]}, {col["estimated_value"]}
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
        # Buyers: one big (every tenth notice) and BUYERS small ones (the rest, in turn).
        stamp = f"'{now_s}'" if vendor == "sqlite" else f"timestamptz '{now_s}+00'"
        names = "'{}'" if vendor == "sqlite" else "'{}'::jsonb"
        for i in range(BUYERS + 1):
            name = "Iso kaupunki" if i == 0 else f"Kunta {i}"
            c.execute(
                f"INSERT INTO notices_buyer (name, name_key, names, name_sources, country, created_at, updated_at) "
                f"VALUES (%s, %s, {names}, {names}, 'FI', {stamp}, {stamp})",
                [name, name.lower()],
            )
        c.execute("SELECT min(id) FROM notices_buyer")
        first = c.fetchone()[0]
        c.executemany(
            "INSERT INTO notices_buyeridentifier (buyer_id, scheme, value, valid, as_written) "
            "VALUES (%s, 'FI-PRO', %s, true, %s)",
            [(first + i, y_tunnus(i), y_tunnus(i)) for i in range(BUYERS + 1)],
        )
        c.execute(
            f"""
            INSERT INTO notices_notice_buyers (notice_id, buyer_id)
            SELECT id, CASE WHEN id % 10 = 0 THEN {first} ELSE {first} + 1 + (id % {BUYERS}) END
            FROM notices_notice
            """
        )
    if vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("CREATE INDEX notices_notice_fulltext ON notices_notice USING GIN (search_vector)")
            c.execute("CREATE INDEX notices_notice_trigram ON notices_notice USING GIN (search_text gin_trgm_ops)")
            # What autovacuum does after a load: the statistics, and the visibility map that lets the lists
            # read the ids from their indexes without visiting each row.
            c.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as c:
            c.execute("ANALYZE")
    return time.perf_counter() - start


def worker_memory(pid: int) -> list[float]:
    """Resident memory (MB) of the gunicorn master's children, the workers (Linux /proc)."""
    found = []
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return found
    for child in children:
        try:
            status = Path(f"/proc/{child}/status").read_text()
        except OSError:
            continue
        rss = next((line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")), None)
        if rss is not None:
            found.append(int(rss) / 1024)
    return found


def index_sizes() -> list[tuple[str, int]]:
    """Bytes of the search tables and indexes, largest first."""
    from django.db import connection

    with connection.cursor() as c:
        if connection.vendor == "sqlite":
            c.execute(
                "SELECT name, sum(pgsize) FROM dbstat WHERE name LIKE 'notices_notice_trigram%' OR "
                "name LIKE 'notices_notice_fts%' OR name LIKE 'notices_%cpv%' OR name LIKE 'notices_%region%' "
                "OR name LIKE 'notices_not%idx' OR name IN ('notices_subtype', 'notices_procedure_type', "
                "'notices_language', 'notices_estimated_value', 'notices_notice') GROUP BY name"
            )
        else:
            c.execute(
                "SELECT relname, pg_relation_size(oid) FROM pg_class WHERE relname LIKE 'notices_%' "
                "AND relkind IN ('r', 'i')"
            )
            rows = c.fetchall()
            c.execute(
                "SELECT 'search_text column (notices_notice, stored)', sum(pg_column_size(search_text)) "
                "FROM notices_notice"
            )
            return sorted([*rows, *c.fetchall()], key=lambda r: -(r[1] or 0))
        return sorted(c.fetchall(), key=lambda r: -(r[1] or 0))


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
    parser.add_argument("--only", help="comma-separated parts of scenario names to run (and health)")
    parser.add_argument("--sizes", action="store_true", help="print the sizes of the search tables and indexes")
    parser.add_argument("--verbose", action="store_true", help="print each scenario as it is measured")
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
        call_command("migrate", verbosity=0)  # and the schema of this code
    else:
        if keep is not None:
            (tmp / "tracker.sqlite3").unlink(missing_ok=True)
        call_command("migrate", verbosity=0)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        seconds = generate(args.count, now)
        if keep is not None:
            stamp.write_text(f"{seconds:.1f}")
    from notices.models import Deadline, Notice, NoticeCpv
    from notices.store import advance_next_deadlines

    # What runscheduler does every minute: next_deadline moved past the closing deadlines that have passed
    # (the bulk SQL writes the earliest, as the store does).
    started = time.perf_counter()
    moved = advance_next_deadlines()
    print(f"next deadlines moved past passed ones: {moved:,} notices in {time.perf_counter() - started:.1f} s")
    counts = (Notice.objects.count(), Deadline.objects.count(), NoticeCpv.objects.count())
    sizes = index_sizes() if args.sizes else []
    connection.close()
    load_before = os.getloadavg()[0]

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
        big, small = y_tunnus(0), y_tunnus(1 + 4_321 % BUYERS)
        soon = dt.datetime.now(dt.UTC).replace(microsecond=0)
        d40 = {"deadline_after": soon.isoformat(), "deadline_before": (soon + dt.timedelta(days=40)).isoformat()}
        d1h = {"deadline_after": (soon + dt.timedelta(days=100)).isoformat(),
               "deadline_before": (soon + dt.timedelta(days=100, hours=1)).isoformat()}

        def with_(base, **params):
            return base + "&" + urlencode(params)

        closed_list = "/api/notices?" + urlencode({"status": "closed", "limit": 50})
        scenarios = [
            ("health (no database)", "/api/health"),
            ("open, next deadline first, 50", open_list),
            ("  + cursor, page 21", with_(open_list, cursor=deep)),
            ("all statuses, 50", "/api/notices?limit=50"),
            ("deadlines (calendar), 100", "/api/deadlines?limit=100"),
            # Each filter at about 10 % and below 0.1 % of the notices (open notices, next deadline first).
            ("q word 10%", with_(open_list, q="siivouspalvelut")),
            ("q words <0.1%", with_(open_list, q="kalusteet 123403")),
            ("q inside compounds 10%", with_(open_list, q="kuljetukset")),
            ("q inside compounds <0.1%", with_(open_list, q="aurausurakka")),
            ("q inflected (stem) 10%", with_(open_list, q="siivouspalveluiden")),
            ("q phrase 10%", with_(open_list, q='"tienhoidon urakka"')),
            ("cpv 4523314 10%", with_(open_list, cpv="4523314")),
            ("cpv 45 25%", with_(open_list, cpv="45")),
            ("cpv 031119 <0.1%", with_(open_list, cpv="031119")),
            ("buyer 10%", with_(open_list, buyer=big)),
            ("buyer <0.1%", with_(open_list, buyer=small)),
            ("deadline range 10%", with_(open_list, **d40)),
            ("deadline range <0.1%", with_(open_list, **d1h)),
            ("region FI1B 10%", with_(open_list, region="FI1B")),
            ("region FI200 <0.1%", with_(open_list, region="FI200")),
            ("subtype national 10%", with_(open_list, subtype="national")),
            ("subtype E1 <0.1%", with_(open_list, subtype="E1")),
            ("procedure restricted 10%", with_(open_list, procedure_type="restricted")),
            ("procedure innovation <0.1%", with_(open_list, procedure_type="innovation")),
            ("value >= 900000 10%", with_(open_list, value_min=900_000)),
            ("value >= 999500 <0.1%", with_(open_list, value_min=999_500)),
            ("language sv 10%", with_(open_list, language="sv")),
            ("language en <0.1%", with_(open_list, language="en")),
            ("status closed 22%", closed_list),
            ("status cancelled 3%", "/api/notices?" + urlencode({"status": "cancelled", "limit": 50})),
            # Pairs at those selectivities.
            ("words + cpv, 10% each", with_(open_list, q="siivouspalvelut", cpv="4523314")),
            ("words + cpv, <0.1%", with_(open_list, q="aurausurakka", cpv="45")),
            ("words + buyer, 10% each", with_(open_list, q="siivouspalvelut", buyer=big)),
            ("words + buyer, <0.1%", with_(open_list, q="siivouspalvelut", buyer=small)),
            ("cpv + deadline range, 10% each", with_(open_list, cpv="4523314", **d40)),
            ("cpv + deadline range, <0.1%", with_(open_list, cpv="4523314", **d1h)),
            ("region + status closed, 10%", with_(closed_list, region="FI1B")),
            ("region + status open, <0.1%", with_(open_list, region="FI200")),
            ("closed + words 10%", with_(closed_list, q="siivouspalvelut")),
            ("closed + words <0.1%", with_(closed_list, q="aurausurakka")),
            ("closed + compounds 10%", with_(closed_list, q="kuljetukset")),
            ("sort=relevance, word 10%", with_(open_list, q="kuljetukset", sort="relevance")),
            ("sort=newest, cpv 10%", with_(open_list, cpv="4523314", sort="newest")),
        ]
        only = [x.strip() for x in (args.only or "").split(",") if x.strip()]
        if only:
            scenarios = [sc for sc in scenarios if sc[0] == "health (no database)" or any(o in sc[0] for o in only)]
        results = []
        for name, path in scenarios:
            result = measure(port, path, args.requests)
            results.append((name, result))
            if args.verbose:
                body = result["body"] or {}
                print(f"{name:34} {result['p50']:8.1f} {result['p95']:8.1f}  count {body.get('count')}", flush=True)
        workers_rss = worker_memory(server.pid)
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
    print(f"load average (1 min) before -> after the requests: {load_before:.2f} -> {os.getloadavg()[0]:.2f}")
    print("gunicorn workers' resident memory after the scenarios (filters held in memory included): "
          + ", ".join(f"{mb:.0f} MB" for mb in workers_rss))
    base = results[0][1]["p50"]
    print(f"{'scenario':34} {'p50 ms':>8} {'p95 ms':>8} {'p50 / health':>13} {'count':>7}")
    for name, r in results:
        body = r["body"] or {}
        count = body.get("count", "")
        print(f"{name:34} {r['p50']:8.1f} {r['p95']:8.1f} {r['p50'] / base:12.1f}x {count!s:>7}")
    if sizes:
        print("sizes of the search tables and indexes:")
        for name, size in sizes:
            print(f"  {name:50} {(size or 0) / 1e6:9.1f} MB")


if __name__ == "__main__":
    main()
