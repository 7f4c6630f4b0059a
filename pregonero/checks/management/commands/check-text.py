"""``pregonero check-text [--org SLUG] [--network x …]``: check the text read on
standard input and print the findings as JSON; exit status 1 when there are
errors (so a script can stop on them)."""

# ruff: noqa: N999 - the command is called check-text

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from pregonero.checks.config import default_settings, settings_for
from pregonero.checks.engine import check_text
from pregonero.core.models import NetworkKind, Organization


class Command(BaseCommand):
    help = _(
        "Revisa el texto de la entrada estándar (lenguaje claro e incluyente, "
        "accesibilidad, marcas de gobierno, límites de cada red) e imprime los "
        "hallazgos en JSON. Sale con estado 1 si hay errores."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--org",
            help=_("Identificador de la entidad cuya configuración se aplica."),
        )
        parser.add_argument(
            "--network",
            action="append",
            default=[],
            choices=NetworkKind.values,
            help=_("Red de destino (se puede repetir): mide el texto con sus límites."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        settings = default_settings()
        if options["org"]:
            organization = Organization.objects.filter(slug=options["org"]).first()
            if organization is None:
                raise CommandError(
                    _("No existe la entidad %(slug)r.") % {"slug": options["org"]}
                )
            settings = settings_for(organization)
        stdin = getattr(self, "stdin", None) or sys.stdin
        text = stdin.read()
        result = check_text(text, networks=options["network"], settings=settings)
        self.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        if result.has_errors:
            raise SystemExit(1)
