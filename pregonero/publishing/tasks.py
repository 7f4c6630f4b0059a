from __future__ import annotations

from django.tasks import task


@task()
def publish_publication(publication_id: int) -> str:
    from .actions import publish_now

    return publish_now(publication_id).status
