"""Background tasks of the publishing app (run by ``pregonero worker``)."""

from __future__ import annotations

from django.tasks import task


# Priorities: a publication due now goes before everything else in the queue
# (an e-mail or a collection can wait a few seconds; a scheduled post cannot).
@task(priority=50)
def publish_publication(publication_id: int) -> str:
    from .actions import publish_now

    return publish_now(publication_id).status


@task(priority=40)
def reconcile_publication(publication_id: int) -> str:
    from .actions import reconcile

    return reconcile(publication_id).status


@task(priority=30)
def refresh_channel_token(connection_id: int) -> str:
    from .channels import refresh_connection

    return refresh_connection(connection_id)
