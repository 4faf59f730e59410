"""``python manage.py runscheduler``: the clock that sends reminders. Run one or several (any host).

APScheduler (BackgroundScheduler, in-memory job store) fires the dispatcher every ``--tick`` seconds;
the database rows are the queue (see scheduler.dispatch). SIGTERM or SIGINT: the batch in flight is
finished or handed back, then the process exits 0.
"""

from __future__ import annotations

import logging
import signal
import threading

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from django.conf import settings
from django.core.management.base import BaseCommand

from notices import clock
from scheduler import jobs
from scheduler.dispatch import Dispatcher
from scheduler.matching import Matcher

log = logging.getLogger("scheduler")


class Command(BaseCommand):
    help = "Send due reminders and queued mails; runs until SIGTERM/SIGINT (or once with --once)."

    def add_arguments(self, parser):
        parser.add_argument("--tick", type=float, default=1.0, help="Seconds between dispatcher runs (1)")
        parser.add_argument("--batch-size", type=int, default=None, help="Rows claimed at once (100)")
        parser.add_argument(
            "--stuck-after",
            type=float,
            default=None,
            help="Seconds before a row in sending is recovered (300)",
        )
        parser.add_argument("--worker", default=None, help="Name in claimed_by (default host:pid:random)")
        parser.add_argument(
            "--senders",
            type=int,
            default=2,
            help="Dispatchers in this process, each with its own SMTP connection (2): one builds a mail "
            "while another waits for the server",
        )
        parser.add_argument("--once", action="store_true", help="Send what is due now, then exit")

    def handle(self, *args, tick, batch_size, stuck_after, worker, senders, once, **options):
        stop = threading.Event()
        worker = worker or Dispatcher().worker
        dispatchers = [
            Dispatcher(
                f"{worker}.{n}" if senders > 1 else worker,
                batch_size=batch_size,
                stuck_after=stuck_after,
                stop=stop,
            )
            for n in range(max(senders, 1))
        ]
        dispatcher = dispatchers[0]
        if once:
            Matcher(f"{worker}.match").run_once()  # what the store queued for the alerts, then the mail
            stats = dispatcher.run_once()
            self.stdout.write(
                f"sent {stats.sent}, retry {stats.retried}, failed {stats.failed}, missed {stats.missed}"
            )
            return

        def request_stop(signum, frame):
            log.info("%s: finishing what is in flight, then stopping", signal.Signals(signum).name)
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        logging.getLogger("apscheduler.scheduler").addFilter(jobs.SkippedTickFilter())
        logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)

        pool = ThreadPoolExecutor(len(dispatchers) + 3 + len(clock.jobs()) + len(settings.SCHEDULER_JOB_HOOKS))
        scheduler = BackgroundScheduler(executors={"default": pool}, timezone="UTC")
        jobs.configure(scheduler, dispatchers, tick=tick)
        scheduler.start()
        log.info("runscheduler %s started (%d senders, tick %.2f s)", worker, len(dispatchers), tick)
        while not stop.wait(0.5):
            pass
        scheduler.shutdown(wait=True)
        log.info("runscheduler %s stopped", worker)
