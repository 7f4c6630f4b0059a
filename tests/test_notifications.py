"""Notifications at each hand-off: in the app and by e-mail, after commit, retried on failure."""

from __future__ import annotations

import datetime
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from pregonero.accounts.models import Notification
from pregonero.accounts.notify import deliver, notify, retry_due_emails
from pregonero.content import actions as content
from pregonero.content.workflow import PieceAction

from .conftest import CHECKS1, CHECKS2, World, add_image, make_piece, write


def _subjects() -> list[str]:
    return [m.subject for m in mail.outbox]


def test_each_hand_off_notifies_in_app_and_by_email(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        piece = make_piece(world)
        write(world, piece)
        content.submit_text(world.writer, piece)  # submitted → the Jefe
        content.decide_text(
            world.jefe, piece, PieceAction.RETURN_TEXT, comment="Ajustar"
        )  # returned
        write(world, piece, "Corregido")
        content.submit_text(world.writer, piece)
        content.decide_text(
            world.jefe, piece, PieceAction.APPROVE_TEXT, checklist=CHECKS1
        )  # approved, to design
        add_image(world, piece)
        content.submit_design(world.designer, piece)
        content.decide_design(
            world.jefe, piece, PieceAction.APPROVE_DESIGN, checklist=CHECKS2
        )  # ready
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert {"piece.submitted", "piece.returned", "piece.approved", "piece.design_assigned",
            "piece.ready_to_publish"} <= kinds  # fmt: skip
    subjects = " | ".join(_subjects())
    assert "Texto para revisar" in subjects and "Texto devuelto" in subjects
    assert "Pieza para diseñar" in subjects and "Visto bueno" in subjects
    message = next(m for m in mail.outbox if "devuelto" in m.subject)
    assert message.to == [world.writer.email]
    assert f"/piezas/{piece.pk}/" in message.body  # deep link
    assert "Ajustar" in message.body
    html = message.alternatives[0].content  # type: ignore[union-attr]
    assert f"/piezas/{piece.pk}/" in html
    # Nobody is notified of their own action.
    assert not Notification.objects.filter(
        recipient=world.jefe, kind="piece.returned"
    ).exists()
    assert all(
        n.email_status == "sent"
        for n in Notification.objects.exclude(email_status="skipped")
    )


def test_no_email_when_the_transaction_rolls_back(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                notify([world.writer], kind="x", subject="No debe salir", body="…")
                raise RuntimeError("falla después")
        except RuntimeError:
            pass
    assert mail.outbox == [] and not Notification.objects.exists()


class FailingBackend:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise ConnectionRefusedError("SMTP caído")

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass


@override_settings(
    MAILERS={"default": {"BACKEND": "tests.test_notifications.FailingBackend"}}
)
def test_smtp_failure_never_breaks_a_transition_and_is_retried(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        piece = make_piece(world)
        write(world, piece)
        content.submit_text(world.writer, piece)
    piece.refresh_from_db()
    assert piece.state == "text_review"  # the transition stands
    notification = Notification.objects.get(kind="piece.submitted")
    assert (
        notification.email_status == "failed"
        and "SMTP caído" in notification.email_last_error
    )
    assert (
        notification.email_next_attempt_at
        and notification.email_next_attempt_at > timezone.now()
    )
    assert retry_due_emails() == 0  # not yet due
    with override_settings(
        MAILERS={
            "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
        }
    ):
        later = timezone.now() + datetime.timedelta(hours=2)
        Notification.objects.filter(pk=notification.pk).update(
            email_next_attempt_at=later - datetime.timedelta(hours=3)
        )
        assert (
            retry_due_emails() == 1
        )  # only the one made due; the others wait their turn
    notification.refresh_from_db()
    assert notification.email_status == "sent" and notification.email_attempts == 2
    assert deliver(notification.pk) == "skipped"  # never sent twice


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, list[Any]]]:
    from aiosmtpd.controller import Controller

    received: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            received.append(envelope)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


@pytest.mark.smtp
def test_real_smtp_delivery(
    world: World,
    smtp_server: tuple[int, list[Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    port, received = smtp_server
    mailers = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                           "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5}}}  # fmt: skip
    with (
        override_settings(MAILERS=mailers),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notify([world.writer], kind="test", subject="Prueba SMTP", body="Mensaje con tildes: ñandú",
               link="/mi-trabajo/")  # fmt: skip
    deadline = time.monotonic() + 5
    while not received and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(received) == 1
    envelope = received[0]
    assert envelope.rcpt_tos == [world.writer.email]
    text = envelope.content.decode("utf-8", "replace")
    assert "Prueba SMTP" in text
    assert Notification.objects.get().email_status == "sent"


def test_the_sweep_leaves_a_fresh_pending_email_to_its_task(world: World) -> None:
    """The scheduler stays punctual: it sends a pending e-mail itself only when
    its task has not run for a minute (the task was lost)."""
    notify([world.jefe], kind="test", subject="Aviso de prueba", body="Cuerpo.")
    notification = Notification.objects.get(kind="test")
    assert notification.email_status == "pending"
    assert retry_due_emails() == 0
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=61)):
        assert retry_due_emails() == 1
    notification.refresh_from_db()
    assert notification.email_status == "sent"
