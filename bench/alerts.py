"""Alerts benchmark: 100,000 confirmed alerts, then 20,000 eForms notices ingested, then the daily digests.

    .venv/bin/python bench/alerts.py                                  # SQLite, the target run
    .venv/bin/python bench/alerts.py --count 2000 --alerts 10000      # a quick look
    bin/postgres .venv/bin/python bench/alerts.py                     # the same on PostgreSQL 15

The notices are Hilma's E3 example (``hilma-sdk/E3_minimum.xml``) made into 20,000 different ones: each
gets a CPV code drawn from the 9,454 codes of the eForms SDK's CPV list, a title from that code's
Finnish name and a town, a description of 30 words drawn (Zipf) from the words of all the Finnish CPV
names, one of 4,000 buyers (valid Y-tunnus), published today, closing in 10-60 days. The alerts are a
mix seeded by those notices, so every alert matches at least one notice: a CPV prefix of 6-8 digits
(30 %), a buyer (20 %), the notice's word of least reach when it reaches at most 15 notices (``reach``:
the notices whose words contain one of its inner forms, as the list's search finds words since issue
15), else its CPV code (20 %), such a word (at most 40 notices) and a 2-digit CPV division, else a
7-digit prefix (15 %), a buyer and a 3-digit CPV group (10 %), a 5-digit CPV prefix and the notice type
(5 %); all daily at 7.00, 80 % Finnish, 15 % Swedish, 5 % English, one address each. (A first mix whose
words were merely the rarest of a notice gave some alerts thousands of notices and 110 alerts a notice;
one whose reach still counted only words beginning with the stem, after the search had begun to find
words inside compounds, 83 alerts a notice: see bench/README.md.)

Phases, each in its own process and database (a fresh SQLite file, or a fresh database on the
PostgreSQL server ``DATABASE_URL`` names):

1. **without alerts**: ``manage.py ingest FOLDER`` as bench/ingest.py runs it (readers in 2 processes,
   commits of 100): notices/s and the writer's CPU per notice;
2. **with alerts**: the alerts are made (each confirmed, indexed and its search compiled, as
   ``scheduler.alerts`` does), then the same ingest while a matcher process (``scheduler.matching``, as
   ``runscheduler`` runs it) matches what the store queues: notices/s, the writer's CPU, and the
   matcher's CPU per notice per batch (p50, p95, max) until the queue is empty, and how long after the
   ingest that was;
3. **digests**: every digest is made due now and ``manage.py runscheduler`` sends them to an aiosmtpd
   server in this process: digests/s, minutes for all, the scheduler's resident memory as it goes.

Targets: matching adds at most 1 ms of CPU per notice (p95); ingest with alerts at least 80 % of the rate
without, and at least 1,000 notices/s on SQLite; the daily digests of 100,000 subscribers handed to SMTP
within 10 minutes, memory flat.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import itertools
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from machine import describe  # bench/machine.py (the script's folder is on sys.path)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS = Path(os.environ.get("TRACKER_CORPUS", ROOT.parent / "shared" / "corpus"))
TEMPLATE = CORPUS / "hilma-sdk" / "E3_minimum.xml"
CPV_NAMES = CORPUS / "eforms-sdk-1.15.1" / "translations" / "code_fi.xml"
TOWNS = ["Helsinki", "Espoo", "Tampere", "Vantaa", "Oulu", "Turku", "Jyväskylä", "Kuopio", "Lahti", "Pori", "Kouvola", "Joensuu", "Lappeenranta", "Hämeenlinna", "Vaasa", "Seinäjoki", "Rovaniemi", "Mikkeli", "Kotka", "Salo", "Porvoo", "Kokkola", "Hyvinkää", "Lohja", "Järvenpää", "Rauma", "Kajaani", "Kerava", "Savonlinna", "Nokia", "Kangasala", "Ylöjärvi", "Vihti", "Raasepori", "Tornio", "Imatra", "Raahe", "Hamina"]
WORD = re.compile(r"[^\W\d_]{4,}")


# --- the notices --------------------------------------------------------------------------------------


def y_tunnus(n: int) -> str | None:
    digits = f"{n:07d}"
    total = sum(int(d) * w for d, w in zip(digits, (7, 9, 10, 5, 8, 4, 2)))
    rest = total % 11
    if rest == 1:
        return None
    return f"{digits}-{0 if rest == 0 else 11 - rest}"


def cpv_names() -> dict[str, str]:
    text = CPV_NAMES.read_text(encoding="utf-8")
    return dict(re.findall(r'<entry key="code\|name\|cpv\.(\d{8})">([^<]+)</entry>', text))


def generate(count: int, folder: Path, seed: int = 16) -> list[dict]:
    """Write ``count`` notices as files; return what each says (for the alerts' mix)."""
    rng = random.Random(seed)
    names = cpv_names()
    codes = sorted(names)
    vocabulary = sorted({w.casefold() for name in names.values() for w in WORD.findall(name)})
    rng.shuffle(vocabulary)
    weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(vocabulary))))  # Zipf
    buyers = [b for b in (y_tunnus(n) for n in rng.sample(range(100_000, 9_999_999), 4400)) if b][:4000]
    template = TEMPLATE.read_text(encoding="utf-8")
    today = dt.date.today()
    meta = []
    for i in range(count):
        code = rng.choice(codes)
        buyer = rng.choice(buyers)
        town = rng.choice(TOWNS)
        title = f"{names[code]}, {town} {today.year}"
        words = [vocabulary[bisect.bisect_left(weights, rng.random() * weights[-1])] for _ in range(30)]
        description = " ".join(words).capitalize() + "."
        closes = today + dt.timedelta(days=rng.randint(10, 60))
        xml = template
        xml = re.sub(r'(<cbc:ID schemeName="notice-id">)[^<]+', lambda m: m.group(1) + str(uuid.UUID(int=i + 1)), xml, 1)
        xml = re.sub(r"(<cbc:ContractFolderID>)[^<]+", lambda m: m.group(1) + f"bench-{i}", xml, 1)
        xml = re.sub(r"(<cbc:IssueDate>)[^<+]+", lambda m: m.group(1) + today.isoformat(), xml, 1)
        xml = xml.replace("<cbc:CompanyID>0988084-1</cbc:CompanyID>", f"<cbc:CompanyID>{buyer}</cbc:CompanyID>", 1)
        xml = xml.replace('<cbc:Name languageID="FIN">Hansel Oy</cbc:Name>', f'<cbc:Name languageID="FIN">Hankintayksikkö {buyer}</cbc:Name>', 1)
        xml = xml.replace('<cbc:Name languageID="FIN">E3_minimum</cbc:Name>', f'<cbc:Name languageID="FIN">{_xml(title)}</cbc:Name>')
        xml = xml.replace('<cbc:Description languageID="FIN">testitekstiä</cbc:Description>', f'<cbc:Description languageID="FIN">{_xml(description)}</cbc:Description>')
        xml = xml.replace('listName="cpv">50000000<', f'listName="cpv">{code}<')
        xml = re.sub(r"(<cbc:EndDate>)2025-04-18", lambda m: m.group(1) + closes.isoformat(), xml)
        xml = re.sub(r"(<cbc:EndDate>)2025-03-31", lambda m: m.group(1) + (closes + dt.timedelta(days=90)).isoformat(), xml)
        path = folder / f"{i // 1000:03d}" / f"{i:06d}.xml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(xml, encoding="utf-8")
        meta.append({"code": code, "buyer": buyer, "words": words, "title": title})
    return meta


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


