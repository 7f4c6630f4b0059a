"""`pregonero sandbox`: run the practice networks (training mode) in the foreground."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from pregonero.publishing.sandbox_server import serve


class Command(BaseCommand):
    help = "Arranca las redes de práctica (Facebook, Instagram, X, YouTube, …) en un servidor local."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument(
            "--latency-ms", type=int, default=0, help="Latencia añadida a cada llamada."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        server = serve(options["host"], options["port"])
        server.state.latency_ms = options["latency_ms"]
        self.stdout.write(
            _("Redes de práctica en %(url)s (Ctrl-C para detener).")
            % {"url": server.url}
        )
        done = threading.Event()
        signal.signal(signal.SIGINT, lambda *a: done.set())
        signal.signal(signal.SIGTERM, lambda *a: done.set())
        done.wait()
        server.stop()
