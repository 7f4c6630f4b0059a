"""`pregonero serve` (what `make run` calls): set up and start web, worker and scheduler."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.parse
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from pregonero.core.models import Organization
from pregonero.lib.db import analyze_sqlite


class Command(BaseCommand):
    help = "Migra, carga la demostración si la base está vacía y arranca web, worker y scheduler."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--port", type=int, default=int(os.environ.get("PORT", "8000"))
        )
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--no-demo", action="store_true")
        parser.add_argument(
            "--no-sandbox",
            action="store_true",
            help="No arrancar las redes de práctica aunque PREGONERO_SANDBOX_URL apunte a este equipo.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        if not options["no_demo"] and not Organization.objects.exists():
            call_command("demo")
        else:
            from .demo import print_logins

            print_logins(self.stdout)
        analyze_sqlite()
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.setdefault("PREGONERO_SCHEDULER_INTERVAL", "5")
        base = [sys.executable, "-m", "pregonero"]
        commands = {
            "web": [
                sys.executable,
                "-m",
                "gunicorn",
                "pregonero.wsgi:application",
                "--bind",
                f"{options['host']}:{options['port']}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--access-logfile",
                "-",
                "--graceful-timeout",
                "5",
            ],
            "worker": [*base, "worker"],
            "scheduler": [*base, "scheduler"],
        }
        sandbox = urllib.parse.urlsplit(settings.PREGONERO_SANDBOX_URL)
        if sandbox.hostname in ("127.0.0.1", "localhost") and not options["no_sandbox"]:
            # Training mode: the practice networks run alongside.
            commands["sandbox"] = [
                *base, "sandbox", "--host", sandbox.hostname, "--port", str(sandbox.port or 80),
            ]  # fmt: skip
        processes: dict[str, subprocess.Popen[bytes]] = {}
        for name, argv in commands.items():
            processes[name] = subprocess.Popen(argv, env=env)  # noqa: S603
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "\nPregonero está en http://%(host)s:%(port)s/ (web, worker y "
                    "scheduler). Ctrl-C para detener todo.\n"
                )
                % {"host": options["host"], "port": options["port"]}
            )
        )
        if "sandbox" in commands:
            self.stdout.write(
                _(
                    "Modo de entrenamiento: las redes sociales son de práctica, en %(url)s. "
                    "Nada sale a internet.\n"
                )
                % {"url": settings.PREGONERO_SANDBOX_URL}
            )

        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(
                            _("El proceso «%(name)s» terminó (código %(code)s).")
                            % {"name": name, "code": process.returncode}
                        )
                        stopping = True
                time.sleep(0.5)
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 10
            for process in processes.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
            self.stdout.write(_("Pregonero detenido."))
