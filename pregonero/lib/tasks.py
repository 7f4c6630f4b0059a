"""Enqueueing background tasks: after the surrounding transaction commits, and
the scheduler's periodic hand-out of per-channel work."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q

logger = logging.getLogger(__name__)


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Enqueue ``task`` once the current transaction commits (never before).

    A failure to enqueue is logged and never propagates: the work it stands for
    is also picked up by the scheduler's periodic sweep.
    """

    def _enqueue() -> None:
        try:
            task.enqueue(*args, **kwargs)
        except Exception:
            logger.exception("could not enqueue %s", getattr(task, "name", task))

    transaction.on_commit(_enqueue)


def mark_and_enqueue(
    due: Iterable[tuple[Any, Any]],
    task: Any,
    now: datetime.datetime,
    *,
    what: str,
) -> int:
    """Queue ``task`` for each due ``(state, channel)``, marking the channel's
    state first: a conditional UPDATE of ``last_run_at`` from the value read, so
    two schedulers never queue the same channel twice. A channel whose task
    cannot be queued is logged and the others go on. Returns how many were
    queued. ``state`` is a model with a ``last_run_at`` field (a checkpoint)."""
    queued = 0
    for state, channel in due:
        previous = Q(last_run_at__isnull=True)
        if state.last_run_at is not None:
            previous = Q(last_run_at=state.last_run_at)
        marked = (
            type(state)
            ._default_manager.filter(pk=state.pk)
            .filter(previous)
            .update(last_run_at=now)
        )
        if not marked:
            continue
        try:
            task.enqueue(channel.pk)
        except Exception:  # one channel's trouble must not stop the others
            logger.exception("%s failed for channel %s", what, channel.pk)
            continue
        queued += 1
    return queued


# Finished background tasks are kept this long (to look into a failure), then
# deleted: they are the queue's bookkeeping, not records — each publication,
# reply and reading keeps its own attempts and audit events.
KEEP_SUCCESSFUL = datetime.timedelta(days=2)
KEEP_FAILED = datetime.timedelta(days=30)


def prune_task_results(
    now: datetime.datetime | None = None, *, batch: int = 5000, limit: int = 50_000
) -> int:
    """Delete finished task rows past their keeping time, in batches; how many.

    A busy Bandeja queues a reading every few seconds per channel (issue 6):
    without this the queue's table grows by hundreds of thousands of rows a
    day."""
    from django.tasks import TaskResultStatus
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    old = DBTaskResult.objects.filter(
        Q(status=TaskResultStatus.SUCCESSFUL, finished_at__lt=now - KEEP_SUCCESSFUL)
        | Q(status=TaskResultStatus.FAILED, finished_at__lt=now - KEEP_FAILED)
    )
    deleted = 0
    while deleted < limit:
        ids = list(old.values_list("pk", flat=True)[:batch])
        if not ids:
            break
        deleted += DBTaskResult.objects.filter(pk__in=ids).delete()[0]
    return deleted