def reach(meta: list[dict], most: int = 40) -> dict[str, int]:
    """How many notices each word of the notices finds with the list's search (counted up to ``most`` + 1):
    a notice whose words contain one of the word's inner forms (``notices.search.inner_forms``: the word
    or its Finnish or Swedish stem, three letters or more), so "koulu" finds "alakoulun" too."""
    from notices.search import inner_forms

    holders: dict[str, set[int]] = {}  # word -> the notices that have it
    for n, m in enumerate(meta):
        for w in {x.casefold() for x in WORD.findall(m["title"])} | set(m["words"]):
            holders.setdefault(w, set()).add(n)
    by_trigram: dict[str, set[str]] = {}
    for w in holders:
        for i in range(len(w) - 2):
            by_trigram.setdefault(w[i : i + 3], set()).add(w)
    found: dict[str, int] = {}
    for w in holders:
        notices: set[int] = set()
        for form in inner_forms(w):
            for other in by_trigram.get(form[:3], ()):
                if form in other:
                    notices |= holders[other]
                    if len(notices) > most:
                        break
        found[w] = min(len(notices), most + 1)
    return found


def alert_mix(meta: list[dict], count: int, notice_type: str, seed: int = 61) -> list[dict]:
    rng = random.Random(seed)
    frequency = reach(meta)
    mix = []
    for n in range(count):
        m = rng.choice(meta)
        rarest = min(set(m["words"]), key=lambda w: (frequency[w], w))
        roll = rng.random()
        if roll < 0.30:
            filters = {"cpv": m["code"][: rng.randint(6, 8)]}
        elif roll < 0.50:
            filters = {"buyer": m["buyer"]}
        elif roll < 0.70:
            # A word people watch is a specific one; a notice whose words are all common gives a CPV code.
            filters = {"q": rarest} if frequency[rarest] <= 15 else {"cpv": m["code"]}
        elif roll < 0.85:
            filters = {"q": rarest, "cpv": m["code"][:2]} if frequency[rarest] <= 40 else {"cpv": m["code"][:7]}
        elif roll < 0.95:
            filters = {"buyer": m["buyer"], "cpv": m["code"][:3]}
        else:
            filters = {"cpv": m["code"][:5], "notice_type": notice_type}
        language = "fi" if roll * 7 % 1 < 0.80 else ("sv" if roll * 7 % 1 < 0.95 else "en")
        mix.append({"email": f"subscriber{n}@example.fi", "filters": filters, "language": language})
    return mix


