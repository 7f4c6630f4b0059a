"""`pregonero worker`: run background tasks (publications, token refreshes,
reconciliations, e-mails) from the database queue, with several threads, and
report signs of life every few seconds."""

from __future__ import annotations

import os
import signal
import socket
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection, connections
from django.utils.translation import gettext as _
from django_tasks_db.management.commands.db_worker import Worker

from pregonero.publishing.actions import beat, set_worker_name


def default_threads() -> int:
    # SQLite has one writer at a time: more threads only queue on its lock.
    return 1 if connection.vendor == "sqlite" else 4


def default_interval() -> float:
    return 0.5 if connection.vendor == "sqlite" else 0.05


class Command(BaseCommand):
    help = "Ejecuta las tareas en segundo plano (publicaciones, correos) y reporta señales de vida."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--threads", type=int, default=None, help="Hilos de trabajo."
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="Segundos entre consultas a la cola vacía.",
        )
        parser.add_argument("--max-tasks", type=int, default=None)
        parser.add_argument("--worker-id", default=None)
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Termina cuando la cola queda vacía (pruebas).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = (options["worker_id"] or f"worker:{socket.gethostname()}:{os.getpid()}")[
            :60
        ]
        set_worker_name(name)
        threads = options["threads"] or default_threads()
        interval = (
            options["interval"]
            if options["interval"] is not None
            else default_interval()
        )
        stopping = threading.Event()
        workers = [
            Worker(
                queue_names=["default"],
                interval=interval,
                batch=options["batch"],
                backend_name="default",
                startup_delay=False,
                max_tasks=options["max_tasks"],
                worker_id=f"{name}:{i}"[:64],
                excluded_queue_names=[],
            )
            for i in range(threads)
        ]

        def stop(signum: int, frame: Any) -> None:
            stopping.set()
            for worker in workers:
                worker.running = False

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        beat(name, "worker", f"{threads} hilos")

        def run(worker: Worker) -> None:
            try:
                worker.run()
            finally:
                connections.close_all()

        pool = [
            threading.Thread(target=run, args=(w,), name=w.worker_id, daemon=True)
            for w in workers
        ]
        for thread in pool:
            thread.start()
        self.stdout.write(
            _("Worker %(name)s en marcha con %(n)s hilos.")
            % {"name": name, "n": threads}
        )
        every = settings.PREGONERO_WORKER_BEAT_SECONDS
        while any(t.is_alive() for t in pool) and not stopping.wait(every):
            if not connection.in_atomic_block:  # a test runs us inside its transaction
                close_old_connections()
            beat(name, "worker", f"{threads} hilos")
        for thread in pool:
            thread.join(timeout=60)
        self.stdout.write(_("Worker %(name)s detenido.") % {"name": name})
