"""`pregonero audit verify`: prove that the audit chain is intact."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

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
                raise CommandError(
                    _("No existe la entidad «%(org)s».") % {"org": options["org"]}
                )
        result = verify_all(organization)
        if result.ok:
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "Cadena íntegra: %(events)s eventos en %(chains)s cadenas verificados."
                    )
                    % {"events": result.events, "chains": result.chains}
                )
            )
            return
        for problem in result.problems:
            self.stderr.write(
                _("ROTA en la cadena %(chain)s, evento %(seq)s (id %(id)s): %(reason)s")
                % {
                    "chain": problem.chain,
                    "seq": problem.seq,
                    "id": problem.event_id or "—",
                    "reason": problem.reason,
                }
            )
        raise CommandError(
            _("La cadena de auditoría está rota (%(n)s cadena(s) con problemas).")
            % {"n": len(result.problems)}
        )