# --- phases (each in its own process) -------------------------------------------------------------------


def setup(database_url: str, var: Path):
    os.environ["DATABASE_URL"] = database_url
    os.environ["TRACKER_VAR_DIR"] = str(var)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def ingest(folder: Path, jobs: int) -> dict:
    import resource

    from django.core.management import call_command

    from notices.models import Notice

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start, cpu = time.perf_counter(), time.process_time()
    call_command("ingest", str(folder), "--jobs", str(jobs), "--group", "100", verbosity=0)
    seconds, writer = time.perf_counter() - start, time.process_time() - cpu
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    readers = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    count = Notice.objects.count()
    return {"notices": count, "seconds": seconds, "rate": count / seconds, "writer_ms": writer / count * 1e3,
            "readers_ms": readers / count * 1e3, "load": os.getloadavg()[0]}


def phase_baseline(args) -> dict:
    setup(args.database_url, Path(args.var))
    return ingest(Path(args.folder), args.jobs)


def make_alerts(mix: list[dict]) -> float:
    """The alerts as ``scheduler.alerts`` makes a confirmed one (index rows, requirements, compiled
    search), written in bulk. Returns the seconds it took."""
    from django.db import transaction
    from django.utils import timezone

    from scheduler import alerts
    from scheduler.models import Alert, AlertKey, hash_token

    start = time.perf_counter()
    now = timezone.now() - dt.timedelta(minutes=5)
    compiled: dict[str, tuple] = {}
    for chunk_start in range(0, len(mix), 5000):
        rows, keys = [], []
        for n, spec in enumerate(mix[chunk_start : chunk_start + 5000], chunk_start):
            key = json.dumps(spec["filters"], sort_keys=True)
            if key not in compiled:
                clean = alerts.clean_filters(spec["filters"])
                requirements, primary = alerts.index(clean)
                compiled[key] = (clean, requirements, primary)
            clean, requirements, primary = compiled[key]
            rows.append(Alert(email=spec["email"], filters=clean, requirements=requirements,
                              frequency="daily", hour=7, language=spec["language"], status="active",
                              token_hash=hash_token(f"bench-{n}"), created_at=now, updated_at=now, confirmed_at=now))
            keys.append(primary)
        with transaction.atomic():
            made = Alert.objects.bulk_create(rows, batch_size=1000)
            AlertKey.objects.bulk_create(
                (AlertKey(alert=a, kind=kind, value=v) for a, (kind, values) in zip(made, keys) for v in values),
                batch_size=2000,
            )
    return time.perf_counter() - start


def phase_alerts(args) -> dict:
    setup(args.database_url, Path(args.var))
    from scheduler.models import AlertChange, AlertItem, AlertMail

    mix = json.loads(Path(args.mix).read_text())
    made = make_alerts(mix)
    stats_file = Path(args.var) / "matcher.json"
    stop_file = Path(args.var) / "matcher.stop"
    matcher = subprocess.Popen(
        [sys.executable, __file__, "--phase", "matcher", "--database-url", args.database_url, "--var", args.var],
        env=dict(os.environ),
    )
    result = ingest(Path(args.folder), args.jobs)
    ingest_done = time.perf_counter()
    while AlertChange.objects.exists():
        time.sleep(0.5)
    drained = time.perf_counter() - ingest_done
    stop_file.write_text("stop")
    matcher.wait(timeout=600)
    stats = json.loads(stats_file.read_text())
    per_notice = sorted(cpu / n * 1e3 for n, cpu in stats["batches"])
    result.update(
        alerts=len(mix), alerts_seconds=made, drained_after=drained,
        matcher_ms_total=stats["cpu"] / max(stats["changes"], 1) * 1e3,
        matcher_p50=statistics.median(per_notice), matcher_p95=per_notice[int(0.95 * (len(per_notice) - 1))],
        matcher_max=per_notice[-1], batches=len(per_notice), matcher_rss=stats["rss"],
        announced=AlertItem.objects.count(), digests=AlertMail.objects.filter(kind="digest").count(),
        confirm_queries=stats["queries"], changes=stats["changes"], index_cpu=stats["index_cpu"],
    )
    return result


