"""Finished background tasks are deleted after their keeping time."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from pregonero.core.management.commands.scheduler import upkeep
from pregonero.lib.tasks import prune_task_results


def task_row(status: str, finished_days_ago: float | None) -> DBTaskResult:
    now = timezone.now()
    finished = (
        None
        if finished_days_ago is None
        else now - datetime.timedelta(days=finished_days_ago)
    )
    return DBTaskResult.objects.create(
        id=uuid.uuid4(),
        status=status,
        args_kwargs={"args": [1], "kwargs": {}},
        task_path="pregonero.inbox.tasks.ingest_channel_task",
        queue_name="default",
        backend_name="default",
        run_after=now,
        finished_at=finished,
        exception_class_path="",
        traceback="",
    )


@pytest.mark.django_db
def test_old_finished_tasks_go_and_waiting_or_recent_ones_stay() -> None:
    old_ok = task_row(TaskResultStatus.SUCCESSFUL, 3)
    new_ok = task_row(TaskResultStatus.SUCCESSFUL, 1)
    old_failed = task_row(TaskResultStatus.FAILED, 31)
    recent_failed = task_row(TaskResultStatus.FAILED, 10)
    waiting = task_row(TaskResultStatus.READY, None)
    assert prune_task_results(batch=1) == 2
    left = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert left == {new_ok.pk, recent_failed.pk, waiting.pk}
    assert old_ok.pk not in left and old_failed.pk not in left
    assert prune_task_results() == 0


@pytest.mark.django_db
def test_the_scheduler_prunes_once_an_hour() -> None:
    task_row(TaskResultStatus.SUCCESSFUL, 5)
    assert upkeep()["task_results_pruned"] == 1
    task_row(TaskResultStatus.SUCCESSFUL, 5)
    assert upkeep()["task_results_pruned"] == 0  # within the hour
