"""Activities 2–4: the meeting and its acta (versions), the plan, the calendar, joint actions."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from docx import Document
from pypdf import PdfReader

from pregonero.core.errors import (
    PermissionDeniedError,
    TransitionNotAllowed,
    ValidationFailed,
)
from pregonero.intake.actions import triage_need
from pregonero.intake.workflow import NeedAction, NeedState
from pregonero.planning import actions
from pregonero.planning.models import MeetingState

from .conftest import World, approved_piece, make_need


def _meeting(world: World, need: object = None) -> actions.MeetingData:
    start = timezone.now().replace(microsecond=0)
    return actions.MeetingData(
        title="Comité de contenidos",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        place="Sala de juntas",
        chaired_by=world.jefe,
        development="Se revisó el informe estratégico.",
        attendees=[
            actions.AttendeeData(name=str(world.jefe), position="Jefe OAC", user=world.jefe),
            actions.AttendeeData(name="Invitada de Hábitat", affiliation="Secretaría del Hábitat", is_external=True),
        ],
        agenda=[
            actions.AgendaData(
                topic="Curaduría al Parque en El Curubo", need=need,  # type: ignore[arg-type]
                sources_to_consult="Curaduría Pública Social", products="Pieza gráfica",
                channels=[world.fb, world.x], responsible=world.writer,
                due_date=timezone.localdate() + datetime.timedelta(days=3),
            )
        ],
        commitments=[
            actions.CommitmentData(description="Confirmar horario", responsible=world.liaison,
                                   due_date=timezone.localdate() + datetime.timedelta(days=2)),
        ],
    )  # fmt: skip


def test_meeting_issue_acta_and_new_version(world: World) -> None:
    need = make_need(world)
    triage_need(world.jefe, need, NeedAction.TRIAGE_PLANNING)
    meeting = actions.create_meeting(world.strategist, _meeting(world, need))
    assert meeting.number.startswith("ACT-")
    # Only the Jefe (or a delegate) issues the acta.
    with pytest.raises(PermissionDeniedError):
        actions.issue_acta(world.strategist, meeting)
    acta = actions.issue_acta(world.jefe, meeting)
    meeting.refresh_from_db()
    need.refresh_from_db()
    assert meeting.state == MeetingState.ISSUED and acta.number == 1
    assert need.state == NeedState.IN_PLAN  # the meeting decided what to make of it
    docx_text = "\n".join(p.text for p in Document(acta.docx.open("rb")).paragraphs)
    assert "Se revisó el informe estratégico." in docx_text
    pdf_text = "".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(acta.pdf.open("rb").read())).pages
    )
    assert "208-SADM-Ft-06" in pdf_text and "Curaduría al Parque" in pdf_text
    assert "Invitada de Hábitat" in pdf_text and "Confirmar horario" in pdf_text
    # An issued acta is a record: editing is refused; reopening makes version 2.
    with pytest.raises(TransitionNotAllowed):
        actions.update_meeting(
            world.strategist,
            meeting,
            _meeting(world),
            lock_version=meeting.lock_version,
        )
    with pytest.raises(ValidationFailed):
        actions.reopen_acta(world.jefe, meeting, reason="")
    actions.reopen_acta(
        world.jefe, meeting, reason="Se corrige la fecha del compromiso"
    )
    meeting.refresh_from_db()
    data = _meeting(world, need)
    data.commitments[0].description = "Confirmar horario con la Curaduría"
    actions.update_meeting(
        world.strategist, meeting, data, lock_version=meeting.lock_version
    )
    second = actions.issue_acta(world.jefe, meeting)
    assert (
        second.number == 2
        and second.change_reason == "Se corrige la fecha del compromiso"
    )
    assert second.content_hash != acta.content_hash
    acta.refresh_from_db()
    assert (
        acta.snapshot["commitments"][0]["description"] == "Confirmar horario"
    )  # version 1 unchanged


def test_stale_meeting_edit_is_refused(world: World) -> None:
    meeting = actions.create_meeting(world.strategist, _meeting(world))
    stale = meeting.lock_version
    actions.update_meeting(world.writer, meeting, _meeting(world), lock_version=stale)
    from pregonero.core.errors import ConflictError

    with pytest.raises(ConflictError):
        actions.update_meeting(
            world.strategist, meeting, _meeting(world), lock_version=stale
        )


def test_meeting_through_the_browser_with_formsets(world: World) -> None:
    client = world.client(world.strategist)
    start = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    data = {
        "title": "Comité", "starts_at": start, "place": "Sala 2", "chaired_by": world.jefe.pk,
        "attendees-TOTAL_FORMS": "2", "attendees-INITIAL_FORMS": "0",
        "attendees-0-user": world.writer.pk, "attendees-0-attended": "on",
        "attendees-1-name": "Invitado externo", "attendees-1-is_external": "on", "attendees-1-attended": "on",
        "agenda-TOTAL_FORMS": "1", "agenda-INITIAL_FORMS": "0",
        "agenda-0-topic": "Plan Terrazas", "agenda-0-channels": [world.fb.pk],
        "commitments-TOTAL_FORMS": "1", "commitments-INITIAL_FORMS": "0",
        "commitments-0-description": "", "commitments-0-responsible_name": "",
    }  # fmt: skip
    response = client.post(reverse("planning:meeting_create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    from pregonero.planning.models import Meeting

    meeting = Meeting.objects.get()
    assert [a.name for a in meeting.attendees.all()] == [
        str(world.writer),
        "Invitado externo",
    ]
    assert meeting.agenda.get().channels.get() == world.fb
    assert (
        client.get(reverse("planning:meeting_detail", args=[meeting.pk])).status_code
        == 200
    )
    jefe = world.client(world.jefe)
    assert (
        jefe.post(reverse("planning:meeting_issue", args=[meeting.pk])).status_code
        == 302
    )
    pdf = jefe.get(reverse("planning:acta_download", args=[meeting.pk, 1, "pdf"]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]


def test_plan_items_and_liaison_comments(world: World) -> None:
    need = make_need(world)
    triage_need(world.jefe, need, NeedAction.TRIAGE_PLANNING)
    item = actions.create_plan_item(world.writer, actions.PlanItemData(
        title="Convocatoria Plan Terrazas", dependency=world.dmv, need=need, liaison=world.liaison,
        planned_date=timezone.localdate() + datetime.timedelta(days=4), channels=[world.fb],
    ))  # fmt: skip
    need.refresh_from_db()
    assert need.state == NeedState.IN_PLAN
    actions.comment_plan_item(
        world.liaison, item, "Incluir el requisito del certificado."
    )
    other = actions.create_plan_item(world.writer, actions.PlanItemData(
        title="Otro tema", dependency=world.dr, planned_date=timezone.localdate(),
    ))  # fmt: skip
    with pytest.raises(PermissionDeniedError):
        actions.comment_plan_item(world.liaison, other, "No es de mi dependencia")
    piece = actions.produce_plan_item(world.writer, item)
    assert piece.need == need and list(piece.channels.all()) == [world.fb]
    with pytest.raises(TransitionNotAllowed):
        actions.produce_plan_item(world.writer, item)
    # The liaison sees the plan of their dependency only.
    client = world.client(world.liaison)
    assert (
        client.get(reverse("planning:plan_item_detail", args=[other.pk])).status_code
        == 404
    )
    html = client.get(reverse("planning:plan_list")).content.decode()
    assert "Convocatoria Plan Terrazas" in html and "Otro tema" not in html


def test_calendar_and_ical_feed(world: World) -> None:
    from pregonero.publishing.actions import schedule_publication

    piece = approved_piece(world, planned_date=timezone.localdate())
    when = timezone.now() + datetime.timedelta(hours=2)
    schedule_publication(world.writer, piece, world.fb, when)
    client = world.client(world.writer)
    for view in ("mes", "semana", "lista"):
        html = client.get(
            reverse("planning:calendar"), {"vista": view}
        ).content.decode()
        assert piece.title in html
    filtered = client.get(
        reverse("planning:calendar"), {"vista": "lista", "canal": world.ig.pk}
    )
    assert (
        "Programada"
        not in filtered.content.decode().split("Convenciones")[-1].split("</ul>")[-1]
    )
    feed = world.client(world.writer).get(
        reverse("planning:ical_feed", args=[world.writer.ical_token])
    )
    body = feed.content.decode()
    assert feed["Content-Type"].startswith("text/calendar")
    assert (
        "BEGIN:VCALENDAR" in body and "Facebook pr" in body and "END:VCALENDAR" in body
    )
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    # The feed needs no session, but a wrong secret finds nothing.
    from django.test import Client

    assert (
        Client().get(reverse("planning:ical_feed", args=["no-existe"])).status_code
        == 404
    )


def test_joint_action_with_evidence(world: World) -> None:
    piece = approved_piece(world)
    action = actions.create_joint_action(world.writer, actions.JointActionData(
        title="Jornada distrital de prevención", starts_on=timezone.localdate(),
        hashtags="TemporadaDeLluvias #BogotáSePrepara", new_partner_names=["IDIGER"],
        pieces=[piece],
    ))  # fmt: skip
    assert action.hashtags == "#TemporadaDeLluvias #BogotáSePrepara"
    assert [p.name for p in action.partners.all()] == ["IDIGER"]
    with pytest.raises(ValidationFailed):
        actions.create_joint_action(world.writer, actions.JointActionData(
            title="x", starts_on=timezone.localdate(), hashtags="#mal-etiqueta"))  # fmt: skip
    with pytest.raises(ValidationFailed):
        actions.add_joint_action_evidence(world.writer, action, description="Sin nada")
    evidence = actions.add_joint_action_evidence(
        world.writer, action, description="Publicación de la Secretaría General",
        url="https://www.bogota.gov.co/post/1",
    )  # fmt: skip
    assert evidence.url.endswith("/post/1")
