"""`pregonero scheduler`: hands due publications to the workers at their time,
and runs the periodic upkeep (lost workers, reconciliations, tokens, e-mail
retries, urgent reviews).

It sleeps until the next publication is due (less the dispatch lead) and wakes
early when one is scheduled, moved or put back in the queue, instead of polling
on a coarse interval.
"""

from __future__ import annotations

import datetime
import logging
import os
import signal
import socket
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection
from django.utils import timezone

from pregonero.accounts.notify import retry_due_emails
from pregonero.analytics.collect import collect_due
from pregonero.analytics.reports import draft_monthly_reports
from pregonero.content.actions import escalate_stale_urgent_reviews
from pregonero.inbox.alerts import retry_alert_emails, send_term_alerts
from pregonero.inbox.ingest import ingest_due, seconds_until_next_reading
from pregonero.inbox.reply_actions import dispatch_replies
from pregonero.inbox.retention import anonymise_expired
from pregonero.lib.db import analyze_sqlite
from pregonero.lib.tasks import prune_task_results
from pregonero.mailbox.actions import poll_due
from pregonero.publishing.actions import (
    beat,
    dispatch_due,
    dispatch_reconciliations,
    next_due_at,
    reap_lost_claims,
)
from pregonero.publishing.channels import dispatch_token_upkeep
from pregonero.publishing.models import Heartbeat
from pregonero.publishing.wakeup import Waiter

logger = logging.getLogger(__name__)


ANALYZE_EVERY = datetime.timedelta(hours=24)
PRUNE_EVERY = datetime.timedelta(hours=1)
# Petition terms run in whole business days: a pass every few minutes is plenty.
PETITION_ALERTS_EVERY = datetime.timedelta(minutes=5)
# Retention periods run in months (DAT-01): once an hour is plenty.
ANONYMISE_EVERY = datetime.timedelta(hours=1)
# A backlog (the first run) is worked off over several passes, not in one.
ANONYMISE_PER_PASS = 5000


def upkeep() -> dict[str, int]:
    """The periodic jobs; each claims its work, so several schedulers can run."""
    return {
        "lost_claims": reap_lost_claims(),
        "reconciliations": dispatch_reconciliations(),
        "tokens": dispatch_token_upkeep(),
        "emails": retry_due_emails(),
        "escalations": escalate_stale_urgent_reviews(),
        "analyzed": int(_analyze_if_due()),
        "metrics": collect_due(),
        "reports": draft_monthly_reports(),
        "petition_alerts": _petition_alerts_if_due(),
        "mailbox": poll_due(),
        "replies": dispatch_replies(),
        "anonymised": _anonymise_if_due(),
        "task_results_pruned": _prune_if_due(),
    }


def tick() -> dict[str, int]:
    """One full pass: due publications and channel readings, then the upkeep."""
    return {"publications": dispatch_due(), "inbox": ingest_due(), **upkeep()}


def _prune_if_due() -> int:
    """Finished background tasks past their keeping time, once an hour."""
    last = Heartbeat.objects.filter(name="maintenance:prune_tasks").first()
    if last is not None and timezone.now() - last.seen_at < PRUNE_EVERY:
        return 0
    beat("maintenance:prune_tasks", "maintenance")
    return prune_task_results()


def _analyze_if_due() -> bool:
    last = Heartbeat.objects.filter(name="maintenance:analyze").first()
    if last is not None and timezone.now() - last.seen_at < ANALYZE_EVERY:
        return False
    done = analyze_sqlite()
    beat("maintenance:analyze", "maintenance")
    return done


def _petition_alerts_if_due() -> int:
    """PET-07: the 50/80/100 % alerts (each sent once), and their e-mail retries."""
    last = Heartbeat.objects.filter(name="inbox:petition_alerts").first()
    if last is not None and timezone.now() - last.seen_at < PETITION_ALERTS_EVERY:
        return retry_alert_emails()
    beat("inbox:petition_alerts", "maintenance")
    return send_term_alerts() + retry_alert_emails()


def _anonymise_if_due() -> int:
    """DAT-01 (Ley 1581 de 2012): the Bandeja's content past its retention
    period is anonymised, at most once an hour."""
    last = Heartbeat.objects.filter(name="inbox:anonymise").first()
    if last is not None and timezone.now() - last.seen_at < ANONYMISE_EVERY:
        return 0
    beat("inbox:anonymise", "maintenance")
    return anonymise_expired(limit=ANONYMISE_PER_PASS)


def seconds_until_next(lead: float, cap: float) -> float:
    due = next_due_at()
    if due is None:
        return cap
    return max(0.0, min(cap, (due - timezone.now()).total_seconds() - lead))


class Command(BaseCommand):
    help = "Despacha las publicaciones a su hora, reconcilia, renueva tokens y reintenta correos."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Una sola pasada (para cron)."
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="Segundos entre pasadas de mantenimiento.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interval = options["interval"] or settings.PREGONERO_SCHEDULER_INTERVAL
        lead = settings.PREGONERO_DISPATCH_LEAD_SECONDS
        name = f"scheduler:{socket.gethostname()}:{os.getpid()}"
        running = True

        def stop(signum: int, frame: Any) -> None:
            nonlocal running
            running = False

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        if options["once"]:
            beat(name, "scheduler")
            tick()
            return
        waiter = Waiter()
        last_upkeep = 0.0
        try:
            while running:
                if (
                    not connection.in_atomic_block
                ):  # a test runs us inside its transaction
                    close_old_connections()
                try:
                    dispatched = dispatch_due()
                    # Every pass (at most a second apart): an active channel is
                    # read every few seconds (issue 6, crisis lag ≤ 5 s).
                    ingest_due()
                    if time.monotonic() - last_upkeep >= interval:
                        beat(name, "scheduler")
                        done = upkeep()
                        last_upkeep = time.monotonic()
                        if any(done.values()):
                            logger.info("scheduler upkeep: %s", done)
                    if dispatched:
                        logger.info("scheduler: %s publications handed out", dispatched)
                    pause = seconds_until_next(
                        lead, interval - (time.monotonic() - last_upkeep)
                    )
                    reading = seconds_until_next_reading()
                    if reading is not None:
                        pause = min(pause, reading)
                except Exception:
                    logger.exception("scheduler pass failed")
                    pause = 1.0
                # Wake at the next due time, at the next upkeep, on a schedule
                # change, or every second at most to notice a stop signal.
                waiter.wait(min(max(pause, 0.05), 1.0))
        finally:
            waiter.close()
