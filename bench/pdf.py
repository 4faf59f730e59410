"""PDF summary benchmark: render the seed notice's one-page summary many times, then serve it cached.

    .venv/bin/python bench/pdf.py [--renders 500] [--cached 2000] [--database-url postgres://...]

Prints the median and p95 time of a full render (context, template, WeasyPrint), resident memory along
the run (flat memory = the shared FontConfiguration does its job), and the time to serve a cached
summary: direct (``render_summary``, memory and file cache) and over HTTP with the Django test client
(200 with the PDF, and 304 for If-None-Match). Targets: median <= 60 ms, memory flat, cached <= 5 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from machine import cpu_model  # bench/machine.py (the script's folder is on sys.path)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3  # kB on Linux


def ms(seconds: list[float]) -> str:
    values = sorted(s * 1000 for s in seconds)
    p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
    return f"median {statistics.median(values):.2f} ms, p95 {p95:.2f} ms, min {values[0]:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--renders", type=int, default=500)
    parser.add_argument("--cached", type=int, default=2000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-pdf-")
    os.environ["TRACKER_VAR_DIR"] = tmp
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    import django

    django.setup()
    logging.disable(logging.WARNING)
    from django.core.management import call_command
    from django.test import Client

    from notices import pdf, store
    from notices.models import Notice
    from tests.pdf.conftest import page_count, seed_record

    call_command("migrate", verbosity=0)
    record = seed_record()
    notice = Notice.objects.get(pk=store.save(record, raw=b"bench", origin="bench").notice.pk)
    now = dt.datetime(2016, 5, 12, 9, 30, tzinfo=dt.UTC)  # before the deadline: "time left" is shown

    # Full renders, bypassing the cache (the first ones load fonts and fill WeasyPrint's caches).
    warmup = 30
    for i in range(warmup):
        content = pdf.render_pdf(notice, ("fi", "sv", "en")[i % 3], now)
    pages = page_count(content)
    memory = [rss_mb()]
    peak_before = peak_mb()
    times, cpu = [], []
    step = max(1, args.renders // 5)
    for i in range(1, args.renders + 1):
        started, started_cpu = time.perf_counter(), time.process_time()
        pdf.render_pdf(notice, ("fi", "sv", "en")[i % 3], now)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        if i % step == 0:
            memory.append(rss_mb())

    # Cached: memory LRU, file cache, HTTP 200 from the cache, HTTP 304.
    pdf.render_summary(notice, "fi")
    direct = _timed(args.cached, lambda: pdf.render_summary(notice, "fi"))

    def from_file():
        pdf.clear_memory_cache()
        pdf.render_summary(notice, "fi")

    files = _timed(args.cached, from_file)
    pdf.render_summary(notice, "fi")
    client = Client()
    url = f"/notices/{notice.pk}/summary.pdf?lang=fi"
    etag = client.get(url)["ETag"]
    http = _timed(args.cached, lambda: _check(client.get(url), 200))
    api_url = f"/api/notices/{notice.pk}/summary.pdf?lang=fi"
    api = _timed(args.cached, lambda: _check(client.get(api_url), 200))
    not_modified = _timed(args.cached, lambda: _check(client.get(url, HTTP_IF_NONE_MATCH=etag), 304))

    cores, python = os.cpu_count(), platform.python_version()
    print(f"machine: {platform.machine()}, {cores} cores, {cpu_model()}, Python {python}")
    import weasyprint
    from weasyprint.text.ffi import harfbuzz_subset

    print(
        f"WeasyPrint {weasyprint.__version__}, font subsetting by "
        f"{'HarfBuzz' if harfbuzz_subset else 'fontTools (install libharfbuzz-subset0)'}, "
        f"database: {django.db.connection.vendor}"
    )
    print(f"summary: the seed notice, {pages} page(s), {len(content):,} bytes, labels fi/sv/en in turn")
    print(f"render x{args.renders} (after {warmup} warm-up): {ms(times)}")
    print(f"  the same in CPU time of this process (less sensitive to other load): {ms(cpu)}")
    print(f"  load average (1 min) at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(
        "resident memory (MB) after warm-up, then every "
        f"{step} renders: " + ", ".join(f"{m:.1f}" for m in memory)
    )
    print(
        f"growth over the {args.renders} renders: {memory[-1] - memory[0]:+.1f} MB; "
        f"peak RSS {peak_before:.1f} -> {peak_mb():.1f} MB"
    )
    print(f"cached, render_summary (memory LRU) x{args.cached}: {ms(direct)}")
    print(f"cached, render_summary (file cache) x{args.cached}: {ms(files)}")
    print(f"cached, GET /notices/ID/summary.pdf -> 200 x{args.cached}: {ms(http)}")
    print(f"cached, GET /api/notices/ID/summary.pdf -> 200 x{args.cached}: {ms(api)}")
    print(f"cached, GET with If-None-Match -> 304 x{args.cached}: {ms(not_modified)}")


def _timed(n: int, fn) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def _check(response, status: int) -> None:
    if response.status_code != status:
        raise SystemExit(f"expected {status}, got {response.status_code}")


if __name__ == "__main__":
    main()
