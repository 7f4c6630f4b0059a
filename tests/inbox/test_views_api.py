"""The Bandeja in the browser and through the API: roles, scoping, masking, export."""

from __future__ import annotations

import csv
import io

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from pregonero.accounts.actions import create_api_token
from pregonero.inbox import actions
from pregonero.inbox.models import InboundItem, Petition
from tests.conftest import World

from .helpers import at, petition, receive


def api(world: World, user: object) -> Client:
    _token, secret = create_api_token(user, name="prueba")  # type: ignore[arg-type]
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def with_personal_data(world: World) -> Petition:
    p = petition(world)
    actions.update_petition(
        world.writer,
        p,
        actions.PetitionFields(
            petitioner_name="Ana María Pérez",
            petitioner_document="1012345678",
            petitioner_contact="ana.perez@correo.example",
        ),
    )
    return p


def test_list_and_detail_by_role(world: World, other_world: World) -> None:
    p = with_personal_data(world)
    receive(world.fb, text="Felicitaciones por la entrega de títulos")
    url = reverse("inbox:item_list")
    detail = reverse("inbox:item_detail", args=[p.item_id])
    for persona in ("jefe", "writer", "strategist", "auditor"):
        response = world.client(getattr(world, persona)).get(url)
        assert response.status_code == 200, persona
        assert "Bandeja de atención" in response.content.decode()
        assert "1012345678" not in response.content.decode()
    for persona in ("liaison", "director", "admin"):
        assert world.client(getattr(world, persona)).get(url).status_code == 403
    # Another organization's item does not exist for them.
    assert other_world.client(other_world.writer).get(detail).status_code == 404
    # The writer sees the personal data; Control Interno sees it masked.
    assert "1012345678" in world.client(world.writer).get(detail).content.decode()
    auditor_page = world.client(world.auditor).get(detail).content.decode()
    assert "1012345678" not in auditor_page and "•678" in auditor_page
    # No forms for a reader.
    assert reverse("inbox:item_post", args=[p.item_id, "triage"]) not in auditor_page
    assert "csrfmiddlewaretoken" not in auditor_page.split("<main", 1)[-1]


def test_filters(world: World) -> None:
    receive(world.fb, text="uno")
    receive(world.x, text="dos", kind="mention")
    petition(world, "complaint")
    client = world.client(world.writer)
    url = reverse("inbox:item_list")

    def rows(**params: str) -> int:
        return len(client.get(url, params).context["rows"])

    assert rows() == 3
    assert rows(red="x") == 1
    assert rows(tipo="mention") == 1
    assert rows(tipologia="complaint") == 1
    assert rows(estado="new") == 2
    assert rows(radicado="sin") == 1
    with time_machine.travel(at(2026, 6, 1, 9, 0), tick=False):
        assert rows(vencidas="1") == 3
    # Answered, or not applicable: never overdue; a petition is overdue by its
    # legal term, not by the first-response target.
    spam = receive(world.fb, text="spam")
    actions.triage(world.writer, spam, "not_applicable", reason="Publicidad")
    answered = receive(world.x, text="tres", kind="mention")
    actions.mark_responded(world.writer, answered)
    with time_machine.travel(at(2026, 6, 1, 9, 0), tick=False):
        assert rows(vencidas="1") == 3


