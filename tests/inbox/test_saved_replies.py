"""Plantillas de respuesta: written and edited by those who attend the Bandeja,
read by everyone in it; conflicting edits refused, every change audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pregonero.audit.models import AuditEvent
from pregonero.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from pregonero.inbox import actions
from pregonero.inbox.models import SavedReply
from tests.conftest import World

BODY = "Gracias por escribirnos. Las inscripciones abren el 15 de marzo."


def test_create_edit_and_audit(world: World) -> None:
    saved = actions.save_saved_reply(
        world.writer, None, title="Inscripciones", body=BODY
    )
    assert saved.organization_id == world.org.pk and saved.lock_version == 1
    edited = actions.save_saved_reply(
        world.writer, saved, title="Inscripciones", body=BODY + " ¡Le esperamos!",
        active=False, lock_version=1,
    )  # fmt: skip
    assert edited.lock_version == 2 and not edited.active
    events = AuditEvent.objects.filter(
        target_id=str(saved.pk), action__startswith="inbox.saved_reply"
    ).values_list("action", flat=True)
    assert list(events.order_by("seq")) == [
        "inbox.saved_reply.created",
        "inbox.saved_reply.updated",
    ]
    with pytest.raises(ConflictError):  # a page opened before the edit
        actions.save_saved_reply(
            world.jefe, saved, title="Otra", body=BODY, lock_version=1
        )
    with pytest.raises(ValidationFailed):
        actions.save_saved_reply(world.writer, None, title=" ", body="")
    with pytest.raises(PermissionDeniedError):
        actions.save_saved_reply(world.auditor, None, title="X", body=BODY)


def test_pages_keep_what_was_typed_and_refuse_other_roles(
    world: World, other_world: World
) -> None:
    client = world.client(world.writer)
    new = reverse("inbox:saved_reply_create")
    response = client.post(new, {"title": "", "body": BODY, "active": "on"})
    assert response.status_code == 422 and BODY in response.content.decode()
    response = client.post(new, {"title": "Inscripciones", "body": BODY})
    assert response.status_code == 302
    saved = SavedReply.objects.get(organization=world.org)
    listing = world.client(world.auditor).get(reverse("inbox:saved_replies"))
    assert listing.status_code == 200 and "Inscripciones" in listing.content.decode()
    assert reverse("inbox:saved_reply_edit", args=[saved.pk]) not in (
        listing.content.decode()
    )
    edit = reverse("inbox:saved_reply_edit", args=[saved.pk])
    assert world.client(world.auditor).get(edit).status_code == 403
    assert other_world.client(other_world.writer).get(edit).status_code == 404
    actions.save_saved_reply(
        world.jefe, saved, title="Cambiada", body=BODY, lock_version=1
    )
    stale = {"title": "Mía", "body": BODY + " Nuevo.", "lock_version": "1"}
    response = client.post(edit, stale)
    assert response.status_code == 422
    page = response.content.decode()
    assert "Otra persona cambió" in page and "Nuevo." in page
    saved.refresh_from_db()
    assert saved.title == "Cambiada"
