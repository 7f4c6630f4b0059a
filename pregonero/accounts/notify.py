"""Notifications at every hand-off: in the app and by e-mail, after commit."""

from __future__ import annotations

import datetime
import logging
import random
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from pregonero.lib.tasks import enqueue_on_commit

from .models import Notification

if TYPE_CHECKING:
    from .models import User

logger = logging.getLogger(__name__)


def absolute(link: str) -> str:
    return f"{settings.SITE_URL}{link}" if link.startswith("/") else link


def notify(
    recipients: Iterable[User | None],
    *,
    kind: str,
    subject: str,
    body: str,
    link: str = "",
    exclude: User | None = None,
) -> list[Notification]:
    """Create in-app notifications and send their e-mails once the transaction commits."""
    seen: set[int] = set()
    created: list[Notification] = []
    for user in recipients:
        if user is None or not user.is_active or user.pk in seen:
            continue
        if exclude is not None and user.pk == exclude.pk:
            continue
        seen.add(user.pk)
        created.append(
            Notification.objects.create(
                organization_id=user.organization_id,
                recipient=user,
                kind=kind,
                subject=subject[:300],
                body=body,
                link=link,
                email_status="pending" if user.email else "skipped",
                email_next_attempt_at=timezone.now() if user.email else None,
            )
        )
    from . import tasks

    for notification in created:
        if notification.email_status == "pending":
            enqueue_on_commit(tasks.send_notification_email, notification.pk)
    return created


def _backoff(attempts: int) -> datetime.timedelta:
    base = min(60 * 2 ** max(attempts - 1, 0), 6 * 3600)
    return datetime.timedelta(seconds=base * (0.8 + random.random() * 0.4))  # noqa: S311


def deliver(notification_id: int) -> str:
    """Send one notification's e-mail; on failure schedule a retry. Returns the status."""
    now = timezone.now()
    # Claim: only one process sends a given e-mail.
    claimed = Notification.objects.filter(
        Q(email_next_attempt_at__lte=now) | Q(email_next_attempt_at__isnull=True),
        pk=notification_id,
        email_status__in=["pending", "failed"],
    ).update(email_next_attempt_at=now + datetime.timedelta(minutes=10))
    if not claimed:
        return "skipped"
    notification = Notification.objects.select_related("recipient").get(
        pk=notification_id
    )
    context = {"notification": notification, "url": absolute(notification.link)}
    message = EmailMultiAlternatives(
        subject=f"[Pregonero] {notification.subject}",
        body=render_to_string("accounts/email/notification.txt", context),
        to=[notification.recipient.email],
    )
    message.attach_alternative(
        render_to_string("accounts/email/notification.html", context), "text/html"
    )
    attempts = notification.email_attempts + 1
    try:
        message.send()
    except Exception as exc:  # noqa: BLE001 (any delivery failure is retried)
        max_attempts = settings.PREGONERO_NOTIFY_MAX_ATTEMPTS
        Notification.objects.filter(pk=notification_id).update(
            email_status="failed",
            email_attempts=attempts,
            email_last_error=str(exc)[:1000],
            email_next_attempt_at=(now + _backoff(attempts))
            if attempts < max_attempts
            else None,
        )
        logger.warning("e-mail for notification %s failed: %s", notification_id, exc)
        return "failed"
    Notification.objects.filter(pk=notification_id).update(
        email_status="sent",
        email_attempts=attempts,
        email_sent_at=timezone.now(),
        email_next_attempt_at=None,
        email_last_error="",
    )
    return "sent"


# A pending e-mail is its task's to send; the scheduler's sweep only takes it
# once this much time has passed (the task was lost), so that it does not send
# the e-mails of a busy minute itself while publications wait to be handed out.
PENDING_GRACE = datetime.timedelta(seconds=60)


def retry_due_emails(limit: int = 20) -> int:
    """Send the e-mails whose retry time has come, and pending ones whose task
    never ran; used by the scheduler (a few per pass: it must stay punctual)."""
    now = timezone.now()
    ids = list(
        Notification.objects.filter(
            Q(email_status="failed", email_next_attempt_at__lte=now)
            | Q(email_status="pending", email_next_attempt_at__lte=now - PENDING_GRACE)
        )
        .order_by("email_next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        deliver(pk)
    return len(ids)
