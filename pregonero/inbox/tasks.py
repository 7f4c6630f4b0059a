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


# Replies go with the publications' priority: a citizen waits on them.
@task(priority=50)
def send_reply_task(reply_id: int) -> str:
    from .reply_actions import send_reply

    return send_reply(reply_id).status


@task(priority=40)
def reconcile_reply_task(reply_id: int) -> str:
    from .reply_actions import reconcile_reply

    return reconcile_reply(reply_id).status