def test_triage_form_keeps_what_was_typed_on_refusal(world: World) -> None:
    item = receive(world.fb)
    client = world.client(world.writer)
    post = reverse("inbox:item_post", args=[item.pk, "triage"])
    response = client.post(
        post,
        {
            "decision": "petition",
            "reason": "Pide información de su caso",
            "lock_version": 1,
        },
    )
    assert response.status_code == 422
    assert "Pide información de su caso" in response.content.decode()
    # A stale version is refused with a message, the typed text kept.
    actions.assign(world.jefe, item, world.designer)
    response = client.post(
        post,
        {"decision": "interaction", "reason": "Saludo", "lock_version": 1},
    )
    assert response.status_code == 422
    assert "cambió" in response.content.decode()
    response = client.post(
        post,
        {"decision": "petition", "typology": "information", "lock_version": 2},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.petition.term_days == 10


def test_radicado_and_close_in_the_browser(world: World) -> None:
    p = petition(world)
    client = world.client(world.writer)

    def step(name: str, **data: object) -> int:
        p.refresh_from_db()
        data.setdefault("lock_version", p.lock_version)
        url = reverse("inbox:item_post", args=[p.item_id, name])
        return client.post(url, data).status_code

    assert step("answer", text="Respondida por correo certificado.") == 302
    assert step("close") == 422  # no radicado
    assert step("radicado", radicado="2026-ER-000123") == 302
    assert step("close") == 302
    p.refresh_from_db()
    assert p.state == "closed"


def test_manual_registration(world: World) -> None:
    client = world.client(world.writer)
    response = client.post(
        reverse("inbox:item_create"),
        {
            "kind": "phone",
            "author_handle": "Ciudadano por teléfono",
            "text": "Pide copia de la resolución de reasentamiento.",
            "received_at": "2026-03-20T10:30",
        },
    )
    assert response.status_code == 302
    item = InboundItem.objects.get()
    assert item.registered_by == world.writer and item.channel is None
    # Refused input keeps what was typed.
    response = client.post(
        reverse("inbox:item_create"),
        {"kind": "phone", "author_handle": "", "text": "Texto escrito"},
    )
    assert response.status_code == 200 and "Texto escrito" in response.content.decode()
    assert (
        world.client(world.auditor).get(reverse("inbox:item_create")).status_code == 403
    )


def test_export_masks_personal_data(world: World) -> None:
    p = with_personal_data(world)
    client = world.client(world.auditor)
    response = client.get(reverse("inbox:export"), {"mes": "2026-03", "formato": "csv"})
    text = response.content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[1][0] == p.number
    assert (
        "1012345678" not in text and "Ana María" not in text and "ana.perez" not in text
    )
    assert "•••••••678" in text and "a•••@correo.example" in text
    response = client.get(
        reverse("inbox:export"), {"mes": "2026-03", "formato": "xlsx"}
    )
    book = load_workbook(io.BytesIO(response.content))
    cells = " ".join(
        str(c.value) for sheet in book for row in sheet.iter_rows() for c in row
    )
    assert "1012345678" not in cells and "Ana María" not in cells
    assert "Resumen" in book.sheetnames


def test_api_flow_and_masking(world: World, other_world: World) -> None:
    item = receive(world.fb)
    writer = api(world, world.writer)
    listed = writer.get("/api/v1/inbox/items").json()
    assert listed["count"] == 1
    response = writer.post(
        f"/api/v1/inbox/items/{item.pk}/triage",
        {"decision": "petition", "typology": "claim"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["petition"]["term_days"] == 15
    base = f"/api/v1/inbox/items/{item.pk}"
    assert (
        writer.post(
            f"{base}/notes", {"text": "Llamar"}, content_type="application/json"
        ).status_code
        == 201
    )
    assert (
        writer.post(
            f"{base}/assignment",
            {"assignee_id": world.designer.pk},
            content_type="application/json",
        ).status_code
        == 200
    )
    patched = writer.patch(
        f"{base}/petition",
        {"petitioner_document": "1012345678", "dependency_id": world.dr.pk},
        content_type="application/json",
    )
    assert patched.json()["petitioner_document"] == "1012345678"
    answer = writer.post(
        f"{base}/petition/steps",
        {"action": "answer", "text": "Respuesta."},
        content_type="application/json",
    )
    assert answer.status_code == 200
    refused = writer.post(
        f"{base}/petition/steps", {"action": "close"}, content_type="application/json"
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "radicado_required")
    writer.patch(
        f"{base}/petition", {"radicado": "R-1"}, content_type="application/json"
    )
    closed = writer.post(
        f"{base}/petition/steps", {"action": "close"}, content_type="application/json"
    )
    assert closed.json()["state"] == "closed"
    # Control Interno reads, masked, and changes nothing.
    auditor = api(world, world.auditor)
    seen = auditor.get(base).json()["petition"]
    assert (
        seen["personal_data_masked"] and "1012345678" not in seen["petitioner_document"]
    )
    assert (
        auditor.post(
            f"{base}/notes", {"text": "x"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert api(world, world.liaison).get("/api/v1/inbox/items").status_code == 403
    assert api(other_world, other_world.writer).get(base).status_code == 404
    export = auditor.get("/api/v1/inbox/export", {"month": "2026-03"})
    assert export.status_code == 200 and b"1012345678" not in export.content


def test_monthly_report_figures(world: World) -> None:
    import datetime

    from pregonero.analytics.figures import citizen_attention

    march = (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
    assert citizen_attention(world.org, *march) is None  # nothing invented
    p = petition(world)
    receive(world.fb)
    actions.record_answer(world.writer, p, "Respuesta.")
    figures = citizen_attention(world.org, *march)
    assert figures is not None
    values = {r["label"]: r["value"] for r in figures["rows"]}
    assert values["Mensajes recibidos (comentarios, menciones, mensajes)"] == 2
    assert values["Clasificados como petición (PQRSD)"] == 1
    assert values["Peticiones sin radicado en Bogotá te escucha"] == 1


def test_the_demo_fills_the_bandeja(db: object) -> None:
    from django.db import transaction

    from pregonero.core.management.commands.demo import build_demo
    from pregonero.core.models import Organization

    with transaction.atomic():
        build_demo()
    org = Organization.objects.get(slug="cvp")
    assert InboundItem.objects.for_org(org).count() >= 7
    states = set(Petition.objects.for_org(org).values_list("state", flat=True))
    assert states == {"open", "closed"}
    writer = org.users.get(username="profesional")  # type: ignore[attr-defined]
    client = Client()
    client.force_login(writer)
    page = client.get(reverse("inbox:item_list")).content.decode()
    assert "@carlos.reasent" in page and "del término" in page


def test_api_list_filters_like_the_page_and_caps_its_count(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pregonero.api import inbox as api_inbox

    receive(world.fb, text="uno")
    receive(world.fb, text="dos")
    receive(world.x, text="tres", kind="mention")
    petition(world, "complaint")
    writer = api(world, world.writer)
    listed = writer.get("/api/v1/inbox/items").json()
    assert listed["count"] == 4 and listed["count_capped"] is False
    assert writer.get("/api/v1/inbox/items?network=x").json()["count"] == 1
    assert writer.get("/api/v1/inbox/items?without_radicado=true").json()["count"] == 1
    monkeypatch.setattr(api_inbox, "COUNT_CAP", 2)
    capped = writer.get("/api/v1/inbox/items?limit=3").json()
    assert capped["count"] == 2 and capped["count_capped"] is True
    assert len(capped["items"]) == 3  # the page itself is not cut
