"""A reply handed to a person (the network could not confirm it) is settled by
that person: it went out (sent, with its link) or it did not (queued again)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from pregonero.audit.models import AuditEvent
from pregonero.core.errors import (
    NotFoundError,
    PermissionDeniedError,
    TransitionNotAllowed,
    ValidationFailed,
)
from pregonero.inbox import reply_actions
from pregonero.inbox.models import InboundItem, Petition, Reply, ReplyState
from tests.conftest import World

from .helpers import petition, receive
from .test_views_api import api


def handed_to_a_person(item: InboundItem, user: Any, **kw: Any) -> Reply:
    return Reply.objects.create(
        organization_id=item.organization_id,
        item=item,
        text="Abren el 15 de marzo en la sede de la calle 54.",
        state=ReplyState.UNCONFIRMED,
        needs_review=True,
        unconfirmed_at=timezone.now(),
        idempotency_key=uuid.uuid4(),
        created_by=user,
        **kw,
    )


def test_it_went_out_marks_it_sent_and_the_item_responded(world: World) -> None:
    item = receive(world.fb)
    reply = handed_to_a_person(item, world.writer)
    done = reply_actions.resolve_reply(
        world.jefe,
        reply,
        sent=True,
        permalink="https://facebook.example/r/77",
        note="La vi publicada bajo el comentario.",
    )
    assert (done.state, done.permalink, done.needs_review) == (
        ReplyState.SENT,
        "https://facebook.example/r/77",
        False,
    )
    item.refresh_from_db()
    assert item.responded_at is not None
    assert item.response_url == "https://facebook.example/r/77"
    event = AuditEvent.objects.get(action="inbox.reply.resolved")
    assert event.actor == world.jefe and event.data["sent"] is True
    assert event.data["note"] == "La vi publicada bajo el comentario."
    assert AuditEvent.objects.get(action="inbox.reply.sent").actor == world.jefe
    assert reply.attempts.get().outcome == "confirmed"
    # Settled once: a second answer is refused.
    with pytest.raises(TransitionNotAllowed):
        reply_actions.resolve_reply(world.jefe, reply, sent=False, note="Otra vez")


def test_it_went_out_registers_the_petition_answer(world: World) -> None:
    p = petition(world)
    reply = handed_to_a_person(p.item, world.writer, as_petition_answer=True)
    reply_actions.resolve_reply(
        world.writer,
        reply,
        sent=True,
        permalink="https://facebook.example/r/78",
        note="Publicada.",
    )
    p = Petition.objects.get(pk=p.pk)
    assert p.state == "answered" and p.answer_url == "https://facebook.example/r/78"
    assert p.answer_text == reply.text and p.answered_by == world.writer


def test_it_did_not_go_out_queues_it_for_a_fresh_send(world: World) -> None:
    item = receive(world.fb)
    reply = handed_to_a_person(item, world.writer, reconcile_attempts=8)
    before = timezone.now()
    done = reply_actions.resolve_reply(
        world.writer, reply, sent=False, note="No aparece en el hilo."
    )
    assert done.state == ReplyState.QUEUED and not done.needs_review
    assert done.next_attempt_at is not None and done.next_attempt_at >= before
    assert done.unconfirmed_at is None and done.reconcile_attempts == 0
    item.refresh_from_db()
    assert item.responded_at is None
    assert reply.attempts.get().outcome == "not_sent"
    assert AuditEvent.objects.get(action="inbox.reply.resolved").data["sent"] is False


def test_refusals(world: World, other_world: World) -> None:
    item = receive(world.fb)
    reply = handed_to_a_person(item, world.writer)
    with pytest.raises(PermissionDeniedError):
        reply_actions.resolve_reply(world.auditor, reply, sent=False, note="x")
    with pytest.raises(NotFoundError):  # another organization's reply
        reply_actions.resolve_reply(other_world.writer, reply, sent=False, note="x")
    with pytest.raises(ValidationFailed) as refused:
        reply_actions.resolve_reply(world.writer, reply, sent=True, note="")
    assert set(refused.value.errors) == {"note", "permalink"}
    with pytest.raises(ValidationFailed) as refused:
        reply_actions.resolve_reply(
            world.writer, reply, sent=True, permalink="facebook r 77", note="Vista"
        )
    assert set(refused.value.errors) == {"permalink"}
    # A private message may have no link.
    private = handed_to_a_person(item, world.writer, private=True)
    assert (
        reply_actions.resolve_reply(world.writer, private, sent=True, note="Enviado")
    ).state == ReplyState.SENT
    for state in (ReplyState.QUEUED, ReplyState.SENT, ReplyState.FAILED):
        Reply.objects.filter(pk=reply.pk).update(state=state)
        with pytest.raises(TransitionNotAllowed):
            reply_actions.resolve_reply(world.writer, reply, sent=False, note="x")
    assert not AuditEvent.objects.filter(
        action="inbox.reply.resolved", data__reply=reply.pk
    ).exists()


def test_the_item_page_asks_and_keeps_what_was_typed(world: World) -> None:
    item = receive(world.fb)
    reply = handed_to_a_person(item, world.writer)
    detail = reverse("inbox:item_detail", args=[item.pk])
    post = reverse("inbox:item_post", args=[item.pk, "resolve_reply"])
    client = world.client(world.writer)
    page = client.get(detail).content.decode()
    assert "¿Salió esta respuesta?" in page and post in page
    assert "Sí salió" in page and "No salió" in page
    # Control Interno reads the reply, without the form.
    assert post not in world.client(world.auditor).get(detail).content.decode()
    response = client.post(
        post,
        {"reply": reply.pk, "outcome": "sent", "note": "La busqué en la página"},
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "La busqué en la página" in text and "enlace" in text
    reply.refresh_from_db()
    assert reply.state == ReplyState.UNCONFIRMED
    response = client.post(
        post,
        {
            "reply": reply.pk,
            "outcome": "sent",
            "permalink": "https://facebook.example/r/9",
            "note": "La busqué en la página",
        },
    )
    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.state == ReplyState.SENT
    assert post not in client.get(detail).content.decode()
    # Another item's reply cannot be settled through this item.
    other = handed_to_a_person(receive(world.fb), world.writer)
    response = client.post(
        post, {"reply": other.pk, "outcome": "not_sent", "note": "x"}
    )
    assert response.status_code == 404


def test_api_resolve(world: World, other_world: World) -> None:
    item = receive(world.fb)
    reply = handed_to_a_person(item, world.writer)
    url = f"/api/v1/inbox/replies/{reply.pk}/resolve"
    listed = api(world, world.writer).get(f"/api/v1/inbox/items/{item.pk}/replies")
    assert listed.json()[0]["needs_review"] is True
    assert (
        api(world, world.auditor)
        .post(url, {"sent": False, "note": "x"}, content_type="application/json")
        .status_code
        == 403
    )
    assert (
        api(other_world, other_world.writer)
        .post(url, {"sent": False, "note": "x"}, content_type="application/json")
        .status_code
        == 404
    )
    writer = api(world, world.writer)
    refused = writer.post(
        url, {"sent": True, "note": "Vista"}, content_type="application/json"
    )
    assert refused.status_code == 422 and "permalink" in refused.json()["errors"]
    done = writer.post(
        url,
        {"sent": False, "note": "No está en el hilo"},
        content_type="application/json",
    )
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "queued" and done.json()["needs_review"] is False
    again = writer.post(
        url, {"sent": False, "note": "x"}, content_type="application/json"
    )
    assert again.status_code == 409
