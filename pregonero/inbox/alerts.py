"""PET-07: alerts at 50 %, 80 % and 100 % of a petition's term, sent once each.

Run by the scheduler's periodic pass. The unique row (petition, threshold, due
date) is the claim: two schedulers never send the same alert twice. An extended
term (a new due date) arms the alerts again for the new date. When a pass finds
several thresholds crossed at once (the scheduler was stopped), only the highest
is sent.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from pregonero.accounts.models import User
from pregonero.accounts.notify import absolute, notify
from pregonero.accounts.permissions import approvers
from pregonero.audit.actions import record
from pregonero.lib.tasks import enqueue_on_commit

from .actions import item_url
from .deadlines import ALERT_THRESHOLDS, BusinessCalendar
from .holidays_calendar import calendar_for, settings_for
from .models import Petition, PetitionAlert
from .workflow import RUNNING

logger = logging.getLogger(__name__)


def _threshold_reached(
    calendar: BusinessCalendar, petition: Petition, today: datetime.date
) -> int | None:
    reached = None
    for threshold in ALERT_THRESHOLDS:
        if today >= calendar.threshold_date(
            petition.start_date, petition.due_date, threshold
        ):
            reached = threshold
    return reached


def _message(petition: Petition, threshold: int) -> tuple[str, str]:
    values = {
        "number": petition.number,
        "threshold": threshold,
        "typology": petition.get_typology_display(),
        "due": petition.due_date.strftime("%d/%m/%Y"),
        "radicado": petition.radicado or _("sin radicado"),
    }
    if threshold >= 100:
        subject = _("Petición %(number)s: vence hoy o ya venció") % values
    else:
        subject = _("Petición %(number)s: %(threshold)s %% del término") % values
    body = (
        _(
            "La petición %(number)s (%(typology)s) lleva el %(threshold)s %% de su término "
            "legal; vence el %(due)s. Radicado Bogotá te escucha: %(radicado)s."
        )
        % values
    )
    return subject, body


def send_term_alerts(now: datetime.datetime | None = None) -> int:
    """Send the alerts whose threshold has been reached; return how many."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    petitions = list(
        Petition.objects.filter(state__in=RUNNING)
        .filter(
            ~Exists(
                PetitionAlert.objects.filter(
                    petition=OuterRef("pk"),
                    threshold=100,
                    due_date=OuterRef("due_date"),
                )
            )
        )
        .select_related("item", "item__assignee")
        .order_by("organization_id", "pk")
    )
    by_org: dict[int, list[Petition]] = defaultdict(list)
    for petition in petitions:
        by_org[petition.organization_id].append(petition)
    sent = 0
    for organization_id, group in by_org.items():
        calendar = calendar_for(organization_id)
        service_email = settings_for(organization_id).citizen_service_email
        people = approvers(organization_id, today)
        for petition in group:
            threshold = _threshold_reached(calendar, petition, today)
            if threshold is None:
                continue
            if _send(petition, threshold, people, service_email):
                sent += 1
    return sent


def _send(
    petition: Petition, threshold: int, people: list[User], service_email: str
) -> bool:
    if PetitionAlert.objects.filter(
        petition=petition, due_date=petition.due_date, threshold__gte=threshold
    ).exists():
        return False
    recipients = [petition.item.assignee, *people]
    subject, body = _message(petition, threshold)
    try:
        with transaction.atomic():
            alert = PetitionAlert.objects.create(
                organization_id=petition.organization_id,
                petition=petition,
                threshold=threshold,
                due_date=petition.due_date,
                recipients=sorted({str(u) for u in recipients if u is not None}),
                email_to=service_email,
                email_status="pending" if service_email else "skipped",
            )
            notify(
                recipients,
                kind="inbox.petition_alert",
                subject=subject,
                body=body,
                link=item_url(petition.item),
            )
            record(
                None,
                "inbox.petition.alert_sent",
                petition.item,
                {
                    "petition": petition.number,
                    "threshold": threshold,
                    "due_date": petition.due_date,
                    "recipients": alert.recipients,
                    "citizen_service": service_email or None,
                },
                organization=petition.organization_id,
            )
            if service_email:
                from . import tasks

                enqueue_on_commit(tasks.send_alert_email, alert.pk)
    except IntegrityError:
        return False  # another scheduler sent it
    return True


def deliver_alert_email(alert_id: int) -> str:
    """E-mail an alert to Servicio al Ciudadano (claimed: sent by one process)."""
    claimed = PetitionAlert.objects.filter(
        pk=alert_id, email_status__in=["pending", "failed"]
    ).update(email_status="sending")
    if not claimed:
        return "skipped"
    alert = PetitionAlert.objects.select_related("petition", "petition__item").get(
        pk=alert_id
    )
    subject, body = _message(alert.petition, alert.threshold)
    link = absolute(item_url(alert.petition.item))
    message = EmailMessage(
        subject=f"[Pregonero] {subject}",
        body=f"{body}\n\n{link}\n",
        to=[alert.email_to],
    )
    attempts = alert.email_attempts + 1
    try:
        message.send()
    except Exception as exc:  # noqa: BLE001 (any delivery failure is retried)
        PetitionAlert.objects.filter(pk=alert_id).update(
            email_status="failed"
            if attempts < settings.PREGONERO_NOTIFY_MAX_ATTEMPTS
            else "given_up",
            email_attempts=attempts,
            email_last_error=str(exc)[:1000],
        )
        logger.warning("alert e-mail %s failed: %s", alert_id, exc)
        return "failed"
    PetitionAlert.objects.filter(pk=alert_id).update(
        email_status="sent", email_attempts=attempts, email_sent_at=timezone.now()
    )
    return "sent"


def retry_alert_emails(limit: int = 20) -> int:
    """Alert e-mails whose task failed or never ran (a minute's grace)."""
    grace = timezone.now() - datetime.timedelta(seconds=60)
    ids = list(
        PetitionAlert.objects.filter(
            email_status__in=["pending", "failed"], created_at__lte=grace
        ).values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        deliver_alert_email(pk)
    return len(ids)
