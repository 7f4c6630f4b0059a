"""`pregonero inbox anonymise [--dry-run]`: anonymise the Bandeja's items past
their retention period now (DAT-01, Ley 1581 de 2012); the scheduler does it
every hour on its own."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from pregonero.inbox.retention import anonymise_expired


class Command(BaseCommand):
    help = (
        "Anonimiza los mensajes de la bandeja cuyo plazo de conservación venció "
        "(--dry-run: solo los cuenta)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["anonymise"])
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Cuenta los mensajes vencidos sin cambiar nada.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["dry_run"]:
            count = anonymise_expired(dry_run=True)
            self.stdout.write(
                _(
                    "%(n)s mensaje(s) con el plazo de conservación vencido; "
                    "no se cambió nada (--dry-run)."
                )
                % {"n": count}
            )
            return
        count = anonymise_expired()
        self.stdout.write(
            self.style.SUCCESS(_("%(n)s mensaje(s) anonimizado(s).") % {"n": count})
        )
