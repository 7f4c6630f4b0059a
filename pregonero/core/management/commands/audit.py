"""`pregonero audit verify`: prove that the audit chain is intact."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pregonero.audit.actions import verify_all
from pregonero.core.models import Organization


class Command(BaseCommand):
    help = "Verifica la cadena de auditoría (hash encadenado) y reporta el primer eslabón roto."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])
        parser.add_argument("--org", help="Identificador (slug) de una sola entidad.")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = None
        if options["org"]:
            organization = Organization.objects.filter(slug=options["org"]).first()
            if organization is None:
                raise CommandError(f"No existe la entidad «{options['org']}».")
        result = verify_all(organization)
        if result.ok:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Cadena íntegra: {result.events} eventos en {result.chains} cadenas verificados."
                )
            )
            return
        for problem in result.problems:
            self.stderr.write(
                f"ROTA en la cadena {problem.chain}, evento {problem.seq}"
                f"{f' (id {problem.event_id})' if problem.event_id else ''}: {problem.reason}"
            )
        raise CommandError(
            f"La cadena de auditoría está rota ({len(result.problems)} cadena(s) con problemas)."
        )
