"""Activity 1: needs from forms and e-mails, triage, and who sees what."""

from __future__ import annotations

import datetime
import io
from email.message import EmailMessage

import pytest
from django.urls import reverse
from django.utils import timezone

from pregonero.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from pregonero.intake import actions
from pregonero.intake.models import Need, NeedSource
from pregonero.intake.permissions import visible_needs
from pregonero.intake.workflow import NeedAction, NeedState

from .conftest import World, make_need, png_bytes


def build_eml(subject: str = "Solicitud de publicación: jornada en Usme", message_id: str = "<abc-123@cvp.gov.co>") -> bytes:  # fmt: skip
    message = EmailMessage()
    message["From"] = "Directora de Vivienda <directora@cvp-demo.invalid>"
    message["To"] = "redessociales@cajaviviendapopular.gov.co"
    message["Subject"] = subject
    message["Date"] = "Tue, 24 Nov 2026 09:15:00 -0500"
    message["Message-ID"] = message_id
    message.set_content(
        "Buenos días:\n\nSolicito publicar la jornada del sábado en Usme.\n\nGracias."
    )
    message.add_attachment(
        png_bytes().getvalue(), maintype="image", subtype="png", filename="afiche.png"
    )
    message.add_attachment(
        b"%PDF-1.4\n%%EOF\n",
        maintype="application",
        subtype="pdf",
        filename="programa.pdf",
    )
    return bytes(message)


def test_register_and_notify_the_jefe(
    world: World, django_capture_on_commit_callbacks: object
) -> None:  # type: ignore[type-arg]
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        need = make_need(world, user=world.liaison, audiences=world.audiences,
                         desired_date=timezone.localdate() + datetime.timedelta(days=5))  # fmt: skip
    assert need.number.startswith("NEC-") and need.state == NeedState.REGISTERED
    assert need.requester == world.liaison
    assert [m.to for m in mail.outbox] == [[world.jefe.email]]
    assert "/necesidades/" in mail.outbox[0].body


def test_validation_messages_are_spanish_and_per_field(world: World) -> None:
    with pytest.raises(ValidationFailed) as error:
        actions.register_need(world.jefe, actions.NeedData(
            title="", description="", source="otro", dependency=None,
            desired_date=timezone.localdate() - datetime.timedelta(days=30),
        ))  # fmt: skip
    assert set(error.value.errors) >= {
        "title",
        "description",
        "source",
        "dependency",
        "desired_date",
    }
    assert "asunto" in error.value.errors["title"][0]


def test_liaison_registers_only_for_their_dependency(world: World) -> None:
    with pytest.raises(ValidationFailed, match="su dependencia"):
        make_need(world, user=world.liaison, dependency=world.dr)


def test_eml_becomes_a_need_with_its_attachments(world: World) -> None:
    raw = build_eml()
    need = actions.import_eml(
        world.writer, io.BytesIO(raw), "correo.eml", dependency=world.dmv
    )
    assert need.title == "Solicitud de publicación: jornada en Usme"
    assert "jornada del sábado" in need.description
    assert need.source == NeedSource.MAILBOX
    assert need.requester_name == "Directora de Vivienda"
    assert need.requester_email == "directora@cvp-demo.invalid"
    assert need.email_message_id == "<abc-123@cvp.gov.co>"
    assert need.email_date is not None and need.email_date.day == 24
    names = sorted(a.original_name for a in need.attachments.all())
    assert names == ["afiche.png", "correo.eml", "programa.pdf"]
    assert all(a.from_email for a in need.attachments.all())
    # The same e-mail twice is refused with a clear conflict.
    with pytest.raises(ConflictError, match=need.number):
        actions.import_eml(
            world.writer, io.BytesIO(raw), "otra-vez.eml", dependency=world.dmv
        )


def test_eml_with_a_dangerous_attachment_is_refused_entirely(world: World) -> None:
    message = EmailMessage()
    message["From"] = "x@y.co"
    message["Subject"] = "Virus"
    message["Message-ID"] = "<v@y.co>"
    message.set_content("Abra el adjunto")
    message.add_attachment(b"MZ\x90\x00" + b"\x00" * 64, maintype="application", subtype="octet-stream", filename="factura.pdf")  # fmt: skip
    with pytest.raises(ValidationFailed, match="ejecutables"):
        actions.import_eml(
            world.writer, io.BytesIO(bytes(message)), "v.eml", dependency=world.dmv
        )
    assert not Need.objects.filter(email_message_id="<v@y.co>").exists()


def test_not_an_email(world: World) -> None:
    with pytest.raises(ValidationFailed):
        actions.import_eml(world.writer, png_bytes(), "foto.eml", dependency=world.dmv)


def test_triage_punctual_creates_the_piece(world: World) -> None:
    need = make_need(world, urgency="urgent", audiences=world.audiences)
    piece = actions.triage_need(world.jefe, need, NeedAction.TRIAGE_PUNCTUAL, note="Ya")
    need.refresh_from_db()
    assert need.state == NeedState.PUNCTUAL and need.triaged_by == world.jefe
    assert piece.need == need and piece.urgent and piece.state == "drafting"
    assert set(piece.audiences.all()) == set(world.audiences)


def test_triage_rules(world: World) -> None:
    need = make_need(world)
    with pytest.raises(PermissionDeniedError):
        actions.triage_need(world.writer, need, NeedAction.TRIAGE_PLANNING)
    with pytest.raises(ValidationFailed, match="motivo"):
        actions.triage_need(world.jefe, need, NeedAction.DISCARD, note="")
    actions.triage_need(world.jefe, need, NeedAction.TRIAGE_PLANNING)
    need.refresh_from_db()
    assert need.state == NeedState.FOR_PLANNING
    from pregonero.core.errors import TransitionNotAllowed

    with pytest.raises(TransitionNotAllowed):
        actions.triage_need(world.jefe, need, NeedAction.TRIAGE_PUNCTUAL)
    actions.triage_need(world.jefe, need, NeedAction.DISCARD, note="Duplicada")
    need.refresh_from_db()
    assert need.state == NeedState.DISCARDED and need.discard_reason == "Duplicada"


def test_liaison_sees_only_their_dependency(world: World) -> None:
    own = make_need(world, user=world.liaison)
    other = make_need(
        world, user=world.jefe, dependency=world.dr, title="Reasentamientos"
    )
    assert set(visible_needs(world.liaison)) == {own}
    assert set(visible_needs(world.director)) == {other}
    assert set(visible_needs(world.auditor)) == {own, other}
    client = world.client(world.liaison)
    assert client.get(reverse("intake:need_detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("intake:need_detail", args=[own.pk])).status_code == 200
    listing = client.get(reverse("intake:need_list")).content.decode()
    assert own.title in listing and "Censo en Caracolí" not in listing


def test_the_form_keeps_what_was_typed(world: World) -> None:
    client = world.client(world.liaison)
    response = client.post(reverse("intake:need_create"), {
        "title": "Mi asunto importante", "description": "", "source": "liaison",
        "dependency": world.dmv.pk, "urgency": "normal",
    })  # fmt: skip
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Mi asunto importante"' in html
    assert "obligatorio" in html
    assert not Need.objects.exists()


def test_eml_upload_through_the_browser(world: World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = world.client(world.writer)
    response = client.post(reverse("intake:need_import_email"), {
        "file": SimpleUploadedFile("correo.eml", build_eml(), "message/rfc822"),
        "dependency": world.dmv.pk, "urgency": "high",
    })  # fmt: skip
    need = Need.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{need.pk}/")
    assert need.urgency == "high" and need.attachments.count() == 3
