"""``pregonero report monthly|period``: the management report from the shell.

Renders the approved report of the period when there is one; otherwise the
figures are computed on the fly and the output is marked BORRADOR. Which of the
two is said on stderr.
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pregonero.analytics.figures import compute_report_data, month_bounds
from pregonero.analytics.models import Report, ReportStatus
from pregonero.analytics.rendering import FORMATS, render_data, render_report
from pregonero.core.models import Organization


def _month(value: str) -> tuple[datetime.date, datetime.date]:
    try:
        year, month = (int(part) for part in value.split("-"))
        return month_bounds(year, month)
    except (ValueError, TypeError):
        raise CommandError(f"Mes no válido: {value!r} (use AAAA-MM).") from None


def _date(value: str, name: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except (ValueError, TypeError):
        raise CommandError(
            f"Fecha no válida en --{name}: {value!r} (use AAAA-MM-DD)."
        ) from None


class Command(BaseCommand):
    help = "Genera el informe de gestión de redes sociales (html, pdf, docx, xlsx)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("period_kind", choices=["monthly", "period"])
        parser.add_argument(
            "--org", required=True, help="Identificador de la entidad (p. ej. cvp)."
        )
        parser.add_argument("--month", help="AAAA-MM (para monthly).")
        parser.add_argument("--start", help="AAAA-MM-DD (para period).")
        parser.add_argument("--end", help="AAAA-MM-DD (para period).")
        parser.add_argument("--format", dest="format", choices=FORMATS, default="pdf")
        parser.add_argument(
            "--output", required=True, help="Archivo de salida ('-' = salida estándar)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"No existe la entidad {options['org']!r}.")
        if options["period_kind"] == "monthly":
            if not options.get("month"):
                raise CommandError("Indique --month AAAA-MM.")
            start, end = _month(options["month"])
        else:
            if not options.get("start") or not options.get("end"):
                raise CommandError("Indique --start y --end (AAAA-MM-DD).")
            start, end = _date(options["start"], "start"), _date(options["end"], "end")
            if end < start:
                raise CommandError("--end es anterior a --start.")
        fmt = options["format"]
        report = (
            Report.objects.for_org(organization)
            .filter(period_start=start, period_end=end, status=ReportStatus.APPROVED)
            .order_by("-version")
            .first()
        )
        if report is not None:
            stored = report.files.filter(output_format=fmt).first()
            if stored is not None:
                with stored.file.open("rb") as handle:
                    content = handle.read()
            else:
                content = render_report(report, fmt)
            self.stderr.write(
                f"Informe aprobado: {report.title} (versión {report.version})."
            )
        else:
            data = compute_report_data(organization, start, end)
            content = render_data(organization, data, fmt)
            self.stderr.write(
                "No hay informe aprobado para ese periodo: cifras calculadas al momento "
                "(BORRADOR)."
            )
        if options["output"] == "-":
            sys.stdout.buffer.write(content)
        else:
            Path(options["output"]).write_bytes(content)
            self.stderr.write(f"Escrito {options['output']} ({len(content)} bytes).")
