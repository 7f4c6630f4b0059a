from __future__ import annotations

from django.tasks import task


@task()
def send_notification_email(notification_id: int) -> str:
    from .notify import deliver

    return deliver(notification_id)
