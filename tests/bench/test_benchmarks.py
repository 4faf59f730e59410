"""Every benchmark in bench/ still runs: each at a tiny size (a few notices, a few requests) in a
subprocess, exactly as its README command runs it, on SQLite. A benchmark that rots (a new NOT NULL
column its bulk SQL leaves out, a renamed function) fails here instead of waiting to be found.

Only the SQLite pass runs them (``bin/test`` runs the suite twice); the figures printed are not checked,
only that each benchmark ran to its end and printed its table.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"

# (script, tiny arguments, a line its report always ends with)
RUNS = {
    "alerts.py": (["--count", "40", "--alerts", "200", "--jobs", "1", "--digest-timeout", "60"], "digests:"),
    "api.py": (["--count", "300", "--requests", "3"], "deadlines (calendar), 100"),
    "ingest.py": (["--count", "20", "--jobs", "1"], "growth from 1/4 to end"),
    "pdf.py": (["--renders", "2", "--cached", "3"], "If-None-Match"),
    "reminders.py": (["--count", "10", "--spread", "1", "--lead", "2", "--notices", "2", "--timeout", "20"],
                     "lateness:"),
}


def test_every_benchmark_has_a_tiny_run():
    assert sorted(p.name for p in BENCH.glob("*.py") if p.name != "machine.py") == sorted(RUNS)


@pytest.mark.parametrize("script", sorted(RUNS))
def test_benchmark_runs_at_a_tiny_size(script):
    if connection.vendor != "sqlite":
        pytest.skip("benchmarks run on the SQLite pass only")
    args, expected = RUNS[script]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TRACKER_VAR_DIR")}
    # A hang guard, not a speed check: each run takes a few seconds.
    result = subprocess.run(
        [sys.executable, str(BENCH / script), *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert expected in result.stdout, result.stdout[-3000:]
