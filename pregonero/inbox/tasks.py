from __future__ import annotations

from django.tasks import task


@task()
def send_alert_email(alert_id: int) -> str:
    from .alerts import deliver_alert_email

    return deliver_alert_email(alert_id)
