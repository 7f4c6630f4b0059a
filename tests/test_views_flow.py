"""The whole procedure through the web pages (server-side forms), as people use it."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pregonero.audit.models import AuditEvent
from pregonero.content.models import Piece
from pregonero.intake.models import Need
from pregonero.publishing.models import Publication

from .conftest import World, png_bytes


def post(client: Client, url: str, data: dict[str, Any], expect: int = 302) -> Any:
    response = client.post(url, data)
    assert response.status_code == expect, response.content.decode()[-3000:]
    return response


def checks(prefix: str, keys: list[str]) -> dict[str, str]:
    return {f"check_{k}": "on" for k in keys}


CP1 = ["timeliness", "veracity", "clear_inclusive", "institutional_image"]
CP2 = ["importance", "text_matches", "accessibility", "institutional_image"]


def test_need_to_published_piece_in_the_browser(world: World) -> None:
    liaison, jefe = world.client(world.liaison), world.client(world.jefe)
    writer, designer = world.client(world.writer), world.client(world.designer)
    # A liaison raises the need; the Jefe decides it is a punctual action.
    post(liaison, reverse("intake:need_create"), {
        "title": "Entrega de títulos en San Cristóbal", "description": "120 familias.",
        "source": "liaison", "dependency": world.dmv.pk, "urgency": "normal",
    })  # fmt: skip
    need = Need.objects.get()
    detail = jefe.get(reverse("intake:need_detail", args=[need.pk])).content.decode()
    assert "Acción puntual: producir ya" in detail
    response = post(jefe, reverse("intake:need_triage", args=[need.pk]),
                    {"action": "triage_punctual", "note": "", "lock_version": need.lock_version})  # fmt: skip
    piece = Piece.objects.get(need=need)
    assert response["Location"] == reverse("content:piece_detail", args=[piece.pk])
    # Details, then the text with a variant and a source; submit to control point 1.
    edit = {
        "title": piece.title, "format": "image", "writer": world.writer.pk,
        "designer": world.designer.pk, "channels": [world.fb.pk, world.x.pk],
        "lock_version": piece.lock_version,
    }  # fmt: skip
    post(writer, reverse("content:piece_edit", args=[piece.pk]), edit)
    text_url = reverse("content:piece_text", args=[piece.pk])
    post(writer, text_url, {
        "body": "120 familias reciben su #TítuloEnMano.", "base_version": "",
        f"variant_{world.x.pk}_body": "120 familias con #TítuloEnMano.", f"variant_{world.x.pk}_title": "",
        f"variant_{world.fb.pk}_body": "", f"variant_{world.fb.pk}_title": "",
        "sources-TOTAL_FORMS": "1", "sources-INITIAL_FORMS": "0",
        "sources-0-description": "Dirección de Urbanizaciones y Titulación", "sources-0-url": "",
        "note": "", "submit": "1",
    })  # fmt: skip
    piece.refresh_from_db()
    assert piece.state == "text_review"
    # The writer cannot decide; the Jefe returns it with a comment.
    review_url = reverse("content:piece_review", args=[piece.pk])
    assert "Su decisión" not in writer.get(review_url).content.decode()
    page = jefe.get(review_url).content.decode()
    assert (
        "Aprobar el texto y pasar a diseño" in page and "120 familias reciben" in page
    )
    decide = reverse("content:piece_decide", args=[piece.pk])
    post(jefe, decide, {"action": "return_text", "comment": "Diga la fecha.",
                        "lock_version": piece.lock_version, "reviewed_number": 1})  # fmt: skip
    piece.refresh_from_db()
    assert piece.state == "text_changes"
    assert (
        "Diga la fecha."
        in writer.get(reverse("content:piece_detail", args=[piece.pk])).content.decode()
    )
    post(writer, text_url, {
        "body": "El sábado 5, 120 familias reciben su #TítuloEnMano.", "base_version": "1",
        f"variant_{world.x.pk}_body": "120 familias con #TítuloEnMano.",
        "sources-TOTAL_FORMS": "0", "sources-INITIAL_FORMS": "0", "note": "Fecha", "submit": "1",
    })  # fmt: skip
    piece.refresh_from_db()
    diff = jefe.get(review_url).content.decode()
    assert "<ins>" in diff and "sábado" in diff
    post(jefe, decide, {"action": "approve_text", "comment": "", "lock_version": piece.lock_version,
                        "reviewed_number": 2, **checks("", CP1)})  # fmt: skip
    piece.refresh_from_db()
    assert piece.state == "design"
    # Design: upload with alt text, submit; control point 2 returns it; fixed; visto bueno.
    design_url = reverse("content:piece_design", args=[piece.pk])
    post(designer, design_url, {
        "upload": "1", "new-file": SimpleUploadedFile("pieza.png", png_bytes().getvalue()),
        "new-alt_text": "Familia con su título de propiedad.", "new-captions_mode": "",
    })  # fmt: skip
    post(designer, design_url, {"submit_design": "1", "comment": ""})
    piece.refresh_from_db()
    post(jefe, decide, {"action": "return_design", "comment": "Logo de Bogotá abajo.",
                        "lock_version": piece.lock_version, "reviewed_number": 1})  # fmt: skip
    post(designer, design_url, {
        "upload": "1", "new-file": SimpleUploadedFile("pieza-2.png", png_bytes(color=(10, 90, 10)).getvalue()),
        "new-alt_text": "Versión con el logo.", "new-captions_mode": "",
    })  # fmt: skip
    post(designer, design_url, {"submit_design": "1", "comment": "Corregido"})
    piece.refresh_from_db()
    post(jefe, decide, {"action": "approve_design", "comment": "", "lock_version": piece.lock_version,
                        "reviewed_number": 2, **checks("", CP2)})  # fmt: skip
    piece.refresh_from_db()
    assert piece.state == "approved" and piece.seal_hash
    assert (
        piece.seal_hash
        in jefe.get(reverse("content:piece_detail", args=[piece.pk])).content.decode()
    )
    # Activity 14: publish now on the practice network.
    post(writer, reverse("publishing:piece_publish", args=[piece.pk]),
         {"schedule": "1", "channels": [world.fb.pk, world.x.pk], "when": "now"})  # fmt: skip
    from pregonero.publishing.actions import dispatch_due

    assert dispatch_due() == 2
    assert set(Publication.objects.values_list("status", flat=True)) == {"published"}
    feed = writer.get(
        reverse("publishing:sandbox_feed", args=[world.x.pk])
    ).content.decode()
    assert "120 familias con #TítuloEnMano." in feed
    need.refresh_from_db()
    assert need.state == "attended"
    # Evidence for Control Interno.
    auditor = world.client(world.auditor)
    register = auditor.get(reverse("core:control_register")).content.decode()
    assert "Devuelto para ajustes" in register and "Diga la fecha." in register
    csv = auditor.get(
        reverse("core:control_register"), {"formato": "csv"}
    ).content.decode()
    assert "Oportunidad y veracidad de la información" in csv
    package = auditor.get(reverse("content:evidence_package", args=[piece.pk]))
    archive = zipfile.ZipFile(io.BytesIO(package.content))
    names = archive.namelist()
    assert {"necesidad/necesidad.json", "versiones/v1.txt", "versiones/v2.txt", "revisiones.json",
            "publicaciones.json", "auditoria.jsonl", "manifiesto.json", "LEEME.txt"} <= set(names)  # fmt: skip
    assert any(n.startswith("diseno/v2/") for n in names)
    manifest = __import__("json").loads(archive.read("manifiesto.json"))
    assert manifest["sello_visto_bueno"] == piece.seal_hash
    import hashlib

    for entry in manifest["archivos"]:
        assert (
            hashlib.sha256(archive.read(entry["archivo"])).hexdigest()
            == entry["sha256"]
        )
    assert (
        AuditEvent.objects.filter(action="publishing.publication.published").count()
        == 2
    )


def test_stale_text_edit_in_the_browser_keeps_the_text(world: World) -> None:
    from .conftest import make_piece, write

    piece = make_piece(world)
    write(world, piece, "Versión 1")
    write(world, piece, "Versión 2 de otra persona")
    writer = world.client(world.writer)
    response = writer.post(reverse("content:piece_text", args=[piece.pk]), {
        "body": "Mi texto largo que no quiero perder", "base_version": "1",
        "sources-TOTAL_FORMS": "0", "sources-INITIAL_FORMS": "0", "note": "",
    })  # fmt: skip
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mi texto largo que no quiero perder" in html  # still in the form
    assert "borrador por conflicto" in html
    detail = writer.get(
        reverse("content:piece_detail", args=[piece.pk])
    ).content.decode()
    assert "Recuperarlo en el editor" in detail
    from pregonero.content.models import TextDraft

    draft = TextDraft.objects.get(piece=piece)
    restored = writer.get(
        reverse("content:piece_text", args=[piece.pk]), {"borrador": draft.pk}
    )
    assert "Mi texto largo que no quiero perder" in restored.content.decode()
    writer.post(reverse("content:draft_dismiss", args=[piece.pk, draft.pk]))
    draft.refresh_from_db()
    assert draft.dismissed_at is not None
    assert AuditEvent.objects.filter(action="content.version.draft_dismissed").exists()


def test_other_organization_is_invisible_in_pages(
    world: World, other_world: World
) -> None:
    from .conftest import approved_piece, make_need

    piece = approved_piece(world)
    need = make_need(world)
    client = other_world.client(other_world.jefe)
    for url in (
        reverse("content:piece_detail", args=[piece.pk]),
        reverse("content:piece_review", args=[piece.pk]),
        reverse("intake:need_detail", args=[need.pk]),
        reverse("content:evidence_package", args=[piece.pk]),
        reverse("publishing:piece_publish", args=[piece.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            reverse("content:piece_decide", args=[piece.pk]), {"action": "approve_text"}
        ).status_code
        == 404
    )
    assert piece.title not in client.get(reverse("content:piece_list")).content.decode()


def test_auditor_reads_but_changes_nothing(world: World) -> None:
    from .conftest import make_piece, write

    piece = make_piece(world)
    write(world, piece)
    auditor = world.client(world.auditor)
    assert (
        auditor.get(reverse("content:piece_detail", args=[piece.pk])).status_code == 200
    )
    assert (
        auditor.get(reverse("content:piece_text", args=[piece.pk])).status_code == 403
    )
    response = auditor.post(reverse("content:piece_transition", args=[piece.pk]),
                            {"action": "submit_text", "comment": "", "lock_version": piece.lock_version}, follow=True)  # fmt: skip
    assert "Su rol no le permite" in response.content.decode()
    piece.refresh_from_db()
    assert piece.state == "drafting"
    assert auditor.get(reverse("intake:need_create")).status_code == 403


def test_mfa_is_required_for_approvers(world: World) -> None:
    from allauth.mfa.models import Authenticator

    Authenticator.objects.filter(user=world.jefe).delete()
    client = world.client(world.jefe)
    response = client.get(reverse("core:my_work"))
    assert (
        response.status_code == 302
        and "/cuenta/2fa/totp/activate/" in response["Location"]
    )
    # Those who don't approve are not asked.
    assert world.client(world.writer).get(reverse("core:my_work")).status_code == 200


def test_login_page_is_spanish(world: World) -> None:
    html = Client().get("/cuenta/login/").content.decode()
    assert 'lang="es-CO"' in html and "Contraseña" in html
    assert timezone.now()  # keep the import used
