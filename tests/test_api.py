"""The whole procedure through /api/v1/, with tokens, and its error contract."""

from __future__ import annotations

import datetime
import io
import json
import zipfile
from typing import Any

from django.test import Client
from django.utils import timezone

from pregonero.accounts.actions import create_api_token
from pregonero.audit.actions import verify_chain
from pregonero.audit.models import chain_key

from .conftest import CHECKS1, CHECKS2, World, png_bytes


class Api:
    def __init__(self, user: Any) -> None:
        _token, secret = create_api_token(user, name="pruebas")
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params)

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        if "files" in kw:
            return self.client.post(f"/api/v1{path}", {**(body or {}), **kw["files"]})
        return self.client.post(
            f"/api/v1{path}", json.dumps(body or {}), content_type="application/json"
        )

    def put(self, path: str, body: Any) -> Any:
        return self.client.put(
            f"/api/v1{path}", json.dumps(body), content_type="application/json"
        )

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(
            f"/api/v1{path}", json.dumps(body), content_type="application/json"
        )


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content.decode()[:2000]
    return (
        response.json()
        if response.get("Content-Type", "").startswith("application/json")
        else response
    )


def test_the_procedure_end_to_end_through_the_api(world: World) -> None:
    liaison, jefe, writer, designer = (
        Api(world.liaison),
        Api(world.jefe),
        Api(world.writer),
        Api(world.designer),
    )
    # Activity 1: a liaison raises a need; the Jefe sends it to the planning meeting.
    need = ok(liaison.post("/needs", {
        "title": "Convocatoria Curaduría al Parque", "description": "Jornada en El Curubo.",
        "source": "liaison", "dependency_id": world.dmv.pk, "urgency": "high",
        "audience_ids": [a.pk for a in world.audiences],
        "desired_date": str(timezone.localdate() + datetime.timedelta(days=5)),
    }), 201)  # fmt: skip
    assert need["state"] == "registered"
    triaged = ok(
        jefe.post(
            f"/needs/{need['id']}/triage",
            {"action": "triage_planning", "note": "Al comité"},
        )
    )
    assert triaged["need"]["state"] == "for_planning" and triaged["piece_id"] is None
    # Activity 2: the meeting and its acta.
    start = timezone.now().replace(microsecond=0).isoformat()
    meeting = ok(writer.post("/meetings", {
        "title": "Comité de contenidos", "starts_at": start, "place": "Sala OAC",
        "chaired_by_id": world.jefe.pk,
        "attendees": [{"user_id": world.jefe.pk}, {"user_id": world.writer.pk}],
        "agenda": [{"need_id": need["id"], "products": "Pieza gráfica", "channel_ids": [world.fb.pk],
                    "responsible_id": world.writer.pk}],
        "commitments": [{"description": "Confirmar horario", "responsible_id": world.liaison.pk}],
    }), 201)  # fmt: skip
    acta = ok(jefe.post(f"/meetings/{meeting['id']}/issue"), 201)
    assert acta["version"] == 1
    pdf = writer.get(f"/meetings/{meeting['id']}/acta/1.pdf")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(
        b"%PDF"
    )
    # Activity 3: the plan, a liaison's comment, and production.
    item = ok(writer.post("/plan-items", {
        "title": "Pieza Curaduría al Parque", "dependency_id": world.dmv.pk, "need_id": need["id"],
        "agenda_item_id": meeting["agenda"][0]["id"], "liaison_id": world.liaison.pk,
        "planned_date": str(timezone.localdate() + datetime.timedelta(days=4)),
        "channel_ids": [world.fb.pk, world.x.pk],
    }), 201)  # fmt: skip
    ok(
        liaison.post(
            f"/plan-items/{item['id']}/comments", {"body": "Llevar el certificado."}
        ),
        201,
    )
    piece_id = ok(writer.post(f"/plan-items/{item['id']}/produce"), 201)["piece_id"]
    piece = ok(writer.get(f"/pieces/{piece_id}"))
    assert piece["state"] == "drafting" and set(piece["channel_ids"]) == {
        world.fb.pk,
        world.x.pk,
    }
    # Activities 5–8: text, control point 1 returns it, the writer fixes it.
    ok(writer.post(f"/pieces/{piece_id}/versions", {
        "base_version": None, "body": "Llega la Curaduría al Parque.",
        "sources": [{"description": "Curaduría Pública Social"}],
        "variants": [{"channel_id": world.x.pk, "body": "Curaduría al Parque en El Curubo."}],
    }), 201)  # fmt: skip
    ok(writer.post(f"/pieces/{piece_id}/submit-text", {}))
    assert ok(jefe.get(f"/pieces/{piece_id}"))["allowed_actions"] == [
        "approve_text", "approve_text_final", "return_text", "cancel"]  # fmt: skip
    ok(jefe.post(f"/pieces/{piece_id}/reviews", {"action": "return_text", "reviewed_number": 1,
                                                 "comment": "Falta el horario."}), 201)  # fmt: skip
    ok(writer.post(f"/pieces/{piece_id}/versions", {"base_version": 1,
                                                    "body": "Llega la Curaduría al Parque, de 8 a 3."}), 201)  # fmt: skip
    diff = ok(writer.get(f"/pieces/{piece_id}/diff", a=1, b=2))
    assert ("insert", "Parque, de 8 a 3.") in [tuple(s) for s in diff["segments"]]
    ok(writer.post(f"/pieces/{piece_id}/submit-text", {}))
    review = ok(jefe.post(f"/pieces/{piece_id}/reviews", {
        "action": "approve_text", "reviewed_number": 2, "checklist": CHECKS1}), 201)  # fmt: skip
    assert review["piece"]["state"] == "design"
    # Activities 9–12: design, control point 2 returns it, the designer fixes it.
    asset = ok(designer.post(f"/pieces/{piece_id}/assets", {"alt_text": ""},
                             files={"file": _file(png_bytes(), "pieza.png")}), 201)  # fmt: skip
    assert asset["accessibility_problem"]
    refused = designer.post(f"/pieces/{piece_id}/submit-design", {})
    assert refused.status_code == 422 and refused.json()["code"] == "validation_error"
    ok(designer.patch(f"/pieces/{piece_id}/assets/{asset['id']}",
                      {"alt_text": "Afiche: Curaduría al Parque, sábado en El Curubo."}))  # fmt: skip
    ok(designer.post(f"/pieces/{piece_id}/submit-design", {}))
    ok(
        jefe.post(
            f"/pieces/{piece_id}/reviews",
            {"action": "return_design", "comment": "Logo abajo."},
        ),
        201,
    )
    ok(designer.post(f"/pieces/{piece_id}/assets", {"alt_text": "Afiche corregido."},
                     files={"file": _file(png_bytes(color=(0, 80, 160)), "pieza-2.png")}), 201)  # fmt: skip
    ok(designer.post(f"/pieces/{piece_id}/submit-design", {}))
    # Activity 13: the visto bueno seals text and design.
    final = ok(jefe.post(f"/pieces/{piece_id}/reviews", {
        "action": "approve_design", "reviewed_number": 2, "checklist": CHECKS2}), 201)  # fmt: skip
    assert final["seal_hash"] and final["piece"]["state"] == "approved"
    assert (
        final["piece"]["approved_version"] == 2
        and final["piece"]["approved_design"] == 2
    )
    # Activity 14: the sandbox channel and a manual one.
    publication = ok(
        writer.post(f"/pieces/{piece_id}/publications", {"channel_id": world.fb.pk}),
        201,
    )
    from pregonero.publishing.actions import publish_now

    assert publish_now(publication["id"]).status == "published"
    published = ok(writer.get(f"/publications/{publication['id']}"))
    assert (
        published["status"] == "published"
        and published["seal_hash"] == final["seal_hash"]
    )
    manual = ok(writer.post(f"/pieces/{piece_id}/manual-publications", {
        "channel_id": world.x.pk, "permalink": "https://x.com/cvp/status/1",
        "published_at": timezone.now().isoformat()}), 201)  # fmt: skip
    assert manual["status"] == "published"
    # The records: timeline, control register, audit events, evidence package.
    timeline = ok(writer.get(f"/pieces/{piece_id}/timeline"))
    labels = [e["label"] for e in timeline]
    assert (
        "Texto devuelto para ajustes" in labels
        and "Versión final sellada (visto bueno)" in labels
    )
    register = ok(Api(world.auditor).get("/control-register"))
    assert {r["decision"] for r in register["items"]} == {"approved", "returned"}
    events = ok(
        Api(world.auditor).get(
            "/audit-events", target_type="content.piece", target_id=str(piece_id)
        )
    )
    assert events["count"] > 10
    verify = ok(Api(world.auditor).post("/audit-events/verify"))
    assert verify["ok"] is True
    zipped = Api(world.auditor).get(f"/pieces/{piece_id}/evidence")
    assert zipped.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(zipped.content)).namelist()
    assert (
        "auditoria.jsonl" in names
        and "versiones/v2.txt" in names
        and "manifiesto.json" in names
    )
    assert verify_chain(chain_key(world.org))[1] is None


