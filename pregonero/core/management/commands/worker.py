"""`pregonero worker`: run background tasks (publications, e-mails) from the database queue."""

from __future__ import annotations

import os
import signal
import socket
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection
from django.utils.translation import gettext as _
from django_tasks_db.management.commands.db_worker import Worker

from pregonero.publishing.actions import beat


class Command(BaseCommand):
    help = "Ejecuta las tareas en segundo plano (publicaciones, correos) y reporta señales de vida."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0)
        parser.add_argument("--max-tasks", type=int, default=None)
        parser.add_argument("--worker-id", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["worker_id"] or f"worker:{socket.gethostname()}:{os.getpid()}"
        running = True

        def stop(signum: int, frame: Any) -> None:
            nonlocal running
            running = False

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        worker = Worker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=options["max_tasks"],
            worker_id=name[:64],
            excluded_queue_names=[],
        )
        self.stdout.write(_("Worker %(name)s en marcha.") % {"name": name})
        while running:
            if not connection.in_atomic_block:  # a test runs us inside its transaction
                close_old_connections()
            beat(name, "worker")
            worker.run()
            if (
                options["max_tasks"] is not None
                and worker._run_tasks >= options["max_tasks"]
            ):
                break
            time.sleep(options["interval"])
        self.stdout.write(_("Worker %(name)s detenido.") % {"name": name})
