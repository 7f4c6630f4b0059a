"""Activity 14 in this issue's scope: the sandbox network and manual publication,
never without the visto bueno of the current sealed version."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pregonero.content import actions as content
from pregonero.content.workflow import PieceState
from pregonero.core.errors import (
    ConflictError,
    PermissionDeniedError,
    TransitionNotAllowed,
    ValidationFailed,
)
from pregonero.intake.actions import triage_need
from pregonero.intake.workflow import NeedAction, NeedState
from pregonero.publishing import actions
from pregonero.publishing.models import Heartbeat, Publication, PublicationStatus

from .conftest import World, approved_piece, make_need, make_piece, soon, write


def test_nothing_is_scheduled_without_the_visto_bueno(world: World) -> None:
    piece = make_piece(world)
    write(world, piece)
    with pytest.raises(TransitionNotAllowed, match="visto bueno"):
        actions.schedule_publication(world.writer, piece, world.fb, soon())
    with pytest.raises(TransitionNotAllowed):
        actions.record_manual_publication(world.writer, piece, world.web,
                                          permalink="https://x.co/1", published_at=timezone.now())  # fmt: skip


def test_schedule_rules(world: World, other_world: World) -> None:
    piece = approved_piece(world)
    with pytest.raises(ValidationFailed, match="ya pasó"):
        actions.schedule_publication(
            world.writer, piece, world.fb, timezone.now() - datetime.timedelta(hours=1)
        )
    with pytest.raises(PermissionDeniedError):
        actions.schedule_publication(world.liaison, piece, world.fb, soon())
    with pytest.raises(ValidationFailed):
        actions.schedule_publication(world.writer, piece, other_world.fb, soon())
    actions.schedule_publication(world.writer, piece, world.fb, soon())
    with pytest.raises(ConflictError, match="ya está programada"):
        actions.schedule_publication(world.writer, piece, world.fb, soon(20))


def test_sandbox_publication_through_scheduler_and_worker(world: World) -> None:
    need = make_need(world)
    piece = triage_need(world.jefe, need, NeedAction.TRIAGE_PUNCTUAL)
    piece.channels.set([world.fb, world.x])
    write(
        world,
        piece,
        "Texto general.",
        variants={world.x.pk: ("", "Texto corto para X.")},
    )
    content.submit_text(world.writer, piece)
    content.decide_text(world.jefe, piece, "approve_text_final", checklist={
        "timeliness": True, "veracity": True, "clear_inclusive": True, "institutional_image": True})  # fmt: skip
    fb = actions.schedule_publication(world.writer, piece, world.fb, soon(5))
    x = actions.schedule_publication(world.writer, piece, world.x, soon(5))
    assert actions.dispatch_due() == 0  # not due yet
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=6)):
        # The test settings run tasks immediately: dispatching publishes.
        assert actions.dispatch_due() == 2
        assert actions.dispatch_due() == 0  # nothing twice
    fb.refresh_from_db()
    x.refresh_from_db()
    assert fb.status == x.status == PublicationStatus.PUBLISHED
    assert x.text == "Texto corto para X." and fb.text == "Texto general."
    assert fb.platform_id.startswith("sbx-") and fb.permalink.endswith(fb.platform_id)
    assert fb.attempts.get().outcome == "published"
    need.refresh_from_db()
    assert need.state == NeedState.ATTENDED  # every piece of the need is published
    feed = world.client(world.writer).get(
        reverse("publishing:sandbox_feed", args=[world.fb.pk])
    )
    assert "Texto general." in feed.content.decode()


def test_publish_now_is_idempotent(world: World) -> None:
    piece = approved_piece(world)
    publication = actions.schedule_publication(
        world.writer, piece, world.fb, timezone.now()
    )
    assert actions.publish_now(publication.pk).status == "published"
    assert actions.publish_now(publication.pk).status == "skipped"
    assert publication.attempts.count() == 1


def test_a_change_after_approval_holds_pending_publications(world: World) -> None:
    piece = approved_piece(world)
    publication = actions.schedule_publication(
        world.writer, piece, world.fb, timezone.now()
    )
    write(world, piece, "Errata después del visto bueno.")
    piece.refresh_from_db()
    assert piece.state == PieceState.TEXT_CHANGES
    # Not handed to the workers while held; and if it were, the worker re-checks.
    assert actions.due_publications() == []
    assert actions.publish_now(publication.pk).status == "held"
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.SCHEDULED
    assert publication.attempts.get().outcome == "held"


def test_manual_publication_is_recorded(world: World) -> None:
    piece = approved_piece(world)
    with pytest.raises(ValidationFailed) as error:
        actions.record_manual_publication(world.writer, piece, world.web, permalink="no-es-url",
                                          published_at=timezone.now() + datetime.timedelta(days=1))  # fmt: skip
    assert {"permalink", "published_at"} <= set(error.value.errors)
    publication = actions.record_manual_publication(
        world.writer, piece, world.web, permalink="https://www.cvp.gov.co/noticias/1",
        published_at=timezone.now(), note="Sección de noticias",
    )  # fmt: skip
    assert (
        publication.status == PublicationStatus.PUBLISHED
        and publication.recorded_by == world.writer
    )
    with pytest.raises(ConflictError):
        actions.record_manual_publication(world.writer, piece, world.web,
                                          permalink="https://www.cvp.gov.co/noticias/2", published_at=timezone.now())  # fmt: skip


def test_manual_channels_are_reminded_not_published(world: World) -> None:
    piece = approved_piece(world)
    publication = actions.schedule_publication(
        world.writer, piece, world.web, timezone.now()
    )
    assert actions.dispatch_due() == 0
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.SCHEDULED and publication.claimed_at
    from pregonero.accounts.models import Notification

    assert Notification.objects.filter(kind="publication.manual_due").exists()


def test_reschedule_and_cancel(world: World) -> None:
    piece = approved_piece(world)
    publication = actions.schedule_publication(world.writer, piece, world.fb, soon(30))
    actions.reschedule_publication(
        world.writer, publication, soon(60), lock_version=publication.lock_version
    )
    with pytest.raises(ConflictError):
        actions.reschedule_publication(
            world.writer,
            publication,
            soon(90),
            lock_version=publication.lock_version - 1,
        )
    with pytest.raises(ValidationFailed):
        actions.cancel_publication(world.writer, publication, reason="")
    actions.cancel_publication(world.writer, publication, reason="Cambio de estrategia")
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.CANCELLED
    # The channel is free again.
    actions.schedule_publication(world.writer, piece, world.fb, soon(30))


def test_piece_list_shows_per_channel_status(world: World) -> None:
    piece = approved_piece(world)
    for channel in (world.fb, world.ig, world.x):
        actions.schedule_publication(world.writer, piece, channel, timezone.now())
    ids = list(Publication.objects.filter(piece=piece).values_list("pk", flat=True))
    actions.publish_now(ids[0])
    actions.publish_now(ids[1])
    Publication.objects.filter(pk=ids[2]).update(
        status=PublicationStatus.FAILED, last_error="Token vencido"
    )
    html = (
        world.client(world.writer).get(reverse("content:piece_list")).content.decode()
    )
    assert "publicada en 2 de 3" in html and "1 con problema" in html


def test_health_and_heartbeats(world: World) -> None:
    client = Client()
    assert client.get("/health").status_code == 503  # no worker, no scheduler yet
    actions.beat("worker:test", "worker")
    call_command("scheduler", "--once")
    assert Heartbeat.objects.filter(kind="scheduler").exists()
    assert client.get("/health").status_code == 200
    piece = approved_piece(world)
    publication = actions.schedule_publication(
        world.writer, piece, world.fb, timezone.now()
    )
    Publication.objects.filter(pk=publication.pk).update(
        scheduled_at=timezone.now() - datetime.timedelta(hours=1)
    )
    response = client.get("/health")
    assert response.status_code == 503 and response.json()["overdue_publications"] == 1
    banner = world.client(world.writer).get(reverse("core:my_work")).content.decode()
    assert "pueden no salir a tiempo" in banner


def test_my_work_lists_pieces_still_to_publish(world: World) -> None:
    piece = approved_piece(world)  # target channels: Facebook and X
    client = world.client(world.writer)

    def in_queue() -> bool:
        html = client.get(reverse("core:my_work")).content.decode()
        return piece.title in html.split("Por programar o publicar")[1]

    assert in_queue()
    first = actions.schedule_publication(world.writer, piece, world.fb, soon())
    assert in_queue()  # X is still missing
    actions.schedule_publication(world.writer, piece, world.x, soon())
    assert not in_queue()
    Publication.objects.filter(pk=first.pk).update(status=PublicationStatus.FAILED)
    assert in_queue()  # a problem always shows


def test_dispatch_holds_a_backlog_back_while_the_queue_is_full(
    world: World, settings: Any
) -> None:
    """Back-pressure: publications waiting in the queue for a worker count against
    PREGONERO_DISPATCH_MAX_QUEUED; the rest of a backlog waits in the table."""
    settings.PREGONERO_DISPATCH_MAX_QUEUED = 1
    pieces = [approved_piece(world, channels=[world.fb, world.x]) for _ in range(2)]
    for piece in pieces:
        for channel in (world.fb, world.x):
            actions.schedule_publication(world.writer, piece, channel, soon(5))
    later = timezone.now() + datetime.timedelta(minutes=6)
    first = Publication.objects.order_by("pk").first()
    assert first is not None
    # One is already in the queue, waiting for a worker: the queue is full.
    Publication.objects.filter(pk=first.pk).update(dispatched_at=later)
    with time_machine.travel(later):
        assert actions.queued_count() == 1
        assert actions.dispatch_due() == 0
    assert not Publication.objects.filter(status=PublicationStatus.PUBLISHED).exists()
    with time_machine.travel(later + datetime.timedelta(minutes=3)):
        # The one that never reached a worker is handed out again, and the
        # backlog drains one by one as room appears (the test backend runs
        # each task at once).
        assert actions.queued_count() == 0
        assert [actions.dispatch_due() for _ in range(5)] == [1, 1, 1, 1, 0]
    assert set(Publication.objects.values_list("status", flat=True)) == {
        PublicationStatus.PUBLISHED
    }
