"""`pregonero scheduler`: the periodic work (due publications, e-mail retries, urgent reviews)."""

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
from pregonero.content.actions import escalate_stale_urgent_reviews
from pregonero.lib.db import analyze_sqlite
from pregonero.publishing.actions import beat, dispatch_due
from pregonero.publishing.models import Heartbeat

logger = logging.getLogger(__name__)


ANALYZE_EVERY = datetime.timedelta(hours=24)


def tick() -> dict[str, int]:
    """One pass of every periodic job; each claims its work, so several can run."""
    return {
        "publications": dispatch_due(),
        "emails": retry_due_emails(),
        "escalations": escalate_stale_urgent_reviews(),
        "analyzed": int(_analyze_if_due()),
    }


def _analyze_if_due() -> bool:
    last = Heartbeat.objects.filter(name="maintenance:analyze").first()
    if last is not None and timezone.now() - last.seen_at < ANALYZE_EVERY:
        return False
    done = analyze_sqlite()
    beat("maintenance:analyze", "maintenance")
    return done


class Command(BaseCommand):
    help = "Despacha las publicaciones vencidas, reintenta correos y avisa de piezas urgentes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Una sola pasada (para cron)."
        )
        parser.add_argument("--interval", type=float, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        interval = options["interval"] or settings.PREGONERO_SCHEDULER_INTERVAL
        name = f"scheduler:{socket.gethostname()}:{os.getpid()}"
        running = True

        def stop(signum: int, frame: Any) -> None:
            nonlocal running
            running = False

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while running:
            if not connection.in_atomic_block:  # a test runs us inside its transaction
                close_old_connections()
            beat(name, "scheduler")
            try:
                done = tick()
            except Exception:
                logger.exception("scheduler tick failed")
            else:
                if any(done.values()):
                    logger.info("scheduler: %s", done)
            if options["once"]:
                break
            slept = 0.0
            while running and slept < interval:
                time.sleep(0.2)
                slept += 0.2
