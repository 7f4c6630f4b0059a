"""Background tasks of the analytics app (run by ``pregonero worker``)."""

from __future__ import annotations

from django.tasks import task


@task(priority=-10)  # batch work: after publications and e-mails
def collect_channel_task(channel_id: int, since: str = "") -> int:
    """Collect one channel's figures now (the "Recolectar ahora" button)."""
    import datetime

    from pregonero.core.models import Channel

    from .collect import collect_channel

    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        return 0
    result = collect_channel(
        channel, since=datetime.date.fromisoformat(since) if since else None
    )
    return result.values + result.posts
