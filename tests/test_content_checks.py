"""Issue 5, parts 2 and 3: the text checker in the editor (while typing) and at
control points 1 and 2 (errors block the approval unless the reviewer writes
why; the findings, the justification and the checklist stay with the review
and its audit event)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pregonero.accounts.actions import create_api_token
from pregonero.audit.models import AuditEvent
from pregonero.content import actions
from pregonero.content.models import Piece, Review, ReviewDecision, TextVersion
from pregonero.content.workflow import PieceAction, PieceState
from pregonero.core.errors import PermissionDeniedError, ValidationFailed

from .conftest import (
    CHECKS1,
    CHECKS2,
    World,
    add_image,
    grant,
    jpeg_bytes,
    make_piece,
    to_design,
    write,
)

LEGALESE = (
    "Los beneficiarios deberán allegar los documentos so pena de perder el "
    "subsidio de mejoramiento de vivienda."
)
SLOGAN = "Entregamos 120 títulos en Ciudad Bolívar porque Bogotá camina segura."
WHY = "La imagen es el logo del Distrito; su descripción va en el texto del post."


def editor_post(body: str, **variants: str) -> dict[str, str]:
    return {
        "body": body,
        **variants,
        "base_version": "",
        "sources-TOTAL_FORMS": "0",
        "sources-INITIAL_FORMS": "0",
        "note": "",
    }


def check_url(piece: Piece) -> str:
    return reverse("content:piece_text_check", args=[piece.pk])


def design_review_without_alt(w: World) -> Piece:
    """A piece whose image has no alt text, waiting at control point 2. Its
    only channel, the entity's web portal, takes images without a description
    (every social network refuses them, and so does the submission), so only
    the checker stands in the way."""
    piece = to_design(w, make_piece(w, channels=[w.web]))
    add_image(w, piece, alt="")
    actions.submit_design(w.designer, piece)
    piece.refresh_from_db()
    assert piece.state == PieceState.DESIGN_REVIEW
    return piece


# ---------------------------------------------------------------- the editor


def test_writer_sees_each_problem_marked_with_a_better_wording(world: World) -> None:
    piece = make_piece(world)
    writer = world.client(world.writer)
    # While typing: the panel fragment for the text as typed (nothing saved).
    response = writer.post(check_url(piece), editor_post(LEGALESE))
    assert response.status_code == 200
    html = response.content.decode()
    assert not TextVersion.objects.filter(piece=piece).exists()
    # Each problem, marked in the mirror and listed with its rule, source and wording.
    assert '<mark class="chk chk-warning">Los beneficiarios</mark>' in html
    assert '<mark class="chk chk-warning">allegar</mark>' in html
    assert '<mark class="chk chk-warning">so pena de</mark>' in html
    for rule in ("LI-01", "LC-04"):
        assert f'<code class="chk-rule">{rule}</code>' in html
    assert "Acuerdo 381 de 2009" in html and "DNP, Lenguaje claro" in html
    assert "Aplicar «Las personas beneficiarias»" in html
    assert "Aplicar «entregar»" in html
    assert "Prefiera «para no»" in html  # «so pena de»: a wording, no one-click fix
    # The one-click fix carries the exact span it replaces (code-point offsets).
    start = LEGALESE.index("allegar")
    assert (
        f'data-field="id_body" data-start="{start}" data-end="{start + 7}" '
        'data-original="allegar" data-replacement="entregar"'
    ) in html
    # Readability and sentence statistics; the live summary out of band.
    assert "Fernández-Huerta" in html and "palabras por oración" in html
    assert 'hx-swap-oob="innerHTML:#checks-summary"' in html
    assert "advertencias" in html


def test_the_editor_page_renders_the_panel_and_checks_without_javascript(
    world: World,
) -> None:
    piece = make_piece(world, channels=[world.fb, world.x])
    write(world, piece, LEGALESE)
    writer = world.client(world.writer)
    url = reverse("content:piece_text", args=[piece.pk])
    page = writer.get(url).content.decode()
    assert 'id="checks-panel"' in page and 'aria-live="polite"' in page
    assert f'hx-post="{check_url(piece)}"' in page
    assert '<mark class="chk chk-warning">allegar</mark>' in page
    assert "js/editor.js" in page and "<script>" not in page  # no inline script
    # «Revisar el lenguaje sin guardar»: the panel for what was typed, no new version.
    typed = "Las familias deben allegar el formulario."
    response = writer.post(
        url, {**editor_post(typed, preview="1"), "base_version": "1"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert typed in html and '<mark class="chk chk-warning">allegar</mark>' in html
    assert piece.text_versions.count() == 1


def test_the_fragment_escapes_the_text_and_counts_offsets_like_the_textarea(
    world: World,
) -> None:
    piece = make_piece(world)
    writer = world.client(world.writer)
    body = "🏠 Primera línea.\r\n<script>alert(1)</script> Deben allegar el recibo."
    html = writer.post(check_url(piece), editor_post(body)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    typed = body.replace("\r\n", "\n")  # what the browser's textarea holds
    start = typed.index("allegar")  # in code points: the emoji counts one
    assert f'data-start="{start}" data-end="{start + 7}"' in html


def test_each_variant_is_checked_against_its_own_network(world: World) -> None:
    piece = make_piece(world, channels=[world.fb, world.x])
    writer = world.client(world.writer)
    long_post = "Convocatoria abierta para mejorar su vivienda. " * 8  # > 280
    html = writer.post(
        check_url(piece),
        editor_post(
            "Abrimos la convocatoria.",
            **{f"variant_{world.x.pk}_body": long_post.strip()},
        ),
    ).content.decode()
    assert "Variante para X práctica" in html
    assert '<code class="chk-rule">NET-x</code>' in html
    # The main text goes only to Facebook now (X has its own text).
    assert "Texto principal <span" in html and "(Facebook)" in html


def test_the_fragment_endpoint_is_scoped_to_the_organization_and_role(
    world: World, other_world: World
) -> None:
    piece = make_piece(world)
    url = check_url(piece)
    data = editor_post(LEGALESE)
    assert world.client(other_world.writer).post(url, data).status_code == 404
    assert world.client(world.auditor).post(url, data).status_code == 403
    assert world.client(world.liaison).post(url, data).status_code in (403, 404)
    anonymous = Client().post(url, data)
    assert anonymous.status_code == 302 and "/cuenta/login/" in anonymous["Location"]
    assert world.client(world.writer).get(url).status_code == 405
    # CSRF stays on: a session POST without the token is refused.
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.writer)
    assert strict.post(url, data).status_code == 403


# ---------------------------------------------------------------- control points: actions


def test_the_jefe_cannot_approve_an_image_without_alt_text_without_writing_why(
    world: World,
) -> None:
    piece = design_review_without_alt(world)
    with pytest.raises(ValidationFailed) as refused:
        actions.decide_design(
            world.jefe, piece, PieceAction.APPROVE_DESIGN, checklist=CHECKS2
        )
    assert refused.value.code == "checks_errors"
    assert "ACC-01" in refused.value.message
    assert "no tiene texto alternativo" in refused.value.message
    assert "Justificación para aprobar con errores" in refused.value.message
    assert "override_justification" in refused.value.errors
    with pytest.raises(ValidationFailed):  # too short to be a reason
        actions.decide_design(
            world.jefe,
            piece,
            PieceAction.APPROVE_DESIGN,
            checklist=CHECKS2,
            override_justification="   porque sí   ",
        )
    piece.refresh_from_db()
    assert piece.state == PieceState.DESIGN_REVIEW
    assert not Review.objects.filter(piece=piece, control_point=2).exists()
    review = actions.decide_design(
        world.jefe,
        piece,
        PieceAction.APPROVE_DESIGN,
        checklist=CHECKS2,
        checker_checklist={"ACC-04": True},
        override_justification=f"  {WHY}  ",
    )
    piece.refresh_from_db()
    assert piece.state == PieceState.APPROVED and piece.seal_hash
    assert review.override_justification == WHY
    assert review.checker_checklist == {"ACC-04": True}
    acc01 = [f for f in review.findings if f["rule"] == "ACC-01"]
    assert acc01 == [
        {
            "field": "assets",
            "rule": "ACC-01",
            "severity": "error",
            "start": 0,
            "end": 0,
            "excerpt": "",
            "message": "La imagen pieza.jpg no tiene texto alternativo.",
            "source": acc01[0]["source"],
            "asset": 0,
        }
    ]
    event = AuditEvent.objects.get(action="content.design.approved")
    assert event.data["override_justification"] == WHY
    assert event.data["checker_checklist"] == {"ACC-04": True}
    assert event.data["findings"] == review.findings
    assert event.data["finding_counts"]["error"] == 1


def test_a_return_is_never_blocked_and_needs_no_justification(world: World) -> None:
    piece = design_review_without_alt(world)
    review = actions.decide_design(
        world.jefe, piece, PieceAction.RETURN_DESIGN, comment="Falta la descripción."
    )
    assert review.decision == ReviewDecision.RETURNED
    assert review.override_justification == ""
    assert any(f["rule"] == "ACC-01" for f in review.findings)  # still evidence


def test_text_errors_block_control_point_1_and_the_author_still_never_approves(
    world: World,
) -> None:
    piece = make_piece(world)
    write(world, piece, SLOGAN)
    actions.submit_text(world.writer, piece)
    grant(world.writer, "profesional", "jefe")
    with pytest.raises(PermissionDeniedError):  # a justification changes nothing
        actions.decide_text(
            world.writer,
            piece,
            PieceAction.APPROVE_TEXT,
            checklist=CHECKS1,
            override_justification=WHY,
        )
    with pytest.raises(ValidationFailed, match="BRD-03"):
        actions.decide_text(
            world.jefe, piece, PieceAction.APPROVE_TEXT, checklist=CHECKS1
        )
    review = actions.decide_text(
        world.jefe,
        piece,
        PieceAction.APPROVE_TEXT,
        checklist=CHECKS1,
        checker_checklist={"LC-07": True},
        override_justification="Es la frase del decreto que se cita textualmente.",
    )
    assert review.checker_checklist == {"LC-07": True}
    assert [f["excerpt"] for f in review.findings if f["rule"] == "BRD-03"] == [
        "Bogotá camina segura"
    ]


def test_the_stored_findings_are_those_of_the_reviewed_version(world: World) -> None:
    piece = make_piece(world, channels=[world.web])
    write(world, piece, "Las familias deben allegar el formulario antes del viernes.")
    actions.submit_text(world.writer, piece)
    first = actions.decide_text(
        world.jefe, piece, PieceAction.RETURN_TEXT, comment="Sin tecnicismos."
    )
    write(
        world,
        piece,
        "Entregue el formulario antes del viernes, so pena de perder el turno.",
    )
    actions.submit_text(world.writer, piece)
    second = actions.decide_text(
        world.jefe, piece, PieceAction.APPROVE_TEXT, checklist=CHECKS1
    )
    assert first.text_version.number == 1 and second.text_version.number == 2
    assert "allegar" in [f["excerpt"] for f in first.findings]
    excerpts = [f["excerpt"] for f in second.findings]
    assert "so pena de" in excerpts and "allegar" not in excerpts
    # Control point 2 judges the asset set being decided: set 1 lacked the alt
    # text and was returned; set 2 (same file, now described) has no ACC-01.
    piece.refresh_from_db()
    asset = add_image(world, piece, alt="")
    actions.submit_design(world.designer, piece)
    returned = actions.decide_design(
        world.jefe, piece, PieceAction.RETURN_DESIGN, comment="Describa la foto."
    )
    assert returned.asset_set.number == 1
    assert [f["rule"] for f in returned.findings if f["severity"] == "error"] == [
        "ACC-01"
    ]
    piece.refresh_from_db()
    actions.add_asset(
        world.designer, piece, jpeg_bytes(), original_name="otra.jpg", alt_text="Casa."
    )
    piece.refresh_from_db()
    copy = piece.latest_asset_set.assets.get(original_name=asset.original_name)  # type: ignore[union-attr]
    actions.update_asset(
        world.designer, copy, alt_text="Familia frente a su casa.", decorative=False
    )
    actions.submit_design(world.designer, piece)
    approved = actions.decide_design(
        world.jefe, piece, PieceAction.APPROVE_DESIGN, checklist=CHECKS2
    )
    assert approved.asset_set.number == 2  # type: ignore[union-attr]
    assert approved.override_justification == ""
    assert not [f for f in approved.findings if f["rule"] == "ACC-01"]
    assert {f["field"] for f in approved.findings} <= {"body", "assets"}


# ---------------------------------------------------------------- control points: pages


def test_review_page_blocks_approval_until_the_jefe_writes_why(world: World) -> None:
    piece = design_review_without_alt(world)
    jefe = world.client(world.jefe)
    review_url = reverse("content:piece_review", args=[piece.pk])
    page = jefe.get(review_url).content.decode()
    assert (
        "Revisión del lenguaje y la accesibilidad: texto versión 1 y diseño versión 1"
        in page
    )
    assert '<code class="chk-rule">ACC-01</code>' in page
    assert "Justificación para aprobar con errores" in page
    assert 'name="checker_ACC_04"' in page
    assert "data-apply" not in page  # the reviewer reads; only the editor applies
    form = {
        "action": "approve_design",
        "comment": "Revisado en el teléfono.",
        "lock_version": piece.lock_version,
        "reviewed_number": 1,
        "checker_ACC_04": "on",
        **{f"check_{k}": "on" for k in CHECKS2},
    }
    decide = reverse("content:piece_decide", args=[piece.pk])
    response = jefe.post(decide, form)
    assert response.status_code == 200
    html = response.content.decode()
    assert "ACC-01" in html and "Escriba al menos 20 caracteres." in html
    # What the Jefe typed and ticked is still there.
    assert "Revisado en el teléfono." in html
    assert re.search(r'name="checker_ACC_04"[^>]*checked', html)
    assert re.search(r'name="check_importance"[^>]*checked', html)
    piece.refresh_from_db()
    assert piece.state == PieceState.DESIGN_REVIEW
    response = jefe.post(decide, {**form, "override_justification": WHY})
    assert response.status_code == 302
    review = Review.objects.get(piece=piece, control_point=2)
    assert review.override_justification == WHY
    assert review.checker_checklist == {"ACC-04": True}
    assert review.comment == "Revisado en el teléfono."
    detail = jefe.get(reverse("content:piece_detail", args=[piece.pk])).content.decode()
    assert "Aprobada con errores:" in detail and WHY in detail


def test_review_page_queries_do_not_grow_with_variants_files_and_findings(
    world: World,
) -> None:
    def count(piece: Piece) -> int:
        client = world.client(world.jefe)
        url = reverse("content:piece_review", args=[piece.pk])
        client.get(url)  # warm the caches (settings, permissions)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    small = make_piece(world, title="Pequeña", channels=[world.web])
    write(
        world, small, "Texto corto.", variants={world.web.pk: ("", "Para el portal.")}
    )
    actions.submit_text(world.writer, small)
    actions.decide_text(world.jefe, small, PieceAction.APPROVE_TEXT, checklist=CHECKS1)
    small.refresh_from_db()
    add_image(world, small, alt="")
    actions.submit_design(world.designer, small)
    large = make_piece(world, title="Grande", channels=[world.fb, world.ig, world.x])
    write(world, large, LEGALESE)
    write(world, large, LEGALESE + " " + LEGALESE, variants={
        world.fb.pk: ("", "Los beneficiarios deberán allegar los papeles."),
        world.x.pk: ("", "Allegue los documentos."),
    })  # fmt: skip
    actions.submit_text(world.writer, large)
    actions.decide_text(world.jefe, large, PieceAction.APPROVE_TEXT, checklist=CHECKS1)
    large.refresh_from_db()
    for index in range(3):
        actions.add_asset(
            world.designer,
            large,
            jpeg_bytes(color=(index * 40, 20, 20)),
            original_name=f"foto-{index}.jpg",
            alt_text=("Familia en su casa.", "imagen", "Entrega de títulos.")[index],
        )
    actions.submit_design(world.designer, large)
    assert count(large) == count(small)


# ---------------------------------------------------------------- control points: API


def test_api_decision_needs_override_justification_for_errors(world: World) -> None:
    piece = design_review_without_alt(world)
    _token, secret = create_api_token(world.jefe, name="pruebas")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    def decide(**extra: Any) -> Any:
        body = {
            "action": "approve_design",
            "reviewed_number": 1,
            "checklist": CHECKS2,
            **extra,
        }
        return api.post(
            f"/api/v1/pieces/{piece.pk}/reviews",
            json.dumps(body),
            content_type="application/json",
        )

    checks = api.get(f"/api/v1/pieces/{piece.pk}/checks").json()
    assert checks["has_errors"] and checks["asset_set"] == 1
    assert [f["rule"] for g in checks["fields"] for f in g["findings"] if f["severity"] == "error"] == ["ACC-01"]  # fmt: skip
    refused = decide()
    assert refused.status_code == 422
    error = refused.json()
    assert "ACC-01" in json.dumps(error, ensure_ascii=False)
    assert "Justificación para aprobar con errores" in json.dumps(
        error, ensure_ascii=False
    )
    assert decide(override_justification="corto").status_code == 422
    accepted = decide(override_justification=WHY, checker_checklist={"ACC-04": True})
    assert accepted.status_code == 201, accepted.content
    data = accepted.json()
    assert data["override_justification"] == WHY
    assert data["checker_checklist"] == {"ACC-04": True}
    assert any(
        f["rule"] == "ACC-01" and f["severity"] == "error" for f in data["findings"]
    )
    assert data["piece"]["state"] == "approved"


def test_api_return_needs_no_justification_and_unknown_questions_are_refused(
    world: World,
) -> None:
    piece = design_review_without_alt(world)
    _token, secret = create_api_token(world.jefe, name="pruebas")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    url = f"/api/v1/pieces/{piece.pk}/reviews"
    unknown = api.post(url, json.dumps({"action": "return_design", "comment": "Ajuste.",
                                        "checker_checklist": {"XX-99": True}}),
                       content_type="application/json")  # fmt: skip
    assert unknown.status_code == 422
    returned = api.post(url, json.dumps({"action": "return_design", "comment": "Ajuste."}),
                        content_type="application/json")  # fmt: skip
    assert returned.status_code == 201
    assert returned.json()["decision"] == "returned"


def test_a_stale_decision_shows_the_current_state_and_keeps_what_was_typed(
    world: World,
) -> None:
    piece = design_review_without_alt(world)
    jefe = world.client(world.jefe)
    response = jefe.post(
        reverse("content:piece_decide", args=[piece.pk]),
        {
            "action": "approve_design",
            "comment": "Lo revisé con la dependencia.",
            "override_justification": WHY,
            "lock_version": piece.lock_version - 1,  # someone acted since
            "reviewed_number": 1,
            **{f"check_{k}": "on" for k in CHECKS2},
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "La pieza cambió desde que usted abrió la página" in html
    assert "Lo revisé con la dependencia." in html and WHY in html
    assert f'name="lock_version" value="{piece.lock_version}"' in html
    piece.refresh_from_db()
    assert piece.state == PieceState.DESIGN_REVIEW
