"""A local folder of notice files, polled for what is new or changed since the last poll."""

from __future__ import annotations

import os
from pathlib import Path

from notices.ingest.fetch import FetchError, expand, read_file
from notices.models import Source
from notices.polling.runs import PollError, Run, kind


@kind(Source.Kind.FOLDER)
def poll_folder(run: Run) -> None:
    """A local folder: each readable file (.xml, .json, .html, recursively) that is new or changed since
    the last poll (modification time and size, kept in the cursor) is ingested."""
    root = Path(run.source.url)
    if not root.is_dir():
        raise PollError(f"{root} is not a folder that can be read")
    known = dict(run.source.cursor.get("files", {}))
    present = set()
    for n, path in enumerate(expand(str(root)), 1):
        try:
            stat = os.stat(path)
        except OSError:
            continue
        present.add(path)
        stamp = [stat.st_mtime_ns, stat.st_size]
        if known.get(path) == stamp:
            continue
        try:
            payload = read_file(path)
        except FetchError as exc:
            run.result.problems.append(str(exc))
            continue
        run.say(f"read {path}")
        run.fetched += 1
        outcome = run.ingest(payload)
        run.result.seen += len(outcome.records)
        known[path] = stamp  # a rejected file is kept as a Rejection and read again once it changes
        if n % 50 == 0:
            run.save_progress(cursor={"files": known})
        if run.stop():
            run.save_progress(cursor={"files": known})
            run.interrupted = True
            return
    run.counted = True
    run.state["cursor"] = {"files": {p: s for p, s in known.items() if p in present}}
