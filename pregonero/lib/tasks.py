"""Enqueueing background tasks only after the surrounding transaction commits."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

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
