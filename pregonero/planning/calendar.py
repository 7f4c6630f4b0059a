"""The editorial calendar: plan items, pieces and publications on dates.

One query per kind of item, whatever the number of items (constant queries).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pregonero.accounts.permissions import Perm, has_perm
from pregonero.content.permissions import visible_pieces
from pregonero.content.workflow import PieceState
from pregonero.publishing.models import Publication, PublicationStatus

from .models import Meeting, PlanItem


@dataclass
class CalendarItem:
    uid: str
    day: datetime.date
    start: datetime.datetime | None
    kind: str  # planned, in_progress, approved, scheduled, published, failed, meeting
    kind_label: str
    title: str
    url: str
    detail: str = ""


KIND_LABELS = {
    "planned": gettext_lazy("Planeado"),
    "in_progress": gettext_lazy("En producción"),
    "approved": gettext_lazy("Con visto bueno"),
    "scheduled": gettext_lazy("Programada"),
    "published": gettext_lazy("Publicada"),
    "failed": gettext_lazy("Con problema"),
    "meeting": gettext_lazy("Reunión"),
}

KIND_CSS = {
    "planned": "text-bg-light border",
    "in_progress": "state-design",
    "approved": "state-approved",
    "scheduled": "pub-scheduled",
    "published": "pub-published",
    "failed": "pub-failed",
    "meeting": "text-bg-secondary",
}


_PUBLICATION_KIND: dict[str, str] = {
    PublicationStatus.PUBLISHED.value: "published",
    PublicationStatus.FAILED.value: "failed",
    PublicationStatus.UNCONFIRMED.value: "failed",
}


class _LinkMaker:
    """Links by URL name and id, resolved once per name (``reverse`` is slow in loops)."""

    _MARK = 987654321

    def __init__(self) -> None:
        self._patterns: dict[str, str] = {}

    def url(self, name: str, pk: int) -> str:
        if name not in self._patterns:
            self._patterns[name] = reverse(name, args=[self._MARK])
        return self._patterns[name].replace(str(self._MARK), str(pk))


@dataclass
class Filters:
    channel: int | None = None
    dependency: int | None = None
    audience: int | None = None
    campaign: int | None = None


def _aware(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def items_between(
    user: Any, start: datetime.date, end: datetime.date, filters: Filters | None = None
) -> list[CalendarItem]:
    """Everything on the calendar from ``start`` to ``end`` (inclusive), by day."""
    filters = filters or Filters()
    org = user.organization_id
    begin, finish = _aware(start), _aware(end + datetime.timedelta(days=1))
    items: list[CalendarItem] = []
    # Labels translated once per call, not once per row.
    state_labels = {value: str(label) for value, label in PieceState.choices}
    status_labels = {value: str(label) for value, label in PublicationStatus.choices}

    plan = PlanItem.objects.for_org(org).filter(
        planned_date__gte=start, planned_date__lte=end, piece__isnull=True
    )
    pieces = (
        visible_pieces(user)
        .exclude(state=PieceState.CANCELLED)
        .filter(
            Q(planned_date__gte=start, planned_date__lte=end)
            | Q(
                planned_date__isnull=True,
                desired_date__gte=start,
                desired_date__lte=end,
            )
        )
    )
    pubs = Publication.objects.for_org(org).filter(
        Q(
            status=PublicationStatus.PUBLISHED,
            published_at__gte=begin,
            published_at__lt=finish,
        )
        | Q(
            status__in=[
                PublicationStatus.SCHEDULED,
                PublicationStatus.PUBLISHING,
                PublicationStatus.FAILED,
                PublicationStatus.UNCONFIRMED,
            ],
            scheduled_at__gte=begin,
            scheduled_at__lt=finish,
        )
    )
    if not has_perm(user, Perm.READ_ALL):
        pubs = pubs.filter(piece__in=visible_pieces(user))
    # Filters across many-to-many relations can repeat rows; only then de-duplicate.
    many = bool(filters.channel or filters.audience)
    if filters.channel:
        plan = plan.filter(channels=filters.channel)
        pieces = pieces.filter(channels=filters.channel)
        pubs = pubs.filter(channel_id=filters.channel)
    if filters.dependency:
        plan = plan.filter(dependency_id=filters.dependency)
        pieces = pieces.filter(dependency_id=filters.dependency)
        pubs = pubs.filter(piece__dependency_id=filters.dependency)
    if filters.audience:
        plan = plan.filter(audiences=filters.audience)
        pieces = pieces.filter(audiences=filters.audience)
        pubs = pubs.filter(piece__audiences=filters.audience)
    if filters.campaign:
        plan = plan.filter(campaign_id=filters.campaign)
        pieces = pieces.filter(campaign_id=filters.campaign)
        pubs = pubs.filter(piece__campaign_id=filters.campaign)

    # Plain tuples, not model instances: a busy month holds hundreds of entries.
    links = _LinkMaker()
    kind_labels = {kind: str(label) for kind, label in KIND_LABELS.items()}
    plan_rows = (plan.distinct() if many else plan).values_list(
        "pk", "planned_date", "title", "dependency__name"
    )
    for pk, planned, title, dependency in plan_rows:
        items.append(
            CalendarItem(
                f"plan-{pk}", planned, None, "planned", kind_labels["planned"], title,
                links.url("planning:plan_item_detail", pk), dependency,
            )
        )  # fmt: skip
    piece_rows = (pieces.distinct() if many else pieces).values_list(
        "pk", "planned_date", "desired_date", "state", "number", "title"
    )
    for pk, planned, desired, state, number, title in piece_rows:
        day = planned or desired
        kind = "approved" if state == PieceState.APPROVED else "in_progress"
        items.append(
            CalendarItem(
                f"piece-{pk}", day, None, kind, kind_labels[kind], f"{number} · {title}",
                links.url("content:piece_detail", pk), state_labels[state],
            )
        )  # fmt: skip
    pub_rows = (pubs.distinct() if many else pubs).values_list(
        "pk", "status", "published_at", "scheduled_at", "piece__title", "piece__state",
        "channel__name",
    )  # fmt: skip
    held = _("retenida: sin visto bueno vigente")
    for pk, status, published_at, scheduled_at, title, piece_state, channel in pub_rows:
        when = published_at if status == PublicationStatus.PUBLISHED else scheduled_at
        kind = _PUBLICATION_KIND.get(status, "scheduled")
        if kind == "scheduled" and piece_state != PieceState.APPROVED:
            detail = held
        else:
            detail = status_labels[status]
        items.append(
            CalendarItem(
                f"pub-{pk}", timezone.localdate(when), when, kind, kind_labels[kind],
                f"{channel}: {title}", links.url("publishing:publication_detail", pk), detail,
            )
        )  # fmt: skip
    if not any(
        (filters.channel, filters.dependency, filters.audience, filters.campaign)
    ):
        for meeting in Meeting.objects.for_org(org).filter(
            starts_at__gte=begin, starts_at__lt=finish
        ):
            items.append(
                CalendarItem(
                    f"meeting-{meeting.pk}",
                    timezone.localdate(meeting.starts_at),
                    meeting.starts_at,
                    "meeting",
                    str(KIND_LABELS["meeting"]),
                    meeting.title,
                    reverse("planning:meeting_detail", args=[meeting.pk]),
                    meeting.place,
                )
            )
    items.sort(key=lambda i: (i.day, i.start or _aware(i.day), i.kind, i.title))
    return items


def month_grid(year: int, month: int) -> list[list[datetime.date]]:
    """Weeks (Monday first) covering the month."""
    first = datetime.date(year, month, 1)
    start = first - datetime.timedelta(days=first.weekday())
    weeks = []
    day = start
    while True:
        week = [day + datetime.timedelta(days=i) for i in range(7)]
        weeks.append(week)
        day += datetime.timedelta(days=7)
        if day.month != month and day > first:
            break
    return weeks


def ical(items: list[CalendarItem], base_url: str, name: str) -> str:
    """An iCalendar (RFC 5545) document with one event per item."""

    def esc(text: str) -> str:
        return (
            text.replace("\\", "\\\\")
            .replace(";", "\\;")
            .replace(",", "\\,")
            .replace("\n", "\\n")
        )

    def fold(line: str) -> str:
        out, current = [], ""
        for ch in line:
            if len((current + ch).encode()) > 73:
                out.append(current)
                current = " " + ch
            else:
                current += ch
        out.append(current)
        return "\r\n".join(out)

    now = timezone.now().astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Pregonero//Calendario editorial//ES",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{esc(name)}",
        "X-WR-TIMEZONE:America/Bogota",
    ]
    for item in items:
        lines += ["BEGIN:VEVENT", f"UID:{item.uid}@pregonero", f"DTSTAMP:{now}"]
        if item.start is not None:
            start = item.start.astimezone(datetime.UTC)
            end = start + datetime.timedelta(minutes=30)
            lines += [f"DTSTART:{start:%Y%m%dT%H%M%SZ}", f"DTEND:{end:%Y%m%dT%H%M%SZ}"]
        else:
            lines += [
                f"DTSTART;VALUE=DATE:{item.day:%Y%m%d}",
                f"DTEND;VALUE=DATE:{item.day + datetime.timedelta(days=1):%Y%m%d}",
            ]
        lines += [
            f"SUMMARY:{esc(f'[{item.kind_label}] {item.title}')}",
            f"DESCRIPTION:{esc(item.detail)}",
            f"URL:{base_url}{item.url}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(fold(line) for line in lines) + "\r\n"