def phase_matcher(args) -> None:
    setup(args.database_url, Path(args.var))
    from django.conf import settings

    from scheduler.matching import Matcher
    from scheduler.models import AlertChange

    # As runscheduler runs it: it starts once the store has queued nothing for ALERTS_MATCH_QUIET seconds.
    matcher = Matcher("bench.match", quiet=settings.ALERTS_MATCH_QUIET, max_wait=settings.ALERTS_MATCH_MAX_WAIT)
    total = {"batches": [], "cpu": 0.0, "changes": 0, "queries": 0, "rss": [], "index_cpu": 0.0}
    stop_file = Path(args.var) / "matcher.stop"
    while True:
        stats = matcher.run_once()
        total["batches"] += stats.batches
        total["cpu"] += stats.cpu
        total["index_cpu"] += stats.index_cpu
        total["changes"] += stats.changes
        total["queries"] += stats.confirm_queries
        if stats.changes:
            total["rss"].append(round(rss_mb()))
        if stop_file.exists() and not AlertChange.objects.exists():
            break
        if not stats.changes:
            time.sleep(1.0)  # runscheduler's tick would be ALERTS_MATCH_TICK
    (Path(args.var) / "matcher.json").write_text(json.dumps(total))


def rss_mb(pid: int | None = None) -> float:
    with open(f"/proc/{pid or 'self'}/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


class Collector:
    def __init__(self):
        self.lock = threading.Lock()
        self.ids: list[int] = []
        self.bytes = 0

    async def handle_DATA(self, server, session, envelope):
        head = envelope.content.split(b"\r\n\r\n", 1)[0]
        match = re.search(rb"X-Alert-Mail: (\d+)", head)
        with self.lock:
            self.bytes += len(envelope.content)
            if match:
                self.ids.append(int(match.group(1)))
        return "250 OK"


def phase_digests(args) -> dict:
    setup(args.database_url, Path(args.var))
    from aiosmtpd.controller import Controller
    from django.utils import timezone

    from scheduler.models import AlertMail

    now = timezone.now()
    due = AlertMail.objects.filter(kind="digest", state="scheduled")
    total = due.count()
    due.update(next_attempt_at=now)
    collector = Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    env = dict(os.environ, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port), POLL_SOURCES="false",
               SCHEDULER_JOB_HOOKS="", LOG_LEVEL="WARNING", SCHEDULER_ATTACH_PDF="false")
    start = time.perf_counter()
    scheduler = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "runscheduler", "--worker", "bench"],
                                 cwd=ROOT, env=env)
    memory = []
    try:
        last = time.perf_counter()
        while True:
            with collector.lock:
                got = len(set(collector.ids))
            if got >= total:
                break
            if time.perf_counter() - start > args.digest_timeout:
                break
            if time.perf_counter() - last >= 10:
                memory.append((round(time.perf_counter() - start), got, round(rss_mb(scheduler.pid))))
                last = time.perf_counter()
            time.sleep(0.2)
        seconds = time.perf_counter() - start
        cpu = cpu_seconds(scheduler.pid)
    finally:
        scheduler.send_signal(signal.SIGTERM)
        scheduler.wait(timeout=120)
        controller.stop()
    with collector.lock:
        counts = {}
        for i in collector.ids:
            counts[i] = counts.get(i, 0) + 1
    return {"digests": total, "delivered": len(counts), "duplicates": sum(c - 1 for c in counts.values()),
            "seconds": seconds, "rate": len(counts) / seconds, "memory": memory, "scheduler_cpu_ms": cpu / max(len(counts), 1) * 1e3,
            "mean_kb": collector.bytes / max(len(collector.ids), 1) / 1e3, "load": os.getloadavg()[0]}


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the run --------------------------------------------------------------------------------------------


def database_for(base: str, name: str, workdir: Path) -> str:
    """A fresh database per phase: a SQLite file, or a new database on the PostgreSQL server."""
    if not base:
        return f"sqlite:///{workdir / (name + '.sqlite3')}"
    import psycopg

    parts = urlsplit(base)
    dbname = f"bench_alerts_{name}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
        conn.execute(f'CREATE DATABASE "{dbname}"')
    return urlunsplit(parts._replace(path="/" + dbname))


