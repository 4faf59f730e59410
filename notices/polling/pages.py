"""Sources that are one URL read as a whole: a buyer's web page (fi-web) or an OCDS feed, fetched
conditionally (ETag / Last-Modified), so an unchanged page costs a 304 and nothing is read or written.
A page or feed that once yielded notices and now yields none, or no longer reads, is flagged ("layout
broke")."""

from __future__ import annotations

from notices.ingest.fetch import Payload
from notices.ingest.write import ingest
from notices.models import Source
from notices.polling.runs import PollError, Run, kind


def poll_page(run: Run, fmt: str) -> None:
    """A buyer's web page (fi-web) or an OCDS feed: one URL, fetched conditionally, read as a whole."""
    source = run.source
    fetched = run.get(source.url, etag=source.etag, last_modified=source.last_modified)
    if fetched.not_modified:
        run.result.status = "not-modified"
        return
    outcome = ingest(Payload(fetched.data, fetched.url, fetched.url), fmt)
    run.add(outcome)
    what = "page" if fmt == "fi-web" else "feed"
    if outcome.errors and outcome.records:
        # Some notices could not be kept (each is a rejection with its reason); the rest were stored.
        run.result.problems.extend(outcome.errors)
    elif outcome.errors:
        # Validators are not saved: the same bytes are read again next time (a fixed reader may read them).
        if source.peak_seen:
            run.broken = f"layout broke: the {what} no longer reads ({outcome.errors[0]})"
        raise PollError(outcome.errors[0])
    run.counted = True
    run.result.seen = len(outcome.records)
    run.state.update(etag=fetched.etag[:500], last_modified=fetched.last_modified[:100])
    if outcome.records:
        run.broken = ""
    elif source.peak_seen:
        run.broken = (
            f"layout broke: the {what} yielded {source.peak_seen} notice(s) before and yields none now"
        )


@kind(Source.Kind.FI_WEB)
def poll_fi_web(run: Run) -> None:
    poll_page(run, "fi-web")


@kind(Source.Kind.OCDS)
def poll_ocds(run: Run) -> None:
    poll_page(run, "ocds")
