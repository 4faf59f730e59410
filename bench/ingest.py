"""Ingest benchmark: N eForms notices (the corpus examples with fresh notice and procedure ids, written
as files) ingested into a fresh SQLite database by the real command, ``manage.py ingest FOLDER``, as it
runs for 100 files or more: readers in worker processes, the one writer, commits of 100 payloads with
each notice all-or-nothing.

    .venv/bin/python bench/ingest.py [--count 20000] [--jobs 2] [--group 100] [--database-url postgres://...]

Prints notices per second end to end, the same for plain lxml parsing of the same files (and the ratio),
the CPU time per notice of the writer and of the readers (which, unlike the rate, does not depend on what
else the machine is doing), and the writer's resident memory at each quarter of the run (flat = no growth
with the count).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

from machine import cpu_model  # bench/machine.py (the script's folder is on sys.path)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS = Path(os.environ.get("TRACKER_CORPUS", ROOT.parent / "shared" / "corpus"))

NOTICE_ID = re.compile(rb'(<cbc:ID schemeName="notice-id">)([^<]+)(</cbc:ID>)')
FOLDER_ID = re.compile(rb"(<cbc:ContractFolderID>)([^<]+)(</cbc:ContractFolderID>)")


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def templates() -> list[bytes]:
    from notices.readers import eforms

    found = []
    for path in sorted([*CORPUS.glob("eforms-sdk-1.15.1/*.xml"), *CORPUS.glob("hilma-sdk/*.xml")]):
        data = path.read_bytes()
        if b"efac:Changes" in data or not NOTICE_ID.search(data):
            continue  # change notices point at other notices; the benchmark wants fresh ones
        eforms.read(data)  # only templates that read
        found.append(data)
    return found


def fresh(template: bytes, index: int) -> bytes:
    new = str(uuid.UUID(int=index + 1)).encode()
    data = NOTICE_ID.sub(lambda m: m.group(1) + new + m.group(3), template, count=1)
    return FOLDER_ID.sub(lambda m: m.group(1) + b"bench-" + new + m.group(3), data, count=1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--group", type=int, default=100, help="payloads per commit (the command's default for 100 files or more)")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"the corpus is not at {CORPUS}")

    tmp = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    os.environ["TRACKER_VAR_DIR"] = str(tmp)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from lxml import etree

    from notices.ingest import read as reading
    from notices.models import Notice

    call_command("migrate", verbosity=0)
    bases = templates()
    folder = tmp / "notices"
    folder.mkdir()
    paths = []
    for i in range(args.count):
        path = folder / f"{i // 1000:03d}" / f"{i:06d}.xml"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(fresh(bases[i % len(bases)], i))
        paths.append(path)
    total_bytes = sum(p.stat().st_size for p in paths)

    start = time.perf_counter()
    for path in paths:
        etree.fromstring(path.read_bytes())
    lxml_seconds = time.perf_counter() - start

    # Sample the writer's memory as the run goes, through the pipeline the command uses.
    memory = [rss_mb()]
    marks = {args.count * q // 4 for q in (1, 2, 3, 4)}
    original = reading.read_all

    def sampled(*a, **kw):
        for index, item in enumerate(original(*a, **kw), 1):
            yield item
            if index in marks:
                memory.append(rss_mb())

    reading.read_all = sampled
    import notices.management.commands.ingest as command

    command.read_all = sampled
    load_before = os.getloadavg()[0]
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start, cpu_start = time.perf_counter(), time.process_time()
    call_command("ingest", str(folder), "--jobs", str(args.jobs), "--group", str(args.group), verbosity=0)
    seconds, writer_cpu = time.perf_counter() - start, time.process_time() - cpu_start
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    readers_cpu = sum(getattr(children, f) - getattr(children_before, f) for f in ("ru_utime", "ru_stime"))
    stored = Notice.objects.count()

    rate, lxml_rate = args.count / seconds, args.count / lxml_seconds
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {cpu_model()}, Python {platform.python_version()}")
    print(f"database: {django.db.connection.vendor}; reader processes: {args.jobs}; payloads per commit: {args.group}")
    print(f"notices: {args.count} ({total_bytes / 1e6:.0f} MB of XML from {len(bases)} corpus templates)")
    print(f"stored: {stored}")
    print(f"end to end: {seconds:.1f} s, {rate:,.0f} notices/s")
    print(
        f"CPU per notice: {writer_cpu / args.count * 1e3:.2f} ms in this process (the writer), "
        f"{readers_cpu / args.count * 1e3:.2f} ms in the reader processes; "
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print(f"plain lxml parsing: {lxml_seconds:.2f} s, {lxml_rate:,.0f} notices/s; end to end is {lxml_rate / rate:.1f}x slower")
    print("writer's resident memory (MB) at start, 1/4, 1/2, 3/4, end: " + ", ".join(f"{m:.0f}" for m in memory))
    print(f"growth from 1/4 to end: {memory[-1] - memory[1]:+.0f} MB")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
