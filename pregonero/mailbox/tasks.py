from __future__ import annotations

from django.tasks import task


@task(priority=-5)
def poll_mailbox_task(mailbox_id: int) -> int:
    """Read one institutional mailbox now; how many needs and items it created."""
    from .actions import poll
    from .models import Mailbox

    mailbox = Mailbox.objects.filter(pk=mailbox_id).first()
    if mailbox is None:
        return 0
    return poll(mailbox).created
