from __future__ import annotations

from django.tasks import task


@task()
def send_alert_email(alert_id: int) -> str:
    from .alerts import deliver_alert_email

    return deliver_alert_email(alert_id)


@task(priority=-5)
def ingest_channel_task(channel_id: int) -> int:
    """Read one channel's comments, mentions and messages now."""
    from pregonero.core.models import Channel

    from .ingest import ingest_channel

    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        return 0
    return ingest_channel(channel).stored
