"""Reading without writing: load each target and run its reader, in parallel worker processes when
there are many. Nothing here touches the database, so a spawned worker needs no app registry."""

from __future__ import annotations

import dataclasses
import gc
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from notices import gate, readers
from notices.ingest.fetch import Payload, load
from notices.records import Encoded, IngestError, NoticeRecord, RawPayload


@dataclass
class Outcome:
    origin: str
    fmt: str | None = None
    records: list[NoticeRecord] = field(default_factory=list)
    encoded: list[Encoded] = field(default_factory=list)  # one per record when read for writing
    raw: RawPayload | None = None  # the payload as the store keeps it, when read for writing
    changes: list = field(default_factory=list)  # store.Change, once written
    errors: list[str] = field(default_factory=list)
    items: list = field(default_factory=list)  # the reader's report per item (fi-web's ItemReport)
    kept: bytes = b""  # what an unloadable target's rejection keeps (the first bytes of one too large)
    size: int | None = None  # its size, when known


def parse(payload: Payload, fmt: str | None = None) -> Outcome:
    """Read only (dry run): the records as the gate admits them (``notices.gate``), or the error. A
    record the gate refuses is an error of its own; the payload's other records are kept."""
    outcome = Outcome(payload.origin)
    try:
        outcome.fmt, records, outcome.items = readers.explain(
            payload.data, fmt, url=payload.url, charset=payload.charset
        )
    except IngestError as exc:
        outcome.fmt = fmt
        outcome.errors.append(str(exc.at(payload.origin)))
        return outcome
    for record in records:
        try:
            outcome.records.append(gate.admit(record))
        except IngestError as exc:
            outcome.errors.append(str(exc.at(payload.origin)))
    return outcome


def read_all(
    targets: Iterable[str], fmt: str | None = None, url: str | None = None, jobs: int = 1
) -> Iterator[tuple[Payload | None, Outcome]]:
    """Load and read each target, in ``jobs`` worker processes when more than one (readers are pure, so
    reading parallelises; the one writer stays in this process). Yields in the targets' order; a target
    that could not be loaded comes with no payload and its error. When records were read, the payload's
    bytes are in ``outcome.raw`` and ``payload.data`` is empty."""
    tasks = ((target, fmt, url) for target in targets)
    if jobs <= 1:
        yield from map(_load_and_parse, tasks)
        return
    # Spawned, not forked: a worker must never inherit this process's database connection. Workers need
    # no app registry: readers are pure and loading reads only plain settings. Work goes out in windows,
    # two read ahead of the one being written, so neither side waits for the other's slow moments and
    # memory stays flat however many targets there are (Pool.imap would read everything ahead and hold it).
    window = 64 * jobs
    tasks = iter(tasks)
    with multiprocessing.get_context("spawn").Pool(jobs, initializer=_start_worker) as pool:
        pending: deque = deque()

        def submit():
            batch = list(islice(tasks, window))
            if batch:
                pending.append(pool.map_async(_load_and_parse, batch, chunksize=8))

        submit()
        submit()
        while pending:
            results = pending.popleft().get()
            submit()
            yield from results


def _start_worker() -> None:
    for fmt in readers.FORMATS:
        readers.reader(fmt)  # imported once, up front
    gc.freeze()  # what the worker has loaded lives as long as it does: the collector can leave it alone


def _load_and_parse(task: tuple[str, str | None, str | None]) -> tuple[Payload | None, Outcome]:
    target, fmt, url = task
    try:
        payload = load(target, url)
    except IngestError as exc:
        kept, size = getattr(exc, "data", b""), getattr(exc, "size", None)
        return None, Outcome(target, fmt, errors=[str(exc.at(target))], kept=kept, size=size)
    outcome = parse(payload, fmt)
    # What the writer would derive from each record is derived here, in parallel when reading is.
    if outcome.records:
        outcome.encoded = [Encoded.of(record) for record in outcome.records]
        outcome.raw = RawPayload.of(payload.data)
        # The bytes go on to the writer once, in outcome.raw (compressed): a third of what a worker
        # process would otherwise send back, and of what the writer would have to unpickle.
        payload = dataclasses.replace(payload, data=b"")
    return payload, outcome