def _file(data: io.BytesIO, name: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data.getvalue())


def test_error_contract(world: World, other_world: World) -> None:
    writer, jefe = Api(world.writer), Api(world.jefe)
    # 401 without credentials, 401 with a revoked token.
    assert Client().get("/api/v1/pieces").json()["code"] == "unauthenticated"
    assert (
        Client(HTTP_AUTHORIZATION="Bearer prg_nada_malo").get("/api/v1/me").status_code
        == 401
    )
    # 422 with a Spanish message per field.
    bad = writer.post(
        "/needs",
        {"title": "", "description": "x", "source": "otro", "dependency_id": "uno"},
    )
    assert bad.status_code == 422
    body = bad.json()
    assert (
        body["code"] == "validation_error"
        and body["message"] == "Los datos enviados no son válidos."
    )
    assert "source" in body["errors"] and "dependency_id" in body["errors"]
    # 404 for another organization's ids (never 403, never leaking existence).
    foreign = Api(other_world.writer)
    piece = ok(
        writer.post("/pieces", {"title": "Pieza", "channel_ids": [world.fb.pk]}), 201
    )
    for response in (
        foreign.get(f"/pieces/{piece['id']}"),
        foreign.post(f"/pieces/{piece['id']}/submit-text", {}),
    ):
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert (
        writer.post(
            "/pieces", {"title": "X", "channel_ids": [other_world.fb.pk]}
        ).status_code
        == 422
    )
    # 409 for an illegal transition and for a stale version.
    illegal = writer.post(f"/pieces/{piece['id']}/submit-design", {})
    assert (
        illegal.status_code == 409
        and illegal.json()["code"] == "transition_not_allowed"
    )
    ok(
        writer.post(
            f"/pieces/{piece['id']}/versions", {"base_version": None, "body": "v1"}
        ),
        201,
    )
    ok(
        writer.post(
            f"/pieces/{piece['id']}/versions", {"base_version": 1, "body": "v2"}
        ),
        201,
    )
    stale = writer.post(
        f"/pieces/{piece['id']}/versions", {"base_version": 1, "body": "mi v2"}
    )
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    assert stale.json()["draft_id"] and "borrador" in stale.json()["message"]
    # 403 for a role without the power; the author never approves.
    ok(writer.post(f"/pieces/{piece['id']}/submit-text", {}))
    denied = writer.post(
        f"/pieces/{piece['id']}/reviews",
        {"action": "approve_text", "checklist": CHECKS1},
    )
    assert denied.status_code == 403 and denied.json()["code"] == "permission_denied"
    auditor = Api(world.auditor)
    assert auditor.post("/pieces", {"title": "Pieza"}).status_code == 403
    assert auditor.get(f"/pieces/{piece['id']}").status_code == 200  # reads everything
    # Scheduling in the past is refused.
    ok(
        jefe.post(
            f"/pieces/{piece['id']}/reviews",
            {"action": "approve_text_final", "checklist": CHECKS1},
        ),
        201,
    )
    past = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    refused = writer.post(
        f"/pieces/{piece['id']}/publications",
        {"channel_id": world.fb.pk, "scheduled_at": past},
    )
    assert refused.status_code == 422 and "ya pasó" in refused.json()["message"]


def test_session_auth_requires_csrf(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.writer)
    assert client.get("/api/v1/me").json()["username"] == world.writer.username
    response = client.post(
        "/api/v1/pieces", json.dumps({"title": "x"}), content_type="application/json"
    )
    assert response.status_code in (401, 403)


def test_openapi_and_docs(world: World) -> None:
    spec = Client().get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    for path in ("/api/v1/needs", "/api/v1/needs/{need_id}/triage", "/api/v1/meetings/{meeting_id}/issue",
                 "/api/v1/pieces/{piece_id}/reviews", "/api/v1/pieces/{piece_id}/publications",
                 "/api/v1/audit-events", "/api/v1/pieces/{piece_id}/evidence"):  # fmt: skip
        assert path in paths
    assert Client().get("/api/v1/docs").status_code == 200