def child(args, phase: str, database_url: str, workdir: Path, **extra) -> dict:
    out = workdir / f"{phase}.json"
    command = [sys.executable, __file__, "--phase", phase, "--database-url", database_url, "--var", str(workdir / "var"),
               "--folder", str(workdir / "notices"), "--mix", str(workdir / "mix.json"), "--out", str(out),
               "--jobs", str(args.jobs), "--digest-timeout", str(args.digest_timeout)]
    subprocess.run(command, check=True)
    return json.loads(out.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--skip-digests", action="store_true")
    parser.add_argument("--digest-timeout", type=float, default=1800)
    parser.add_argument("--phase", default="")
    parser.add_argument("--var", default="")
    parser.add_argument("--folder", default="")
    parser.add_argument("--mix", default="")
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    if args.phase:
        result = {"baseline": phase_baseline, "alerts": phase_alerts, "digests": phase_digests,
                  "matcher": phase_matcher}[args.phase](args)
        if args.out and result is not None:
            Path(args.out).write_text(json.dumps(result))
        return 0

    workdir = Path(tempfile.mkdtemp(prefix="bench-alerts-"))
    try:
        print(f"machine: {describe()}")
        started = time.perf_counter()
        meta = generate(args.count, workdir / "notices")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
        import django

        django.setup()  # the mix asks notices.search what a word finds (no database is touched)
        from notices.readers import eforms

        notice_type = eforms.read((workdir / "notices" / "000" / "000000.xml").read_bytes())[0].notice_type
        mix = alert_mix(meta, args.alerts, notice_type)
        (workdir / "mix.json").write_text(json.dumps(mix))
        kinds = {}
        for spec in mix:
            kind = "+".join(sorted(spec["filters"]))
            kinds[kind] = kinds.get(kind, 0) + 1
        print(f"notices: {args.count} generated in {time.perf_counter() - started:.0f} s; alerts: {args.alerts} ({kinds})")
        print(f"database: {'PostgreSQL' if args.database_url else 'SQLite'}; reader processes: {args.jobs}")
        if not args.skip_baseline:
            base = child(args, "baseline", database_for(args.database_url, "base", workdir), workdir)
            print(f"without alerts: {base['rate']:,.0f} notices/s ({base['seconds']:.1f} s); CPU per notice: writer "
                  f"{base['writer_ms']:.2f} ms, readers {base['readers_ms']:.2f} ms; load {base['load']:.1f}")
        db = database_for(args.database_url, "alerts", workdir)
        res = child(args, "alerts", db, workdir)
        print(f"alerts made in {res['alerts_seconds']:.0f} s")
        print(f"with alerts:    {res['rate']:,.0f} notices/s ({res['seconds']:.1f} s); CPU per notice: writer "
              f"{res['writer_ms']:.2f} ms, readers {res['readers_ms']:.2f} ms; load {res['load']:.1f}")
        if not args.skip_baseline:
            print(f"ingest with alerts / without: {res['rate'] / base['rate']:.0%}")
        print(f"matcher: alert index read in {res['index_cpu']:.1f} s of CPU at its first batch (not in the figures below)")
        print(f"matcher: {res['changes']} changes in {res['batches']} batches; CPU per notice per batch p50 "
              f"{res['matcher_p50']:.2f} ms, p95 {res['matcher_p95']:.2f} ms, max {res['matcher_max']:.2f} ms; "
              f"overall {res['matcher_ms_total']:.2f} ms; queue empty {res['drained_after']:.1f} s after the ingest; "
              f"matcher memory (MB) {res['matcher_rss'][:1]} -> {res['matcher_rss'][-1:]}")
        print(f"announced: {res['announced']} (alert, notice) pairs, {res['announced'] / max(res['changes'], 1):.1f} a notice; "
              f"digests waiting: {res['digests']}; search statements: {res['confirm_queries']} filter sets")
        if not args.skip_digests:
            dig = child(args, "digests", db, workdir)
            print(f"digests: {dig['delivered']} of {dig['digests']} handed to SMTP in {dig['seconds']:.0f} s "
                  f"({dig['seconds'] / 60:.1f} min, {dig['rate']:.0f}/s), duplicates {dig['duplicates']}, "
                  f"{dig['mean_kb']:.1f} kB a mail, scheduler CPU {dig['scheduler_cpu_ms']:.1f} ms a digest, load {dig['load']:.1f}")
            print("scheduler memory (s, delivered, MB): " + ", ".join(f"{s}:{d}:{m}" for s, d, m in dig["memory"]))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
