"""An item read from the institutional mailbox shows its e-mail and attachments;
they are downloaded only inside the organization, and deleted when the item's
retention period runs out (DAT-01)."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from django.urls import reverse

from pregonero.inbox.models import InboundItem, InboxSettings
from pregonero.inbox.retention import ANONYMISED, anonymise_expired
from pregonero.inbox.workflow import ItemKind
from pregonero.mailbox.models import Mailbox, MessageAttachment, ProcessedMessage
from tests.conftest import World

from .helpers import at

EML = b"From: vecina@correo.example\r\nSubject: Mi casa\r\n\r\nTengo grietas.\r\n"


def email_item(world: World) -> tuple[InboundItem, MessageAttachment]:
    # As the mailbox stores it (pregonero.mailbox.actions): no channel.
    item = InboundItem.objects.create(
        organization=world.org,
        kind=ItemKind.EMAIL,
        platform_id="<m1@correo.example>",
        author_handle="vecina@correo.example",
        text="Tengo grietas.",
        received_at=at(2026, 3, 20, 10, 0),
    )
    mailbox = Mailbox.objects.create(
        organization=world.org, host="127.0.0.1", username="redes"
    )
    log = ProcessedMessage.objects.create(
        organization=world.org, mailbox=mailbox, uidvalidity=1, uid=7,
        sha256="0" * 64, sender="vecina@correo.example", subject="Mi casa",
        outcome="item", item=item,
    )  # fmt: skip
    stored = MessageAttachment(
        organization=world.org, message=log, original_name="mensaje.eml",
        kind="email", content_type="message/rfc822", size=len(EML), sha256="1" * 64,
    )  # fmt: skip
    stored.file.save("mailbox/test.eml", ContentFile(EML), save=True)
    return item, stored


def test_the_item_lists_its_e_mail_and_downloads_it_in_its_organization(
    world: World, other_world: World
) -> None:
    item, stored = email_item(world)
    page = world.client(world.auditor).get(reverse("inbox:item_detail", args=[item.pk]))
    url = reverse("inbox:email_file", args=[item.pk, stored.pk])
    assert url in page.content.decode() and "mensaje.eml" in page.content.decode()
    response = world.client(world.writer).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == EML  # type: ignore[attr-defined]
    assert other_world.client(other_world.writer).get(url).status_code == 404
    assert world.client(world.liaison).get(url).status_code == 403


def test_anonymisation_deletes_the_stored_e_mail(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    item, stored = email_item(world)
    InboundItem.objects.filter(pk=item.pk).update(received_at=at(2020, 1, 10, 9, 0))
    InboxSettings.objects.update_or_create(
        organization=world.org, defaults={"retention_interaction_months": 12}
    )
    storage, name = stored.file.storage, stored.file.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        assert anonymise_expired() == 1
    stored.refresh_from_db()
    assert not stored.file and stored.original_name == ANONYMISED
    assert not storage.exists(name)
    assert ProcessedMessage.objects.get(item=item).sender == ANONYMISED
    page = world.client(world.writer).get(reverse("inbox:item_detail", args=[item.pk]))
    assert "Archivo borrado al anonimizar" in page.content.decode()
    url = reverse("inbox:email_file", args=[item.pk, stored.pk])
    assert world.client(world.writer).get(url).status_code == 404
