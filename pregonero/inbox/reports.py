"""Figures and exports of the attention to citizens (PET-09, Decreto 371 de 2010).

Personal data never leaves masked (DAT-01): ``mask_*`` are applied to every
export row, whoever asks for it.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections import Counter
from typing import Any

from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pregonero.core.models import NetworkKind, Organization

from .models import InboundItem, Petition
from .workflow import ItemKind, ItemState, PetitionState

MASK = "•"


def mask_text(value: str, keep_end: int = 0) -> str:
    """«Ana María Pérez» → «A•• M•••• P••••»; a document keeps its last digits."""
    value = value.strip()
    if not value:
        return ""
    if keep_end:
        hidden = max(len(value) - keep_end, 3)
        return MASK * hidden + value[-keep_end:] if len(value) > keep_end else MASK * 3
    return " ".join(w[0] + MASK * (len(w) - 1) for w in value.split())


def mask_document(value: str) -> str:
    return mask_text(value, keep_end=3)


def mask_contact(value: str) -> str:
    """E-mail keeps its domain; anything else (phone, address) is hidden."""
    value = value.strip()
    if not value:
        return ""
    if "@" in value:
        local, _at, domain = value.partition("@")
        return f"{local[:1]}{MASK * 3}@{domain}"
    return MASK * 6


def _bounds(start: datetime.date, end: datetime.date) -> tuple[Any, Any]:
    tz = timezone.get_current_timezone()
    low = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    high = datetime.datetime.combine(
        end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    )
    return low, high


def timeliness(petition: Petition, today: datetime.date) -> str:
    """A tiempo / Fuera de término / En término / Vencida sin respuesta."""
    on_time = petition.answered_on_time
    if on_time is True:
        return _("A tiempo")
    if on_time is False:
        return _("Fuera de término")
    if petition.state == PetitionState.CLARIFICATION:
        return _("Suspendida: esperando aclaración")
    if today > petition.due_date:
        return _("Vencida sin respuesta")
    return _("En término")


def _network_label(network: str) -> str:
    if network in NetworkKind.values:
        return str(NetworkKind(network).label)
    return _("Registro manual")


def export_rows(
    organization: Organization | int, start: datetime.date, end: datetime.date
) -> tuple[list[str], list[list[Any]]]:
    """One row per petition received in [start, end], personal data masked."""
    low, high = _bounds(start, end)
    petitions = (
        Petition.objects.for_org(organization)
        .filter(received_at__gte=low, received_at__lt=high)
        .select_related("item", "item__channel", "dependency")
        .order_by("received_at", "pk")
    )
    today = timezone.localdate()
    header = [
        _("Número"),
        _("Radicado Bogotá te escucha"),
        _("Canal"),
        _("Red"),
        _("Tipo de mensaje"),
        _("Tipología"),
        _("Dependencia"),
        _("Recibida"),
        _("Término (días hábiles)"),
        _("Vence"),
        _("Respondida o remitida"),
        _("Estado"),
        _("Oportunidad"),
        _("Peticionario"),
        _("Documento"),
        _("Contacto"),
    ]
    rows: list[list[Any]] = []
    for p in petitions:
        item = p.item
        done = p.answered_at or p.referred_at
        rows.append(
            [
                p.number,
                p.radicado,
                item.channel.name if item.channel else _("Registro manual"),
                _network_label(item.network),
                str(ItemKind(item.kind).label),
                p.get_typology_display(),
                str(p.dependency) if p.dependency_id else "",
                timezone.localtime(p.received_at).strftime("%Y-%m-%d %H:%M"),
                p.term_days,
                p.due_date.isoformat(),
                timezone.localtime(done).strftime("%Y-%m-%d %H:%M") if done else "",
                p.get_state_display(),
                timeliness(p, today),
                mask_text(p.petitioner_name),
                mask_document(p.petitioner_document),
                mask_contact(p.petitioner_contact),
            ]
        )
    return [str(h) for h in header], rows


def _summary(rows: list[list[Any]]) -> list[list[Any]]:
    """Counts by channel, typology and dependency, with on-time counts."""
    on_time_label = _("A tiempo")
    late_labels = {_("Fuera de término"), _("Vencida sin respuesta")}
    out: list[list[Any]] = [
        [
            _("Agrupación"),
            _("Valor"),
            _("Peticiones"),
            _("A tiempo"),
            _("Fuera de término"),
        ]
    ]
    for title, index in ((_("Canal"), 2), (_("Tipología"), 5), (_("Dependencia"), 6)):
        total: Counter[str] = Counter()
        on_time: Counter[str] = Counter()
        late: Counter[str] = Counter()
        for row in rows:
            key = row[index] or _("Sin asignar")
            total[key] += 1
            on_time[key] += row[12] == on_time_label
            late[key] += row[12] in late_labels
        for key in sorted(total):
            out.append([title, key, total[key], on_time[key], late[key]])
    return out


def export_csv(
    organization: Organization | int, start: datetime.date, end: datetime.date
) -> bytes:
    header, rows = export_rows(organization, start, end)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def export_xlsx(
    organization: Organization | int, start: datetime.date, end: datetime.date
) -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    header, rows = export_rows(organization, start, end)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Peticiones")[:31]
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    summary = book.create_sheet(_("Resumen")[:31])
    for row in _summary(rows):
        summary.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def attention_figures(
    organization: Organization | int, start: datetime.date, end: datetime.date
) -> list[dict[str, Any]]:
    """Rows ``{label, value}`` for the monthly report's «Atención a la ciudadanía».

    Empty when nothing was received in the period: the section is then left out.
    """
    low, high = _bounds(start, end)
    items = InboundItem.objects.for_org(organization).filter(
        received_at__gte=low, received_at__lt=high
    )
    counts = items.aggregate(
        total=Count("pk"),
        interactions=Count("pk", filter=Q(state=ItemState.INTERACTION)),
        petitions=Count("pk", filter=Q(state=ItemState.PETITION)),
        not_applicable=Count("pk", filter=Q(state=ItemState.NOT_APPLICABLE)),
        untriaged=Count("pk", filter=Q(state=ItemState.NEW)),
        responded=Count("pk", filter=Q(responded_at__isnull=False)),
        responded_on_time=Count(
            "pk",
            filter=Q(
                responded_at__isnull=False,
                first_response_due__isnull=False,
                responded_at__lte=F("first_response_due"),
            ),
        ),
    )
    if not counts["total"]:
        return []
    today = timezone.localdate()
    petitions = list(
        Petition.objects.for_org(organization).filter(
            received_at__gte=low, received_at__lt=high
        )
    )
    judged = [p.answered_on_time for p in petitions]
    on_time = sum(1 for v in judged if v is True)
    finished = sum(1 for v in judged if v is not None)
    overdue = sum(
        1 for p in petitions if p.state == PetitionState.OPEN and today > p.due_date
    )
    rows: list[dict[str, Any]] = [
        {
            "label": _("Mensajes recibidos (comentarios, menciones, mensajes)"),
            "value": counts["total"],
        },
        {"label": _("Clasificados como interacción"), "value": counts["interactions"]},
        {
            "label": _("Clasificados como petición (PQRSD)"),
            "value": counts["petitions"],
        },
        {"label": _("No proceden (spam, insulto)"), "value": counts["not_applicable"]},
        {"label": _("Sin clasificar al cierre"), "value": counts["untriaged"]},
        {"label": _("Mensajes con respuesta"), "value": counts["responded"]},
    ]
    if counts["responded"]:
        rows.append(
            {
                "label": _("Primera respuesta dentro de la meta (%)"),
                "value": round(
                    100 * counts["responded_on_time"] / counts["responded"], 1
                ),
            }
        )
    if petitions:
        rows.append(
            {"label": _("Peticiones respondidas o remitidas"), "value": finished}
        )
        if finished:
            rows.append(
                {
                    "label": _("Peticiones atendidas a tiempo (%)"),
                    "value": round(100 * on_time / finished, 1),
                }
            )
        rows.append({"label": _("Peticiones vencidas sin respuesta"), "value": overdue})
        rows.append(
            {
                "label": _("Peticiones sin radicado en Bogotá te escucha"),
                "value": sum(1 for p in petitions if not p.radicado),
            }
        )
    return rows
