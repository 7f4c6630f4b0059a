"""A record's history in Spanish, from its audit events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from .actions import target_type_of
from .models import AuditEvent
from .registry import label_for

# Data keys worth showing on a timeline, with their Spanish names.
_SHOWN = {
    "version": _("versión"),
    "text_version": _("texto"),
    "asset_set": _("diseño"),
    "comment": _("comentario"),
    "reason": _("motivo"),
    "note": _("nota"),
    "channel": _("canal"),
    "scheduled_at": _("programada para"),
    "permalink": _("enlace"),
    "as_delegate_of": _("como encargado(a) de"),
    "file": _("archivo"),
    "error": _("error"),
    "title": _("título"),
}


@dataclass
class TimelineEntry:
    event: AuditEvent
    label: str
    details: list[tuple[str, str]]


def _readable(value: Any) -> str:
    """Dates stored as ISO text are shown in Bogotá time, the Spanish way."""
    if isinstance(value, str) and len(value) >= 16 and value[4] == "-" and "T" in value:
        moment = parse_datetime(value)
        if moment is not None:
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            return date_format(timezone.localtime(moment), "j M Y H:i")
    return str(value)


def _details(data: dict[str, Any], names: dict[str, str]) -> list[tuple[str, str]]:
    out = []
    for key, name in names.items():
        value = data.get(key)
        if value not in (None, "", [], {}):
            out.append((name, _readable(value)))
    return out


def timeline_for(
    target: Model, *, related: Sequence[Model] | None = None
) -> list[TimelineEntry]:
    """Events about ``target`` (and optionally related records), oldest first."""
    condition = Q(target_type=target_type_of(target), target_id=str(target.pk))
    groups: dict[str, list[str]] = {}
    for obj in related or []:
        groups.setdefault(target_type_of(obj), []).append(str(obj.pk))
    for target_type, ids in groups.items():
        condition |= Q(target_type=target_type, target_id__in=ids)
    events = (
        AuditEvent.objects.filter(condition)
        .select_related("actor")
        .order_by("occurred_at", "seq")
    )
    names = {key: str(name) for key, name in _SHOWN.items()}  # translated once
    return [
        TimelineEntry(e, label_for(e.action), _details(e.data, names)) for e in events
    ]
